// Python-compatible JSON serialization (json.dumps defaults, ensure_ascii=False).
#include "frontend/tokenizer/python_json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "frontend/tokenizer/string_view_compat.h"

namespace dsc::chat_internal {
namespace {

void AppendString(std::string_view text, std::string* out) {
  out->push_back('"');
  for (char c : text) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned char>(c));
          *out += escaped;
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void AppendValue(const nlohmann::ordered_json& value, std::string* out) {
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::null: *out += "null"; return;
    case nlohmann::ordered_json::value_t::boolean: *out += value.get<bool>() ? "true" : "false"; return;
    case nlohmann::ordered_json::value_t::number_integer:
      *out += std::to_string(value.get<int64_t>());
      return;
    case nlohmann::ordered_json::value_t::number_unsigned:
      *out += std::to_string(value.get<uint64_t>());
      return;
    case nlohmann::ordered_json::value_t::number_float:
      *out += PythonFloatRepr(value.get<double>());
      return;
    case nlohmann::ordered_json::value_t::string:
      AppendString(value.get_ref<const std::string&>(), out);
      return;
    case nlohmann::ordered_json::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& element : value) {
        if (!first) *out += ", ";
        first = false;
        AppendValue(element, out);
      }
      out->push_back(']');
      return;
    }
    case nlohmann::ordered_json::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) *out += ", ";
        first = false;
        AppendString(it.key(), out);
        *out += ": ";
        AppendValue(it.value(), out);
      }
      out->push_back('}');
      return;
    }
    default:  // binary / discarded values cannot come from parsed JSON text
      *out += "null";
  }
}

}  // namespace

absl::StatusOr<nlohmann::ordered_json> ParseOrderedJson(std::string_view text,
                                                        std::string_view what) {
  try {
    return nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(what), ": not valid JSON: ", e.what()));
  }
}

std::string PythonFloatRepr(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  // Shortest round-trip digits, in scientific form "d.ddde±XX".
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value,
                                    std::chars_format::scientific);
  std::string scientific(buffer, end);
  const size_t e = scientific.find('e');
  std::string mantissa = scientific.substr(0, e);
  const int exponent = std::atoi(scientific.c_str() + e + 1);
  const bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits.push_back(c);
  }
  // Python (float_repr_style 'short'): decimal point position decpt = exponent + 1;
  // scientific notation iff decpt <= -4 or decpt > 16.
  const int decpt = exponent + 1;
  std::string out = negative ? "-" : "";
  if (decpt <= -4 || decpt > 16) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) absl::StrAppend(&out, ".", digits.substr(1));
    char exp[16];
    std::snprintf(exp, sizeof(exp), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += exp;
  } else if (decpt <= 0) {
    absl::StrAppend(&out, "0.", std::string(-decpt, '0'), digits);
  } else if (static_cast<size_t>(decpt) >= digits.size()) {
    absl::StrAppend(&out, digits, std::string(decpt - digits.size(), '0'), ".0");
  } else {
    absl::StrAppend(&out, digits.substr(0, decpt), ".", digits.substr(decpt));
  }
  return out;
}

std::string PythonJsonString(std::string_view text) {
  std::string out;
  AppendString(text, &out);
  return out;
}

std::string PythonJsonDumps(const nlohmann::ordered_json& value) {
  std::string out;
  AppendValue(value, &out);
  return out;
}

bool IsTruthy(const nlohmann::ordered_json& value) {
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::null: return false;
    case nlohmann::ordered_json::value_t::boolean: return value.get<bool>();
    case nlohmann::ordered_json::value_t::number_integer: return value.get<int64_t>() != 0;
    case nlohmann::ordered_json::value_t::number_unsigned: return value.get<uint64_t>() != 0;
    case nlohmann::ordered_json::value_t::number_float: return value.get<double>() != 0.0;
    case nlohmann::ordered_json::value_t::string: return !value.get_ref<const std::string&>().empty();
    default: return !value.empty();  // arrays and objects
  }
}

}  // namespace dsc::chat_internal
