// DeepSeek V3.2 building blocks (shared/spec/model.md): YaRN rotary tables and rotation,
// Hadamard, FP8 activation simulation, the DSA indexer score and sparse mask, attention,
// the group-limited MoE gate and generic expert dispatch/combine, and KV-cache access.
#include "ir/op_rules.h"

namespace dsc::ir {
namespace {
using namespace rules;

absl::StatusOr<std::vector<Type>> InferRopeFreqs(const OpSignature& s) {
  int64_t dim = GetInt(s.attrs, "dim");
  if (dim <= 0 || dim % 2 != 0) return Error("attribute 'dim' must be positive and even, got ", dim);
  return std::vector<Type>{F32(Shape{dim / 2})};
}

// x[S, ..., d] rotated at positions pos[S] with freqs[d/2].
absl::StatusOr<std::vector<Type>> InferRotary(const OpSignature& s) {
  const Type& x = s.operands[0];
  const Type& freqs = s.operands[1];
  const Type& pos = s.operands[2];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "x"));
  DSC_RETURN_IF_ERROR(ExpectMinRank(x, 2, "x"));
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(freqs, "freqs"));
  DSC_RETURN_IF_ERROR(ExpectRank(freqs, 1, "freqs"));
  DSC_RETURN_IF_ERROR(ExpectIntTensor(pos, "positions"));
  DSC_RETURN_IF_ERROR(ExpectRank(pos, 1, "positions"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(x.shape().dim(0), pos.shape().dim(0),
                                    "dim 0 of 'x' and length of 'positions'"));
  const Dim& d = x.shape().at(-1);
  if (!d.is_static() || d.offset() % 2 != 0 || Dim(d.offset() / 2) != freqs.shape().dim(0)) {
    return Error("last dim of 'x' (", d.ToString(), ") must be twice the length of 'freqs' (",
                 freqs.shape().dim(0).ToString(), ")");
  }
  return std::vector<Type>{F32(x.shape())};
}

absl::StatusOr<std::vector<Type>> InferHadamard(const OpSignature& s) {
  const Type& x = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "x"));
  DSC_RETURN_IF_ERROR(ExpectMinRank(x, 1, "x"));
  const Dim& d = x.shape().at(-1);
  if (!d.is_static() || d.offset() <= 0 || (d.offset() & (d.offset() - 1)) != 0) {
    return Error("last dim of 'x' must be a static power of two, got ", d.ToString());
  }
  return std::vector<Type>{F32(x.shape())};
}

absl::Status ExpectBlocked(const Type& x, int64_t block) {
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "x"));
  DSC_RETURN_IF_ERROR(ExpectMinRank(x, 1, "x"));
  const Dim& d = x.shape().at(-1);
  if (block <= 0 || !d.is_static() || d.offset() % block != 0) {
    return Error("last dim of 'x' (", d.ToString(), ") must be a multiple of 'block' (", block, ")");
  }
  return absl::OkStatus();
}

