// Normalizations (RMSNorm, LayerNorm), softmax and reductions.
#include "ir/op_rules.h"

namespace dsc::ir {
namespace {
using namespace rules;

absl::Status ExpectNormWeight(const Type& x, const Type& w, absl::string_view name) {
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(w, name));
  DSC_RETURN_IF_ERROR(ExpectRank(w, 1, name));
  return ExpectSameDim(x.shape().at(-1), w.shape().dim(0),
                       absl::StrCat("last dim of 'x' and length of '", name, "'"));
}

absl::StatusOr<std::vector<Type>> InferRmsNorm(const OpSignature& s) {
  const Type& x = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "x"));
  DSC_RETURN_IF_ERROR(ExpectMinRank(x, 1, "x"));
  DSC_RETURN_IF_ERROR(ExpectNormWeight(x, s.operands[1], "w"));
  if (GetFloat(s.attrs, "eps") <= 0) return Error("attribute 'eps' must be > 0");
  return std::vector<Type>{F32(x.shape())};
}

absl::StatusOr<std::vector<Type>> InferLayerNorm(const OpSignature& s) {
  const Type& x = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "x"));
  DSC_RETURN_IF_ERROR(ExpectMinRank(x, 1, "x"));
  DSC_RETURN_IF_ERROR(ExpectNormWeight(x, s.operands[1], "w"));
  DSC_RETURN_IF_ERROR(ExpectNormWeight(x, s.operands[2], "b"));
  if (GetFloat(s.attrs, "eps") <= 0) return Error("attribute 'eps' must be > 0");
  return std::vector<Type>{F32(x.shape())};
}

absl::StatusOr<std::vector<Type>> InferSoftmax(const OpSignature& s) {
  const Type& x = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "x"));
  DSC_RETURN_IF_ERROR(ExpectMinRank(x, 1, "x"));
  absl::StatusOr<int> axis = NormalizeAxis(GetInt(s.attrs, "axis"), x.rank());
  if (!axis.ok()) return axis.status();
  return std::vector<Type>{F32(x.shape())};
}

absl::StatusOr<std::vector<Type>> InferReduce(const OpSignature& s) {
  const Type& x = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "x"));
  const std::string& kind = GetString(s.attrs, "kind");
  if (kind != "sum" && kind != "max" && kind != "mean") {
    return Error("attribute 'kind' must be sum, max or mean, got \"", kind, "\"");
  }
  std::vector<bool> reduced(x.rank(), false);
  const auto& axes = GetInts(s.attrs, "axes");
  if (axes.empty()) return Error("attribute 'axes' must not be empty");
  for (int64_t a : axes) {
    absl::StatusOr<int> axis = NormalizeAxis(a, x.rank(), "axes");
    if (!axis.ok()) return axis.status();
    if (reduced[*axis]) return Error("attribute 'axes' repeats axis ", a);
    reduced[*axis] = true;
  }
  bool keep = GetBool(s.attrs, "keepdims");
  std::vector<Dim> dims;
  for (int i = 0; i < x.rank(); ++i) {
    if (!reduced[i]) dims.push_back(x.shape().dim(i));
    else if (keep) dims.push_back(Dim(1));
  }
  return std::vector<Type>{F32(Shape(std::move(dims)))};
}

}  // namespace

std::vector<OpInfo> NormOps() {
  return {
      {OpCode::kRmsNorm, {}, {"x", "w"}, 2, false, {{"eps", AttrKind::kFloat, AttrValue(1e-6)}},
       false, false, InferRmsNorm},
      {OpCode::kLayerNorm, {}, {"x", "w", "b"}, 3, false,
       {{"eps", AttrKind::kFloat, AttrValue(1e-6)}}, false, false, InferLayerNorm},
      {OpCode::kSoftmax, {}, {"x"}, 1, false, {{"axis", AttrKind::kInt, AttrValue(int64_t{-1})}},
       false, false, InferSoftmax},
      {OpCode::kReduce, {}, {"x"}, 1, false,
       {{"kind", AttrKind::kString, std::nullopt},
        {"axes", AttrKind::kInts, std::nullopt},
        {"keepdims", AttrKind::kBool, AttrValue(false)}},
       false, false, InferReduce},
  };
}

}  // namespace dsc::ir
