// Strict JSON reading for checkpoint files: rejects duplicate object keys (nlohmann keeps the
// last one silently) and reports syntax errors with the file, line and column.
#ifndef DSC_FRONTEND_JSON_STRICT_H_
#define DSC_FRONTEND_JSON_STRICT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace dsc::frontend {

// Parses `text`; `source` (usually a path) prefixes every error message. InvalidArgument on
// syntax errors, invalid UTF-8 and duplicate keys.
absl::StatusOr<nlohmann::json> ParseJsonStrict(std::string_view text, std::string_view source);

// Reads and strictly parses a JSON file. NotFound when it does not exist.
absl::StatusOr<nlohmann::json> ReadJsonFile(const std::string& path);

// Reads a whole file into a string. NotFound / Internal with the path in the message.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_JSON_STRICT_H_
