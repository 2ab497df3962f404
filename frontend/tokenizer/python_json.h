// JSON text byte-identical to Python's json.dumps(value, ensure_ascii=False) with default
// separators (", " and ": "), as the DeepSeek V3.2 chat encoder embeds it in prompts
// (chat.md §3 "J(v)").
#ifndef DSC_FRONTEND_TOKENIZER_PYTHON_JSON_H_
#define DSC_FRONTEND_TOKENIZER_PYTHON_JSON_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace dsc::chat_internal {

// Parses JSON keeping object keys in document order (like Python's json.loads into a dict).
// Errors are InvalidArgument naming `what`.
absl::StatusOr<nlohmann::ordered_json> ParseOrderedJson(std::string_view text,
                                                        std::string_view what);

// json.dumps(value, ensure_ascii=False): true/false/null; integers in decimal; floats as
// Python's repr (shortest round trip: 2.0, 0.5, 1e-05, 1e+16; inf -> Infinity); strings
// escape '"', '\\' and control characters (\n, \t, \u0001 ...) but keep '/' and non-ASCII.
std::string PythonJsonDumps(const nlohmann::ordered_json& value);

// json.dumps of a string.
std::string PythonJsonString(std::string_view text);

// Python's repr(float).
std::string PythonFloatRepr(double value);

// Python truthiness of a JSON value: null, false, 0, 0.0, "", [] and {} are false.
bool IsTruthy(const nlohmann::ordered_json& value);

}  // namespace dsc::chat_internal

#endif  // DSC_FRONTEND_TOKENIZER_PYTHON_JSON_H_
