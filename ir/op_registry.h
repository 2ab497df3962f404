// The op registry: for every op in ops.def, its operands, attribute schema, side effects and
// the shape/type inference function that doubles as its verifier.
#ifndef DSC_IR_OP_REGISTRY_H_
#define DSC_IR_OP_REGISTRY_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "ir/attribute.h"
#include "ir/type.h"

namespace dsc::ir {

enum class OpCode : uint16_t {
#define DSC_OP(code, name) code,
#include "ir/ops.def"
#undef DSC_OP
  kNumOps
};
inline constexpr int kNumOpCodes = static_cast<int>(OpCode::kNumOps);

struct AttrSpec {
  std::string name;
  AttrKind kind;
  std::optional<AttrValue> default_value;  // absent: the attribute is required
};

// What inference sees of an op: its operand types and (defaults-filled) attributes.
struct OpSignature {
  absl::Span<const Type> operands;
  const AttrMap& attrs;
};

// Returns the result types, or InvalidArgument stating the violated rule in terms of operand
// names (the verifier prefixes the op and its location).
using InferFn = absl::StatusOr<std::vector<Type>> (*)(const OpSignature&);

struct OpInfo {
  OpCode code;
  std::string_view name;
  // Operand names for messages; with `variadic`, the last one may repeat (0 or more times).
  std::vector<std::string_view> operands;
  int min_operands;       // fewer than operands.size() means trailing operands are optional
  bool variadic = false;
  std::vector<AttrSpec> attrs;
  bool has_side_effects = false;  // never removed or reordered by passes
  bool reads_state = false;       // not CSE'd across side-effecting ops
  InferFn infer = nullptr;
};

const OpInfo& GetOpInfo(OpCode code);
std::optional<OpCode> OpCodeFromName(std::string_view name);

// Checks operand count and attributes against the schema, fills attribute defaults, and runs
// inference. Messages name the op, the operand or attribute, and the rule.
absl::StatusOr<std::vector<Type>> InferResultTypes(OpCode code, absl::Span<const Type> operands,
                                                   AttrMap& attrs);

// Family tables (ops_<family>.cc). Each returns the OpInfo of its ops.
std::vector<OpInfo> LinearOps();
std::vector<OpInfo> ElementwiseOps();
std::vector<OpInfo> NormOps();
std::vector<OpInfo> ShapeOps();
std::vector<OpInfo> ModelOps();
std::vector<OpInfo> FusedOps();
std::vector<OpInfo> ControlOps();

}  // namespace dsc::ir

#endif  // DSC_IR_OP_REGISTRY_H_