absl::Status ExpectScaleFormat(const AttrMap& attrs) {
  const std::string& f = GetString(attrs, "scale_fmt");
  if (f != "ue8m0" && f != "plain") {
    return Error("attribute 'scale_fmt' must be \"ue8m0\" or \"plain\", got \"", f, "\"");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Type>> InferFp8RoundTrip(const OpSignature& s) {
  DSC_RETURN_IF_ERROR(ExpectBlocked(s.operands[0], GetInt(s.attrs, "block")));
  DSC_RETURN_IF_ERROR(ExpectScaleFormat(s.attrs));
  return std::vector<Type>{F32(s.operands[0].shape())};
}

absl::StatusOr<std::vector<Type>> InferFp8Quantize(const OpSignature& s) {
  const Type& x = s.operands[0];
  int64_t block = GetInt(s.attrs, "block");
  DSC_RETURN_IF_ERROR(ExpectBlocked(x, block));
  DSC_RETURN_IF_ERROR(ExpectScaleFormat(s.attrs));
  return std::vector<Type>{Type::Tensor(DType::kF8E4M3, x.shape()),
                           F32(WithLastDim(x.shape(), Dim(x.shape().at(-1).offset() / block)))};
}

// I[s, t] over q[S,H,d] (FP8-simulated), head weights w[S,H] and keys: either f32 k[T,d], or
// FP8 codes k8 f8e4m3[T,d] with one scale per key ks f32[T,1] (the indexer key cache).
absl::StatusOr<std::vector<Type>> InferIndexerScore(const OpSignature& s) {
  const Type& q = s.operands[0];
  const Type& w = s.operands[1];
  const Type& k = s.operands[2];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(q, "q"));
  DSC_RETURN_IF_ERROR(ExpectRank(q, 3, "q"));
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(w, "w"));
  DSC_RETURN_IF_ERROR(ExpectRank(w, 2, "w"));
  DSC_RETURN_IF_ERROR(ExpectRank(k, 2, "k"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(q.shape().dim(0), w.shape().dim(0), "dim 0 of 'q' and 'w'"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(q.shape().dim(1), w.shape().dim(1), "dim 1 of 'q' and 'w'"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(q.shape().dim(2), k.shape().dim(1), "head dim of 'q' and 'k'"));
  if (s.operands.size() == 4) {
    if (k.dtype() != DType::kF8E4M3) return Error("operand 'k' must be f8e4m3 when 'k_scale' is given");
    const Type& ks = s.operands[3];
    DSC_RETURN_IF_ERROR(ExpectFloatTensor(ks, "k_scale"));
    if (ks.shape() != Shape{k.shape().dim(0), Dim(1)}) {
      return Error("operand 'k_scale' must be f32[", k.shape().dim(0).ToString(), ",1], got ",
                   ks.ToString());
    }
  } else {
    DSC_RETURN_IF_ERROR(ExpectFloatTensor(k, "k"));
    if (k.dtype() == DType::kF8E4M3) return Error("operand 'k' is f8e4m3 but 'k_scale' is missing");
  }
  return std::vector<Type>{F32(Shape{q.shape().dim(0), k.shape().dim(0)})};
}

absl::StatusOr<std::vector<Type>> InferSparseTopkMask(const OpSignature& s) {
  const Type& x = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "scores"));
  DSC_RETURN_IF_ERROR(ExpectRank(x, 2, "scores"));
  if (GetInt(s.attrs, "k") <= 0) return Error("attribute 'k' must be positive");
  return std::vector<Type>{F32(x.shape())};
}

// q[S,H,d], k[T,H,d], v[T,H,dv], optional additive mask[S,T] -> o[S,H,dv].
absl::StatusOr<std::vector<Type>> InferAttention(const OpSignature& s) {
  const Type& q = s.operands[0];
  const Type& k = s.operands[1];
  const Type& v = s.operands[2];
  for (auto [t, n] : {std::pair{&q, "q"}, {&k, "k"}, {&v, "v"}}) {
    DSC_RETURN_IF_ERROR(ExpectFloatTensor(*t, n));
    DSC_RETURN_IF_ERROR(ExpectRank(*t, 3, n));
  }
  DSC_RETURN_IF_ERROR(ExpectSameDim(q.shape().dim(1), k.shape().dim(1), "heads of 'q' and 'k'"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(q.shape().dim(2), k.shape().dim(2), "head dim of 'q' and 'k'"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(k.shape().dim(0), v.shape().dim(0), "keys of 'k' and 'v'"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(k.shape().dim(1), v.shape().dim(1), "heads of 'k' and 'v'"));
  if (s.operands.size() == 4) {
    const Type& m = s.operands[3];
    DSC_RETURN_IF_ERROR(ExpectFloatTensor(m, "mask"));
    if (m.shape() != Shape{q.shape().dim(0), k.shape().dim(0)}) {
      return Error("operand 'mask' must be [", q.shape().dim(0).ToString(), ",",
                   k.shape().dim(0).ToString(), "], got ", m.ToString());
    }
  }
  return std::vector<Type>{F32(Shape{q.shape().dim(0), q.shape().dim(1), v.shape().dim(2)})};
}

absl::StatusOr<std::vector<Type>> InferMoeGate(const OpSignature& s) {
  const Type& logits = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(logits, "logits"));
  DSC_RETURN_IF_ERROR(ExpectRank(logits, 2, "logits"));
  const Dim& e = logits.shape().dim(1);
  if (!e.is_static()) return Error("the expert count (dim 1 of 'logits') must be static");
  if (s.operands.size() == 2) {
    DSC_RETURN_IF_ERROR(ExpectFloatTensor(s.operands[1], "bias"));
    if (s.operands[1].shape() != Shape{e}) {
      return Error("operand 'bias' must be [", e.ToString(), "], got ", s.operands[1].ToString());
    }
  }
  int64_t k = GetInt(s.attrs, "top_k"), g = GetInt(s.attrs, "n_groups"),
          gk = GetInt(s.attrs, "n_limited_groups");
  if (g <= 0 || e.offset() % g != 0) return Error("'n_groups' = ", g, " must divide ", e.offset(), " experts");
  if (gk <= 0 || gk > g) return Error("'n_limited_groups' = ", gk, " must be in [1, ", g, "]");
  if (k <= 0 || k > gk * (e.offset() / g)) {
    return Error("'top_k' = ", k, " must be in [1, experts in the kept groups]");
  }
  const std::string& f = GetString(s.attrs, "score_func");
  if (f != "sigmoid" && f != "softmax") return Error("'score_func' must be sigmoid or softmax");
  Shape out{logits.shape().dim(0), Dim(k)};
  return std::vector<Type>{F32(out), Type::Tensor(DType::kI32, out)};
}

absl::StatusOr<std::vector<Type>> InferMoeExperts(const OpSignature& s) {
  const Type& x = s.operands[0];
  const Type& wts = s.operands[1];
  const Type& idx = s.operands[2];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "x"));
  DSC_RETURN_IF_ERROR(ExpectRank(x, 2, "x"));
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(wts, "weights"));
  DSC_RETURN_IF_ERROR(ExpectIntTensor(idx, "experts"));
  DSC_RETURN_IF_ERROR(ExpectSameShape(wts, idx, "weights", "experts"));
  DSC_RETURN_IF_ERROR(ExpectSameDim(x.shape().dim(0), wts.shape().dim(0), "tokens of 'x' and 'weights'"));
  const Type& w1 = s.operands[3];
  const Type& w2 = s.operands[4];
  const Type& w3 = s.operands[5];
  for (auto [t, n] : {std::pair{&w1, "w1"}, {&w2, "w2"}, {&w3, "w3"}}) DSC_RETURN_IF_ERROR(ExpectRank(*t, 3, n));
  const Dim& d = x.shape().dim(1);
  const Dim& e = w1.shape().dim(0);
  const Dim& i = w1.shape().dim(1);
  if (w3.shape() != w1.shape() || w1.shape() != Shape{e, i, d} || w2.shape() != Shape{e, d, i}) {
    return Error("expert weights must be w1, w3: [E,I,", d.ToString(), "] and w2: [E,", d.ToString(),
                 ",I], got ", w1.ToString(), ", ", w2.ToString(), ", ", w3.ToString());
  }
  return std::vector<Type>{F32(x.shape())};
}

