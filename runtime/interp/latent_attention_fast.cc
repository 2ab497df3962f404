// MLA latent attention of one query row for all heads at once (latent_attention_fast.h).
// Compiled with -ffp-contract=off: a fused multiply-add would round differently from the
// reference's product-then-sum.
#include "runtime/interp/latent_attention_fast.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "absl/functional/function_ref.h"
#include "numerics/exp.h"
#include "runtime/cpu_kernels.h"
#include "runtime/interp/kernels_attention.h"

namespace dsc::runtime {
namespace {

constexpr int kLanes = 16;  // heads per vector
constexpr float kNegInf = -std::numeric_limits<float>::infinity();
typedef float HeadVector __attribute__((vector_size(kLanes * sizeof(float)), aligned(4)));

// z[i][g·16 + lane] = scale·(q̃·KV[key] + q_pe·PE[key]) + m for the keys keys[i], i in
// [begin, end): per lane a sequential sum over c, as the reference's dot. Four keys at a time:
// one key's sum is a chain of dependent adds, four chains overlap (and share q's loads).
__attribute__((target_clones("avx512f", "avx2", "default"))) void ScoreKeys(
    const float* ql_t, const float* qp_t, const float* kv, const float* pe, int64_t rank, int64_t dr, int64_t groups,
    const int64_t* keys, int64_t begin, int64_t end, float scale, const float* mask, float* z) {
  constexpr int kKeys = 4;
  for (int64_t i0 = begin; i0 < end; i0 += kKeys) {
    const int n = static_cast<int>(std::min<int64_t>(kKeys, end - i0));
    const float* kv_j[kKeys];
    const float* pe_j[kKeys];
    for (int l = 0; l < kKeys; ++l) {  // a short group repeats its last key (results unused)
      const int64_t key = keys[i0 + std::min(l, n - 1)];
      kv_j[l] = kv + key * rank;
      pe_j[l] = pe + key * dr;
    }
    // The next group's rows (gathered keys, so no hardware prefetcher sees them coming): their
    // misses then overlap this group's arithmetic.
    for (int64_t i = i0 + kKeys; i < std::min(end, i0 + 2 * kKeys); ++i) {
      for (int64_t c = 0; c < rank; c += 16) __builtin_prefetch(kv + keys[i] * rank + c);
      for (int64_t c = 0; c < dr; c += 16) __builtin_prefetch(pe + keys[i] * dr + c);
    }
    for (int64_t g = 0; g < groups; ++g) {
      HeadVector latent[kKeys] = {}, rope[kKeys] = {};
      for (int64_t c = 0; c < rank; ++c) {
        const HeadVector q = *reinterpret_cast<const HeadVector*>(ql_t + (g * rank + c) * kLanes);
        for (int l = 0; l < kKeys; ++l) latent[l] = latent[l] + q * kv_j[l][c];
      }
      for (int64_t c = 0; c < dr; ++c) {
        const HeadVector q = *reinterpret_cast<const HeadVector*>(qp_t + (g * dr + c) * kLanes);
        for (int l = 0; l < kKeys; ++l) rope[l] = rope[l] + q * pe_j[l][c];
      }
      for (int l = 0; l < n; ++l) {
        const float m = mask != nullptr ? mask[keys[i0 + l]] : 0.0f;
        *reinterpret_cast<HeadVector*>(z + ((i0 + l) * groups + g) * kLanes) = scale * (latent[l] + rope[l]) + m;
      }
    }
  }
}

// Columns [c, c + 16·kCols) of heads [h0, h0 + hn) (hn <= 4) of o (rows of ldo):
//     o[h][c'] = Σ_i p[h][i] · KV[keys[i]][c']
// summed over the keys in order from +0, in registers through all the keys. The reference
// skips p == 0; adding 0 · v = ±0 leaves such a sum unchanged (it is never −0) for finite v,
// so every key is added here.
template <int kCols>
inline __attribute__((always_inline)) void AccumulateTile(const float* p, const float* kv, const int64_t* keys,
                                                          int64_t n, int64_t rank, int64_t h0, int hn, int64_t c,
                                                          float* o, int64_t ldo) {
  constexpr int kHeads = 4;
  const float* ph[kHeads];
  for (int hh = 0; hh < kHeads; ++hh) ph[hh] = p + (h0 + std::min(hh, hn - 1)) * n;  // a short block repeats
  HeadVector acc[kHeads][kCols] = {};
  constexpr int64_t kAhead = 8;  // gathered rows: prefetch this tile's columns a few keys ahead
  for (int64_t i = 0; i < n; ++i) {
    const float* row = kv + keys[i] * rank + c;
    const float* ahead = kv + keys[std::min(i + kAhead, n - 1)] * rank + c;
    for (int v = 0; v < kCols; ++v) __builtin_prefetch(ahead + v * kLanes);
    HeadVector r[kCols];
    for (int v = 0; v < kCols; ++v) r[v] = *reinterpret_cast<const HeadVector*>(row + v * kLanes);
    for (int hh = 0; hh < kHeads; ++hh) {
      const float w = ph[hh][i];
      for (int v = 0; v < kCols; ++v) acc[hh][v] = acc[hh][v] + w * r[v];
    }
  }
  for (int hh = 0; hh < hn; ++hh) {
    for (int v = 0; v < kCols; ++v) {
      *reinterpret_cast<HeadVector*>(o + (h0 + hh) * ldo + c + v * kLanes) = acc[hh][v];
    }
  }
}

// o[h][c] = Σ_i p[h][i] · KV[keys[i]][c] for c in [c0, c1), o rows of ldo: tiles of 4 heads ×
// 32 columns in registers (accumulating into o itself, 128 heads' rows outgrowing L1, made
// this the slowest phase), a scalar loop for the last < 16 columns. Same sums as the reference.
__attribute__((target_clones("avx512f", "avx2", "default"))) void AccumulateValues(
    const float* p, const float* kv, const int64_t* keys, int64_t n, int64_t heads, int64_t rank, int64_t c0,
    int64_t c1, float* o, int64_t ldo) {
  for (int64_t h0 = 0; h0 < heads; h0 += 4) {
    const int hn = static_cast<int>(std::min<int64_t>(4, heads - h0));
    int64_t c = c0;
    for (; c + 2 * kLanes <= c1; c += 2 * kLanes) AccumulateTile<2>(p, kv, keys, n, rank, h0, hn, c, o, ldo);
    for (; c + kLanes <= c1; c += kLanes) AccumulateTile<1>(p, kv, keys, n, rank, h0, hn, c, o, ldo);
    for (int64_t h = h0; h < h0 + hn; ++h) {
      for (int64_t cc = c; cc < c1; ++cc) {
        float sum = 0.0f;
        for (int64_t i = 0; i < n; ++i) sum = sum + p[h * n + i] * kv[keys[i] * rank + cc];
        o[h * ldo + cc] = sum;
      }
    }
  }
}

}  // namespace

void LatentAttentionAllHeads(ThreadPool* pool, const float* q_latent, const float* q_pe, const float* kv,
                             const float* pe, int64_t t, int64_t heads, int64_t rank, int64_t dr, float scale,
                             const float* mask, int64_t last_visible, float* o_latent) {
  const int64_t groups = (heads + kLanes - 1) / kLanes, padded = groups * kLanes;
  // The keys whose score is not −inf whatever the dot, in increasing order: the others add
  // exp(−inf) = 0 to the sum and nothing to ō in the reference.
  // Scratch that only grows (a decode loop allocates nothing after its first steps), one per
  // calling thread; the pool's threads reach it through the local pointers below.
  thread_local std::vector<int64_t> key_store;
  thread_local std::vector<float> work;
  key_store.clear();
  const int64_t visible_end = last_visible >= 0 ? std::min(t, last_visible + 1) : t;
  for (int64_t j = 0; j < visible_end; ++j) {
    if (mask == nullptr || mask[j] != kNegInf) key_store.push_back(j);
  }
  const int64_t n = static_cast<int64_t>(key_store.size());
  const int64_t* const keys = key_store.data();
  if (n == 0) {  // no key at all: the reference's 0/0 probabilities (NaN), exactly as it makes them
    std::vector<float> z(std::max<int64_t>(t, 1));
    for (int64_t h = 0; h < heads; ++h) {
      ref::MlaLatentAttentionRow(q_latent + h * rank, q_pe + h * dr, kv, pe, t, rank, dr, scale, mask, last_visible,
                                 z.data(), o_latent + h * rank, nullptr);
    }
    return;
  }
  const int64_t ql_size = groups * rank * kLanes, qp_size = groups * dr * kLanes;
  const int64_t z_size = std::max<int64_t>(n, 1) * padded, p_size = heads * n;
  const size_t work_size = static_cast<size_t>(ql_size + qp_size + z_size + p_size);
  if (work.size() < work_size) work.resize(work_size);
  float* const ql_t = work.data();
  float* const qp_t = ql_t + ql_size;
  float* const z = qp_t + qp_size;
  float* const p = z + z_size;
  std::fill(ql_t, ql_t + ql_size + qp_size, 0.0f);  // padding lanes of the last group stay zero
  for (int64_t h = 0; h < heads; ++h) {
    const int64_t g = h / kLanes, lane = h % kLanes;
    for (int64_t c = 0; c < rank; ++c) ql_t[(g * rank + c) * kLanes + lane] = q_latent[h * rank + c];
    for (int64_t c = 0; c < dr; ++c) qp_t[(g * dr + c) * kLanes + lane] = q_pe[h * dr + c];
  }
  const int threads = pool != nullptr ? pool->size() : 1;
  auto run = [&](absl::FunctionRef<void(int)> part) {
    if (pool != nullptr) {
      pool->Run(part);
    } else {
      part(0);
    }
  };
  run([&](int thread) {  // scores, keys split over the threads
    const auto [begin, end] = SplitRows(n, threads, thread, 1);
    ScoreKeys(ql_t, qp_t, kv, pe, rank, dr, groups, keys, begin, end, scale, mask, z);
  });
  // Softmax per head, keys in order, as the reference; into p [heads, n]: a head's row is its
  // thread's alone (heads share z's cache lines, so writing z back would bounce them).
  run([&](int thread) {
    const auto [begin, end] = SplitRows(heads, threads, thread, 1);
    for (int64_t h = begin; h < end; ++h) {
      float* ph = p + h * n;
      float zmax = kNegInf;
      for (int64_t i = 0; i < n; ++i) zmax = std::max(zmax, ph[i] = z[i * padded + h]);
      numerics::ExpShiftedInPlace(ph, n, zmax);
      float sum = 0.0f;
      for (int64_t i = 0; i < n; ++i) sum += ph[i];
      for (int64_t i = 0; i < n; ++i) ph[i] /= sum;
    }
  });
  run([&](int thread) {  // ō, its columns split over the threads (each sum stays in key order)
    const auto [c0, c1] = SplitRows(rank, threads, thread, kLanes);
    AccumulateValues(p, kv, keys, n, heads, rank, c0, c1, o_latent, rank);
  });
}

}  // namespace dsc::runtime
