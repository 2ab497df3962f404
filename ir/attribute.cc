// Attribute printing and typed access.
#include "ir/attribute.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dsc::ir {
namespace {

std::string FloatToString(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  // Keep floats distinguishable from integers in the text form.
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string QuoteString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::string_view AttrKindName(AttrKind k) {
  static constexpr std::string_view kNames[] = {"bool", "int", "float", "string", "int list",
                                                "float list", "dim", "shape", "dtype", "symbol"};
  return kNames[static_cast<int>(k)];
}

AttrKind KindOf(const AttrValue& v) { return static_cast<AttrKind>(v.index()); }

std::string AttrToString(const AttrValue& v) {
  switch (KindOf(v)) {
    case AttrKind::kBool: return std::get<bool>(v) ? "true" : "false";
    case AttrKind::kInt: return absl::StrCat(std::get<int64_t>(v));
    case AttrKind::kFloat: return FloatToString(std::get<double>(v));
    case AttrKind::kString: return QuoteString(std::get<std::string>(v));
    case AttrKind::kInts: return absl::StrCat("[", absl::StrJoin(std::get<std::vector<int64_t>>(v), ", "), "]");
    case AttrKind::kFloats:
      return absl::StrCat("[",
                          absl::StrJoin(std::get<std::vector<double>>(v), ", ",
                                        [](std::string* o, double d) { o->append(FloatToString(d)); }),
                          "]");
    case AttrKind::kDim: return std::get<Dim>(v).ToString();
    case AttrKind::kShape: return std::get<Shape>(v).ToString();
    case AttrKind::kDType: return std::string(DTypeName(std::get<DType>(v)));
    case AttrKind::kSymbol: return absl::StrCat("@", std::get<SymbolRef>(v).name);
  }
  return "";
}

namespace {

// The attribute `n` (the verifier guarantees it exists wherever these are called).
const AttrValue& At(const AttrMap& a, std::string_view n) {
  auto it = a.find(n);
  if (it == a.end()) throw std::out_of_range(std::string("no attribute ") + std::string(n));
  return it->second;
}

}  // namespace

int64_t GetInt(const AttrMap& a, std::string_view n) { return std::get<int64_t>(At(a, n)); }
double GetFloat(const AttrMap& a, std::string_view n) { return std::get<double>(At(a, n)); }
bool GetBool(const AttrMap& a, std::string_view n) { return std::get<bool>(At(a, n)); }
const std::string& GetString(const AttrMap& a, std::string_view n) { return std::get<std::string>(At(a, n)); }
const std::vector<int64_t>& GetInts(const AttrMap& a, std::string_view n) {
  return std::get<std::vector<int64_t>>(At(a, n));
}
const Dim& GetDim(const AttrMap& a, std::string_view n) { return std::get<Dim>(At(a, n)); }
const Shape& GetShape(const AttrMap& a, std::string_view n) { return std::get<Shape>(At(a, n)); }
DType GetDType(const AttrMap& a, std::string_view n) { return std::get<DType>(At(a, n)); }

}  // namespace dsc::ir