absl::Status ExpectState(const Type& state, const Type& values) {
  if (state.rank() != values.rank() || state.rank() < 1) {
    return Error("operand 'values' ", values.ToString(), " must have the rank of 'state' ", state.ToString());
  }
  for (int i = 1; i < state.rank(); ++i) {
    DSC_RETURN_IF_ERROR(ExpectSameDim(state.shape().dim(i), values.shape().dim(i),
                                      absl::StrCat("dim ", i, " of 'state' and 'values'")));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Type>> InferCacheWrite(const OpSignature& s) {
  DSC_RETURN_IF_ERROR(ExpectTensor(s.operands[0], "state"));
  DSC_RETURN_IF_ERROR(ExpectTensor(s.operands[1], "values"));
  DSC_RETURN_IF_ERROR(ExpectState(s.operands[0], s.operands[1]));
  return std::vector<Type>{};
}

absl::StatusOr<std::vector<Type>> InferCacheRead(const OpSignature& s) {
  const Type& state = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectTensor(state, "state"));
  DSC_RETURN_IF_ERROR(ExpectMinRank(state, 1, "state"));
  return std::vector<Type>{Type::Tensor(state.dtype(), WithDim(state.shape(), 0, GetDim(s.attrs, "length")))};
}

OpInfo Op(OpCode code, std::vector<std::string_view> operands, int min_operands,
          std::vector<AttrSpec> attrs, InferFn infer) {
  return {code, {}, std::move(operands), min_operands, false, std::move(attrs), false, false, infer};
}
AttrSpec Req(std::string name, AttrKind kind) { return {std::move(name), kind, std::nullopt}; }

}  // namespace

