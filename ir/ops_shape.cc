// Data-movement ops: reshape, transpose, broadcast, concat, split, slice, gather, scatter-add,
// top-k and position ids.
#include <algorithm>

#include "ir/op_rules.h"

namespace dsc::ir {
namespace {
using namespace rules;

// Element count as (static product, sorted symbolic factors); two shapes hold the same number
// of elements for every binding iff both parts match.
std::pair<int64_t, std::vector<std::string>> ElementCount(const Shape& s) {
  int64_t n = 1;
  std::vector<std::string> sym;
  for (const Dim& d : s.dims()) {
    if (d.is_static()) n *= d.offset();
    else sym.push_back(d.ToString());
  }
  std::sort(sym.begin(), sym.end());
  return {n, sym};
}

absl::StatusOr<std::vector<Type>> InferReshape(const OpSignature& s) {
  const Type& x = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectTensor(x, "x"));
  const Shape& to = GetShape(s.attrs, "shape");
  if (ElementCount(x.shape()) != ElementCount(to)) {
    return Error("attribute 'shape' ", to.ToString(), " does not hold the same number of elements as ",
                 x.ToString());
  }
  return std::vector<Type>{Type::Tensor(x.dtype(), to)};
}

absl::StatusOr<std::vector<Type>> InferTranspose(const OpSignature& s) {
  const Type& x = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectTensor(x, "x"));
  const auto& perm = GetInts(s.attrs, "perm");
  if (static_cast<int>(perm.size()) != x.rank()) {
    return Error("attribute 'perm' has ", perm.size(), " entries for rank ", x.rank());
  }
  std::vector<bool> used(x.rank(), false);
  std::vector<Dim> dims;
  for (int64_t p : perm) {
    if (p < 0 || p >= x.rank() || used[p]) return Error("attribute 'perm' is not a permutation");
    used[p] = true;
    dims.push_back(x.shape().dim(static_cast<int>(p)));
  }
  return std::vector<Type>{Type::Tensor(x.dtype(), Shape(std::move(dims)))};
}

absl::StatusOr<std::vector<Type>> InferBroadcast(const OpSignature& s) {
  const Type& x = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectTensor(x, "x"));
  const Shape& to = GetShape(s.attrs, "shape");
  absl::StatusOr<Shape> b = Broadcast(x.shape(), to);
  if (!b.ok() || *b != to) {
    return Error("operand 'x' ", x.ToString(), " does not broadcast to ", to.ToString());
  }
  return std::vector<Type>{Type::Tensor(x.dtype(), to)};
}

absl::StatusOr<std::vector<Type>> InferConcat(const OpSignature& s) {
  const Type& first = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectTensor(first, "xs"));
  absl::StatusOr<int> axis = NormalizeAxis(GetInt(s.attrs, "axis"), first.rank());
  if (!axis.ok()) return axis.status();
  Dim total(0);
  for (size_t i = 0; i < s.operands.size(); ++i) {
    const Type& t = s.operands[i];
    DSC_RETURN_IF_ERROR(ExpectTensor(t, "xs"));
    if (t.dtype() != first.dtype() || t.rank() != first.rank()) {
      return Error("operand ", i, " ", t.ToString(), " does not match operand 0 ", first.ToString());
    }
    for (int d = 0; d < t.rank(); ++d) {
      if (d != *axis && t.shape().dim(d) != first.shape().dim(d)) {
        return Error("operand ", i, " ", t.ToString(), " differs from operand 0 ",
                     first.ToString(), " outside the concat axis");
      }
    }
    total = total + t.shape().dim(*axis);
  }
  return std::vector<Type>{Type::Tensor(first.dtype(), WithDim(first.shape(), *axis, total))};
}

absl::StatusOr<std::vector<Type>> InferSplit(const OpSignature& s) {
  const Type& x = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectTensor(x, "x"));
  absl::StatusOr<int> axis = NormalizeAxis(GetInt(s.attrs, "axis"), x.rank());
  if (!axis.ok()) return axis.status();
  const auto& sizes = GetInts(s.attrs, "sizes");
  if (sizes.empty()) return Error("attribute 'sizes' must not be empty");
  int64_t sum = 0;
  std::vector<Type> out;
  for (int64_t n : sizes) {
    if (n <= 0) return Error("attribute 'sizes' must be positive, got ", n);
    sum += n;
    out.push_back(Type::Tensor(x.dtype(), WithDim(x.shape(), *axis, Dim(n))));
  }
  if (Dim(sum) != x.shape().dim(*axis)) {
    return Error("attribute 'sizes' sums to ", sum, " but dim ", *axis, " of 'x' is ",
                 x.shape().dim(*axis).ToString());
  }
  return out;
}

