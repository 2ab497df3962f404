// indexer_score (prefill) for fast engines: bit-identical to the reference (eval_model.cc),
// blocked, vectorized and split over the engine's threads.
//
// The reference scores one query row at a time against every key: per key and head a dot
// product over d, all of q's heads (h·d floats) against each key. Here a task is a block of up to
// 16 query rows; per head, each key's dot products for the 16 rows run at once, one vector lane
// per row (so each sum still runs over c in increasing order), and the head's term is added to
// the row's score for that key — heads in increasing order, as in the reference (a decode row
// puts its heads in the lanes instead, RowScores):
//     score[i][j] = (Σ_h max(q[i,h]·k[j], 0) · w[i,h] · scale) · k_scale[j]
// An engine with compiled kernels (FastLinear::IndexerRowScores, IndexerBlock; codegen/
// emit_indexer_scores.cc) runs both through them instead: the same arithmetic.
// This file is compiled with -ffp-contract=off: a fused multiply-add would round differently
// from the reference's product-then-sum.
#include <algorithm>
#include <atomic>
#include <limits>
#include <vector>

#include "runtime/cpu_kernels.h"
#include "runtime/interp/eval_ops.h"

namespace dsc::runtime {
namespace {

constexpr int kRows = 16;  // query rows per task: one float lane each in a 512-bit vector
typedef float RowVector __attribute__((vector_size(kRows * sizeof(float)), aligned(4)));

// acc[j][r] += max(Σ_c qt[c][r] · k[j·d + c], 0) · w[r] · scale for keys j < keys.
__attribute__((target_clones("avx512f", "avx2", "default"))) void AddHeadScores(const float* qt, const float* k,
                                                                                int64_t d, int64_t keys,
                                                                                const float* w, float scale,
                                                                                float* acc) {
  const RowVector wv = *reinterpret_cast<const RowVector*>(w);
  const RowVector zero = {};
  constexpr int kKeys = 4;  // four keys' dependent chains overlap (each still sums in order)
  for (int64_t j0 = 0; j0 < keys; j0 += kKeys) {
    const int n = static_cast<int>(std::min<int64_t>(kKeys, keys - j0));
    const float* kj[kKeys];
    for (int l = 0; l < kKeys; ++l) kj[l] = k + (j0 + std::min(l, n - 1)) * d;  // short: repeat
    RowVector dot[kKeys] = {};
    for (int64_t c = 0; c < d; ++c) {
      const RowVector q = *reinterpret_cast<const RowVector*>(qt + c * kRows);
      for (int l = 0; l < kKeys; ++l) dot[l] = dot[l] + q * kj[l][c];
    }
    for (int l = 0; l < n; ++l) {
      const RowVector relu = dot[l] < zero ? zero : dot[l];  // std::max(dot, 0.0f): -0 and NaN stay
      RowVector& a = *reinterpret_cast<RowVector*>(acc + (j0 + l) * kRows);
      a = a + relu * wv * scale;
    }
  }
}

// Decode (one query row): the row's heads go in the lanes instead, `groups` vectors of 16 heads
// (qt[g][c][lane], zero-padded). Per key, each head's dot product runs over c in increasing
// order in its lane; the heads' terms are then added in increasing head order, as the
// reference does. Four keys at a time: one key's dot is a chain of dependent adds (128 of
// them at d = 128, 3 cycles each), four chains overlap and share q's loads. Writes out[j] for
// keys j in [begin, end).
__attribute__((target_clones("avx512f", "avx2", "default"))) void RowScores(const float* qt, const float* k, int64_t d,
                                                                            int64_t groups, int64_t heads,
                                                                            const float* w, float scale,
                                                                            const float* k_scale, int64_t begin,
                                                                            int64_t end, float* out) {
  constexpr int kKeys = 4;
  const RowVector zero = {};
  float terms[kRows];
  for (int64_t j0 = begin; j0 < end; j0 += kKeys) {
    const int n = static_cast<int>(std::min<int64_t>(kKeys, end - j0));
    const float* kj[kKeys];
    for (int l = 0; l < kKeys; ++l) kj[l] = k + (j0 + std::min(l, n - 1)) * d;  // short: repeat the last
    float acc[kKeys] = {};
    for (int64_t g = 0; g < groups; ++g) {
      const float* qg = qt + g * d * kRows;
      RowVector dot[kKeys] = {};
      for (int64_t c = 0; c < d; ++c) {
        const RowVector q = *reinterpret_cast<const RowVector*>(qg + c * kRows);
        for (int l = 0; l < kKeys; ++l) dot[l] = dot[l] + q * kj[l][c];
      }
      const int64_t lanes = std::min<int64_t>(kRows, heads - g * kRows);
      for (int l = 0; l < n; ++l) {
        const RowVector relu = dot[l] < zero ? zero : dot[l];
        *reinterpret_cast<RowVector*>(terms) = relu * *reinterpret_cast<const RowVector*>(w + g * kRows) * scale;
        for (int64_t lane = 0; lane < lanes; ++lane) acc[l] += terms[lane];
      }
    }
    for (int l = 0; l < n; ++l) out[j0 + l] = k_scale != nullptr ? acc[l] * k_scale[j0 + l] : acc[l];
  }
}

// One query row against `keys` keys, the keys split over the pool's threads; through the
// engine's compiled kernel when it has one (the same arithmetic, codegen/emit_indexer_scores.cc).
void ScoreOneRow(FastLinear& fast, ThreadPool& pool, const float* q, const float* w, const float* k,
                 const float* k_scale, int64_t h, int64_t d, int64_t keys, float scale, float* out) {
  const int64_t groups = (h + kRows - 1) / kRows;
  // Scratch that only grows; the pool's threads reach it through the local pointers.
  thread_local std::vector<float> scratch;
  const size_t qt_size = static_cast<size_t>(groups * d * kRows), wv_size = static_cast<size_t>(groups * kRows);
  if (scratch.size() < qt_size + wv_size) scratch.resize(qt_size + wv_size);
  float* const qt = scratch.data();
  float* const wv = qt + qt_size;
  std::fill(qt, qt + qt_size + wv_size, 0.0f);  // padding lanes of the last group stay zero
  for (int64_t hh = 0; hh < h; ++hh) {
    const int64_t g = hh / kRows, lane = hh % kRows;
    wv[g * kRows + lane] = w[hh];
    for (int64_t c = 0; c < d; ++c) qt[(g * d + c) * kRows + lane] = q[hh * d + c];
  }
  const bool compiled = fast.IndexerRowScores(qt, wv, k, k_scale, h, d, scale, 0, 0, out);
  auto scores = [&](int64_t begin, int64_t end) {
    if (!compiled || !fast.IndexerRowScores(qt, wv, k, k_scale, h, d, scale, begin, end, out)) {
      RowScores(qt, k, d, groups, h, wv, scale, k_scale, begin, end, out);
    }
  };
  if (keys * h * d < (int64_t{1} << 20)) {  // less work than waking the threads
    scores(0, keys);
    return;
  }
  pool.Run([&](int thread) {
    const auto [begin, end] = SplitRows(keys, pool.size(), thread, 1);
    scores(begin, end);
  });
}

}  // namespace

EvalResult FastIndexerScore(const EvalArgs& a) {
  FastLinear* fast = a.fast;
  if (fast == nullptr || fast->pool() == nullptr) return absl::UnimplementedError("no fast indexer path");
  const Tensor& q = *a.in[0];
  const Tensor& w = *a.in[1];
  const Tensor& k = *a.in[2];
  const Tensor* ks = a.in.size() == 4 ? a.in[3] : nullptr;
  const int64_t s = q.shape[0], h = q.shape[1], d = q.shape[2], t = k.shape[0];
  const float scale = static_cast<float>(ir::GetFloat(a.op.attrs(), "scale"));
  const bool causal = ir::GetBool(a.op.attrs(), "causal");
  absl::StatusOr<int64_t> start = ir::GetDim(a.op.attrs(), "start").Evaluate(a.symbols);
  if (!start.ok()) return start.status();
  Tensor y = a.NewFloat(0);  // [s, t]
  ThreadPool& pool = *fast->pool();
  if (s == 1) {
    const int64_t keys = causal ? std::clamp<int64_t>(*start + 1, 0, t) : t;
    ScoreOneRow(*fast, pool, q.f.data(), w.f.data(), k.f.data(), ks != nullptr ? ks->f.data() : nullptr, h, d,
                keys, scale, y.f.data());
    std::fill(y.f.begin() + keys, y.f.end(), -std::numeric_limits<float>::infinity());
    return Results(std::move(y));
  }
  const int64_t blocks = (s + kRows - 1) / kRows;
  // Found (or compiled) here, before the pool's threads call it.
  const dsc_indexer_block_fn compiled = fast->IndexerBlock(d);
  std::atomic<int64_t> next{0};
  pool.Run([&](int) {
    std::vector<float> qt(d * kRows), wv(kRows), acc;
    for (int64_t task = next++; task < blocks; task = next++) {
      const int64_t block = blocks - 1 - task;  // latest first: they see the most keys
      const int64_t i0 = block * kRows;
      const int rows = static_cast<int>(std::min<int64_t>(kRows, s - i0));
      auto visible = [&](int64_t i) { return causal ? std::clamp<int64_t>(*start + i + 1, 0, t) : t; };
      const int64_t keys = visible(i0 + rows - 1);
      acc.assign(std::max<int64_t>(keys, 1) * kRows, 0.0f);
      for (int64_t hh = 0; hh < h; ++hh) {
        for (int r = 0; r < kRows; ++r) {
          const bool row = r < rows;
          wv[r] = row ? w.f[(i0 + r) * h + hh] : 0.0f;
          for (int64_t c = 0; c < d; ++c) qt[c * kRows + r] = row ? q.f[((i0 + r) * h + hh) * d + c] : 0.0f;
        }
        if (compiled != nullptr) {
          const dsc_indexer_block_args args = {qt.data(), k.f.data(), wv.data(), acc.data(), keys, scale, 0};
          compiled(&args);
        } else {
          AddHeadScores(qt.data(), k.f.data(), d, keys, wv.data(), scale, acc.data());
        }
      }
      for (int r = 0; r < rows; ++r) {
        float* out = y.f.data() + (i0 + r) * t;
        const int64_t n = visible(i0 + r);
        for (int64_t j = 0; j < n; ++j) out[j] = ks != nullptr ? acc[j * kRows + r] * ks->f[j] : acc[j * kRows + r];
        std::fill(out + n, out + t, -std::numeric_limits<float>::infinity());
      }
    }
  });
  return Results(std::move(y));
}

}  // namespace dsc::runtime
