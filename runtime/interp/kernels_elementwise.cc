// Reference element-wise kernels in float32. The exps are within 1 ulp, as model.md §1 asks:
// glibc's expf for the sigmoid; numerics::ExpF for SiLU and SwiGLU, whose bits a compiled kernel
// can reproduce on every CPU (glibc picks an FMA or an SSE2 expf by CPU, and no kernel can
// match both), so the JIT's SwiGLU stays bit-identical to this one.
#include "runtime/interp/kernels_elementwise.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "numerics/exp.h"

namespace dsc::runtime::ref {

void Add(const float* a, const float* b, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
}

void Scale(const float* x, float s, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * s;
}

void Sigmoid(const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
}

void Silu(const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + numerics::ExpF(-x[i]));
}

void SwiGlu(const float* gate, const float* up, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = gate[i] / (1.0f + numerics::ExpF(-gate[i])) * up[i];
}

absl::Status Embed(const float* table, int64_t vocab, int64_t dim, const int32_t* ids, int64_t n,
                   float* y) {
  for (int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= vocab) {
      return absl::OutOfRangeError(absl::StrFormat(
          "Embed: token id %d at position %d is outside the vocabulary [0, %d)", ids[i], i, vocab));
    }
    std::copy_n(table + static_cast<int64_t>(ids[i]) * dim, dim, y + i * dim);
  }
  return absl::OkStatus();
}

}  // namespace dsc::runtime::ref