absl::StatusOr<std::vector<Type>> InferSlice(const OpSignature& s) {
  const Type& x = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectTensor(x, "x"));
  absl::StatusOr<int> axis = NormalizeAxis(GetInt(s.attrs, "axis"), x.rank());
  if (!axis.ok()) return axis.status();
  int64_t start = GetInt(s.attrs, "start"), end = GetInt(s.attrs, "end");
  const Dim& d = x.shape().dim(*axis);
  if (start < 0 || end <= start || (d.is_static() && end > d.offset())) {
    return Error("slice [", start, ", ", end, ") is not inside dim ", *axis, " of 'x' (",
                 d.ToString(), ")");
  }
  return std::vector<Type>{Type::Tensor(x.dtype(), WithDim(x.shape(), *axis, Dim(end - start)))};
}

absl::StatusOr<std::vector<Type>> InferGather(const OpSignature& s) {
  const Type& x = s.operands[0];
  const Type& idx = s.operands[1];
  DSC_RETURN_IF_ERROR(ExpectTensor(x, "x"));
  DSC_RETURN_IF_ERROR(ExpectIntTensor(idx, "indices"));
  absl::StatusOr<int> axis = NormalizeAxis(GetInt(s.attrs, "axis"), x.rank());
  if (!axis.ok()) return axis.status();
  std::vector<Dim> dims(x.shape().dims().begin(), x.shape().dims().begin() + *axis);
  for (const Dim& d : idx.shape().dims()) dims.push_back(d);
  for (int i = *axis + 1; i < x.rank(); ++i) dims.push_back(x.shape().dim(i));
  return std::vector<Type>{Type::Tensor(x.dtype(), Shape(std::move(dims)))};
}

absl::StatusOr<std::vector<Type>> InferScatterAdd(const OpSignature& s) {
  const Type& dst = s.operands[0];
  const Type& idx = s.operands[1];
  const Type& src = s.operands[2];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(dst, "dst"));
  DSC_RETURN_IF_ERROR(ExpectIntTensor(idx, "indices"));
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(src, "src"));
  DSC_RETURN_IF_ERROR(ExpectRank(idx, 1, "indices"));
  absl::StatusOr<int> axis = NormalizeAxis(GetInt(s.attrs, "axis"), dst.rank());
  if (!axis.ok()) return axis.status();
  if (src.shape() != WithDim(dst.shape(), *axis, idx.shape().dim(0))) {
    return Error("operand 'src' ", src.ToString(), " must equal 'dst' ", dst.ToString(),
                 " with dim ", *axis, " replaced by the length of 'indices'");
  }
  return std::vector<Type>{F32(dst.shape())};
}

absl::StatusOr<std::vector<Type>> InferTopk(const OpSignature& s) {
  const Type& x = s.operands[0];
  DSC_RETURN_IF_ERROR(ExpectFloatTensor(x, "x"));
  DSC_RETURN_IF_ERROR(ExpectMinRank(x, 1, "x"));
  int64_t k = GetInt(s.attrs, "k");
  const Dim& n = x.shape().at(-1);
  if (k <= 0 || (n.is_static() && k > n.offset())) {
    return Error("attribute 'k' = ", k, " must be in [1, ", n.ToString(), "]");
  }
  Shape out = WithLastDim(x.shape(), Dim(k));
  return std::vector<Type>{F32(out), Type::Tensor(DType::kI32, out)};
}

absl::StatusOr<std::vector<Type>> InferPositions(const OpSignature& s) {
  return std::vector<Type>{Type::Tensor(DType::kI64, Shape{GetDim(s.attrs, "length")})};
}

OpInfo Make(OpCode code, std::vector<std::string_view> operands, std::vector<AttrSpec> attrs,
            InferFn infer, bool variadic = false) {
  int n = static_cast<int>(operands.size());
  return {code, {}, std::move(operands), n, variadic, std::move(attrs), false, false, infer};
}

}  // namespace

std::vector<OpInfo> ShapeOps() {
  const AttrSpec axis{"axis", AttrKind::kInt, std::nullopt};
  return {
      Make(OpCode::kReshape, {"x"}, {{"shape", AttrKind::kShape, std::nullopt}}, InferReshape),
      Make(OpCode::kTranspose, {"x"}, {{"perm", AttrKind::kInts, std::nullopt}}, InferTranspose),
      Make(OpCode::kBroadcast, {"x"}, {{"shape", AttrKind::kShape, std::nullopt}}, InferBroadcast),
      Make(OpCode::kConcat, {"xs"}, {axis}, InferConcat, /*variadic=*/true),
      Make(OpCode::kSplit, {"x"}, {axis, {"sizes", AttrKind::kInts, std::nullopt}}, InferSplit),
      Make(OpCode::kSlice, {"x"},
           {axis, {"start", AttrKind::kInt, std::nullopt}, {"end", AttrKind::kInt, std::nullopt}},
           InferSlice),
      Make(OpCode::kGather, {"x", "indices"}, {axis}, InferGather),
      Make(OpCode::kScatterAdd, {"dst", "indices", "src"}, {axis}, InferScatterAdd),
      Make(OpCode::kTopk, {"x"}, {{"k", AttrKind::kInt, std::nullopt}}, InferTopk),
      Make(OpCode::kPositions, {},
           {{"start", AttrKind::kDim, std::nullopt}, {"length", AttrKind::kDim, std::nullopt}},
           InferPositions),
  };
}

}  // namespace dsc::ir
