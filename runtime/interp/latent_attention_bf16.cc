// latent_attention_bf16.h. Every function that uses AVX-512 BF16 carries the target itself:
// Usable() checks the CPU before any is called.
#include "runtime/interp/latent_attention_bf16.h"

#include <algorithm>
#include <vector>

#include "numerics/scalar_formats.h"
#include "numerics/x86_intrinsics.h"

#define DSC_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

namespace dsc::runtime::bf16_attention {
namespace {

constexpr int kLanes = 16;
constexpr int64_t kKeyBlock = 128;  // keys per block of the weighted sum (an even number)
constexpr int kTileHeads = 4;
constexpr int kTileVectors = 4;  // 64 columns

// Two values as BF16 words (round to nearest even, as VCVTNEPS2BF16), `even` in the low one.
uint32_t Pair(float even, float odd) {
  return numerics::FloatToBf16(even) | (uint32_t{numerics::FloatToBf16(odd)} << 16);
}

// 16 floats → 16 BF16 words.
DSC_BF16_TARGET inline __m256i Convert(const float* p) { return (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(p)); }

// Words of a and b interleaved: a0 b0 a1 b1 ... a15 b15 (BF16 pairs for dot products over keys).
DSC_BF16_TARGET inline __m512i Interleave(__m256i a, __m256i b) {
  const __m512i index = _mm512_set_epi16(47, 15, 46, 14, 45, 13, 44, 12, 43, 11, 42, 10, 41, 9, 40, 8, 39, 7, 38, 6,
                                         37, 5, 36, 4, 35, 3, 34, 2, 33, 1, 32, 0);
  return _mm512_permutex2var_epi16(_mm512_castsi256_si512(a), index, _mm512_castsi256_si512(b));
}

DSC_BF16_TARGET inline __m512 Dot(__m512 acc, __m512i a, __m512i b) {
  return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b);
}

// One key group's scores for head group g: acc over the packed q pairs against each key's
// BF16 row (kb[l], pairs as uint32), two accumulators per key so eight chains overlap.
template <int kKeys>
DSC_BF16_TARGET inline void DotKeys(const uint32_t* q, const uint32_t* const* kb, int64_t pairs, __m512* out) {
  __m512 even[kKeys], odd[kKeys];
  for (int l = 0; l < kKeys; ++l) even[l] = odd[l] = _mm512_setzero_ps();
  int64_t c2 = 0;
  for (; c2 + 2 <= pairs; c2 += 2) {
    const __m512i q0 = _mm512_loadu_si512(q + c2 * kLanes);
    const __m512i q1 = _mm512_loadu_si512(q + (c2 + 1) * kLanes);
    for (int l = 0; l < kKeys; ++l) {
      even[l] = Dot(even[l], q0, _mm512_set1_epi32(static_cast<int>(kb[l][c2])));
      odd[l] = Dot(odd[l], q1, _mm512_set1_epi32(static_cast<int>(kb[l][c2 + 1])));
    }
  }
  if (c2 < pairs) {
    const __m512i q0 = _mm512_loadu_si512(q + c2 * kLanes);
    for (int l = 0; l < kKeys; ++l) even[l] = Dot(even[l], q0, _mm512_set1_epi32(static_cast<int>(kb[l][c2])));
  }
  for (int l = 0; l < kKeys; ++l) out[l] = _mm512_add_ps(even[l], odd[l]);
}

// o[hh][v·16 + lane] += Σ_j w[j][hh] · strip[j][v] (BF16 pairs) for the tile's hn heads and
// kV vectors of columns; strip rows kTileVectors vectors apart.
template <int kV>
DSC_BF16_TARGET inline void TileDot(const uint32_t* w, const __m512i* strip, int64_t pairs, int hn, float* o,
                                    int64_t ldo) {
  __m512 acc[kTileHeads][kV];
  for (int hh = 0; hh < kTileHeads; ++hh) {
    for (int v = 0; v < kV; ++v) acc[hh][v] = _mm512_setzero_ps();
  }
  for (int64_t j = 0; j < pairs; ++j) {
    __m512i r[kV];
    for (int v = 0; v < kV; ++v) r[v] = _mm512_load_si512(strip + j * kTileVectors + v);
    for (int hh = 0; hh < kTileHeads; ++hh) {
      const __m512i weight = _mm512_set1_epi32(static_cast<int>(w[j * kTileHeads + hh]));
      for (int v = 0; v < kV; ++v) acc[hh][v] = Dot(acc[hh][v], r[v], weight);
    }
  }
  for (int hh = 0; hh < hn; ++hh) {
    for (int v = 0; v < kV; ++v) {
      float* out = o + hh * ldo + v * kLanes;
      _mm512_storeu_ps(out, _mm512_add_ps(_mm512_loadu_ps(out), acc[hh][v]));
    }
  }
}

}  // namespace

