// MLA latent attention of one query row for all heads at once (latent_attention_fast.h).
// Compiled with -ffp-contract=off: a fused multiply-add would round differently from the
// reference's product-then-sum.
#include "runtime/interp/latent_attention_fast.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <tuple>
#include <vector>

#include "absl/functional/function_ref.h"
#include "numerics/exp.h"
#include "runtime/cpu_kernels.h"
#include "runtime/interp/kernels_attention.h"
#include "runtime/interp/latent_attention_bf16.h"

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

// Columns [c, c + 16·kCols) of heads [h0, h0 + hn) (hn <= kTileHeads) of o (rows of ldo),
// keys [i0, i1) of the block whose rows of these columns are packed in `strip` (row i − i0 at
// strip + (i − i0)·16·kCols) and whose probabilities for these heads are packed in `weights`
// (head h0 + hh's at weights[(i − i0)·kTileHeads + hh]; a short tile repeats its last head):
//     o[h][c'] = (i0 == 0 ? +0 : o[h][c']) + Σ_{i0 <= i < i1} p[i][h] · KV[keys[i]][c']
// summed over the keys in order, in registers. A partial sum stored in o and loaded back is
// the same float, so key blocks give the sums of one pass over all keys. The reference skips
// p == 0; adding 0 · v = ±0 leaves such a sum unchanged (it is never −0) for finite v, so
// every key is added here.
constexpr int kTileHeads = 4;

template <int kCols>
inline __attribute__((always_inline)) void AccumulateTile(const float* weights, const float* strip, int64_t h0,
                                                          int hn, int64_t c, int64_t i0, int64_t i1, float* o,
                                                          int64_t ldo) {
  HeadVector acc[kTileHeads][kCols] = {};
  if (i0 > 0) {
    for (int hh = 0; hh < hn; ++hh) {
      for (int v = 0; v < kCols; ++v) {
        acc[hh][v] = *reinterpret_cast<const HeadVector*>(o + (h0 + hh) * ldo + c + v * kLanes);
      }
    }
  }
  for (int64_t i = i0; i < i1; ++i) {
    HeadVector r[kCols];
    for (int v = 0; v < kCols; ++v) {
      r[v] = *reinterpret_cast<const HeadVector*>(strip + ((i - i0) * kCols + v) * kLanes);
    }
    for (int hh = 0; hh < kTileHeads; ++hh) {
      const float w = weights[(i - i0) * kTileHeads + hh];
      for (int v = 0; v < kCols; ++v) acc[hh][v] = acc[hh][v] + w * r[v];
    }
  }
  for (int hh = 0; hh < hn; ++hh) {
    for (int v = 0; v < kCols; ++v) {
      *reinterpret_cast<HeadVector*>(o + (h0 + hh) * ldo + c + v * kLanes) = acc[hh][v];
    }
  }
}

// o[h][c] = Σ_i p[i][h] · KV[keys[i]][c] for c in [c0, c1) (p rows of ldp, o rows of ldo):
// tiles of 4 heads × 64 columns in registers (16 accumulators), narrower tiles for the last
// columns, a scalar loop for the last < 16. Same sums as the reference.
// Keys go in blocks of kKeyBlock. A block's rows of one 64-column strip are first copied
// together (32 KiB), and its probabilities head tile by head tile: read in place, KV rows
// rank·4 bytes apart (a power of two) share a few cache sets and miss. The old order (head
// tiles outside, every column and key inside) re-read the whole cache for each head tile. At
// 4096 keys, 1 thread (nvfp4_gemv_bench BM_LatentAttention): 10.6-11.8 ms -> 8.2-8.5 ms for
// this step, about half the rate of one multiply-add pair per cycle.
constexpr int64_t kKeyBlock = 128;
constexpr int kMaxCols = 4;  // vectors per tile row: 64 columns

