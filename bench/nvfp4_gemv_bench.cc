// NVFP4 linear kernels against the memory roofline and against oneDNN, in one run:
//   BM_ReadBandwidth     the machine's streaming read bandwidth (1 GiB, 1 and 2 threads)
//   BM_Nvfp4Gemv         generated decode GEMV at DeepSeek shapes; counters: weight GB/s and
//                        bw_frac = weight bytes/s ÷ read bandwidth at the same thread count
//   BM_Nvfp4GemvBf16Act  the same with activations rounded to BF16 (opt-in, AVX-512 BF16)
//   BM_Fp8Gemv           the FP8 block-128 GEMV, same counters
//   BM_Bf16Gemv          the BF16 GEMV (lm_head), same counters
//   BM_SeedDequantBf16   the seed's method: dequantize the weight to BF16 on every call, then a
//                        oneDNN BF16 matmul
//   BM_OnednnF32Gemv / BM_OnednnBf16Gemv   oneDNN on weights dequantized ahead of time
//   BM_Nvfp4Gemm / BM_OnednnF32Gemm        prefill (m = 128, 512), GFLOP/s
// Every GEMV streams from DRAM: each shape gets >= 1 GiB of distinct weight copies (more
// than twice the last-level cache) and consecutive calls use consecutive copies.
//
//   build-jit/bench/nvfp4_gemv_bench --benchmark_counters_tabular=true
#include <omp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "bench/membw.h"
#include "benchmark/benchmark.h"
#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "codegen/target.h"
#include "numerics/nvfp4.h"
#include "numerics/scalar_formats.h"
#include "oneapi/dnnl/dnnl.hpp"
#include "runtime/cpu_kernels.h"
#include "runtime/interp/latent_attention_fast.h"
#include "runtime/interp/nvfp4_transposed.h"
#include "runtime/thread_pool.h"

