// Regular expressions as Hugging Face `tokenizers` runs them (Oniguruma, Ruby syntax), executed
// by PCRE2 (UTF + UCP + JIT) after a small translation that pins down the Oniguruma meaning of
// \s, \d, \w, \h and brings PCRE2's Unicode 14 category tables up to Unicode 15 (Oniguruma
// 6.9.8, the version HF bundles).
#ifndef DSC_FRONTEND_TOKENIZER_REGEX_H_
#define DSC_FRONTEND_TOKENIZER_REGEX_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace dsc::tokenizer_internal {

// Rewrites an Oniguruma pattern into an equivalent PCRE2 pattern:
//  - \s \S (Oniguruma Unicode whitespace: U+0009-U+000D, U+0085, \p{Z}), \d \D (\p{Nd}),
//    \w \W (letters, marks, decimal numbers, connector punctuation), \h \H (hex digits) become
//    explicit classes, outside and inside bracket classes;
//  - \p{L} \p{M} \p{N} \p{P} \p{S} gain the code points Unicode 15 added to them.
// Limits (reported as Unimplemented): nested bracket classes and class intersections
// (`[a-z&&[^x]]`), and the negated shorthands \S \D \W \H inside a bracket class, which
// PCRE2 10.42 cannot express exactly. None occurs in the tokenizer files this project uses.
absl::StatusOr<std::string> TranslateOnigurumaToPcre2(std::string_view pattern);

// A compiled pattern. Cheap to copy (shares the compiled code); safe to use from many threads.
class Regex {
 public:
  // Compiles an Oniguruma pattern (via TranslateOnigurumaToPcre2).
  static absl::StatusOr<Regex> CompileOniguruma(std::string_view pattern);
  // A pattern that matches `literal` exactly (HF `SplitPattern::String`).
  static absl::StatusOr<Regex> CompileLiteral(std::string_view literal);

  // Searches `subject` (valid UTF-8) from byte offset `start` (a character boundary) for the
  // leftmost match. On success sets [*match_begin, *match_end) and returns true. Lookarounds
  // see only `subject`, never text beyond it.
  bool Find(std::string_view subject, size_t start, size_t* match_begin, size_t* match_end) const;

 private:
  struct Compiled;
  explicit Regex(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
  static absl::StatusOr<Regex> Compile(std::string_view pcre2_pattern, uint32_t options);

  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace dsc::tokenizer_internal

#endif  // DSC_FRONTEND_TOKENIZER_REGEX_H_