__attribute__((target_clones("avx512f", "avx2", "default"))) void AccumulateValues(
    const float* p, int64_t ldp, const float* kv, const int64_t* keys, int64_t n, int64_t heads, int64_t rank,
    int64_t c0, int64_t c1, float* o, int64_t ldo) {
  alignas(64) float strip[kKeyBlock * kMaxCols * kLanes];
  // The block's probabilities, head tile by head tile (p[i·ldp + h]: a key's heads together).
  thread_local std::vector<float> weight_store;
  const int64_t tiles = (heads + kTileHeads - 1) / kTileHeads;
  weight_store.resize(static_cast<size_t>(tiles * kKeyBlock * kTileHeads));
  float* const weights = weight_store.data();
  int64_t c_vec = c0;  // columns [c0, c_vec) go in vectors
  while (c_vec + kLanes <= c1) c_vec += kLanes;
  for (int64_t i0 = 0; i0 < n; i0 += kKeyBlock) {
    const int64_t i1 = std::min(n, i0 + kKeyBlock);
    for (int64_t tile = 0; tile < tiles; ++tile) {
      float* w = weights + tile * kKeyBlock * kTileHeads;
      for (int64_t i = i0; i < i1; ++i) {
        for (int hh = 0; hh < kTileHeads; ++hh) {
          w[(i - i0) * kTileHeads + hh] = p[i * ldp + std::min(tile * kTileHeads + hh, heads - 1)];
        }
      }
    }
    for (int64_t c = c0; c < c_vec;) {
      const int cols = c + kMaxCols * kLanes <= c_vec ? kMaxCols : 1;
      for (int64_t i = i0; i < i1; ++i) {
        std::memcpy(strip + (i - i0) * cols * kLanes, kv + keys[i] * rank + c, cols * kLanes * sizeof(float));
      }
      for (int64_t h0 = 0; h0 < heads; h0 += kTileHeads) {
        const int hn = static_cast<int>(std::min<int64_t>(kTileHeads, heads - h0));
        const float* w = weights + (h0 / kTileHeads) * kKeyBlock * kTileHeads;
        if (cols == kMaxCols) {
          AccumulateTile<kMaxCols>(w, strip, h0, hn, c, i0, i1, o, ldo);
        } else {
          AccumulateTile<1>(w, strip, h0, hn, c, i0, i1, o, ldo);
        }
      }
      c += cols * kLanes;
    }
  }
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t cc = c_vec; cc < c1; ++cc) {
      float sum = 0.0f;
      for (int64_t i = 0; i < n; ++i) sum = sum + p[i * ldp + h] * kv[keys[i] * rank + cc];
      o[h * ldo + cc] = sum;
    }
  }
}

}  // namespace

