// Reference lightning-indexer kernels built on numerics' Hadamard, act_quant and E4M3 table.
#include "runtime/interp/kernels_indexer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "numerics/act_quant.h"
#include "numerics/hadamard.h"
#include "numerics/scalar_formats.h"
#include "runtime/interp/kernels_linear.h"

namespace dsc::runtime::ref {

absl::Status IndexerQuantize(float* x, int64_t vectors, int64_t dim, uint8_t* codes,
                             float* scales) {
  for (int64_t v = 0; v < vectors; ++v) {
    if (absl::Status s = numerics::HadamardTransform(x + v * dim, dim); !s.ok()) return s;
    numerics::ActQuantBlock(x + v * dim, dim, numerics::ActScaleFormat::kUe8m0, codes + v * dim,
                            scales + v);
  }
  return absl::OkStatus();
}

void IndexScores(const uint8_t* q_codes, const float* q_scales, const float* head_weights,
                 const uint8_t* k_codes, const float* k_scales, const int64_t* positions, int64_t s,
                 int64_t n_heads, int64_t dim, int64_t end_pos, float* scores) {
  const float head_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(n_heads)));
  const float dim_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dim)));
  std::vector<float> k(end_pos * dim), q(n_heads * dim), w(n_heads);
  for (int64_t i = 0; i < end_pos * dim; ++i) k[i] = numerics::DecodeE4m3(k_codes[i]);
  for (int64_t row = 0; row < s; ++row) {
    for (int64_t i = 0; i < n_heads * dim; ++i) {
      q[i] = numerics::DecodeE4m3(q_codes[row * n_heads * dim + i]);
    }
    for (int64_t h = 0; h < n_heads; ++h) {
      w[h] = head_weights[row * n_heads + h] * head_scale * q_scales[row * n_heads + h] * dim_scale;
    }
    for (int64_t t = 0; t < end_pos; ++t) {
      if (t > positions[row]) {
        scores[row * end_pos + t] = -std::numeric_limits<float>::infinity();
        continue;
      }
      float sum = 0.0f;
      for (int64_t h = 0; h < n_heads; ++h) {
        sum += std::max(DotF32(&q[h * dim], &k[t * dim], dim), 0.0f) * w[h];
      }
      scores[row * end_pos + t] = sum * k_scales[t];
    }
  }
}

void TopKIndices(const float* scores, int64_t rows, int64_t n, int64_t k, int32_t* out) {
  std::vector<int64_t> candidates;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = scores + r * n;
    candidates.clear();
    for (int64_t t = 0; t < n; ++t) {
      if (!(std::isinf(row[t]) && row[t] < 0)) candidates.push_back(t);
    }
    const int64_t kept = std::min<int64_t>(k, static_cast<int64_t>(candidates.size()));
    // Larger score first; equal scores keep increasing position (the candidates' order).
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](int64_t a, int64_t b) { return row[a] > row[b]; });
    std::sort(candidates.begin(), candidates.begin() + kept);
    for (int64_t i = 0; i < k; ++i) {
      out[r * k + i] = i < kept ? static_cast<int32_t>(candidates[i]) : -1;
    }
  }
}

void TopkMask(const float* scores, int64_t rows, int64_t n, int64_t k, float* y) {
  k = std::clamp<int64_t>(k, 0, n);
  thread_local std::vector<int64_t> order;
  order.resize(n);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = scores + r * n;
    float* out = y + r * n;
    std::fill(out, out + n, -std::numeric_limits<float>::infinity());
    if (k == 0) continue;
    std::iota(order.begin(), order.end(), 0);
    // A strict total order, so its k first are one set, which nth_element finds in O(n)
    // (partial_sort's O(n log k) made long prompts O(S² log k)).
    std::nth_element(
        order.begin(), order.begin() + (k - 1), order.end(),
        [&](int64_t p, int64_t q) { return row[p] > row[q] || (row[p] == row[q] && p < q); });
    for (int64_t j = 0; j < k; ++j) out[order[j]] = 0.0f;
  }
}

}  // namespace dsc::runtime::ref
