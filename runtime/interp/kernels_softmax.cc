// Reference softmax in float32 with the usual max subtraction.
#include "runtime/interp/kernels_softmax.h"

#include <cmath>
#include <limits>

namespace dsc::runtime::ref {

void Softmax(const float* z, int64_t rows, int64_t n, float* p) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* zr = z + r * n;
    float* pr = p + r * n;
    float max = -std::numeric_limits<float>::infinity();
    for (int64_t t = 0; t < n; ++t) max = std::fmax(max, zr[t]);
    if (std::isinf(max) && max < 0) {
      for (int64_t t = 0; t < n; ++t) pr[t] = 0.0f;
      continue;
    }
    float sum = 0.0f;
    for (int64_t t = 0; t < n; ++t) {
      pr[t] = std::exp(zr[t] - max);
      sum += pr[t];
    }
    for (int64_t t = 0; t < n; ++t) pr[t] /= sum;
  }
}

}  // namespace dsc::runtime::ref
