// Reference MLA attention: plain loops, float32 accumulation, keys visited in increasing position.
#include "runtime/interp/kernels_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "numerics/exp.h"
#include "runtime/interp/kernels_linear.h"
#include "runtime/interp/kernels_softmax.h"

namespace dsc::runtime::ref {
namespace {

// The keys query row `row` attends to: selected (or all) positions t with 0 <= t <= last, in
// increasing order and without duplicates, so the result does not depend on selection order.
std::vector<int64_t> KeysOfRow(KeySelection selection, int64_t row, int64_t last) {
  std::vector<int64_t> keys;
  if (selection.indices == nullptr) {
    for (int64_t t = 0; t <= last; ++t) keys.push_back(t);
    return keys;
  }
  for (int64_t i = 0; i < selection.k; ++i) {
    const int64_t t = selection.indices[row * selection.k + i];
    if (t >= 0 && t <= last) keys.push_back(t);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

}  // namespace

void MlaPrefillAttention(const float* q, const float* kvb, const float* k_pe, int64_t s,
                         const MlaDims& dims, float scale, KeySelection selection, float* o) {
  const int64_t heads = dims.n_heads, dn = dims.qk_nope_dim, dr = dims.qk_rope_dim;
  const int64_t dv = dims.v_head_dim, dqk = dims.qk_head_dim(), dkv = dn + dv;
  std::vector<float> z;
  for (int64_t row = 0; row < s; ++row) {
    const std::vector<int64_t> keys = KeysOfRow(selection, row, row);
    z.resize(keys.size());
    for (int64_t h = 0; h < heads; ++h) {
      const float* qh = q + (row * heads + h) * dqk;
      for (size_t i = 0; i < keys.size(); ++i) {
        const float* k_nope = kvb + (keys[i] * heads + h) * dkv;
        // q' · concat(k_nope, k_pe): the nope part, then the shared rotary key added on.
        float dot = DotF32(qh, k_nope, dn);
        for (int64_t j = 0; j < dr; ++j) dot += qh[dn + j] * k_pe[keys[i] * dr + j];
        z[i] = scale * dot;
      }
      Softmax(z.data(), 1, static_cast<int64_t>(z.size()), z.data());
      float* oh = o + (row * heads + h) * dv;
      std::fill(oh, oh + dv, 0.0f);
      for (size_t i = 0; i < keys.size(); ++i) {
        const float* v = kvb + (keys[i] * heads + h) * dkv + dn;
        for (int64_t j = 0; j < dv; ++j) oh[j] += z[i] * v[j];
      }
    }
  }
}

void MlaAbsorbQuery(const float* q, const float* w_kvb, int64_t s, const MlaDims& dims,
                    float* q_latent) {
  const int64_t heads = dims.n_heads, dn = dims.qk_nope_dim, dv = dims.v_head_dim;
  const int64_t rank = dims.kv_lora_rank, dqk = dims.qk_head_dim();
  for (int64_t row = 0; row < s; ++row) {
    for (int64_t h = 0; h < heads; ++h) {
      const float* q_nope = q + (row * heads + h) * dqk;
      float* out = q_latent + (row * heads + h) * rank;
      std::fill(out, out + rank, 0.0f);
      for (int64_t j = 0; j < dn; ++j) {
        const float* w_uk = w_kvb + (h * (dn + dv) + j) * rank;
        for (int64_t c = 0; c < rank; ++c) out[c] += q_nope[j] * w_uk[c];
      }
    }
  }
}

void MlaLatentAttention(const float* q_latent, const float* q_pe, const float* kv, const float* pe,
                        const int64_t* positions, int64_t s, int64_t end_pos, const MlaDims& dims,
                        float scale, KeySelection selection, float* o_latent) {
  const int64_t heads = dims.n_heads, dr = dims.qk_rope_dim, rank = dims.kv_lora_rank;
  std::vector<float> z;
  for (int64_t row = 0; row < s; ++row) {
    const int64_t last = std::min(positions[row], end_pos - 1);
    const std::vector<int64_t> keys = KeysOfRow(selection, row, last);
    z.resize(keys.size());
    for (int64_t h = 0; h < heads; ++h) {
      const float* ql = q_latent + (row * heads + h) * rank;
      const float* qp = q_pe + (row * heads + h) * dr;
      for (size_t i = 0; i < keys.size(); ++i) {
        z[i] = scale * (DotF32(ql, kv + keys[i] * rank, rank) + DotF32(qp, pe + keys[i] * dr, dr));
      }
      Softmax(z.data(), 1, static_cast<int64_t>(z.size()), z.data());
      float* out = o_latent + (row * heads + h) * rank;
      std::fill(out, out + rank, 0.0f);
      for (size_t i = 0; i < keys.size(); ++i) {
        const float* kv_t = kv + keys[i] * rank;
        for (int64_t c = 0; c < rank; ++c) out[c] += z[i] * kv_t[c];
      }
    }
  }
}

void MlaUnabsorbValue(const float* o_latent, const float* w_kvb, int64_t s, const MlaDims& dims,
                      float* o) {
  const int64_t heads = dims.n_heads, dn = dims.qk_nope_dim, dv = dims.v_head_dim;
  const int64_t rank = dims.kv_lora_rank;
  for (int64_t row = 0; row < s; ++row) {
    for (int64_t h = 0; h < heads; ++h) {
      const float* ol = o_latent + (row * heads + h) * rank;
      for (int64_t j = 0; j < dv; ++j) {
        o[(row * heads + h) * dv + j] = DotF32(w_kvb + (h * (dn + dv) + dn + j) * rank, ol, rank);
      }
    }
  }
}

void MlaDecodeAttention(const float* q, const float* w_kvb, const float* kv, const float* pe,
                        const int64_t* positions, int64_t s, int64_t end_pos, const MlaDims& dims,
                        float scale, KeySelection selection, float* o) {
  const int64_t heads = dims.n_heads, dn = dims.qk_nope_dim, dr = dims.qk_rope_dim;
  const int64_t rank = dims.kv_lora_rank;
  std::vector<float> q_latent(s * heads * rank), o_latent(s * heads * rank), q_pe(s * heads * dr);
  for (int64_t i = 0; i < s * heads; ++i) {
    std::copy_n(q + i * dims.qk_head_dim() + dn, dr, q_pe.data() + i * dr);
  }
  MlaAbsorbQuery(q, w_kvb, s, dims, q_latent.data());
  MlaLatentAttention(q_latent.data(), q_pe.data(), kv, pe, positions, s, end_pos, dims, scale,
                     selection, o_latent.data());
  MlaUnabsorbValue(o_latent.data(), w_kvb, s, dims, o);
}

void MlaLatentAttentionRow(const float* q_latent, const float* q_pe, const float* kv, const float* pe, int64_t t,
                           int64_t rank, int64_t rope_dim, float scale, const float* mask, int64_t last_visible,
                           float* z, float* o_latent, DotFn dot) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  if (dot == nullptr) {
    dot = [](const float* a, const float* b, int64_t n) {
      float sum = 0.0f;
      for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
      return sum;
    };
  }
  float zmax = kNegInf;
  for (int64_t j = 0; j < t; ++j) {
    // Keys the indexer dropped (mask −inf) or past the query are −inf whatever the dot: skip
    // it, so DSA's attention costs O(top-k) rather than O(context) per query.
    const float m = mask != nullptr ? mask[j] : 0.0f;
    if (m == kNegInf || (last_visible >= 0 && j > last_visible)) {
      z[j] = kNegInf;
      continue;
    }
    z[j] = scale * (dot(q_latent, kv + j * rank, rank) + dot(q_pe, pe + j * rope_dim, rope_dim)) + m;
    zmax = std::max(zmax, z[j]);
  }
  numerics::ExpShiftedInPlace(z, t, zmax);
  float sum = 0.0f;
  for (int64_t j = 0; j < t; ++j) sum += z[j];
  std::fill(o_latent, o_latent + rank, 0.0f);
  for (int64_t j = 0; j < t; ++j) {
    const float p = z[j] / sum;
    if (p == 0.0f) continue;
    const float* row = kv + j * rank;
    for (int64_t c = 0; c < rank; ++c) o_latent[c] += p * row[c];
  }
}

}  // namespace dsc::runtime::ref
