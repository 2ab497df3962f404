// Reference row-wise softmax (model.md §7 "Softmax").
#ifndef DSC_RUNTIME_INTERP_KERNELS_SOFTMAX_H_
#define DSC_RUNTIME_INTERP_KERNELS_SOFTMAX_H_

#include <cstdint>

namespace dsc::runtime::ref {

// p[r, t] = exp(z[r, t] − max_u z[r, u]) / Σ_u exp(z[r, u] − max), float32, for `rows` rows of
// length n. −inf entries give exactly 0. A row that is all −inf (never produced by the model)
// yields all zeros instead of NaN. In-place (p == z) is allowed.
void Softmax(const float* z, int64_t rows, int64_t n, float* p);

}  // namespace dsc::runtime::ref

#endif  // DSC_RUNTIME_INTERP_KERNELS_SOFTMAX_H_
