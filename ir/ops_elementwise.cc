// Pointwise ops: binary arithmetic with numpy broadcasting, activations, cast.
#include "ir/op_rules.h"

namespace dsc::ir {
namespace {
using namespace rules;

absl::StatusOr<std::vector<Type>> InferBinary(const OpSignature& s) {
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(s.operands[0], "a"));
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(s.operands[1], "b"));
  absl::StatusOr<Shape> shape = Broadcast(s.operands[0].shape(), s.operands[1].shape());
  if (!shape.ok()) return Error("operands 'a' and 'b': ", shape.status().message());
  return std::vector<Type>{F32(*shape)};
}

absl::StatusOr<std::vector<Type>> InferUnary(const OpSignature& s) {
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(s.operands[0], "x"));
  return std::vector<Type>{F32(s.operands[0].shape())};
}

absl::StatusOr<std::vector<Type>> InferSwiglu(const OpSignature& s) {
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(s.operands[0], "gate"));
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(s.operands[1], "up"));
  DSC_RETURN_IF_ERROR(ExpectSameShape(s.operands[0], s.operands[1], "gate", "up"));
  return std::vector<Type>{F32(s.operands[0].shape())};
}

absl::StatusOr<std::vector<Type>> InferCast(const OpSignature& s) {
  DSC_RETURN_IF_ERROR(ExpectTensor(s.operands[0], "x"));
  DType to = GetDType(s.attrs, "dtype");
  if (to == DType::kE2M1) return Error("attribute 'dtype': cannot cast to packed e2m1");
  return std::vector<Type>{Type::Tensor(to, s.operands[0].shape())};
}

OpInfo Unary(OpCode code) { return {code, {}, {"x"}, 1, false, {}, false, false, InferUnary}; }
OpInfo Binary(OpCode code) {
  return {code, {}, {"a", "b"}, 2, false, {}, false, false, InferBinary};
}

}  // namespace

std::vector<OpInfo> ElementwiseOps() {
  return {
      Binary(OpCode::kAdd), Binary(OpCode::kSub), Binary(OpCode::kMul), Binary(OpCode::kDiv),
      {OpCode::kScale, {}, {"x"}, 1, false, {{"factor", AttrKind::kFloat, std::nullopt}}, false,
       false, InferUnary},
      Unary(OpCode::kSilu), Unary(OpCode::kSigmoid), Unary(OpCode::kRelu), Unary(OpCode::kExp),
      {OpCode::kSwiglu, {}, {"gate", "up"}, 2, false, {}, false, false, InferSwiglu},
      {OpCode::kCast, {}, {"x"}, 1, false, {{"dtype", AttrKind::kDType, std::nullopt}}, false,
       false, InferCast},
  };
}

}  // namespace dsc::ir
