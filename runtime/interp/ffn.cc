// SwiGLU units, one by one or split over the engine's threads (ffn.h).
#include "runtime/interp/ffn.h"

#include <algorithm>

#include "runtime/cpu_kernels.h"
#include "runtime/interp/eval_ops.h"
#include "runtime/interp/kernels_elementwise.h"

namespace dsc::runtime {
namespace {

// Kernel rows are split at multiples of this (the JIT kernels' row_align).
constexpr int64_t kRowAlign = 16;

}  // namespace

absl::StatusOr<std::vector<float>> RunFfn(const Ffn& f, const float* x, int64_t m, int64_t dim) {
  std::vector<float> gate(m * f.hidden), up(m * f.hidden), y(m * dim);
  for (auto [w, out] : {std::pair{f.w1, gate.data()}, {f.w3, up.data()}}) {
    if (absl::Status s = LinearWithMatrix(*w, f.index, x, m, out, f.fast); !s.ok()) return s;
  }
  ref::SwiGlu(gate.data(), up.data(), m * f.hidden, gate.data());
  if (absl::Status s = LinearWithMatrix(*f.w2, f.index, gate.data(), m, y.data(), f.fast); !s.ok()) return s;
  return y;
}

bool RunFfnsOnPool(const std::vector<FfnJob>& jobs, int64_t dim) {
  if (jobs.empty()) return true;
  FastLinear* fast = jobs[0].ffn.fast;
  ThreadPool* pool = fast != nullptr ? fast->pool() : nullptr;
  if (pool == nullptr) return false;
  // Every product must have a row kernel; probing with an empty range also compiles it here,
  // on the calling thread, before the threads use it.
  for (const FfnJob& j : jobs) {
    const Ffn& f = j.ffn;
    if (j.ffn.fast != fast || !f.w1->quantized || !f.w2->quantized || !f.w3->quantized) return false;
    for (auto [w, n, k] : {std::tuple{f.w1, f.hidden, dim}, {f.w3, f.hidden, dim}, {f.w2, dim, f.hidden}}) {
      if (!fast->RunRows(&w->quant, f.index, ir::DType::kF32, nullptr, n, k, j.x, j.m, nullptr, 0, 0, 0)) {
        return false;
      }
    }
  }
  std::vector<std::vector<float>> gate(jobs.size()), up(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    gate[i].resize(jobs[i].m * jobs[i].ffn.hidden);
    up[i].resize(jobs[i].m * jobs[i].ffn.hidden);
  }
  const int threads = pool->size();
  pool->Run([&](int t) {
    for (size_t i = 0; i < jobs.size(); ++i) {
      const FfnJob& j = jobs[i];
      const int64_t hidden = j.ffn.hidden;
      const auto [begin, end] = SplitRows(hidden, threads, t, kRowAlign);
      fast->RunRows(&j.ffn.w1->quant, j.ffn.index, ir::DType::kF32, nullptr, hidden, dim, j.x, j.m,
                    gate[i].data(), begin, end, t);
      fast->RunRows(&j.ffn.w3->quant, j.ffn.index, ir::DType::kF32, nullptr, hidden, dim, j.x, j.m,
                    up[i].data(), begin, end, t);
      for (int64_t r = 0; r < j.m; ++r) {
        float* g = gate[i].data() + r * hidden;
        ref::SwiGlu(g + begin, up[i].data() + r * hidden + begin, end - begin, g + begin);
      }
    }
  });
  pool->Run([&](int t) {
    const auto [begin, end] = SplitRows(dim, threads, t, kRowAlign);
    for (size_t i = 0; i < jobs.size(); ++i) {
      const FfnJob& j = jobs[i];
      fast->RunRows(&j.ffn.w2->quant, j.ffn.index, ir::DType::kF32, nullptr, dim, j.ffn.hidden, gate[i].data(),
                    j.m, j.y, begin, end, t);
    }
  });
  return true;
}

}  // namespace dsc::runtime
