// attention (prefill) for fast engines: bit-identical to the reference (eval_model.cc), but
// blocked, vectorized and split over the engine's threads.
//
// The reference visits one (query row, head) at a time: a sequential dot product per key, then
// softmax and o += p·v over the keys in order — a dependent add per element, every key and
// value row read again for every query (a 1024-token prefill of the small preset spent 20 s
// here). Here a task is one head and a block of up to 16 query rows:
//   - scores: for each key, the 16 rows' dot products at once, one vector lane per row, so each
//     lane still sums q[c]·k[c] over c in increasing order exactly as the reference does;
//   - softmax per row over the keys in the reference's order;
//   - o: keys in increasing order, p·v added to every row's sum (lanes are output columns,
//     independent sums); with finite values, 16 columns × 16 rows of sums in registers while
//     the head's values, re-laid out as 16-column tiles, stream by (BlockAccumulate).
// An engine with a compiled kernel for (d, dv) (FastLinear::AttentionBlock,
// codegen/emit_attention_block.cc) runs each task's dots, softmax and values through it instead:
// the same arithmetic. This file is compiled with -ffp-contract=off: a fused multiply-add would
// round differently from the reference's product-then-sum.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "numerics/exp.h"
#include "runtime/cpu_kernels.h"
#include "runtime/interp/eval_ops.h"

