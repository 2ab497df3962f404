// Reference element-wise kernels and the embedding row gather (model.md §4, §9).
#ifndef DSC_RUNTIME_INTERP_KERNELS_ELEMENTWISE_H_
#define DSC_RUNTIME_INTERP_KERNELS_ELEMENTWISE_H_

#include <cstdint>

#include "absl/status/status.h"

namespace dsc::runtime::ref {

// y = a + b over n elements (y may alias a or b).
void Add(const float* a, const float* b, int64_t n, float* y);

// y = x · s over n elements (y may alias x).
void Scale(const float* x, float s, int64_t n, float* y);

// y = sigmoid(x) = 1 / (1 + e^(−x)) (y may alias x).
void Sigmoid(const float* x, int64_t n, float* y);

// y = silu(x) = x / (1 + e^(−x)) (y may alias x).
void Silu(const float* x, int64_t n, float* y);

// The SwiGLU product y = silu(gate) ⊙ up (y may alias gate or up).
void SwiGlu(const float* gate, const float* up, int64_t n, float* y);

// y[i] = table[ids[i]] for n ids, table [vocab, dim]. OutOfRange if an id is not in [0, vocab).
absl::Status Embed(const float* table, int64_t vocab, int64_t dim, const int32_t* ids, int64_t n,
                   float* y);

}  // namespace dsc::runtime::ref

#endif  // DSC_RUNTIME_INTERP_KERNELS_ELEMENTWISE_H_
