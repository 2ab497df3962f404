// Ops that only passes produce: an inline literal (constant folding), the fused residual-add
// RMSNorm and gate/up SwiGLU, the absorbed MLA decode attention (model.md §7b) and the two
// specialized MoE forms (§9). Each is defined as an exact composition of the generic ops it
// replaces, so the interpreter's result does not depend on whether a pass fired.
#include "ir/op_rules.h"

namespace dsc::ir {
namespace {
using namespace rules;

// Literal values are stored as doubles, which hold every f32 and every integer below 2^53.
absl::StatusOr<std::vector<Type>> InferLiteral(const OpSignature& s) {
  const DType dtype = GetDType(s.attrs, "dtype");
  const Shape& shape = GetShape(s.attrs, "shape");
  if (dtype != DType::kF32 && dtype != DType::kI32 && dtype != DType::kI64) {
    return Error("attribute 'dtype' must be f32, i32 or i64, got ", std::string(DTypeName(dtype)));
  }
  if (!shape.is_static()) return Error("attribute 'shape' must be static, got ", shape.ToString());
  const size_t n = std::get<std::vector<double>>(s.attrs.at("values")).size();
  if (static_cast<int64_t>(n) != shape.num_elements()) {
    return Error("attribute 'values' has ", n, " entries for shape ", shape.ToString());
  }
  return std::vector<Type>{Type::Tensor(dtype, shape)};
}

absl::StatusOr<std::vector<Type>> InferAddRmsNorm(const OpSignature& s) {
  const Type& x = s.operands[0];
  const Type& w = s.operands[2];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "x"));
  DSC_RETURN_IF_ERROR(ExpectMinRank(x, 1, "x"));
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(s.operands[1], "residual"));
  DSC_RETURN_IF_ERROR(ExpectSameShape(x, s.operands[1], "x", "residual"));
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(w, "w"));
  DSC_RETURN_IF_ERROR(ExpectRank(w, 1, "w"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(x.shape().at(-1), w.shape().dim(0), "last dim of 'x' and length of 'w'"));
  if (GetFloat(s.attrs, "eps") <= 0) return Error("attribute 'eps' must be > 0");
  return std::vector<Type>{F32(x.shape()), F32(x.shape())};
}

// A weight operand of a linear product: a quantized or float [N, K] matrix.
absl::Status ExpectLinearWeight(const Type& w, absl::string_view name) {
  if (!w.is_quantized()) DSC_RETURN_IF_ERROR(ExpectFloatTensor(w, name));
  return ExpectRank(w, 2, name);
}

absl::StatusOr<std::vector<Type>> InferGateUpSwiglu(const OpSignature& s) {
  const Type& x = s.operands[0];
  const Type& w1 = s.operands[1];
  const Type& w3 = s.operands[2];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "x"));
  DSC_RETURN_IF_ERROR(ExpectMinRank(x, 1, "x"));
  DSC_RETURN_IF_ERROR(ExpectLinearWeight(w1, "w1"));
  DSC_RETURN_IF_ERROR(ExpectLinearWeight(w3, "w3"));
  DSC_RETURN_IF_ERROR(ExpectSameShape(w1, w3, "w1", "w3"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(x.shape().at(-1), w1.shape().dim(1), "last dim of 'x' and dim 1 (in) of 'w1'"));
  return std::vector<Type>{F32(WithLastDim(x.shape(), w1.shape().dim(0)))};
}

