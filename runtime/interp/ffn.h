// SwiGLU units F(x) = W2 · (silu(W1 · x) ⊙ (W3 · x)) as the MoE ops run them: one at a time on
// the reference path, or many at once with every matrix's rows split over the fast engine's
// threads (two pool runs for all units of an MoE step instead of three per expert).
#ifndef DSC_RUNTIME_INTERP_FFN_H_
#define DSC_RUNTIME_INTERP_FFN_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/interp/fast_linear.h"
#include "runtime/interp/tensor.h"

namespace dsc::runtime {

// Matrix `index` of each weight [..., N, K] (quantized products go through `fast` when it has
// kernels).
struct Ffn {
  const Tensor *w1, *w2, *w3;
  int64_t index = 0;
  int64_t hidden = 0;
  FastLinear* fast = nullptr;
};

inline Ffn FfnOf(const Tensor& w1, const Tensor& w2, const Tensor& w3, int64_t index, FastLinear* fast = nullptr) {
  return Ffn{&w1, &w2, &w3, index, w1.shape[w1.shape.size() - 2], fast};
}

// y[m, dim] = F(x[m, dim]): matmul, matmul, swiglu, matmul — as the expert body computes it.
absl::StatusOr<std::vector<float>> RunFfn(const Ffn& f, const float* x, int64_t m, int64_t dim);

// One unit applied to m rows: y[m, dim] = F(x[m, dim]).
struct FfnJob {
  Ffn ffn;
  const float* x = nullptr;
  int64_t m = 0;
  float* y = nullptr;
};

// Runs every job with the same numbers as RunFfn (same kernels, each output row computed
// whole by one thread), phase 1 (W1, W3, swiglu) of all jobs in one pool run and phase 2 (W2)
// in a second. Returns false, having written nothing, when the engine has no pool or a job
// does not fit its row kernels (then use RunFfn).
bool RunFfnsOnPool(const std::vector<FfnJob>& jobs, int64_t dim);

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_INTERP_FFN_H_