namespace dsc::bench {
namespace {

struct Shape {
  int64_t n, k;
};
// Expert w1/w3 and w2, MLA wq_a and wq_b (out × in); then the `small` preset's expert w1/w3
// and w2 (what its decode's MoE runs); then MLA's wo (the widest k: x' outgrows L1).
constexpr Shape kShapes[] = {{2048, 7168}, {7168, 2048}, {1536, 7168}, {24576, 1536},
                             {1024, 2048}, {2048, 1024}, {7168, 16384}};
constexpr size_t kWorkingSet = size_t{1} << 30;

uint64_t XorShift(uint64_t& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

// `copies` distinct NVFP4 weights of one shape, codes and scales of each copy adjacent.
class Nvfp4Copies {
 public:
  Nvfp4Copies(Shape shape, size_t min_total)
      : shape_(shape),
        codes_bytes_(shape.n * shape.k / 2),
        scale_bytes_(shape.n * shape.k / 16),
        stride_((codes_bytes_ + scale_bytes_ + 4095) / 4096 * 4096),
        copies_(std::max<size_t>(2, (min_total + stride_ - 1) / stride_)),
        buffer_(stride_ * copies_) {
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t c = 0; c < copies_; ++c) {
      uint8_t* p = buffer_.data() + c * stride_;
      for (size_t i = 0; i + 8 <= codes_bytes_; i += 8) {
        const uint64_t r = XorShift(s);
        std::memcpy(p + i, &r, 8);
      }
      for (size_t i = 0; i < scale_bytes_; ++i) {
        p[codes_bytes_ + i] = static_cast<uint8_t>(0x28 + XorShift(s) % 32);  // normal E4M3
      }
    }
  }
  size_t copies() const { return copies_; }
  const uint8_t* codes(size_t c) const { return buffer_.data() + c * stride_; }
  const uint8_t* scales(size_t c) const { return codes(c) + codes_bytes_; }
  // Bytes a kernel must read per call: codes + block scales.
  double weight_bytes() const { return static_cast<double>(codes_bytes_ + scale_bytes_); }
  Shape shape() const { return shape_; }

 private:
  Shape shape_;
  size_t codes_bytes_, scale_bytes_, stride_, copies_;
  HugeBuffer buffer_;
};

codegen::Jit& HostJit() {
  static codegen::Jit* jit = [] {
    codegen::JitOptions options;
    // DSC_BENCH_TARGET_CPU=x86-64-v3 (say) measures another ISA path's kernels on this host.
    if (const char* cpu = std::getenv("DSC_BENCH_TARGET_CPU"); cpu != nullptr) {
      auto target = codegen::MakeTargetCpu(cpu, "");
      if (!target.ok()) {
        std::fprintf(stderr, "DSC_BENCH_TARGET_CPU: %s\n", std::string(target.status().message()).c_str());
        std::exit(2);
      }
      options.target = *target;
    }
    auto j = codegen::Jit::Create(options);
    if (!j.ok()) {
      std::fprintf(stderr, "%s\n", std::string(j.status().message()).c_str());
      std::abort();
    }
    return j->release();
  }();
  return *jit;
}

const dsc_linear_kernel& Kernel(const codegen::LinearKernelSpec& spec) {
  static std::map<std::string, dsc_linear_kernel> kernels;
  auto it = kernels.find(spec.Name());
  if (it != kernels.end()) return it->second;
  if (const char* dir = std::getenv("DSC_BENCH_DUMP_IR"); dir != nullptr) {
    // The unoptimized IR of every kernel the run uses, for llc -mcpu=native.
    auto ir = codegen::LinearKernelIr(spec, HostJit().target());
    if (ir.ok()) {
      FILE* f = std::fopen((std::string(dir) + "/" + spec.Name() + ".ll").c_str(), "w");
      if (f != nullptr) {
        std::fputs(ir->c_str(), f);
        std::fclose(f);
      }
    }
  }
  auto kernel = codegen::CompileLinearKernel(HostJit(), spec);
  if (!kernel.ok()) {
    std::fprintf(stderr, "%s\n", std::string(kernel.status().message()).c_str());
    std::abort();
  }
  return kernels[spec.Name()] = *kernel;
}

std::vector<float> Activations(int64_t count) {
  std::vector<float> x(count);
  uint64_t s = 12345;
  for (float& v : x) v = static_cast<float>(XorShift(s) % 2001) / 1000.0f - 1.0f;
  return x;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// `bandwidth` is measured by the benchmark itself right before its timed loop, on its own
// pool: the machine is shared, and conditions drift between benchmarks.
// bw_frac: of the best measured read bandwidth; plain_frac: of the plain streaming sum.
void SetRoofline(benchmark::State& state, double bytes, double seconds,
                 const ReadBandwidth& bandwidth) {
  state.counters["GB/s"] = bytes / seconds / 1e9;
  state.counters["mem_GB/s"] = bandwidth.best() / 1e9;
  state.counters["bw_frac"] = bytes / seconds / bandwidth.best();
  state.counters["plain_frac"] = bytes / seconds / bandwidth.plain;
}

// ---------------------------------------------------------------------------------------------

void BM_ReadBandwidth(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    state.ResumeTiming();
  }
  const ReadBandwidth bw = CachedReadBandwidth(threads);
  state.counters["plain_GB/s"] = bw.plain / 1e9;
  state.counters["prefetched_GB/s"] = bw.prefetched / 1e9;
}
BENCHMARK(BM_ReadBandwidth)->Arg(1)->Arg(2)->Iterations(1);

// The NVFP4 GEMV of `shape` with m activation rows; rows_per_iteration 0 and prefetch -1 are
// the emitter's defaults.
codegen::LinearKernelSpec GemvSpec(Shape shape, int64_t m, int64_t rows_per_iteration, int64_t prefetch,
                                   int64_t x_block_bytes = 0) {
  codegen::LinearKernelSpec spec;
  spec.kind = codegen::LinearKernelKind::kNvfp4Gemv;
  spec.m = m;
  spec.n = shape.n;
  spec.k = shape.k;
  spec.rows_per_iteration = static_cast<int>(rows_per_iteration);
  spec.prefetch_distance = static_cast<int>(prefetch);
  spec.x_block_bytes = static_cast<int>(x_block_bytes);
  return spec;
}

// args: shape index, threads, m, rows_per_iteration (0 = default), prefetch (-1 = default)
void TimeNvfp4Gemv(benchmark::State& state, bool bf16_activations) {
  const Shape shape = kShapes[state.range(0)];
  const int threads = static_cast<int>(state.range(1));
  codegen::LinearKernelSpec spec = GemvSpec(shape, state.range(2), state.range(3), state.range(4));
  spec.bf16_activations = bf16_activations;
  if (bf16_activations && !HostJit().target().Has("avx512bf16")) {
    state.SkipWithError("BF16 activations need AVX-512 BF16");
    return;
  }
  const dsc_linear_kernel& kernel = Kernel(spec);
  Nvfp4Copies weights(shape, kWorkingSet);
  std::vector<float> x = Activations(spec.m * shape.k), y(spec.m * shape.n);
  runtime::ThreadPool pool(threads);
  const ReadBandwidth bandwidth = MeasureReadBandwidth(pool, kWorkingSet, 5);
  runtime::KernelScratch scratch(threads);
  dsc_linear_args args{};
  args.x = x.data();
  args.y = y.data();
  args.w_global_scale = 0.01f;
  args.m = spec.m;
  args.ldx = shape.k;
  args.ldy = shape.n;
  size_t copy = 0, calls = 0;
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    args.w = weights.codes(copy);
    args.w_scale = weights.scales(copy);
    runtime::RunLinear(pool, scratch, kernel, args);
    copy = copy + 1 == weights.copies() ? 0 : copy + 1;
    ++calls;
  }
  SetRoofline(state, weights.weight_bytes() * calls, Seconds(start), bandwidth);
  benchmark::DoNotOptimize(y.data());
}

void GemvArgs(benchmark::internal::Benchmark* b) {
  for (int shape = 0; shape < 4; ++shape) {
    for (int threads : {1, 2}) b->Args({shape, threads, 1, 0, -1});
  }
  for (int threads : {1, 2}) {
    for (int m : {2, 4, 8}) b->Args({0, threads, m, 0, -1});
  }
  for (int shape = 4; shape < 6; ++shape) {
    for (int threads : {1, 2}) {
      for (int m : {1, 2, 4}) b->Args({shape, threads, m, 0, -1});
    }
  }
  for (int threads : {1, 2}) b->Args({6, threads, 1, 0, -1});
  for (int shape = 0; shape < 4; ++shape) {
    for (int threads : {1, 2}) {
      for (int lead : {0, 4096, 8192, 16384, 32768, 65536}) b->Args({shape, threads, 1, 0, lead});
    }
  }
}
void BM_Nvfp4Gemv(benchmark::State& state) { TimeNvfp4Gemv(state, false); }
BENCHMARK(BM_Nvfp4Gemv)->Apply(GemvArgs)->UseRealTime()->MinTime(1.0);

// The opt-in BF16-activation kernel (codegen/emit_nvfp4_gemv_bf16act.cc) at the issue-9 shapes,
// m = 1 (and m = 4 at the expert shape); same args and counters.
void BM_Nvfp4GemvBf16Act(benchmark::State& state) { TimeNvfp4Gemv(state, true); }
BENCHMARK(BM_Nvfp4GemvBf16Act)
    ->ArgsProduct({{0, 1, 2, 3}, {1, 2}, {1}, {0}, {-1}})
    ->ArgsProduct({{0}, {1, 2}, {4}, {0}, {-1}})
    ->ArgsProduct({{0, 1, 2, 3}, {1, 2}, {1}, {0}, {4096, 8192, 16384}})
    ->ArgsProduct({{6}, {1, 2}, {1}, {0}, {-1}})
    ->UseRealTime()
    ->MinTime(1.0);

// Kernels a and b called alternately, m = 1, on weight copies in turn (`point` sets args' weight
// pointers for a copy), each call timed. The host's read bandwidth changes state within
// seconds here, which shifts two separate runs by more than the difference between kernels;
// alternating call by call puts both under the same conditions. Reports both rates and B/A.
void TimeAlternately(benchmark::State& state, const dsc_linear_kernel& a, const dsc_linear_kernel& b, Shape shape,
                     int threads, size_t copies, double bytes_per_call,
                     absl::FunctionRef<void(size_t copy, dsc_linear_args& args)> point) {
  std::vector<float> x = Activations(shape.k), y(shape.n);
  runtime::ThreadPool pool(threads);
  runtime::KernelScratch scratch(threads);
  dsc_linear_args args{};
  args.x = x.data();
  args.y = y.data();
  args.w_global_scale = 0.01f;
  args.m = 1;
  args.ldx = shape.k;
  args.ldy = shape.n;
  size_t copy = 0, calls = 0;
  double seconds[2] = {0, 0};
  for (auto _ : state) {
    const int which = static_cast<int>(calls % 2);
    point(copy, args);
    const auto start = std::chrono::steady_clock::now();
    runtime::RunLinear(pool, scratch, which == 0 ? a : b, args);
    seconds[which] += Seconds(start);
    copy = copy + 1 == copies ? 0 : copy + 1;
    ++calls;
  }
  const double per_kernel = bytes_per_call * static_cast<double>(calls / 2);
  state.counters["A_GB/s"] = per_kernel / seconds[0] / 1e9;
  state.counters["B_GB/s"] = per_kernel / seconds[1] / 1e9;
  state.counters["B/A"] = seconds[0] / seconds[1];
}

// The default NVFP4 GEMV (A) and the same with other row-group and prefetch knobs (B), m = 1,
// alternately (TimeAlternately). args: shape, threads, BF16 activations (0/1), B's
// rows_per_iteration, B's prefetch lead in bytes, B's adjacent_rows (0/1).
void BM_Nvfp4GemvAlternate(benchmark::State& state) {
  const Shape shape = kShapes[state.range(0)];
  codegen::LinearKernelSpec a_spec = GemvSpec(shape, 1, 0, -1);
  codegen::LinearKernelSpec b_spec = GemvSpec(shape, 1, state.range(3), state.range(4));
  b_spec.adjacent_rows = state.range(5) != 0;
  a_spec.bf16_activations = b_spec.bf16_activations = state.range(2) != 0;
  if (a_spec.bf16_activations && !HostJit().target().Has("avx512bf16")) {
    state.SkipWithError("BF16 activations need AVX-512 BF16");
    return;
  }
  Nvfp4Copies weights(shape, kWorkingSet);
  TimeAlternately(state, Kernel(a_spec), Kernel(b_spec), shape, static_cast<int>(state.range(1)), weights.copies(),
                  weights.weight_bytes(), [&](size_t copy, dsc_linear_args& args) {
                    args.w = weights.codes(copy);
                    args.w_scale = weights.scales(copy);
                  });
}
BENCHMARK(BM_Nvfp4GemvAlternate)
    ->ArgsProduct({{0, 1, 2, 3}, {1, 2}, {0, 1}, {0}, {-1}, {1}})  // adjacent row groups
    ->ArgsProduct({{0, 1, 4, 5}, {1, 2}, {0, 1}, {1}, {0}, {0}})  // one row, no software prefetch
    ->ArgsProduct({{0, 1, 4, 5}, {1, 2}, {0, 1}, {0}, {0, 4096, 16384}, {0}})  // other leads
    ->ArgsProduct({{0, 1, 2, 3}, {1, 2}, {0}, {4}, {-1}, {0}})  // four rows
    ->UseRealTime()
    ->MinTime(2.0);

// The same kernel on L2-resident weights (one copy, the first rows up to ~1 MiB), called on
// this thread and timed by CPU time: the decode's compute ceiling in weight bytes/s, which
// must sit well above the per-core DRAM bandwidth for the streaming benchmark to reach it.
// args: shape, m, rows_per_iteration, prefetch, x_block_bytes.
void TimeNvfp4GemvHot(benchmark::State& state, bool bf16_activations) {
  const Shape shape = kShapes[state.range(0)];
  codegen::LinearKernelSpec spec =
      GemvSpec(shape, state.range(1), state.range(2), state.range(3), state.range(4));
  spec.bf16_activations = bf16_activations;
  const dsc_linear_kernel& kernel = Kernel(spec);
  Nvfp4Copies weights(shape, 0);
  const int64_t rows = std::min<int64_t>(shape.n, (int64_t{1} << 20) / (shape.k / 2) / 16 * 16);
  std::vector<float> x = Activations(spec.m * shape.k), y(spec.m * shape.n);
  runtime::KernelScratch scratch(1);
  dsc_linear_args args{};
  args.x = x.data();
  args.y = y.data();
  args.w = weights.codes(0);
  args.w_scale = weights.scales(0);
  args.w_global_scale = 0.01f;
  args.m = spec.m;
  args.ldx = shape.k;
  args.ldy = shape.n;
  args.row_begin = 0;
  args.row_end = rows;
  args.scratch = scratch.Get(0, dsc_kernel_scratch_bytes(&kernel.info, spec.m));
  for (auto _ : state) kernel.fn(&args);
  state.counters["GB/s"] = benchmark::Counter(
      static_cast<double>(rows) * (shape.k / 2 + shape.k / 16) * state.iterations() / 1e9,
      benchmark::Counter::kIsRate);
  // Per weight row, all m activation rows: m = 2..8 against m = 1 is the batching cost.
  state.counters["ns/row"] =
      benchmark::Counter(static_cast<double>(rows) * state.iterations() / 1e9,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
void BM_Nvfp4GemvHot(benchmark::State& state) { TimeNvfp4GemvHot(state, false); }
void BM_Nvfp4GemvBf16ActHot(benchmark::State& state) { TimeNvfp4GemvHot(state, true); }
// The last arg sweeps the k blocks of m > 1 (x' bytes per block, 0 = default).
BENCHMARK(BM_Nvfp4GemvHot)
    ->ArgsProduct({{0, 1, 2, 3}, {1}, {0}, {-1}, {0}})
    ->ArgsProduct({{0}, {2, 4, 8}, {0}, {-1}, {0}})
    ->ArgsProduct({{0}, {1}, {1, 2, 3, 4}, {-1, 0}, {0}})
    ->ArgsProduct({{0}, {4, 8}, {1, 2, 4}, {-1}, {0}})
    ->ArgsProduct({{1, 4, 5}, {1, 2, 4}, {0}, {-1}, {0}})
    ->ArgsProduct({{0, 1}, {2, 4, 8}, {0}, {-1}, {8192, 12288, 16384, 24576, 32768}});
BENCHMARK(BM_Nvfp4GemvBf16ActHot)
    ->ArgsProduct({{0, 1, 2, 3, 4, 5, 6}, {1, 2, 4}, {0}, {-1}, {0}})
    ->ArgsProduct({{4, 5}, {2, 4}, {0}, {0, 4096}, {0}})
    ->ArgsProduct({{0, 1}, {2, 4, 8}, {0}, {-1}, {8192, 12288, 16384, 24576, 32768, 65536}});

// DeepSeek's MLA: W_KVB [128 heads · (128 W_UK + 128 W_UV rows), 512], NVFP4.
constexpr int64_t kMlaHeads = 128, kMlaDn = 128, kMlaRank = 512;
constexpr Shape kMlaKvb = {kMlaHeads * 2 * kMlaDn, kMlaRank};

// GB/s of one half of W_KVB (W_UK or W_UV: codes and scales) per iteration.
void SetMlaHalfBytesRate(benchmark::State& state) {
  state.counters["GB/s"] = benchmark::Counter(
      static_cast<double>(kMlaHeads * kMlaDn * (kMlaRank / 2 + kMlaRank / 16)) * state.iterations() / 1e9,
      benchmark::Counter::kIsRate);
}

// MLA decode's q̃ = W_UKᵀ q_nope at DeepSeek's shape (runtime/interp/nvfp4_transposed.cc): W_KVB
// [128 heads · 256 rows, 512], each head's first 128 rows (W_UK) read transposed, the next
// head's prefetched as each ends (as eval_mla_fast.cc runs them); one thread. arg 0: one copy
// (4.7 MB of it read, L3-resident); 1: consecutive calls on distinct copies (>= 1 GiB, DRAM).
// GB/s of W_UK codes and scales.
void BM_MlaWukTransposed(benchmark::State& state) {
  Nvfp4Copies weights(kMlaKvb, state.range(0) != 0 ? kWorkingSet : 0);
  std::vector<float> q = Activations(kMlaHeads * kMlaDn), out(kMlaHeads * kMlaRank);
  size_t copy = 0;
  for (auto _ : state) {
    auto codes = [&](int64_t h) { return weights.codes(copy) + h * 2 * kMlaDn * (kMlaRank / 2); };
    auto scales = [&](int64_t h) { return weights.scales(copy) + h * 2 * kMlaDn * (kMlaRank / 16); };
    for (int64_t h = 0; h < kMlaHeads; ++h) {
      const bool more = h + 1 < kMlaHeads;
      runtime::Nvfp4TransposedProduct(codes(h), scales(h), 0.01f, kMlaDn, kMlaRank, q.data() + h * kMlaDn,
                                      out.data() + h * kMlaRank, more ? codes(h + 1) : nullptr,
                                      more ? scales(h + 1) : nullptr);
    }
    benchmark::DoNotOptimize(out.data());
    if (state.range(0) != 0) copy = copy + 1 == weights.copies() ? 0 : copy + 1;
  }
  SetMlaHalfBytesRate(state);
}
BENCHMARK(BM_MlaWukTransposed)->Arg(0)->Arg(1)->UseRealTime();

// MLA decode's o = W_UV ō as eval_mla_fast.cc runs it: one GEMV call per head over that head's
// 128 W_UV rows of W_KVB (k = 512), one thread, L3-resident. arg: BF16 activations (0/1).
void BM_MlaWuvPerHead(benchmark::State& state) {
  codegen::LinearKernelSpec spec = GemvSpec(kMlaKvb, 1, 0, -1);
  spec.bf16_activations = state.range(0) != 0;
  const dsc_linear_kernel& kernel = Kernel(spec);
  Nvfp4Copies weights(kMlaKvb, 0);
  std::vector<float> x = Activations(kMlaHeads * kMlaRank), y(kMlaKvb.n);
  runtime::KernelScratch scratch(1);
  dsc_linear_args args{};
  args.y = y.data();
  args.w = weights.codes(0);
  args.w_scale = weights.scales(0);
  args.w_global_scale = 0.01f;
  args.m = 1;
  args.ldx = kMlaRank;
  args.ldy = kMlaKvb.n;
  args.scratch = scratch.Get(0, dsc_kernel_scratch_bytes(&kernel.info, 1));
  for (auto _ : state) {
    for (int64_t h = 0; h < kMlaHeads; ++h) {
      args.x = x.data() + h * kMlaRank;
      args.row_begin = h * 2 * kMlaDn + kMlaDn;
      args.row_end = args.row_begin + kMlaDn;
      kernel.fn(&args);
    }
    benchmark::DoNotOptimize(y.data());
  }
  SetMlaHalfBytesRate(state);
}
BENCHMARK(BM_MlaWuvPerHead)->Arg(0)->Arg(1)->UseRealTime();

// MLA decode's attention over the cached latents at DeepSeek's shape (128 heads, rank 512,
// rope 64; runtime/interp/latent_attention_fast.cc): one query row, all heads, scores +
// softmax + weighted sum, with the pool as mla_decode_attention passes it for long contexts.
// args: cached positions, threads, BF16 products (0/1; 1 falls back to float32 without
// AVX-512 BF16). Counter: ms per call (one layer, one token).
void BM_LatentAttention(benchmark::State& state) {
  constexpr int64_t kHeads = kMlaHeads, kRank = kMlaRank, kRope = 64;
  const int64_t t = state.range(0);
  runtime::ThreadPool pool(static_cast<int>(state.range(1)));
  const std::vector<float> ql = Activations(kHeads * kRank), qp = Activations(kHeads * kRope);
  const std::vector<float> kv = Activations(t * kRank), pe = Activations(t * kRope);
  std::vector<float> o(kHeads * kRank);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    runtime::LatentAttentionAllHeads(&pool, ql.data(), qp.data(), kv.data(), pe.data(), t, kHeads, kRank, kRope,
                                     0.0417f, nullptr, -1, o.data(), state.range(2) != 0);
    benchmark::DoNotOptimize(o.data());
  }
  state.counters["ms"] = Seconds(start) * 1e3 / static_cast<double>(state.iterations());
}
BENCHMARK(BM_LatentAttention)->ArgsProduct({{512, 4096}, {1, 2}, {0, 1}})->UseRealTime();

// The timed loop of a GEMV over `copies` weight copies `stride` bytes apart in `buffer` (each
// copy's scales `scale_offset` bytes into it; 0: no scales), consecutive calls on consecutive
// copies so every call streams from DRAM; `bytes_per_call` over the time against the read
// bandwidth measured first on the same threads.
void TimeGemvOverCopies(benchmark::State& state, const dsc_linear_kernel& kernel, Shape shape,
                        int threads, const HugeBuffer& buffer, size_t stride, size_t copies,
                        size_t scale_offset, double bytes_per_call) {
  std::vector<float> x = Activations(shape.k), y(shape.n);
  runtime::ThreadPool pool(threads);
  runtime::KernelScratch scratch(threads);
  const ReadBandwidth bandwidth = MeasureReadBandwidth(pool, kWorkingSet, 5);
  dsc_linear_args args{};
  args.x = x.data();
  args.y = y.data();
  args.m = 1;
  args.ldx = shape.k;
  args.ldy = shape.n;
  size_t copy = 0, calls = 0;
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    args.w = buffer.data() + copy * stride;
    if (scale_offset > 0) args.w_scale = buffer.data() + copy * stride + scale_offset;
    runtime::RunLinear(pool, scratch, kernel, args);
    copy = copy + 1 == copies ? 0 : copy + 1;
    ++calls;
  }
  SetRoofline(state, bytes_per_call * calls, Seconds(start), bandwidth);
}

// FP8 block-128 GEMV (1 byte per weight + one float per 128×128 block). args: shape, threads.
void BM_Fp8Gemv(benchmark::State& state) {
  const Shape shape = kShapes[state.range(0)];
  const int threads = static_cast<int>(state.range(1));
  codegen::LinearKernelSpec spec;
  spec.kind = codegen::LinearKernelKind::kFp8Gemv;
  spec.n = shape.n;
  spec.k = shape.k;
  const dsc_linear_kernel& kernel = Kernel(spec);
  const size_t codes = shape.n * shape.k;
  const size_t scales = ((shape.n + 127) / 128) * ((shape.k + 127) / 128);
  const size_t stride = (codes + scales * 4 + 4095) / 4096 * 4096;
  const size_t copies = std::max<size_t>(2, (kWorkingSet + stride - 1) / stride);
  HugeBuffer buffer(stride * copies);
  uint64_t s = 77;
  for (size_t c = 0; c < copies; ++c) {
    uint8_t* p = buffer.data() + c * stride;
    for (size_t i = 0; i + 8 <= codes; i += 8) {
      const uint64_t r = XorShift(s) & 0xF6F6F6F6F6F6F6F6ull;  // no NaN codes
      std::memcpy(p + i, &r, 8);
    }
    float* sc = reinterpret_cast<float*>(p + codes);
    for (size_t i = 0; i < scales; ++i) sc[i] = 1e-3f;
  }
  TimeGemvOverCopies(state, kernel, shape, threads, buffer, stride, copies, codes,
                     static_cast<double>(codes + scales * 4));
}
BENCHMARK(BM_Fp8Gemv)->ArgsProduct({{0, 1}, {1, 2}})->UseRealTime()->MinTime(1.0);

// BF16 GEMV (lm_head, router, indexer weights_proj): 2 bytes per weight, read in place.
// Shapes: 0: small's lm_head 32768 x 2048; 1: 16384 x 7168, a slice of the full lm_head.
constexpr Shape kBf16Shapes[] = {{32768, 2048}, {16384, 7168}};

codegen::LinearKernelSpec Bf16GemvSpec(Shape shape, int64_t rows_per_iteration, int64_t prefetch,
                                       bool bf16_activations = false) {
  codegen::LinearKernelSpec spec;
  spec.bf16_activations = bf16_activations;
  spec.kind = codegen::LinearKernelKind::kBf16Gemv;
  spec.m = 1;
  spec.n = shape.n;
  spec.k = shape.k;
  spec.rows_per_iteration = static_cast<int>(rows_per_iteration);
  spec.prefetch_distance = static_cast<int>(prefetch);
  return spec;
}

// `copies` distinct BF16 matrices of one shape (together > the L3), `stride` bytes apart:
// finite values in [1, 2) with random mantissas.
struct Bf16Copies {
  explicit Bf16Copies(Shape shape)
      : bytes(static_cast<size_t>(shape.n * shape.k) * 2),
        stride((bytes + 4095) / 4096 * 4096),
        copies(std::max<size_t>(2, (kWorkingSet + stride - 1) / stride)),
        buffer(stride * copies) {
    uint64_t s = 99;
    for (size_t c = 0; c < copies; ++c) {
      uint16_t* w = reinterpret_cast<uint16_t*>(buffer.data() + c * stride);
      for (size_t i = 0; i < bytes / 2; ++i) w[i] = static_cast<uint16_t>(0x3F80 + (XorShift(s) & 0x7F));
    }
  }
  size_t bytes, stride, copies;
  HugeBuffer buffer;
};

// args: shape, threads, rows_per_iteration (0 = default), prefetch (-1 = default).
void BM_Bf16Gemv(benchmark::State& state) {
  const Shape shape = kBf16Shapes[state.range(0)];
  const int threads = static_cast<int>(state.range(1));
  const bool bf16_activations = state.range(4) != 0;
  if (bf16_activations && !HostJit().target().Has("avx512bf16")) {
    state.SkipWithError("BF16 activations need AVX-512 BF16");
    return;
  }
  const dsc_linear_kernel& kernel =
      Kernel(Bf16GemvSpec(shape, state.range(2), state.range(3), bf16_activations));
  const Bf16Copies weights(shape);
  TimeGemvOverCopies(state, kernel, shape, threads, weights.buffer, weights.stride, weights.copies, 0,
                     static_cast<double>(weights.bytes));
}
// The fifth arg: 1 = activations rounded to BF16 (`--activations bf16`), vdpbf16ps.
BENCHMARK(BM_Bf16Gemv)
    ->ArgsProduct({{0, 1}, {1, 2}, {0}, {-1}, {0, 1}})
    ->ArgsProduct({{0, 1}, {1, 2}, {0}, {0, 8192, 16384, 32768}, {0, 1}})
    ->ArgsProduct({{0, 1}, {1, 2}, {1, 2}, {-1, 0, 16384}, {0, 1}})
    ->UseRealTime()
    ->MinTime(1.0);

// The default BF16 GEMV (A) and a variant (B), alternately (TimeAlternately). args: shape,
// threads, variant: 0 = BF16 activations; 1 = one row per iteration, no software prefetch;
// 2 = both; 3 = A with BF16 activations too (B: 2 against 0).
void BM_Bf16GemvAlternate(benchmark::State& state) {
  const Shape shape = kBf16Shapes[state.range(0)];
  const int variant = static_cast<int>(state.range(2));
  const bool bf16_activations = variant != 1;
  if (bf16_activations && !HostJit().target().Has("avx512bf16")) {
    state.SkipWithError("BF16 activations need AVX-512 BF16");
    return;
  }
  const dsc_linear_kernel& a = Kernel(Bf16GemvSpec(shape, 0, -1, variant == 3));
  const dsc_linear_kernel& b =
      Kernel(Bf16GemvSpec(shape, variant >= 1 ? 1 : 0, variant >= 1 ? 0 : -1, bf16_activations));
  const Bf16Copies weights(shape);
  TimeAlternately(state, a, b, shape, static_cast<int>(state.range(1)), weights.copies,
                  static_cast<double>(weights.bytes),
                  [&](size_t copy, dsc_linear_args& args) { args.w = weights.buffer.data() + copy * weights.stride; });
}
BENCHMARK(BM_Bf16GemvAlternate)->ArgsProduct({{0, 1}, {1, 2}, {0, 1, 2, 3}})->UseRealTime()->MinTime(2.0);

// The BF16 GEMV on L2-resident weights (the first ~1 MiB of rows), this thread, CPU time: its
// compute ceiling in weight bytes/s. args: shape, rows_per_iteration, prefetch.
void BM_Bf16GemvHot(benchmark::State& state) {
  const Shape shape = kBf16Shapes[state.range(0)];
  const dsc_linear_kernel& kernel = Kernel(Bf16GemvSpec(shape, state.range(1), state.range(2)));
  const int64_t rows = std::min<int64_t>(shape.n, (int64_t{1} << 20) / (shape.k * 2) / 16 * 16);
  std::vector<uint16_t> w(static_cast<size_t>(rows * shape.k));
  uint64_t s = 7;
  for (uint16_t& v : w) v = static_cast<uint16_t>(0x3F80 + (XorShift(s) & 0x7F));
  std::vector<float> x = Activations(shape.k), y(shape.n);
  runtime::KernelScratch scratch(1);
  dsc_linear_args args{};
  args.x = x.data();
  args.y = y.data();
  args.w = reinterpret_cast<const uint8_t*>(w.data());
  args.m = 1;
  args.ldx = shape.k;
  args.ldy = shape.n;
  args.row_begin = 0;
  args.row_end = rows;
  args.scratch = scratch.Get(0, dsc_kernel_scratch_bytes(&kernel.info, 1));
  for (auto _ : state) kernel.fn(&args);
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(rows) * shape.k * 2 * state.iterations() / 1e9,
                                              benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Bf16GemvHot)->ArgsProduct({{0, 1}, {0, 1, 2, 4}, {-1, 0}});

// ---------------------------------------------------------------------------------------------
// oneDNN baselines.

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

const dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// y[m, n] = x[m, k] · Wᵀ with W [n, k] row-major ("ba" as the matmul's [k, n] operand), or in
// oneDNN's own blocked layout when `prepacked` (reordered once, outside the timing).
struct OnednnMatmul {
  OnednnMatmul(int64_t m, int64_t n, int64_t k, dt type, bool prepacked)
      : x_md({m, k}, type, tag::ab),
        w_md({k, n}, type, prepacked ? tag::any : tag::ba),
        y_md({m, n}, dt::f32, tag::ab),
        pd(dnnl::matmul::desc(x_md, w_md, y_md), Engine()),
        primitive(pd) {}
  dnnl::memory::desc x_md, w_md, y_md;
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul primitive;
  void Run(dnnl::stream& stream, void* x, void* w, float* y) {
    dnnl::memory xm(pd.src_desc(), Engine(), x), wm(pd.weights_desc(), Engine(), w),
        ym(pd.dst_desc(), Engine(), y);
    primitive.execute(stream, {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, ym}});
    stream.wait();
  }
};