// q_nope[S,H,dn], q_pe[S,H,dr], kv[T,R], pe[T,dr], wkv_b[H·(dn+dv), R] [, mask[S,T]] -> o[S,H,dv].
absl::StatusOr<std::vector<Type>> InferMlaDecodeAttention(const OpSignature& s) {
  const Type& qn = s.operands[0];
  const Type& qp = s.operands[1];
  const Type& kv = s.operands[2];
  const Type& pe = s.operands[3];
  const Type& w = s.operands[4];
  for (auto [t, n] : {std::pair{&qn, "q_nope"}, {&qp, "q_pe"}}) {
    DSC_RETURN_IF_ERROR(ExpectFloatTensor(*t, n));
    DSC_RETURN_IF_ERROR(ExpectRank(*t, 3, n));
  }
  for (auto [t, n] : {std::pair{&kv, "kv"}, {&pe, "pe"}}) {
    DSC_RETURN_IF_ERROR(ExpectFloatTensor(*t, n));
    DSC_RETURN_IF_ERROR(ExpectRank(*t, 2, n));
  }
  DSC_RETURN_IF_ERROR(ExpectLinearWeight(w, "wkv_b"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(qn.shape().dim(0), qp.shape().dim(0), "queries of 'q_nope' and 'q_pe'"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(qn.shape().dim(1), qp.shape().dim(1), "heads of 'q_nope' and 'q_pe'"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(kv.shape().dim(0), pe.shape().dim(0), "keys of 'kv' and 'pe'"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(qp.shape().dim(2), pe.shape().dim(1), "rope dim of 'q_pe' and 'pe'"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(kv.shape().dim(1), w.shape().dim(1), "latent dim of 'kv' and dim 1 of 'wkv_b'"));
  const Dim& h = qn.shape().dim(1);
  const Dim& dn = qn.shape().dim(2);
  const Dim& rows = w.shape().dim(0);
  if (!h.is_static() || !dn.is_static() || !rows.is_static() || h.offset() <= 0 ||
      rows.offset() % h.offset() != 0 || rows.offset() / h.offset() <= dn.offset()) {
    return Error("dim 0 of 'wkv_b' (", rows.ToString(), ") must be heads (", h.ToString(),
                 ") x (nope dim ", dn.ToString(), " + a positive value dim)");
  }
  if (s.operands.size() == 6) {
    const Type& m = s.operands[5];
    DSC_RETURN_IF_ERROR(ExpectFloatTensor(m, "mask"));
    if (m.shape() != Shape{qn.shape().dim(0), kv.shape().dim(0)}) {
      return Error("operand 'mask' must be [", qn.shape().dim(0).ToString(), ",", kv.shape().dim(0).ToString(),
                   "], got ", m.ToString());
    }
  }
  const int64_t dv = rows.offset() / h.offset() - dn.offset();
  return std::vector<Type>{F32(Shape{qn.shape().dim(0), h, Dim(dv)})};
}

// The expert operands of the specialized MoE ops: x[S,D], weights/experts [S,K], stacked
// w1, w3 [E,I,D] and w2 [E,D,I] (quantized or float), optionally shared w1, w3 [Is,D], w2 [D,Is].
absl::StatusOr<std::vector<Type>> InferMoe(const OpSignature& s) {
  const Type& x = s.operands[0];
  const Type& wts = s.operands[1];
  const Type& idx = s.operands[2];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "x"));
  DSC_RETURN_IF_ERROR(ExpectRank(x, 2, "x"));
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(wts, "weights"));
  DSC_RETURN_IF_ERROR(ExpectRank(wts, 2, "weights"));
  DSC_RETURN_IF_ERROR(ExpectIntTensor(idx, "experts"));
  DSC_RETURN_IF_ERROR(ExpectSameShape(wts, idx, "weights", "experts"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(x.shape().dim(0), wts.shape().dim(0), "tokens of 'x' and 'weights'"));
  const Type& w1 = s.operands[3];
  const Type& w2 = s.operands[4];
  const Type& w3 = s.operands[5];
  for (auto [t, n] : {std::pair{&w1, "w1"}, {&w2, "w2"}, {&w3, "w3"}}) {
    if (!t->is_quantized()) DSC_RETURN_IF_ERROR(ExpectFloatTensor(*t, n));
    DSC_RETURN_IF_ERROR(ExpectRank(*t, 3, n));
  }
  const Dim& d = x.shape().dim(1);
  const Dim& e = w1.shape().dim(0);
  const Dim& i = w1.shape().dim(1);
  if (w3.shape() != w1.shape() || w1.shape() != Shape{e, i, d} || w2.shape() != Shape{e, d, i}) {
    return Error("expert weights must be w1, w3: [E,I,", d.ToString(), "] and w2: [E,", d.ToString(), ",I], got ",
                 w1.ToString(), ", ", w2.ToString(), ", ", w3.ToString());
  }
  if (s.operands.size() != 6 && s.operands.size() != 9) {
    return Error("the shared expert needs all three weights (9 operands), got ", s.operands.size(), " operands");
  }
  if (s.operands.size() == 9) {
    const Type& s1 = s.operands[6];
    const Type& s2 = s.operands[7];
    const Type& s3 = s.operands[8];
    for (auto [t, n] : {std::pair{&s1, "shared_w1"}, {&s2, "shared_w2"}, {&s3, "shared_w3"}}) {
      DSC_RETURN_IF_ERROR(ExpectLinearWeight(*t, n));
    }
    const Dim& si = s1.shape().dim(0);
    if (s3.shape() != s1.shape() || s1.shape() != Shape{si, d} || s2.shape() != Shape{d, si}) {
      return Error("shared expert weights must be w1, w3: [I,", d.ToString(), "] and w2: [", d.ToString(),
                   ",I], got ", s1.ToString(), ", ", s2.ToString(), ", ", s3.ToString());
    }
  }
  return std::vector<Type>{F32(x.shape())};
}

OpInfo Op(OpCode code, std::vector<std::string_view> operands, int min_operands, std::vector<AttrSpec> attrs,
          InferFn infer) {
  return {code, {}, std::move(operands), min_operands, false, std::move(attrs), false, false, infer};
}
AttrSpec Req(std::string name, AttrKind kind) { return {std::move(name), kind, std::nullopt}; }

}  // namespace

std::vector<OpInfo> FusedOps() {
  const std::vector<std::string_view> moe = {"x", "weights", "experts", "w1", "w2", "w3"};
  std::vector<std::string_view> moe_shared = moe;
  moe_shared.insert(moe_shared.end(), {"shared_w1", "shared_w2", "shared_w3"});
  return {
      Op(OpCode::kLiteral, {}, 0,
         {{"dtype", AttrKind::kDType, AttrValue(DType::kF32)}, Req("shape", AttrKind::kShape),
          Req("values", AttrKind::kFloats)},
         InferLiteral),
      Op(OpCode::kAddRmsNorm, {"x", "residual", "w"}, 3, {{"eps", AttrKind::kFloat, AttrValue(1e-6)}},
         InferAddRmsNorm),
      Op(OpCode::kGateUpSwiglu, {"x", "w1", "w3"}, 3, {}, InferGateUpSwiglu),
      Op(OpCode::kMlaDecodeAttention, {"q_nope", "q_pe", "kv", "pe", "wkv_b", "mask"}, 5,
         {Req("scale", AttrKind::kFloat), Req("causal", AttrKind::kBool), {"start", AttrKind::kDim, AttrValue(Dim(0))}},
         InferMlaDecodeAttention),
      Op(OpCode::kMoeDecode, moe_shared, 6, {}, InferMoe),
      Op(OpCode::kMoeGrouped, moe, 6, {}, InferMoe),
  };
}

}  // namespace dsc::ir
