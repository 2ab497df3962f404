// Builder: appends ops to a function with result types inferred and checked by the registry,
// so that invalid IR cannot be built. Misuse (an op that does not verify) is a programmer error
// and aborts with the verifier's message; parsers use TryCreate to get a Status instead.
#ifndef DSC_IR_BUILDER_H_
#define DSC_IR_BUILDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ir/module.h"

namespace dsc::ir {

class Builder {
 public:
  explicit Builder(Function* function) : function_(function), insert_pos_(function->num_ops()) {}

  Function* function() const { return function_; }
  // New ops go before position `pos` (default: the end of the body).
  void SetInsertionPoint(size_t pos) { insert_pos_ = pos; }
  void SetInsertionPointToEnd() { insert_pos_ = function_->num_ops(); }

  // Name hint for the results of the next op (e.g. "q.0"); printed as %q.0.
  Builder& Named(std::string name) {
    next_name_ = std::move(name);
    return *this;
  }

  absl::StatusOr<Operation*> TryCreate(OpCode code, std::vector<Value*> operands, AttrMap attrs = {},
                                       std::vector<std::string> names = {});
  Operation* Create(OpCode code, std::vector<Value*> operands, AttrMap attrs = {});
  // Single-result convenience.
  Value* Op(OpCode code, std::vector<Value*> operands, AttrMap attrs = {}) {
    return Create(code, std::move(operands), std::move(attrs))->result(0);
  }

  // Frequently used ops.
  Value* Matmul(Value* x, Value* w) { return Op(OpCode::kMatmul, {x, w}); }
  Value* Dequantize(Value* w) { return Op(OpCode::kDequantize, {w}); }
  Value* RmsNorm(Value* x, Value* w, double eps) {
    return Op(OpCode::kRmsNorm, {x, w}, {{"eps", eps}});
  }
  Value* Add(Value* a, Value* b) { return Op(OpCode::kAdd, {a, b}); }
  Value* Mul(Value* a, Value* b) { return Op(OpCode::kMul, {a, b}); }
  Value* Scale(Value* x, double f) { return Op(OpCode::kScale, {x}, {{"factor", f}}); }
  Value* Reshape(Value* x, Shape s) { return Op(OpCode::kReshape, {x}, {{"shape", std::move(s)}}); }
  std::vector<Value*> Split(Value* x, int64_t axis, std::vector<int64_t> sizes);
  Value* Concat(std::vector<Value*> xs, int64_t axis) {
    return Op(OpCode::kConcat, std::move(xs), {{"axis", axis}});
  }
  void Return(std::vector<Value*> values) { Create(OpCode::kReturn, std::move(values)); }

 private:
  Function* function_;
  size_t insert_pos_;
  std::string next_name_;
};

}  // namespace dsc::ir

#endif  // DSC_IR_BUILDER_H_