namespace dsc::runtime {
namespace {

constexpr int kRows = 16;  // query rows per task: one float lane each in a 512-bit vector
constexpr float kNegInf = -std::numeric_limits<float>::infinity();
typedef float RowVector __attribute__((vector_size(kRows * sizeof(float)), aligned(4)));

// dots[j][r] = Σ_c qt[c][r] · k[j·k_stride + c] for keys j < keys: per lane, 0 + products added
// in increasing c (the reference's loop). Four keys at a time: one key's sum is a chain of
// dependent adds, four overlap and share the q loads. Cloned per ISA, picked at load time.
__attribute__((target_clones("avx512f", "avx2", "default"))) void BlockDots(const float* qt, const float* k,
                                                                            int64_t k_stride, int64_t d, int64_t keys,
                                                                            float* dots) {
  constexpr int kKeys = 4;
  for (int64_t j0 = 0; j0 < keys; j0 += kKeys) {
    const int n = static_cast<int>(std::min<int64_t>(kKeys, keys - j0));
    const float* kj[kKeys];
    for (int l = 0; l < kKeys; ++l) kj[l] = k + (j0 + std::min(l, n - 1)) * k_stride;  // short: repeat
    RowVector acc[kKeys] = {};
    for (int64_t c = 0; c < d; ++c) {
      const RowVector q = *reinterpret_cast<const RowVector*>(qt + c * kRows);
      for (int l = 0; l < kKeys; ++l) acc[l] = acc[l] + q * kj[l][c];
    }
    for (int l = 0; l < n; ++l) *reinterpret_cast<RowVector*>(dots + (j0 + l) * kRows) = acc[l];
  }
}

// o[r][c] += p[j][r] · v[j·v_stride + c] for keys j in increasing order, skipping p == 0 as the
// reference does. `tiles` (may be null): the head's values as 16-column tiles, tiles[tile ·
// tile_stride + j·16 + c] = v[j·v_stride + 16·tile + c], given only when every value is finite.
// Then adding a p == 0 term changes nothing (p·v is ±0 and o, which starts at +0, is never -0:
// a sum is -0 only if both terms are), so a tile of all 16 rows' sums stays in registers while
// the keys stream by with no test per term. Otherwise, and for the columns past the last full
// tile, the reference's loop.
__attribute__((target_clones("avx512f", "avx2", "default"))) void BlockAccumulate(const float* p, const float* v,
                                                                                  int64_t v_stride, int64_t dv,
                                                                                  int64_t keys, int rows,
                                                                                  const float* tiles,
                                                                                  int64_t tile_stride, float* o) {
  constexpr int kCols = kRows;  // RowVector lanes as output columns
  int64_t c0 = 0;
  if (tiles != nullptr) {
    for (; c0 + kCols <= dv; c0 += kCols) {
      const float* tile = tiles + (c0 / kCols) * tile_stride;
      RowVector acc[kRows];
      for (int r = 0; r < kRows; ++r) acc[r] = *reinterpret_cast<const RowVector*>(o + r * dv + c0);
      for (int64_t j = 0; j < keys; ++j) {
        const RowVector vj = *reinterpret_cast<const RowVector*>(tile + j * kCols);
        const float* pj = p + j * kRows;
        for (int r = 0; r < kRows; ++r) acc[r] = acc[r] + pj[r] * vj;
      }
      for (int r = 0; r < rows; ++r) *reinterpret_cast<RowVector*>(o + r * dv + c0) = acc[r];
    }
  }
  if (c0 == dv) return;
  for (int64_t j = 0; j < keys; ++j) {
    const float* vj = v + j * v_stride;
    for (int r = 0; r < rows; ++r) {
      const float pr = p[j * kRows + r];
      if (pr == 0.0f) continue;
      float* orow = o + r * dv;
      for (int64_t c = c0; c < dv; ++c) orow[c] = orow[c] + pr * vj[c];
    }
  }
}

// Head hh's values v[:, hh, :] as BlockAccumulate's 16-column tiles (full tiles only), into
// `out` (dv / 16 · t · 16 floats); false, writing nothing useful, if any value is not finite.
bool TileValues(const Tensor& v, int64_t hh, float* out) {
  const int64_t t = v.shape[0], h = v.shape[1], dv = v.shape[2], tiles = dv / kRows;
  bool finite = true;
  for (int64_t j = 0; j < t; ++j) {
    const float* row = v.f.data() + (j * h + hh) * dv;
    for (int64_t c = 0; c < dv; ++c) finite &= std::isfinite(row[c]);
    for (int64_t tile = 0; tile < tiles; ++tile) {
      std::copy_n(row + tile * kRows, kRows, out + (tile * t + j) * kRows);
    }
  }
  return finite;
}

}  // namespace

EvalResult FastAttention(const EvalArgs& a) {
  FastLinear* fast = a.fast;
  if (fast == nullptr || fast->pool() == nullptr) return absl::UnimplementedError("no fast attention path");
  const Tensor& q = *a.in[0];
  const Tensor& k = *a.in[1];
  const Tensor& v = *a.in[2];
  const Tensor* mask = a.in.size() == 4 ? a.in[3] : nullptr;
  const int64_t s = q.shape[0], h = q.shape[1], d = q.shape[2], t = k.shape[0], dv = v.shape[2];
  const float scale = static_cast<float>(ir::GetFloat(a.op.attrs(), "scale"));
  const bool causal = ir::GetBool(a.op.attrs(), "causal");
  absl::StatusOr<int64_t> start = ir::GetDim(a.op.attrs(), "start").Evaluate(a.symbols);
  if (!start.ok()) return start.status();
  Tensor o = a.NewFloat(0);  // [s, h, dv]
  const int64_t blocks = (s + kRows - 1) / kRows, tasks = blocks * h;
  ThreadPool& pool = *fast->pool();
  // Values as 16-column tiles per head, contiguous per tile: a key's row in `v` is h·dv floats
  // from the next, a new page per key, and sweeping them cost a TLB miss per key (4000-token
  // prompt on small: attention 11.7 -> 9.1 s).
  const int64_t tile_stride = t * kRows, head_floats = (dv / kRows) * tile_stride;
  std::unique_ptr<float[]> tiles(new float[h * head_floats]);  // every float written below
  std::vector<char> tiled(h, 0);
  pool.Run([&](int thread) {
    for (int64_t hh = thread; hh < h; hh += pool.size()) tiled[hh] = TileValues(v, hh, tiles.get() + hh * head_floats);
  });
  // Found (or compiled) here, before the pool's threads call it.
  const dsc_attention_block_fn compiled = fast->AttentionBlock(d, dv);
  std::atomic<int64_t> next{0};
  pool.Run([&](int) {
    std::vector<float> qt(d * kRows), dots, acc(kRows * dv);
    for (int64_t task = next++; task < tasks; task = next++) {
      // Latest blocks first: under a causal mask they see the most keys.
      const int64_t block = blocks - 1 - task / h, hh = task % h;
      const int64_t i0 = block * kRows;
      const int rows = static_cast<int>(std::min<int64_t>(kRows, s - i0));
      // Keys any row of the block can see; the rest are -inf for all of them.
      const int64_t keys = causal ? std::clamp<int64_t>(*start + i0 + rows, 0, t) : t;
      for (int64_t c = 0; c < d; ++c) {
        for (int r = 0; r < kRows; ++r) qt[c * kRows + r] = r < rows ? q.f[((i0 + r) * h + hh) * d + c] : 0.0f;
      }
      dots.resize(std::max<int64_t>(keys, 1) * kRows);
      if (compiled != nullptr) {
        dsc_attention_block_args args{};
        args.qt = qt.data();
        args.k = k.f.data() + hh * d;
        args.v = v.f.data() + hh * dv;
        args.tiles = tiled[hh] != 0 ? tiles.get() + hh * head_floats : nullptr;
        args.mask = mask != nullptr ? mask->f.data() + i0 * t : nullptr;
        args.dots = dots.data();
        args.o = acc.data();
        args.k_stride = h * d;
        args.v_stride = h * dv;
        args.tile_stride = tile_stride;
        args.mask_ld = t;
        args.keys = keys;
        args.rows = rows;
        args.causal_first = causal ? *start + i0 : -1;
        args.scale = scale;
        compiled(&args);
        for (int r = 0; r < rows; ++r) {
          std::copy_n(acc.data() + r * dv, dv, o.f.data() + ((i0 + r) * h + hh) * dv);
        }
        continue;
      }
      BlockDots(qt.data(), k.f.data() + hh * d, h * d, d, keys, dots.data());
      // The reference's softmax per row over all t keys, all 16 rows at once with a row per
      // vector lane (dots is [key][row]): per lane the same operations in the same order, so the
      // same bits. Keys >= `keys` are -inf for every row (exp 0, adding +0 changes no sum).
      // Lanes past `rows` compute numbers nobody reads.
      RowVector* z = reinterpret_cast<RowVector*>(dots.data());
      for (int64_t j = 0; j < keys; ++j) z[j] = z[j] * scale;
      if (mask != nullptr) {
        for (int r = 0; r < rows; ++r) {
          const float* mask_row = mask->f.data() + (i0 + r) * t;
          for (int64_t j = 0; j < keys; ++j) dots[j * kRows + r] += mask_row[j];
        }
      } else {
        for (int64_t j = 0; j < keys; ++j) z[j] = z[j] + 0.0f;  // the reference's scale·z + 0 (−0 → +0)
      }
      if (causal) {
        for (int64_t j = std::max<int64_t>(0, *start + i0 + 1); j < keys; ++j) {
          for (int r = 0; r < kRows; ++r) {
            if (j > *start + i0 + r) dots[j * kRows + r] = kNegInf;
          }
        }
      }
      RowVector zmax = RowVector{} + kNegInf, sum = {};
      for (int64_t j = 0; j < keys; ++j) zmax = zmax < z[j] ? z[j] : zmax;  // std::max(zmax, z)
      float shift[kRows];
      std::memcpy(shift, &zmax, sizeof(shift));
      numerics::ExpShiftedColumnsInPlace(dots.data(), keys, kRows, shift);
      for (int64_t j = 0; j < keys; ++j) sum = sum + z[j];  // each lane in key order
      for (int64_t j = 0; j < keys; ++j) z[j] = z[j] / sum;
      std::fill(acc.begin(), acc.end(), 0.0f);
      BlockAccumulate(dots.data(), v.f.data() + hh * dv, h * dv, dv, keys, rows,
                      tiled[hh] != 0 ? tiles.get() + hh * head_floats : nullptr, tile_stride, acc.data());
      for (int r = 0; r < rows; ++r) {
        std::copy_n(acc.data() + r * dv, dv, o.f.data() + ((i0 + r) * h + hh) * dv);
      }
    }
  });
  return Results(std::move(o));
}

}  // namespace dsc::runtime
