// The indexer's top-k mask (sparse_topk_mask): the JIT kernel (codegen/emit_topk_mask.cc, a
// radix select) against the reference (ref::TopkMask, nth_element over an index array), one
// thread, on the same random scores; both choose the same set (tests/unit/codegen/
// topk_mask_kernel_test.cc). Arguments: rows, keys n; k = 2048 (DeepSeek V3.2's index_topk).
// Decode is one row per layer per token; a prefill chunk past 2048 keys is one row per token.
//
//   build/release/bench/indexer_topk_bench --benchmark_min_time=1
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "codegen/target.h"
#include "runtime/interp/kernels_indexer.h"

namespace dsc::bench {
namespace {

constexpr int64_t kTopk = 2048;

dsc_topk_mask_fn CompiledTopkMask() {
  static dsc_topk_mask_fn fn = [] {
    {
      codegen::LinearKernelSpec spec;
      spec.kind = codegen::LinearKernelKind::kTopkMask;
      spec.n = spec.k = 1;
      auto ir = codegen::LinearKernelIr(spec, codegen::DetectHostCpu());
      FILE* f = std::fopen("/tmp/topk.ll", "w");
      std::fputs(ir->c_str(), f);
      std::fclose(f);
    }
    auto jit = codegen::Jit::Create(codegen::JitOptions{});
    if (!jit.ok()) {
      std::fprintf(stderr, "%s\n", std::string(jit.status().message()).c_str());
      std::exit(2);
    }
    codegen::LinearKernelSpec spec;
    spec.kind = codegen::LinearKernelKind::kTopkMask;
    spec.n = spec.k = 1;
    auto kernel = codegen::CompileLinearKernel(**jit, spec);
    if (!kernel.ok()) {
      std::fprintf(stderr, "%s\n", std::string(kernel.status().message()).c_str());
      std::exit(2);
    }
    jit->release();  // the kernel's code lives as long as the process
    return reinterpret_cast<dsc_topk_mask_fn>(kernel->fn);
  }();
  return fn;
}

// Index scores as the indexer makes them: sums of ReLU'd dot products, mostly small and positive.
std::vector<float> Scores(int64_t rows, int64_t n) {
  std::mt19937 rng(17);
  std::gamma_distribution<float> dist(2.0f, 1.5f);
  std::vector<float> v(rows * n);
  for (float& x : v) x = dist(rng);
  return v;
}

void TimeTopkMask(benchmark::State& state, bool compiled) {
  const int64_t rows = state.range(0), n = state.range(1);
  const std::vector<float> scores = Scores(rows, n);
  std::vector<float> y(rows * n);
  const dsc_topk_mask_fn fn = compiled ? CompiledTopkMask() : nullptr;
  for (auto _ : state) {
    if (compiled) {
      const dsc_topk_mask_args args = {scores.data(), y.data(), rows, n, kTopk};
      fn(&args);
    } else {
      runtime::ref::TopkMask(scores.data(), rows, n, kTopk, y.data());
    }
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["rows_per_s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
}

void Args(benchmark::internal::Benchmark* b) {
  for (int64_t n : {4096, 8192, 16384, 65536}) b->Args({1, n});
  b->Args({64, 8192});
}

void BM_TopkMaskReference(benchmark::State& state) { TimeTopkMask(state, false); }
BENCHMARK(BM_TopkMaskReference)->Apply(Args)->UseRealTime();
void BM_TopkMaskJit(benchmark::State& state) { TimeTopkMask(state, true); }
BENCHMARK(BM_TopkMaskJit)->Apply(Args)->UseRealTime();

}  // namespace
}  // namespace dsc::bench

BENCHMARK_MAIN();
