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
  SwiGluWith(f.fast != nullptr ? f.fast->SwiGlu() : nullptr, gate.data(), up.data(), m * f.hidden, gate.data());
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
  // Every job's gate and up rows in one scratch that only grows (a decode loop allocates
  // nothing after its first steps): job i's at offset[i], up after all the gates.
  // (The pool's threads see these through the local pointers: a thread_local named inside
  // the lambdas would be each worker's own.)
  thread_local std::vector<float> scratch;
  thread_local std::vector<size_t> offsets;
  offsets.assign(jobs.size() + 1, 0);
  for (size_t i = 0; i < jobs.size(); ++i) offsets[i + 1] = offsets[i] + jobs[i].m * jobs[i].ffn.hidden;
  const size_t total = offsets.back();
  if (scratch.size() < 2 * total) scratch.resize(2 * total);
  float* const gate_all = scratch.data();
  float* const up_all = scratch.data() + total;
  const size_t* const offset = offsets.data();
  auto gate = [=](size_t i) { return gate_all + offset[i]; };
  auto up = [=](size_t i) { return up_all + offset[i]; };
  const int threads = pool->size();
  const dsc_swiglu_fn swiglu = fast->SwiGlu();  // found (or compiled) before the threads call it
  pool->Run([&](int t) {
    for (size_t i = 0; i < jobs.size(); ++i) {
      const FfnJob& j = jobs[i];
      const int64_t hidden = j.ffn.hidden;
      const auto [begin, end] = SplitRows(hidden, threads, t, kRowAlign);
      fast->RunRows(&j.ffn.w1->quant, j.ffn.index, ir::DType::kF32, nullptr, hidden, dim, j.x, j.m,
                    gate(i), begin, end, t);
      fast->RunRows(&j.ffn.w3->quant, j.ffn.index, ir::DType::kF32, nullptr, hidden, dim, j.x, j.m,
                    up(i), begin, end, t);
      for (int64_t r = 0; r < j.m; ++r) {
        float* g = gate(i) + r * hidden;
        SwiGluWith(swiglu, g + begin, up(i) + r * hidden + begin, end - begin, g + begin);
      }
    }
  });
  pool->Run([&](int t) {
    const auto [begin, end] = SplitRows(dim, threads, t, kRowAlign);
    for (size_t i = 0; i < jobs.size(); ++i) {
      const FfnJob& j = jobs[i];
      fast->RunRows(&j.ffn.w2->quant, j.ffn.index, ir::DType::kF32, nullptr, dim, j.ffn.hidden, gate(i),
                    j.m, j.y, begin, end, t);
    }
  });
  return true;
}

}  // namespace dsc::runtime
