// Reference normalizations in float32; the reciprocal square root is computed in double and
// rounded once, which model.md §1 allows (correctly rounded rsqrt).
#include "runtime/interp/kernels_norm.h"

#include <cmath>

namespace dsc::runtime::ref {
namespace {

float Rsqrt(float v) { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(v))); }

}  // namespace

void RmsNorm(const float* x, const float* w, int64_t rows, int64_t dim, float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    float sum_sq = 0.0f;
    for (int64_t j = 0; j < dim; ++j) sum_sq += xr[j] * xr[j];
    const float inv = Rsqrt(sum_sq / static_cast<float>(dim) + eps);
    for (int64_t j = 0; j < dim; ++j) yr[j] = (xr[j] * inv) * w[j];
  }
}

void AddRmsNorm(const float* x, float* residual, const float* w, int64_t rows, int64_t dim,
                float eps, float* y) {
  for (int64_t i = 0; i < rows * dim; ++i) residual[i] += x[i];
  RmsNorm(residual, w, rows, dim, eps, y);
}

void LayerNorm(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t dim,
               float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    float sum = 0.0f;
    for (int64_t j = 0; j < dim; ++j) sum += xr[j];
    const float mean = sum / static_cast<float>(dim);
    float sum_sq = 0.0f;
    for (int64_t j = 0; j < dim; ++j) sum_sq += (xr[j] - mean) * (xr[j] - mean);
    const float inv = Rsqrt(sum_sq / static_cast<float>(dim) + eps);
    for (int64_t j = 0; j < dim; ++j) yr[j] = (xr[j] - mean) * inv * gamma[j] + beta[j];
  }
}

}  // namespace dsc::runtime::ref
