// Reference dense linear layer y = x · Wᵀ on float32 row-major arrays (model.md §1 "Linear").
#ifndef DSC_RUNTIME_INTERP_KERNELS_LINEAR_H_
#define DSC_RUNTIME_INTERP_KERNELS_LINEAR_H_

#include <cstdint>

namespace dsc::runtime::ref {

// y[i, j] = Σ_c x[i, c] · w[j, c] for x [m, k], w [n, k] (PyTorch/checkpoint [out, in] layout),
// y [m, n]. Weights arrive already dequantized to float32. Each output is one DotF32 (float32,
// fixed order), so the result is the same on every machine and thread count; it matches FP32-REF
// up to summation order (~1e-6 relative). Products of >= 2^23 multiply-adds split the weight
// rows across std::threads.
// `y` must not alias `x` or `w`. k == 0 gives zeros.
void Linear(const float* x, const float* w, int64_t m, int64_t k, int64_t n, float* y);

// The float32 dot product Linear uses: Σ_c a[c] · b[c] in the order described above.
float DotF32(const float* a, const float* b, int64_t n);

}  // namespace dsc::runtime::ref

#endif  // DSC_RUNTIME_INTERP_KERNELS_LINEAR_H_
