// Interpreter: matrix products, dequantization and embedding lookup.
#include <cstring>

#include "absl/strings/str_cat.h"
#include "numerics/fp8_block.h"
#include "numerics/nvfp4.h"
#include "numerics/scalar_formats.h"
#include "runtime/interp/eval_ops.h"
#include "runtime/interp/kernels_linear.h"

namespace dsc::runtime {
namespace {

using ir::OpCode;

// The float32 values of a dense weight read in place (`raw`), widened exactly into `out`.
void WidenRawInto(const Tensor& w, int64_t begin, int64_t count, float* out) {
  for (int64_t j = 0; j < count; ++j) {
    uint16_t bits;
    std::memcpy(&bits, w.raw + 2 * (begin + j), 2);
    out[j] = numerics::Bf16ToFloat(bits);
  }
}

std::vector<float> WidenRaw(const Tensor& w, int64_t begin, int64_t count) {
  std::vector<float> out(static_cast<size_t>(count));
  WidenRawInto(w, begin, count, out.data());
  return out;
}

// y[M,N] = x[M,K] · w[N,K]ᵀ into `y` (shaped). A weight read in place goes through `fast` (else
// it is widened for this call only).
Tensor LinearRows(const Tensor& x, const Tensor& w, FastLinear* fast, Tensor y) {
  const int64_t n = w.shape[0];
  int64_t k = x.shape.back();
  int64_t m = k == 0 ? 0 : x.numel() / k;
  if (w.raw != nullptr) {
    if (fast != nullptr && fast->RunDense(w.dtype, w.raw, n, k, x.f.data(), m, y.f.data())) return y;
    std::vector<float> wide = WidenRaw(w, 0, n * k);
    ref::Linear(x.f.data(), wide.data(), m, k, n, y.f.data());
    return y;
  }
  ref::Linear(x.f.data(), w.f.data(), m, k, n, y.f.data());
  return y;
}

Tensor BatchMatmul(const Tensor& a, const Tensor& b, bool transpose_b, Tensor y) {
  size_t r = a.shape.size();
  int64_t m = a.shape[r - 2], k = a.shape[r - 1];
  int64_t n = transpose_b ? b.shape[r - 2] : b.shape[r - 1];
  int64_t batch = a.numel() / (m * k > 0 ? m * k : 1);
  for (int64_t bi = 0; bi < batch; ++bi) {
    const float* pa = a.f.data() + bi * m * k;
    const float* pb = b.f.data() + bi * k * n;
    float* py = y.f.data() + bi * m * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        float acc = 0.0f;
        for (int64_t t = 0; t < k; ++t) acc += pa[i * k + t] * (transpose_b ? pb[j * k + t] : pb[t * n + j]);
        py[i * n + j] = acc;
      }
    }
  }
  return y;
}

}  // namespace

absl::StatusOr<std::vector<float>> DequantizeMatrix(const Tensor& w, int64_t index) {
  int64_t n = w.shape[w.shape.size() - 2], k = w.shape.back();
  std::vector<float> out(static_cast<size_t>(n * k));
  if (w.quant.format == ir::QuantFormat::kNvfp4) {
    const uint8_t* const* p = &w.quant.parts[3 * index];
    float global;
    std::memcpy(&global, p[2], sizeof(float));
    absl::Status s = numerics::DequantizeNvfp4(p[0], p[1], global, n, k, out.data());
    if (!s.ok()) return s;
  } else {
    const uint8_t* const* p = &w.quant.parts[2 * index];
    std::vector<float> scale_inv(static_cast<size_t>(numerics::Fp8BlockCount(n) * numerics::Fp8BlockCount(k)));
    std::memcpy(scale_inv.data(), p[1], scale_inv.size() * sizeof(float));
    absl::Status s = numerics::DequantizeFp8Block(p[0], scale_inv.data(), n, k, out.data());
    if (!s.ok()) return s;
  }
  return out;
}

absl::Status LinearWithMatrix(const Tensor& w, int64_t index, const float* x, int64_t m, float* y,
                              FastLinear* fast) {
  const int64_t n = w.shape[w.shape.size() - 2], k = w.shape.back();
  if (w.quantized) {
    if (fast != nullptr && fast->Run(w.quant, index, n, k, x, m, y)) return absl::OkStatus();
    absl::StatusOr<std::vector<float>> d = DequantizeMatrix(w, index);
    if (!d.ok()) return d.status();
    ref::Linear(x, d->data(), m, k, n, y);
    return absl::OkStatus();
  }
  if (w.raw != nullptr) {
    const uint8_t* matrix = w.raw + index * n * k * 2;
    if (fast != nullptr && fast->RunDense(w.dtype, matrix, n, k, x, m, y)) return absl::OkStatus();
    std::vector<float> wide = WidenRaw(w, index * n * k, n * k);
    ref::Linear(x, wide.data(), m, k, n, y);
    return absl::OkStatus();
  }
  ref::Linear(x, w.f.data() + index * n * k, m, k, n, y);
  return absl::OkStatus();
}

EvalResult EvalLinearOp(const EvalArgs& a) {
  const auto& in = a.in;
  switch (a.op.code()) {
    case OpCode::kMatmul:
      return Results(LinearRows(*in[0], *in[1], a.fast, a.NewFloat(0)));
    case OpCode::kQuantizedMatmul: {
      const Tensor& x = *in[0];
      int64_t k = x.shape.back(), m = k == 0 ? 0 : x.numel() / k;
      Tensor y = a.NewFloat(0);
      absl::Status s = LinearWithMatrix(*in[1], 0, x.f.data(), m, y.f.data(), a.fast);
      if (!s.ok()) return s;
      return Results(std::move(y));
    }
    case OpCode::kBatchMatmul:
      return Results(BatchMatmul(*in[0], *in[1], ir::GetBool(a.op.attrs(), "transpose_b"), a.NewFloat(0)));
    case OpCode::kDequantize: {
      const Tensor& w = *in[0];
      Tensor y = a.NewFloat(0);
      int64_t per = w.shape[w.shape.size() - 2] * w.shape.back();
      for (int64_t m = 0; m * per < w.numel(); ++m) {
        absl::StatusOr<std::vector<float>> d = DequantizeMatrix(w, m);
        if (!d.ok()) return d.status();
        std::copy(d->begin(), d->end(), y.f.begin() + m * per);
      }
      return Results(std::move(y));
    }
    case OpCode::kEmbedding: {
      const Tensor& table = *in[0];
      const Tensor& ids = *in[1];
      int64_t vocab = table.shape[0], dim = table.shape[1];
      Tensor y = a.NewFloat(0);
      for (int64_t t = 0; t < ids.numel(); ++t) {
        int64_t id = ids.i[t];
        if (id < 0 || id >= vocab) {
          return absl::OutOfRangeError(absl::StrCat("token id ", id, " is outside the vocabulary [0, ", vocab, ")"));
        }
        if (table.raw != nullptr) {
          WidenRawInto(table, id * dim, dim, y.f.data() + t * dim);
        } else {
          std::copy_n(table.f.begin() + id * dim, dim, y.f.begin() + t * dim);
        }
      }
      return Results(std::move(y));
    }
    default:
      return absl::UnimplementedError("not a linear op");
  }
}

}  // namespace dsc::runtime
