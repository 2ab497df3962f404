// Orthonormal Sylvester Hadamard transform (model.md §8 step 3): the indexer rotates every
// 128-vector of q and k with it before FP8 quantization.
#ifndef DSC_NUMERICS_HADAMARD_H_
#define DSC_NUMERICS_HADAMARD_H_

#include <cstdint>

#include "absl/status/status.h"

namespace dsc::numerics {

// In place y_a = n^(-1/2) · Σ_b (−1)^popcount(a & b) · x_b for n a power of two (n ≥ 1):
// log2(n) butterfly stages (u, v) → (u + v, u − v) in float32, then one multiply by
// float32(1/sqrt(n)). InvalidArgument if n is not a power of two.
absl::Status HadamardTransform(float* x, int64_t n);

// The n = 128 case used by the indexer.
void Hadamard128(float* x);

}  // namespace dsc::numerics

#endif  // DSC_NUMERICS_HADAMARD_H_