void LatentAttentionAllHeads(ThreadPool* pool, const float* q_latent, const float* q_pe, const float* kv,
                             const float* pe, int64_t t, int64_t heads, int64_t rank, int64_t dr, float scale,
                             const float* mask, int64_t last_visible, float* o_latent, bool bf16,
                             dsc_mla_attention_fn compiled) {
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
  const int64_t z_size = std::max<int64_t>(n, 1) * padded;
  const size_t work_size = static_cast<size_t>(ql_size + qp_size + z_size + padded);
  if (work.size() < work_size) work.resize(work_size);
  float* const ql_t = work.data();
  float* const qp_t = ql_t + ql_size;
  float* const z = qp_t + qp_size;
  float* const column = z + z_size;  // per head: the softmax's max (the exponentials' shift)
  // The queries in the scores' layout: float32, or for the BF16 products
  // (latent_attention_bf16.h) BF16 pairs.
  thread_local std::vector<uint32_t> packed;
  const bool use_bf16 = bf16 && bf16_attention::Usable(rank, dr);
  uint32_t* ql_b = nullptr;
  uint32_t* qp_b = nullptr;
  if (use_bf16) {
    packed.resize(static_cast<size_t>(groups * (rank / 2 + dr / 2) * kLanes));
    ql_b = packed.data();
    qp_b = ql_b + groups * (rank / 2) * kLanes;
    bf16_attention::PackQueries(q_latent, heads, rank, ql_b);
    bf16_attention::PackQueries(q_pe, heads, dr, qp_b);
  } else {
    std::fill(ql_t, ql_t + ql_size + qp_size, 0.0f);  // padding lanes of the last group stay zero
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t g = h / kLanes, lane = h % kLanes;
      for (int64_t c = 0; c < rank; ++c) ql_t[(g * rank + c) * kLanes + lane] = q_latent[h * rank + c];
      for (int64_t c = 0; c < dr; ++c) qp_t[(g * dr + c) * kLanes + lane] = q_pe[h * dr + c];
    }
  }
  const int threads = pool != nullptr ? pool->size() : 1;
  auto run = [&](absl::FunctionRef<void(int)> part) {
    if (pool != nullptr) {
      pool->Run(part);
    } else {
      part(0);
    }
  };
  if (compiled != nullptr && !use_bf16) {
    dsc_mla_attention_args args{};
    args.ql = ql_t;
    args.qp = qp_t;
    args.kv = kv;
    args.pe = pe;
    args.keys = keys;
    args.mask = mask;
    args.z = z;
    args.o = o_latent;
    args.heads = heads;
    args.n = n;
    args.dr = dr;
    args.scale = scale;
    const int64_t parts[3] = {n, groups, rank};  // keys, head groups, columns
    for (int32_t phase = 0; phase < 3; ++phase) {
      run([&](int thread) {
        thread_local std::vector<float> scratch;  // only grows
        dsc_mla_attention_args mine = args;
        mine.phase = phase;
        std::tie(mine.begin, mine.end) = SplitRows(parts[phase], threads, thread, phase == 2 ? kLanes : 1);
        if (phase == 2) {
          scratch.resize(static_cast<size_t>(dsc_mla_attention_scratch_bytes(heads)) / sizeof(float));
          mine.scratch = scratch.data();
        }
        if (mine.begin < mine.end) compiled(&mine);
      });
    }
    return;
  }
  run([&](int thread) {  // scores, keys split over the threads
    const auto [begin, end] = SplitRows(n, threads, thread, 1);
    if (use_bf16) {
      bf16_attention::ScoreKeys(ql_b, qp_b, kv, pe, rank, dr, groups, keys, begin, end, scale, mask, z);
    } else {
      ScoreKeys(ql_t, qp_t, kv, pe, rank, dr, groups, keys, begin, end, scale, mask, z);
    }
  });
  // Softmax per head in place, in z's layout (a key's heads side by side), each head's lane
  // through the keys in order as the reference goes through its row: max, exponentials, sum,
  // division. Threads take whole 16-head groups (a cache line per key each), so a group's
  // lines stay in one core's L2 through the four passes. Reading each head's row out of z
  // (a 512-byte stride at 128 heads) took 2 ms at 4096 keys, one exp call per key 0.13 ms a group.
  run([&](int thread) {
    const auto [g0, g1] = SplitRows(groups, threads, thread, 1);
    for (int64_t g = g0; g < g1; ++g) {
      float* const zg = z + g * kLanes;
      HeadVector zmax = HeadVector{} + kNegInf, sum = {};
      constexpr int64_t kAhead = 16;  // z's rows were just written by both threads: fetch ahead
      for (int64_t i = 0; i < n; ++i) {
        if (i + kAhead < n) __builtin_prefetch(zg + (i + kAhead) * padded);
        const HeadVector v = *reinterpret_cast<const HeadVector*>(zg + i * padded);
        zmax = zmax < v ? v : zmax;  // std::max(zmax, v), lane by lane
      }
      *reinterpret_cast<HeadVector*>(column + g * kLanes) = zmax;
      numerics::ExpShiftedColumnsInPlace(zg, n, kLanes, column + g * kLanes, padded);
      for (int64_t i = 0; i < n; ++i) sum = sum + *reinterpret_cast<const HeadVector*>(zg + i * padded);
      for (int64_t i = 0; i < n; ++i) {
        HeadVector* pi = reinterpret_cast<HeadVector*>(zg + i * padded);
        *pi = *pi / sum;
      }
    }
  });
  run([&](int thread) {  // ō, its columns split over the threads (each sum stays in key order)
    const auto [c0, c1] = SplitRows(rank, threads, thread, kLanes);
    if (use_bf16) {
      bf16_attention::AccumulateValues(z, padded, kv, keys, n, heads, rank, c0, c1, o_latent, rank);
    } else {
      AccumulateValues(z, padded, kv, keys, n, heads, rank, c0, c1, o_latent, rank);
    }
  });
}

}  // namespace dsc::runtime