bool Usable(int64_t rank, int64_t dr) {
  static const bool cpu = __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl");
  return cpu && rank % kLanes == 0 && dr % 2 == 0;
}

DSC_BF16_TARGET void PackQueries(const float* q, int64_t heads, int64_t width, uint32_t* qb) {
  const int64_t groups = (heads + kLanes - 1) / kLanes, pairs = width / 2;
  if (heads % kLanes != 0) std::fill(qb, qb + groups * pairs * kLanes, 0u);  // the padding lanes
  for (int64_t h = 0; h < heads; ++h) {
    const int64_t g = h / kLanes, lane = h % kLanes;
    uint32_t* out = qb + g * pairs * kLanes + lane;
    const float* row = q + h * width;
    int64_t c2 = 0;
    for (; 2 * c2 + kLanes <= width; c2 += kLanes / 2) {  // 16 values: 8 pairs, one conversion
      alignas(32) uint32_t converted[kLanes / 2];
      _mm256_store_si256(reinterpret_cast<__m256i*>(converted), Convert(row + 2 * c2));
      for (int i = 0; i < kLanes / 2; ++i) out[(c2 + i) * kLanes] = converted[i];
    }
    for (; c2 < pairs; ++c2) out[c2 * kLanes] = Pair(row[2 * c2], row[2 * c2 + 1]);
  }
}

DSC_BF16_TARGET void ScoreKeys(const uint32_t* ql, const uint32_t* qp, const float* kv, const float* pe,
                               int64_t rank, int64_t dr, int64_t groups, const int64_t* keys, int64_t begin,
                               int64_t end, float scale, const float* mask, float* z) {
  constexpr int kKeys = 4;
  // The group's rows in BF16, latent then rope, as pairs (scratch that only grows).
  thread_local std::vector<uint32_t> rows;
  const int64_t width = rank + dr, row_pairs = width / 2;
  rows.resize(static_cast<size_t>(kKeys * row_pairs));
  const __m512 scale_v = _mm512_set1_ps(scale);
  for (int64_t i0 = begin; i0 < end; i0 += kKeys) {
    const int n = static_cast<int>(std::min<int64_t>(kKeys, end - i0));
    const uint32_t* kb_latent[kKeys];
    const uint32_t* kb_rope[kKeys];
    for (int l = 0; l < kKeys; ++l) {  // a short group repeats its last key (results unused)
      const int64_t key = keys[i0 + std::min(l, n - 1)];
      uint32_t* row = rows.data() + l * row_pairs;
      for (int64_t c = 0; c < rank; c += kLanes) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(row + c / 2), Convert(kv + key * rank + c));
      }
      int64_t c = 0;
      for (; c + kLanes <= dr; c += kLanes) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(row + (rank + c) / 2), Convert(pe + key * dr + c));
      }
      for (; c < dr; c += 2) row[(rank + c) / 2] = Pair(pe[key * dr + c], pe[key * dr + c + 1]);
      kb_latent[l] = row;
      kb_rope[l] = row + rank / 2;
    }
    for (int64_t g = 0; g < groups; ++g) {
      __m512 latent[kKeys], rope[kKeys];
      DotKeys<kKeys>(ql + g * (rank / 2) * kLanes, kb_latent, rank / 2, latent);
      DotKeys<kKeys>(qp + g * (dr / 2) * kLanes, kb_rope, dr / 2, rope);
      for (int l = 0; l < n; ++l) {
        const __m512 m = _mm512_set1_ps(mask != nullptr ? mask[keys[i0 + l]] : 0.0f);
        _mm512_storeu_ps(z + ((i0 + l) * groups + g) * kLanes,
                         _mm512_add_ps(_mm512_mul_ps(scale_v, _mm512_add_ps(latent[l], rope[l])), m));
      }
    }
  }
}

