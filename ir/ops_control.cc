// Control ops: `return` ends every function body.
#include "ir/op_rules.h"

namespace dsc::ir {
namespace {

absl::StatusOr<std::vector<Type>> InferReturn(const OpSignature&) { return std::vector<Type>{}; }

}  // namespace

std::vector<OpInfo> ControlOps() {
  return {{OpCode::kReturn, {}, {"values"}, 0, true, {}, true, false, InferReturn}};
}

}  // namespace dsc::ir
