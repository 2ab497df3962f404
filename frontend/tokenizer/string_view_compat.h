// Debian's abseil 20220623 is built with its own absl::string_view (not an alias of
// std::string_view), so absl::StrCat and heterogeneous lookups in string-keyed absl maps need
// an explicit conversion from std::string_view.
#ifndef DSC_FRONTEND_TOKENIZER_STRING_VIEW_COMPAT_H_
#define DSC_FRONTEND_TOKENIZER_STRING_VIEW_COMPAT_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace dsc {

inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }

}  // namespace dsc

#endif  // DSC_FRONTEND_TOKENIZER_STRING_VIEW_COMPAT_H_
