// Interpreter: data movement (reshape, transpose, broadcast, concat, split, slice, gather,
// scatter-add, top-k, positions). Works on float and integer tensors alike.
#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "runtime/interp/eval_ops.h"

namespace dsc::runtime {
namespace {

using ir::OpCode;

// Element access independent of storage.
double Get(const Tensor& t, int64_t j) { return t.is_int() ? static_cast<double>(t.i[j]) : t.f[j]; }
void Set(Tensor& t, int64_t j, double v) {
  if (t.is_int()) t.i[j] = static_cast<int64_t>(v);
  else t.f[j] = static_cast<float>(v);
}
// Result r of the op, zeroed, of x's kind and dtype.
Tensor Like(const EvalArgs& a, int r, const Tensor& x) {
  return x.is_int() ? a.NewInt(r, x.dtype) : a.NewFloat(r, x.dtype);
}

// View of a tensor as [outer, axis, inner] around `axis`.
struct Around {
  int64_t outer = 1, n = 1, inner = 1;
  Around(const Dims& shape, int axis) {
    for (int d = 0; d < axis; ++d) outer *= shape[d];
    n = shape[axis];
    for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  }
};

int Axis(const ir::Operation& op, size_t rank, const char* name = "axis") {
  int64_t a = ir::GetInt(op.attrs(), name);
  return static_cast<int>(a < 0 ? a + static_cast<int64_t>(rank) : a);
}

Tensor Transpose(const EvalArgs& a, const Tensor& x, const std::vector<int64_t>& perm) {
  size_t r = x.shape.size();
  Dims shape(r), in_strides(r, 1);
  for (int d = static_cast<int>(r) - 2; d >= 0; --d) in_strides[d] = in_strides[d + 1] * x.shape[d + 1];
  for (size_t d = 0; d < r; ++d) shape[d] = x.shape[perm[d]];
  Tensor y = Like(a, 0, x);
  Dims idx(r, 0);
  for (int64_t j = 0; j < y.numel(); ++j) {
    int64_t off = 0;
    for (size_t d = 0; d < r; ++d) off += idx[d] * in_strides[perm[d]];
    Set(y, j, Get(x, off));
    for (int d = static_cast<int>(r) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return y;
}

// y[dst, dst + n) = x[src, src + n), both float or both integer.
void CopyRun(const Tensor& x, int64_t src, Tensor& y, int64_t dst, int64_t n) {
  if (x.is_int() == y.is_int()) {
    if (x.is_int()) {
      std::copy_n(x.i.begin() + src, n, y.i.begin() + dst);
    } else {
      std::copy_n(x.f.begin() + src, n, y.f.begin() + dst);
    }
    return;
  }
  for (int64_t j = 0; j < n; ++j) Set(y, dst + j, Get(x, src + j));
}

// The trailing dimensions that x has in full are copied as contiguous blocks (element by
// element, a [512, 1, 64] -> [512, 128, 64] broadcast of a prefill took 30 ms).
Tensor Broadcast(const EvalArgs& a, const Tensor& x) {
  Tensor y = Like(a, 0, x);
  const Dims& shape = y.shape;
  const size_t r = shape.size(), xr = x.shape.size();
  size_t kept = 0;
  int64_t block = 1;
  while (kept < xr && x.shape[xr - 1 - kept] == shape[r - 1 - kept]) block *= shape[r - 1 - kept++];
  const int64_t blocks = block == 0 ? 0 : y.numel() / block;
  const size_t outer_rank = r - kept;
  Dims idx(outer_rank, 0);
  for (int64_t b = 0; b < blocks; ++b) {
    int64_t off = 0, stride = block;
    for (int d = static_cast<int>(xr - kept) - 1; d >= 0; --d) {
      if (x.shape[d] != 1) off += idx[d + r - xr] * stride;
      stride *= x.shape[d];
    }
    CopyRun(x, off, y, b * block, block);
    for (int d = static_cast<int>(outer_rank) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return y;
}

// An empty tensor of x's kind and `shape` whose storage is reserved for AppendRun: concat,
// split and slice write their results in order, so nothing is zero-filled first (a prefill's
// [512, 128, 192] results are 50 MB each).
// In the result's arena slot when it has one (Like, then emptied: the slot is only written).
Tensor Reserved(const EvalArgs& a, int r, const Tensor& x) {
  const Dims& shape = a.result_shapes[static_cast<size_t>(r)];
  const bool planned = a.slots != nullptr && a.slots[r].data != nullptr;
  Tensor y;
  if (planned) {
    y = Like(a, r, x);
    y.f.clear();
    y.i.clear();
    return y;
  }
  y.dtype = x.dtype;
  y.shape = shape;
  if (y.is_int()) {
    y.i.reserve(static_cast<size_t>(y.numel()));
  } else {
    y.f.reserve(static_cast<size_t>(y.numel()));
  }
  return y;
}

// Appends x[src, src + n) to y's storage.
void AppendRun(const Tensor& x, int64_t src, int64_t n, Tensor& y) {
  if (x.is_int() == y.is_int()) {
    if (x.is_int()) {
      y.i.insert(y.i.end(), x.i.begin() + src, x.i.begin() + src + n);
    } else {
      y.f.insert(y.f.end(), x.f.begin() + src, x.f.begin() + src + n);
    }
    return;
  }
  for (int64_t j = src; j < src + n; ++j) {
    if (y.is_int()) {
      y.i.push_back(static_cast<int64_t>(Get(x, j)));
    } else {
      y.f.push_back(static_cast<float>(Get(x, j)));
    }
  }
}

}  // namespace

EvalResult EvalShapeOp(const EvalArgs& a) {
  const auto& in = a.in;
  const ir::Operation& op = a.op;
  switch (op.code()) {
    case OpCode::kReshape: {
      Tensor y = Like(a, 0, *in[0]);
      if (y.is_int()) {
        std::copy(in[0]->i.begin(), in[0]->i.end(), y.i.begin());
      } else {
        std::copy(in[0]->f.begin(), in[0]->f.end(), y.f.begin());
      }
      return Results(std::move(y));
    }
    case OpCode::kTranspose: return Results(Transpose(a, *in[0], ir::GetInts(op.attrs(), "perm")));
    case OpCode::kBroadcast: return Results(Broadcast(a, *in[0]));
    case OpCode::kConcat: {  // per outer index, each input's whole axis range in turn
      int axis = Axis(op, in[0]->shape.size());
      Tensor y = Reserved(a, 0, *in[0]);
      Around ya(y.shape, axis);
      for (int64_t o = 0; o < ya.outer; ++o) {
        for (const Tensor* x : in) {
          Around xa(x->shape, axis);
          AppendRun(*x, o * xa.n * xa.inner, xa.n * xa.inner, y);
        }
      }
      return Results(std::move(y));
    }
    case OpCode::kSplit:
    case OpCode::kSlice: {
      const Tensor& x = *in[0];
      int axis = Axis(op, x.shape.size());
      Around xa(x.shape, axis);
      TensorList out;
      int64_t lo = op.code() == OpCode::kSlice ? ir::GetInt(op.attrs(), "start") : 0;
      for (int r = 0; r < static_cast<int>(a.result_shapes.size()); ++r) {  // per outer index, x's rows [lo, lo + n)
        Tensor y = Reserved(a, r, x);
        Around ya(a.result_shapes[r], axis);
        for (int64_t o = 0; o < xa.outer; ++o) AppendRun(x, (o * xa.n + lo) * xa.inner, ya.n * xa.inner, y);
        lo += ya.n;
        out.push_back(std::move(y));
      }
      return out;
    }
    case OpCode::kGather: {
      const Tensor& x = *in[0];
      const Tensor& idx = *in[1];
      int axis = Axis(op, x.shape.size());
      Around xa(x.shape, axis);
      Tensor y = Like(a, 0, x);
      int64_t m = idx.numel();
      for (int64_t o = 0; o < xa.outer; ++o) {
        for (int64_t k = 0; k < m; ++k) {
          int64_t src = idx.i[k];
          if (src < 0 || src >= xa.n) return absl::OutOfRangeError(absl::StrCat("gather index ", src, " out of range [0, ", xa.n, ")"));
          for (int64_t j = 0; j < xa.inner; ++j) Set(y, (o * m + k) * xa.inner + j, Get(x, (o * xa.n + src) * xa.inner + j));
        }
      }
      return Results(std::move(y));
    }
    case OpCode::kScatterAdd: {
      Tensor y = a.NewFloat(0, in[0]->dtype);
      std::copy(in[0]->f.begin(), in[0]->f.end(), y.f.begin());
      const Tensor& idx = *in[1];
      const Tensor& src = *in[2];
      int axis = Axis(op, y.shape.size());
      Around ya(y.shape, axis);
      int64_t m = idx.numel();
      for (int64_t o = 0; o < ya.outer; ++o) {
        for (int64_t k = 0; k < m; ++k) {
          int64_t dst = idx.i[k];
          if (dst < 0 || dst >= ya.n) return absl::OutOfRangeError(absl::StrCat("scatter index ", dst, " out of range"));
          for (int64_t j = 0; j < ya.inner; ++j) y.f[(o * ya.n + dst) * ya.inner + j] += src.f[(o * m + k) * ya.inner + j];
        }
      }
      return Results(std::move(y));
    }
    case OpCode::kTopk: {
      const Tensor& x = *in[0];
      int64_t n = x.shape.back(), k = ir::GetInt(op.attrs(), "k");
      int64_t rows = n == 0 ? 0 : x.numel() / n;
      Tensor values = a.NewFloat(0);
      Tensor indices = a.NewInt(1, ir::DType::kI32);
      thread_local std::vector<int64_t> order;
      order.resize(n);
      for (int64_t r = 0; r < rows; ++r) {
        const float* row = x.f.data() + r * n;
        std::iota(order.begin(), order.end(), 0);
        // Largest first; ties to the lower index (deterministic).
        std::partial_sort(order.begin(), order.begin() + k, order.end(),
                          [&](int64_t p, int64_t q) { return row[p] > row[q] || (row[p] == row[q] && p < q); });
        for (int64_t j = 0; j < k; ++j) {
          values.f[r * k + j] = row[order[j]];
          indices.i[r * k + j] = order[j];
        }
      }
      return Results(std::move(values), std::move(indices));
    }
    case OpCode::kPositions: {
      absl::StatusOr<int64_t> start = ir::GetDim(op.attrs(), "start").Evaluate(a.symbols);
      if (!start.ok()) return start.status();
      Tensor y = a.NewInt(0);
      for (int64_t j = 0; j < y.numel(); ++j) y.i[j] = *start + j;
      return Results(std::move(y));
    }
    default: return absl::UnimplementedError("not a shape op");
  }
}

}  // namespace dsc::runtime
