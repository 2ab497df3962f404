// Interpreter: pointwise ops (numpy broadcasting for binary ops), normalizations, reductions.
#include <cmath>

#include "numerics/scalar_formats.h"
#include "runtime/interp/eval_ops.h"
#include "runtime/interp/kernels_elementwise.h"
#include "runtime/interp/kernels_norm.h"
#include "runtime/interp/kernels_softmax.h"

namespace dsc::runtime {
namespace {

using ir::OpCode;

// Offset into a tensor of shape `in` (right-aligned with `out`, broadcast dims of size 1) for
// the output element with multi-index `idx`.
int64_t BroadcastOffset(const Dims& in, const Dims& out,
                        const Dims& idx) {
  int64_t off = 0, stride = 1;
  for (int d = static_cast<int>(in.size()) - 1; d >= 0; --d) {
    int od = d + static_cast<int>(out.size() - in.size());
    if (in[d] != 1) off += idx[od] * stride;
    stride *= in[d];
  }
  return off;
}

template <typename F>
Tensor Binary(const Tensor& a, const Tensor& b, Tensor y, F f) {
  const Dims& out_shape = y.shape;
  if (a.shape == out_shape && b.shape == out_shape) {
    for (size_t i = 0; i < y.f.size(); ++i) y.f[i] = f(a.f[i], b.f[i]);
    return y;
  }
  Dims idx(out_shape.size(), 0);
  for (size_t i = 0; i < y.f.size(); ++i) {
    y.f[i] = f(a.f[BroadcastOffset(a.shape, out_shape, idx)], b.f[BroadcastOffset(b.shape, out_shape, idx)]);
    for (int d = static_cast<int>(idx.size()) - 1; d >= 0; --d) {
      if (++idx[d] < out_shape[d]) break;
      idx[d] = 0;
    }
  }
  return y;
}

template <typename F>
Tensor Unary(const Tensor& x, Tensor y, F f) {
  for (size_t i = 0; i < y.f.size(); ++i) y.f[i] = f(x.f[i]);
  return y;
}

// Rounds a float32 value to what `dtype` can hold (exactly as a store would).
float RoundTo(float v, ir::DType dtype) {
  switch (dtype) {
    case ir::DType::kBF16: return numerics::Bf16ToFloat(numerics::FloatToBf16(v));
    case ir::DType::kF16: return numerics::F16ToFloat(numerics::FloatToF16(v));
    case ir::DType::kF8E4M3: return numerics::DecodeE4m3(numerics::EncodeE4m3(v));
    default: return v;
  }
}

Tensor Cast(const EvalArgs& a, const Tensor& x, ir::DType to) {
  bool to_int = ir::IsInteger(to) || to == ir::DType::kBool;
  Tensor y = to_int ? a.NewInt(0, to) : a.NewFloat(0, to);
  size_t n = static_cast<size_t>(x.numel());
  for (size_t j = 0; j < n; ++j) {
    double v = x.is_int() ? static_cast<double>(x.i[j]) : static_cast<double>(x.f[j]);
    if (to == ir::DType::kBool) y.i[j] = v != 0.0;
    else if (to_int) y.i[j] = static_cast<int64_t>(v);
    else y.f[j] = RoundTo(static_cast<float>(v), to);
  }
  return y;
}

}  // namespace

EvalResult EvalElementwiseOp(const EvalArgs& a) {
  const auto& in = a.in;
  switch (a.op.code()) {
    case OpCode::kAdd: return Results(Binary(*in[0], *in[1], a.NewFloat(0), [](float x, float y) { return x + y; }));
    case OpCode::kSub: return Results(Binary(*in[0], *in[1], a.NewFloat(0), [](float x, float y) { return x - y; }));
    case OpCode::kMul: return Results(Binary(*in[0], *in[1], a.NewFloat(0), [](float x, float y) { return x * y; }));
    case OpCode::kDiv: return Results(Binary(*in[0], *in[1], a.NewFloat(0), [](float x, float y) { return x / y; }));
    case OpCode::kScale: {
      float s = static_cast<float>(ir::GetFloat(a.op.attrs(), "factor"));
      return Results(Unary(*in[0], a.NewFloat(0), [s](float x) { return x * s; }));
    }
    case OpCode::kSilu: {
      Tensor y = a.NewFloat(0);
      ref::Silu(in[0]->f.data(), in[0]->numel(), y.f.data());
      return Results(std::move(y));
    }
    case OpCode::kSigmoid: {
      Tensor y = a.NewFloat(0);
      ref::Sigmoid(in[0]->f.data(), in[0]->numel(), y.f.data());
      return Results(std::move(y));
    }
    case OpCode::kRelu: return Results(Unary(*in[0], a.NewFloat(0), [](float x) { return x > 0.0f ? x : 0.0f; }));
    case OpCode::kExp: return Results(Unary(*in[0], a.NewFloat(0), [](float x) { return std::exp(x); }));
    case OpCode::kSwiglu: {
      Tensor y = a.NewFloat(0);
      SwiGluWith(a.fast != nullptr ? a.fast->SwiGlu() : nullptr, in[0]->f.data(), in[1]->f.data(), in[0]->numel(),
                 y.f.data());
      return Results(std::move(y));
    }
    case OpCode::kCast: return Results(Cast(a, *in[0], ir::GetDType(a.op.attrs(), "dtype")));
    default: return absl::UnimplementedError("not an elementwise op");
  }
}

EvalResult EvalNormOp(const EvalArgs& a) {
  const auto& in = a.in;
  if (a.op.code() != OpCode::kRmsNorm && a.op.code() != OpCode::kLayerNorm && a.op.code() != OpCode::kSoftmax &&
      a.op.code() != OpCode::kReduce) {
    return absl::UnimplementedError("not a norm op");
  }
  const Tensor& x = *in[0];
  int64_t dim = x.shape.empty() ? 1 : x.shape.back();
  int64_t rows = dim == 0 ? 0 : x.numel() / dim;
  switch (a.op.code()) {
    case OpCode::kRmsNorm: {
      Tensor y = a.NewFloat(0);
      const float eps = static_cast<float>(ir::GetFloat(a.op.attrs(), "eps"));
      if (a.fast == nullptr ||
          !a.fast->RmsNorm(x.f.data(), nullptr, nullptr, in[1]->f.data(), rows, dim, eps, y.f.data())) {
        ref::RmsNorm(x.f.data(), in[1]->f.data(), rows, dim, eps, y.f.data());
      }
      return Results(std::move(y));
    }
    case OpCode::kLayerNorm: {
      Tensor y = a.NewFloat(0);
      const float eps = static_cast<float>(ir::GetFloat(a.op.attrs(), "eps"));
      if (a.fast == nullptr || !a.fast->LayerNorm(x.f.data(), in[1]->f.data(), in[2]->f.data(),
                                                  rows, dim, eps, y.f.data())) {
        ref::LayerNorm(x.f.data(), in[1]->f.data(), in[2]->f.data(), rows, dim, eps, y.f.data());
      }
      return Results(std::move(y));
    }
    case OpCode::kSoftmax: {
      int64_t axis = ir::GetInt(a.op.attrs(), "axis");
      if (axis < 0) axis += static_cast<int64_t>(x.shape.size());
      if (axis != static_cast<int64_t>(x.shape.size()) - 1) {
        return absl::UnimplementedError("interpreter: softmax over a non-last axis");
      }
      Tensor y = a.NewFloat(0);
      ref::Softmax(x.f.data(), rows, dim, y.f.data());
      return Results(std::move(y));
    }
    case OpCode::kReduce: {
      const std::string& kind = ir::GetString(a.op.attrs(), "kind");
      std::vector<bool> reduced(x.shape.size(), false);
      for (int64_t ax : ir::GetInts(a.op.attrs(), "axes")) reduced[ax < 0 ? ax + x.shape.size() : ax] = true;
      Tensor y = a.NewFloat(0);
      std::fill(y.f.begin(), y.f.end(), kind == "max" ? -INFINITY : 0.0f);
      int64_t count = 1;
      for (size_t d = 0; d < x.shape.size(); ++d) count *= reduced[d] ? x.shape[d] : 1;
      Dims idx(x.shape.size(), 0);
      for (int64_t j = 0; j < x.numel(); ++j) {
        int64_t off = 0;
        for (size_t d = 0; d < x.shape.size(); ++d) {
          if (!reduced[d]) off = off * x.shape[d] + idx[d];
        }
        y.f[off] = kind == "max" ? std::max(y.f[off], x.f[j]) : y.f[off] + x.f[j];
        for (int d = static_cast<int>(idx.size()) - 1; d >= 0; --d) {
          if (++idx[d] < x.shape[d]) break;
          idx[d] = 0;
        }
      }
      if (kind == "mean") for (float& v : y.f) v /= static_cast<float>(count);
      return Results(std::move(y));
    }
    default: return absl::UnimplementedError("not a norm op");
  }
}

}  // namespace dsc::runtime
