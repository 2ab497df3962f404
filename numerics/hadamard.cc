// Fast Walsh–Hadamard transform in natural (Sylvester) order, scaled to be orthonormal.
#include "numerics/hadamard.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace dsc::numerics {
namespace {

// Stage with stride h pairs element i with i + h (i's bit h clear), which builds the
// Sylvester matrix H_2n = [[H_n, H_n], [H_n, −H_n]] one bit at a time.
void Butterflies(float* x, int64_t n) {
  for (int64_t h = 1; h < n; h *= 2) {
    for (int64_t start = 0; start < n; start += 2 * h) {
      for (int64_t i = start; i < start + h; ++i) {
        const float u = x[i];
        const float v = x[i + h];
        x[i] = u + v;
        x[i + h] = u - v;
      }
    }
  }
}

void Scale(float* x, int64_t n) {
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(n)));
  for (int64_t i = 0; i < n; ++i) x[i] *= scale;
}

}  // namespace

absl::Status HadamardTransform(float* x, int64_t n) {
  if (n < 1 || (n & (n - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Hadamard transform: length ", n, " is not a power of two"));
  }
  Butterflies(x, n);
  Scale(x, n);
  return absl::OkStatus();
}

void Hadamard128(float* x) {
  Butterflies(x, 128);
  Scale(x, 128);
}

}  // namespace dsc::numerics
