// Reference rotary embedding: one cos/sin evaluation per token, applied to each head's slice.
#include "runtime/interp/kernels_rope.h"

#include <vector>

#include "numerics/rope.h"

namespace dsc::runtime::ref {

void ApplyRope(float* x, int64_t tokens, int64_t heads, int64_t head_dim, int64_t offset,
               int64_t rope_dim, const int64_t* positions, const float* freqs, RopeLayout layout) {
  const int64_t pairs = rope_dim / 2;
  std::vector<float> cos_values(pairs), sin_values(pairs);
  for (int64_t t = 0; t < tokens; ++t) {
    numerics::RopeCosSin(positions[t], freqs, pairs, cos_values.data(), sin_values.data());
    for (int64_t h = 0; h < heads; ++h) {
      numerics::ApplyRopeWithCosSin(x + (t * heads + h) * head_dim + offset, rope_dim,
                                    cos_values.data(), sin_values.data(),
                                    layout == RopeLayout::kInterleaved);
    }
  }
}

}  // namespace dsc::runtime::ref
