// An optional accelerator for the interpreter's products with quantized weights: an engine
// that has compiled kernels for some (format, m, n, k) supplies them here (the JIT does, through
// the C ABI of runtime/kernel_abi.h); everything else stays on the reference path.
#ifndef DSC_RUNTIME_INTERP_FAST_LINEAR_H_
#define DSC_RUNTIME_INTERP_FAST_LINEAR_H_

#include <cstdint>

#include "absl/status/status.h"
#include "runtime/interp/tensor.h"

namespace dsc::runtime {

class FastLinear {
 public:
  virtual ~FastLinear() = default;
  // y[m, n] = x[m, k] · W[index]ᵀ for matrix `index` of the quantized weight `w` [..., n, k].
  // Returns false (touching nothing) when no kernel fits; the caller then uses the reference.
  virtual bool Run(const QuantView& w, int64_t index, int64_t n, int64_t k, const float* x, int64_t m,
                   float* y) = 0;
};

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_INTERP_FAST_LINEAR_H_