// The seed's path: every call dequantizes the NVFP4 weight to BF16 (on all threads), then runs
// a oneDNN BF16 matmul. args: shape, threads.
void BM_SeedDequantBf16(benchmark::State& state) {
  const Shape shape = kShapes[state.range(0)];
  const int threads = static_cast<int>(state.range(1));
  omp_set_num_threads(threads);
  Nvfp4Copies weights(shape, kWorkingSet);
  std::vector<uint16_t> w_bf16(shape.n * shape.k), x_bf16(shape.k);
  std::vector<float> x = Activations(shape.k), y(shape.n);
  for (int64_t c = 0; c < shape.k; ++c) x_bf16[c] = numerics::FloatToBf16(x[c]);
  OnednnMatmul mm(1, shape.n, shape.k, dt::bf16, false);
  dnnl::stream stream(Engine());
  runtime::ThreadPool pool(threads);
  const ReadBandwidth bandwidth = MeasureReadBandwidth(pool, kWorkingSet, 5);
  size_t copy = 0, calls = 0;
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    pool.Run([&](int t) {
      auto [b, e] = runtime::SplitRows(shape.n, threads, t, 1);
      std::vector<float> row(shape.k);
      for (int64_t r = b; r < e; ++r) {
        numerics::DequantizeNvfp4Row(weights.codes(copy) + r * shape.k / 2,
                                     weights.scales(copy) + r * shape.k / 16, 0.01f, shape.k,
                                     row.data());
        for (int64_t c = 0; c < shape.k; ++c) {
          w_bf16[r * shape.k + c] = numerics::FloatToBf16(row[c]);
        }
      }
    });
    mm.Run(stream, x_bf16.data(), w_bf16.data(), y.data());
    copy = copy + 1 == weights.copies() ? 0 : copy + 1;
    ++calls;
  }
  SetRoofline(state, weights.weight_bytes() * calls, Seconds(start), bandwidth);
}
BENCHMARK(BM_SeedDequantBf16)
    ->ArgsProduct({{0, 1, 2, 3}, {1, 2}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// oneDNN on weights dequantized ahead of time (float32 or BF16), m = 1, >= 1 GiB of copies.
// bw_frac counts the bytes oneDNN reads (4 or 2 per weight). args: shape, threads, bf16.
void BM_OnednnPredequantGemv(benchmark::State& state) {
  const Shape shape = kShapes[state.range(0)];
  const int threads = static_cast<int>(state.range(1));
  const bool bf16 = state.range(2) != 0;
  omp_set_num_threads(threads);
  const ReadBandwidth bandwidth = [&] {
    runtime::ThreadPool pool(threads);
    return MeasureReadBandwidth(pool, kWorkingSet, 5);
  }();
  const size_t element = bf16 ? 2 : 4;
  const size_t layer = shape.n * shape.k * element;
  const size_t copies = std::max<size_t>(2, (kWorkingSet + layer - 1) / layer);
  HugeBuffer w(layer * copies, bf16 ? 0x3C : 0x3C);  // 0x3C3C.. = a small normal value
  std::vector<float> x = Activations(shape.k), y(shape.n);
  std::vector<uint16_t> x_bf16(shape.k);
  for (int64_t c = 0; c < shape.k; ++c) x_bf16[c] = numerics::FloatToBf16(x[c]);
  OnednnMatmul mm(1, shape.n, shape.k, bf16 ? dt::bf16 : dt::f32, false);
  dnnl::stream stream(Engine());
  void* xp = bf16 ? static_cast<void*>(x_bf16.data()) : static_cast<void*>(x.data());
  size_t copy = 0, calls = 0;
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    mm.Run(stream, xp, w.data() + copy * layer, y.data());
    copy = copy + 1 == copies ? 0 : copy + 1;
    ++calls;
  }
  SetRoofline(state, static_cast<double>(layer) * calls, Seconds(start), bandwidth);
}
BENCHMARK(BM_OnednnPredequantGemv)->ArgsProduct({{0, 1, 2, 3}, {1, 2}, {0, 1}})->UseRealTime();

// ---------------------------------------------------------------------------------------------
// Prefill GEMM. args: shape, threads, m.

void BM_Nvfp4Gemm(benchmark::State& state) {
  const Shape shape = kShapes[state.range(0)];
  const int threads = static_cast<int>(state.range(1));
  const int64_t m = state.range(2);
  codegen::LinearKernelSpec spec;
  spec.kind = codegen::LinearKernelKind::kNvfp4Gemm;
  spec.n = shape.n;
  spec.k = shape.k;
  const dsc_linear_kernel& kernel = Kernel(spec);
  Nvfp4Copies weights(shape, 0);
  std::vector<float> x = Activations(m * shape.k), y(m * shape.n);
  runtime::ThreadPool pool(threads);
  runtime::KernelScratch scratch(threads);
  dsc_linear_args args{};
  args.x = x.data();
  args.y = y.data();
  args.w = weights.codes(0);
  args.w_scale = weights.scales(0);
  args.w_global_scale = 0.01f;
  args.m = m;
  args.ldx = shape.k;
  args.ldy = shape.n;
  for (auto _ : state) runtime::RunLinear(pool, scratch, kernel, args);
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * m * shape.n * shape.k * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Nvfp4Gemm)
    ->ArgsProduct({{0, 1, 2, 3}, {1, 2}, {128, 512}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// args: shape, threads, m, prepacked (oneDNN's blocked weight layout, reordered once).
void BM_OnednnF32Gemm(benchmark::State& state) {
  const Shape shape = kShapes[state.range(0)];
  const int threads = static_cast<int>(state.range(1));
  const int64_t m = state.range(2);
  const bool prepacked = state.range(3) != 0;
  omp_set_num_threads(threads);
  std::vector<float> x = Activations(m * shape.k), y(m * shape.n);
  std::vector<float> w = Activations(shape.n * shape.k);
  OnednnMatmul mm(m, shape.n, shape.k, dt::f32, prepacked);
  dnnl::stream stream(Engine());
  dnnl::memory plain({{shape.k, shape.n}, dt::f32, tag::ba}, Engine(), w.data());
  dnnl::memory packed(mm.pd.weights_desc(), Engine());
  dnnl::reorder(plain, packed).execute(stream, plain, packed);
  stream.wait();
  for (auto _ : state) mm.Run(stream, x.data(), packed.get_data_handle(), y.data());
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * m * shape.n * shape.k * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_OnednnF32Gemm)
    ->ArgsProduct({{0, 1, 2, 3}, {1, 2}, {128, 512}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dsc::bench

BENCHMARK_MAIN();
