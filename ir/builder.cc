// Builder implementation: inference-checked op creation.
#include "ir/builder.h"

#include "absl/strings/str_cat.h"
#include "ir/check.h"

namespace dsc::ir {

absl::StatusOr<Operation*> Builder::TryCreate(OpCode code, std::vector<Value*> operands, AttrMap attrs,
                                              std::vector<std::string> names) {
  std::vector<Type> operand_types;
  operand_types.reserve(operands.size());
  for (Value* v : operands) {
    if (v == nullptr) return absl::InvalidArgumentError(absl::StrCat("'", std::string(GetOpInfo(code).name), "': null operand"));
    operand_types.push_back(v->type());
  }
  absl::StatusOr<std::vector<Type>> types = InferResultTypes(code, operand_types, attrs);
  if (!types.ok()) return types.status();
  if (names.empty() && !next_name_.empty()) {
    for (size_t i = 0; i < types->size(); ++i) {
      names.push_back(types->size() == 1 ? next_name_ : absl::StrCat(next_name_, ".", i));
    }
  }
  next_name_.clear();
  Operation* op = function_->InsertOp(insert_pos_, code, std::move(operands), std::move(attrs),
                                      std::move(*types), std::move(names));
  ++insert_pos_;
  return op;
}

Operation* Builder::Create(OpCode code, std::vector<Value*> operands, AttrMap attrs) {
  absl::StatusOr<Operation*> op = TryCreate(code, std::move(operands), std::move(attrs));
  DSC_CHECK(op.ok(), std::string(op.status().message()));
  return *op;
}

std::vector<Value*> Builder::Split(Value* x, int64_t axis, std::vector<int64_t> sizes) {
  Operation* op = Create(OpCode::kSplit, {x}, {{"axis", axis}, {"sizes", std::move(sizes)}});
  std::vector<Value*> out;
  for (int i = 0; i < op->num_results(); ++i) out.push_back(op->result(i));
  return out;
}

}  // namespace dsc::ir
