// Typed op attributes. Each op declares its attributes (name, kind, default) in the registry;
// an op's attributes are always printed in that declared order.
#ifndef DSC_IR_ATTRIBUTE_H_
#define DSC_IR_ATTRIBUTE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ir/dtype.h"
#include "ir/shape.h"

namespace dsc::ir {

enum class AttrKind : uint8_t {
  kBool, kInt, kFloat, kString, kInts, kFloats,
  kDim,     // one (possibly symbolic) dimension, e.g. a start position "P"
  kShape,   // e.g. the target shape of a reshape
  kDType,
  kSymbol,  // a reference to a module-level function, printed @name
};
std::string_view AttrKindName(AttrKind k);

struct SymbolRef {
  std::string name;
  bool operator==(const SymbolRef& o) const { return name == o.name; }
};

using AttrValue = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>,
                               std::vector<double>, Dim, Shape, DType, SymbolRef>;
// The variant index of each kind matches AttrKind's order.
AttrKind KindOf(const AttrValue& v);

// Attributes of one op, by name.
// std::less<>: lookups by string_view, so a runtime reading an attribute builds no string.
using AttrMap = std::map<std::string, AttrValue, std::less<>>;

// Prints a value in the IR text syntax: 3, -1, 1.5, 1e-06, true, "s", [1, 2], [S,7168], f32, @f.
// Floats use the shortest representation that reads back to the same double.
std::string AttrToString(const AttrValue& v);

// Convenience accessors (the verifier guarantees presence and kind of declared attrs).
int64_t GetInt(const AttrMap& attrs, std::string_view name);
double GetFloat(const AttrMap& attrs, std::string_view name);
bool GetBool(const AttrMap& attrs, std::string_view name);
const std::string& GetString(const AttrMap& attrs, std::string_view name);
const std::vector<int64_t>& GetInts(const AttrMap& attrs, std::string_view name);
const Dim& GetDim(const AttrMap& attrs, std::string_view name);
const Shape& GetShape(const AttrMap& attrs, std::string_view name);
DType GetDType(const AttrMap& attrs, std::string_view name);

}  // namespace dsc::ir

#endif  // DSC_IR_ATTRIBUTE_H_