DSC_BF16_TARGET void AccumulateValues(const float* p, int64_t ldp, const float* kv, const int64_t* keys, int64_t n,
                                      int64_t heads, int64_t rank, int64_t c0, int64_t c1, float* o, int64_t ldo) {
  // A block's probabilities as BF16 pairs of consecutive keys, head tile by head tile (a
  // missing key of an odd block adds 0 · 0), and one 64-column strip of its rows, interleaved
  // the same way. p's rows hold whole 16-head groups (ldp >= heads rounded up to 16), which
  // are packed 16 heads at a time, so the store covers the padding heads' tiles too (their
  // sums are not stored). Scratch that only grows.
  const int64_t groups = (heads + kLanes - 1) / kLanes, tiles = groups * (kLanes / kTileHeads);
  thread_local std::vector<uint32_t> weight_store;
  weight_store.resize(static_cast<size_t>(tiles * (kKeyBlock / 2) * kTileHeads));
  alignas(64) __m512i strip[kKeyBlock / 2][kTileVectors];
  for (int64_t h = 0; h < heads; ++h) std::fill(o + h * ldo + c0, o + h * ldo + c1, 0.0f);
  const __m256i zero = _mm256_setzero_si256();
  for (int64_t i0 = 0; i0 < n; i0 += kKeyBlock) {
    const int64_t i1 = std::min(n, i0 + kKeyBlock), pairs = (i1 - i0 + 1) / 2;
    for (int64_t j = 0; j < pairs; ++j) {
      const int64_t i = i0 + 2 * j;
      for (int64_t g = 0; g < groups; ++g) {
        const __m512i both = Interleave(Convert(p + i * ldp + g * kLanes),
                                        i + 1 < i1 ? Convert(p + (i + 1) * ldp + g * kLanes) : zero);
        // Heads 4q..4q+3 of the group (one tile) are 128-bit lane q of `both`.
        auto tile_pairs = [&](int q) {
          return reinterpret_cast<__m128i*>(weight_store.data() +
                                            ((g * (kLanes / kTileHeads) + q) * (kKeyBlock / 2) + j) * kTileHeads);
        };
        _mm_storeu_si128(tile_pairs(0), _mm512_extracti32x4_epi32(both, 0));
        _mm_storeu_si128(tile_pairs(1), _mm512_extracti32x4_epi32(both, 1));
        _mm_storeu_si128(tile_pairs(2), _mm512_extracti32x4_epi32(both, 2));
        _mm_storeu_si128(tile_pairs(3), _mm512_extracti32x4_epi32(both, 3));
      }
    }
    for (int64_t c = c0; c < c1; c += kTileVectors * kLanes) {
      const int vectors = static_cast<int>(std::min<int64_t>(kTileVectors, (c1 - c) / kLanes));
      for (int64_t j = 0; j < pairs; ++j) {
        const int64_t a = keys[i0 + 2 * j], b = i0 + 2 * j + 1 < i1 ? keys[i0 + 2 * j + 1] : -1;
        for (int v = 0; v < vectors; ++v) {
          const int64_t col = c + v * kLanes;
          strip[j][v] = Interleave(Convert(kv + a * rank + col), b >= 0 ? Convert(kv + b * rank + col) : zero);
        }
      }
      for (int64_t h0 = 0; h0 < heads; h0 += kTileHeads) {
        const int hn = static_cast<int>(std::min<int64_t>(kTileHeads, heads - h0));
        const uint32_t* w = weight_store.data() + (h0 / kTileHeads) * (kKeyBlock / 2) * kTileHeads;
        float* out = o + h0 * ldo + c;
        if (vectors == kTileVectors) {
          TileDot<kTileVectors>(w, &strip[0][0], pairs, hn, out, ldo);
        } else {
          for (int v = 0; v < vectors; ++v) TileDot<1>(w, &strip[0][v], pairs, hn, out + v * kLanes, ldo);
        }
      }
    }
  }
}

}  // namespace dsc::runtime::bf16_attention
