// Matrix products, weight dequantization and embedding lookup: operands, attributes and
// shape inference (which is also their verifier).
#include "ir/op_rules.h"

namespace dsc::ir {
namespace {
using namespace rules;

// x[*, K] · w[N, K]ᵀ -> f32[*, N]; shared by matmul and quantized_matmul.
absl::StatusOr<std::vector<Type>> InferLinear(const Type& x, const Type& w) {
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "x"));
  DSC_RETURN_IF_ERROR(ExpectMinRank(x, 1, "x"));
  DSC_RETURN_IF_ERROR(ExpectRank(w, 2, "w"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(x.shape().at(-1), w.shape().dim(1),
                                    "last dim of 'x' and dim 1 (in) of 'w'"));
  return std::vector<Type>{F32(WithLastDim(x.shape(), w.shape().dim(0)))};
}

absl::StatusOr<std::vector<Type>> InferMatmul(const OpSignature& s) {
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(s.operands[1], "w"));
  return InferLinear(s.operands[0], s.operands[1]);
}

absl::StatusOr<std::vector<Type>> InferQuantizedMatmul(const OpSignature& s) {
  DSC_RETURN_IF_ERROR(ExpectQuantized(s.operands[1], "w"));
  return InferLinear(s.operands[0], s.operands[1]);
}

absl::StatusOr<std::vector<Type>> InferBatchMatmul(const OpSignature& s) {
  const Type& a = s.operands[0];
  const Type& b = s.operands[1];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(a, "a"));
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(b, "b"));
  DSC_RETURN_IF_ERROR(ExpectMinRank(a, 2, "a"));
  if (a.rank() != b.rank()) {
    return Error("operands 'a' and 'b' must have the same rank, got ", a.ToString(), " and ",
                 b.ToString());
  }
  int r = a.rank();
  for (int i = 0; i < r - 2; ++i) {
    DSC_RETURN_IF_ERROR(ExpectSameDim(a.shape().dim(i), b.shape().dim(i),
                                      absl::StrCat("batch dim ", i, " of 'a' and 'b'")));
  }
  bool tb = GetBool(s.attrs, "transpose_b");
  const Dim& k_b = tb ? b.shape().dim(r - 1) : b.shape().dim(r - 2);
  const Dim& n = tb ? b.shape().dim(r - 2) : b.shape().dim(r - 1);
  DSC_RETURN_IF_ERROR(ExpectSameDim(a.shape().dim(r - 1), k_b, "contracted dims of 'a' and 'b'"));
  return std::vector<Type>{F32(WithLastDim(a.shape(), n))};
}

absl::StatusOr<std::vector<Type>> InferDequantize(const OpSignature& s) {
  const Type& w = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectQuantized(w, "w"));
  return std::vector<Type>{F32(w.shape())};
}

absl::StatusOr<std::vector<Type>> InferEmbedding(const OpSignature& s) {
  const Type& table = s.operands[0];
  const Type& ids = s.operands[1];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(table, "table"));
  DSC_RETURN_IF_ERROR(ExpectRank(table, 2, "table"));
  DSC_RETURN_IF_ERROR(ExpectIntTensor(ids, "ids"));
  std::vector<Dim> dims = ids.shape().dims();
  dims.push_back(table.shape().dim(1));
  return std::vector<Type>{F32(Shape(std::move(dims)))};
}

}  // namespace

std::vector<OpInfo> LinearOps() {
  return {
      {OpCode::kMatmul, {}, {"x", "w"}, 2, false, {}, false, false, InferMatmul},
      {OpCode::kBatchMatmul, {}, {"a", "b"}, 2, false,
       {{"transpose_b", AttrKind::kBool, AttrValue(false)}}, false, false, InferBatchMatmul},
      {OpCode::kDequantize, {}, {"w"}, 1, false, {}, false, false, InferDequantize},
      {OpCode::kQuantizedMatmul, {}, {"x", "w"}, 2, false, {}, false, false,
       InferQuantizedMatmul},
      {OpCode::kEmbedding, {}, {"table", "ids"}, 2, false, {}, false, false, InferEmbedding},
  };
}

}  // namespace dsc::ir