std::vector<OpInfo> ModelOps() {
  std::vector<OpInfo> ops = {
      Op(OpCode::kRopeFreqs, {}, 0,
         {Req("dim", AttrKind::kInt), Req("theta", AttrKind::kFloat), Req("factor", AttrKind::kFloat),
          Req("original_seq_len", AttrKind::kInt), Req("beta_fast", AttrKind::kFloat),
          Req("beta_slow", AttrKind::kFloat), Req("max_seq_len", AttrKind::kInt)},
         InferRopeFreqs),
      Op(OpCode::kRotary, {"x", "freqs", "positions"}, 3, {Req("interleaved", AttrKind::kBool)}, InferRotary),
      Op(OpCode::kHadamard, {"x"}, 1, {}, InferHadamard),
      Op(OpCode::kFp8RoundTrip, {"x"}, 1,
         {{"block", AttrKind::kInt, AttrValue(int64_t{128})}, {"scale_fmt", AttrKind::kString, AttrValue(std::string("ue8m0"))}},
         InferFp8RoundTrip),
      Op(OpCode::kFp8Quantize, {"x"}, 1,
         {{"block", AttrKind::kInt, AttrValue(int64_t{128})}, {"scale_fmt", AttrKind::kString, AttrValue(std::string("ue8m0"))}},
         InferFp8Quantize),
      Op(OpCode::kIndexerScore, {"q", "w", "k", "k_scale"}, 3,
         {Req("scale", AttrKind::kFloat), Req("causal", AttrKind::kBool), {"start", AttrKind::kDim, AttrValue(Dim(0))}},
         InferIndexerScore),
      Op(OpCode::kSparseTopkMask, {"scores"}, 1, {Req("k", AttrKind::kInt)}, InferSparseTopkMask),
      Op(OpCode::kAttention, {"q", "k", "v", "mask"}, 3,
         {Req("scale", AttrKind::kFloat), Req("causal", AttrKind::kBool), {"start", AttrKind::kDim, AttrValue(Dim(0))}},
         InferAttention),
      Op(OpCode::kMoeGate, {"logits", "bias"}, 1,
         {Req("top_k", AttrKind::kInt), Req("n_groups", AttrKind::kInt), Req("n_limited_groups", AttrKind::kInt),
          Req("route_scale", AttrKind::kFloat), {"score_func", AttrKind::kString, AttrValue(std::string("sigmoid"))}},
         InferMoeGate),
      Op(OpCode::kMoeExperts, {"x", "weights", "experts", "w1", "w2", "w3"}, 6,
         {Req("body", AttrKind::kSymbol)}, InferMoeExperts),
      Op(OpCode::kCacheWrite, {"state", "values"}, 2, {Req("start", AttrKind::kDim)}, InferCacheWrite),
      Op(OpCode::kCacheRead, {"state"}, 1, {Req("length", AttrKind::kDim)}, InferCacheRead),
  };
  for (OpInfo& op : ops) {
    if (op.code == OpCode::kCacheWrite) op.has_side_effects = true;
    if (op.code == OpCode::kCacheRead) op.reads_state = true;
  }
  return ops;
}

}  // namespace dsc::ir
