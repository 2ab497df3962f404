// Random NVFP4 / FP8 weights and the reference a generated linear kernel is compared with:
// numerics' exact dequantizers followed by ref::Linear (float32), and an error bound that
// scales with Σ|x·w| (the size of the terms, so cancellation cannot hide or fake an error).
#ifndef DSC_TESTS_UNIT_CODEGEN_LINEAR_TEST_UTIL_H_
#define DSC_TESTS_UNIT_CODEGEN_LINEAR_TEST_UTIL_H_

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "codegen/target.h"
#include "gtest/gtest.h"
#include "numerics/fp8_block.h"
#include "numerics/nvfp4.h"
#include "runtime/interp/fast_linear.h"
#include "runtime/interp/kernels_linear.h"
#include "runtime/thread_pool.h"

namespace dsc::codegen::testing {

// Written into output slots a kernel must overwrite (or must leave alone), so a missed or
// stray store shows up as a mismatch.
constexpr float kSentinel = 12345.0f;

struct RandomWeights {
  int64_t n = 0, k = 0;
  std::vector<uint8_t> codes;    // NVFP4 [n, k/2] or FP8 [n, k]
  std::vector<uint8_t> scales;   // NVFP4 E4M3 [n, k/16]
  std::vector<float> scale_inv;  // FP8 [ceil(n/128), ceil(k/128)]
  float global_scale = 0.0f;
  std::vector<float> dequantized;  // [n, k], exact FP32-REF values
};

// Random codes (every nibble value), positive finite E4M3 block scales over 2^-9..2^8
// including subnormal codes, a non-power-of-two global scale.
inline RandomWeights RandomNvfp4(int64_t n, int64_t k, uint32_t seed) {
  std::mt19937 rng(seed);
  RandomWeights w;
  w.n = n;
  w.k = k;
  w.codes.resize(n * k / 2);
  w.scales.resize(n * k / 16);
  for (auto& c : w.codes) c = static_cast<uint8_t>(rng());
  for (auto& s : w.scales) s = static_cast<uint8_t>(1 + rng() % 0x77);  // 0x01..0x77
  w.global_scale = 0.00371f;
  w.dequantized.resize(n * k);
  if (!numerics::DequantizeNvfp4(w.codes.data(), w.scales.data(), w.global_scale, n, k,
                                 w.dequantized.data())
           .ok()) {
    std::abort();
  }
  return w;
}

// Random finite E4M3 codes (NaN codes excluded: not valid weights) and scales.
inline RandomWeights RandomFp8(int64_t n, int64_t k, uint32_t seed) {
  std::mt19937 rng(seed);
  RandomWeights w;
  w.n = n;
  w.k = k;
  w.codes.resize(n * k);
  for (auto& c : w.codes) {
    do c = static_cast<uint8_t>(rng());
    while ((c & 0x7F) == 0x7F);
  }
  w.scale_inv.resize(numerics::Fp8BlockCount(n) * numerics::Fp8BlockCount(k));
  std::uniform_real_distribution<float> dist(0.5e-3f, 2e-3f);
  for (float& s : w.scale_inv) s = dist(rng);
  w.dequantized.resize(n * k);
  if (!numerics::DequantizeFp8Block(w.codes.data(), w.scale_inv.data(), n, k, w.dequantized.data())
           .ok()) {
    std::abort();
  }
  return w;
}

inline std::vector<float> RandomActivations(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(count);
  for (float& v : x) v = dist(rng);
  return x;
}

// Largest |y - y_ref| / Σ_c |x[i,c]·w[j,c]| over outputs with j in [row_begin, row_end), where
// y_ref = ref::Linear on the dequantized weights; x is [m, ldx], y is [m, ldy].
inline double MaxRelativeError(const RandomWeights& w, const std::vector<float>& x, int64_t m,
                               int64_t ldx, const std::vector<float>& y, int64_t ldy,
                               int64_t row_begin, int64_t row_end) {
  std::vector<float> x_dense(m * w.k), ref(m * w.n);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t c = 0; c < w.k; ++c) x_dense[i * w.k + c] = x[i * ldx + c];
  }
  runtime::ref::Linear(x_dense.data(), w.dequantized.data(), m, w.k, w.n, ref.data());
  double worst = 0.0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = row_begin; j < row_end; ++j) {
      double magnitude = 0.0;
      for (int64_t c = 0; c < w.k; ++c) {
        magnitude +=
            std::fabs(static_cast<double>(x_dense[i * w.k + c]) * w.dequantized[j * w.k + c]);
      }
      const double err = std::fabs(static_cast<double>(y[i * ldy + j]) - ref[i * w.n + j]);
      const double rel = magnitude > 0.0 ? err / magnitude : err;
      if (!(rel <= worst)) worst = std::isnan(rel) ? INFINITY : rel;
    }
  }
  return worst;
}

// Test names for suites instantiated over --target-cpu values ("x86-64-v3" -> "x86_64_v3").
inline std::string IsaParamName(const ::testing::TestParamInfo<const char*>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

// Compiles the one kernel of `kind` whose sizes are all call arguments (n == k == 1: SwiGLU,
// the top-k mask) and checks that its format is `format`: its entry point, or nullptr after
// a test failure.
template <typename Fn>
Fn CompileArgumentSizedKernel(Jit& jit, LinearKernelKind kind, int32_t format) {
  LinearKernelSpec spec;
  spec.kind = kind;
  spec.n = spec.k = 1;
  absl::StatusOr<dsc_linear_kernel> kernel = CompileLinearKernel(jit, spec);
  EXPECT_TRUE(kernel.ok()) << kernel.status();
  if (!kernel.ok()) return nullptr;
  EXPECT_EQ(kernel->info.format, format);
  return kernel->info.format == format ? reinterpret_cast<Fn>(kernel->fn) : nullptr;
}

// A JIT for the --target-cpu value of a parameterized test ("host", "x86-64-v3", ...).
inline absl::StatusOr<std::unique_ptr<Jit>> JitForTarget(const char* cpu) {
  absl::StatusOr<TargetCpu> target = MakeTargetCpu(cpu);
  if (!target.ok()) return target.status();
  JitOptions options;
  options.target = *target;
  return Jit::Create(options);
}

// A test parameterized over --target-cpu values ("host", "x86-64-v3", ...) with a Jit for the
// value in jit_.
class JitTargetTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Jit>> jit = JitForTarget(GetParam());
    ASSERT_TRUE(jit.ok()) << jit.status();
    jit_ = std::move(*jit);
  }

  std::unique_ptr<Jit> jit_;
};

// An engine for the interpreter's fast paths with two threads and only the given compiled
// kernels (null: that path's C++ code); every product takes the reference path. Counts the
// requests, so a test can tell the compiled path ran.
class CompiledKernelsOnly : public runtime::FastLinear {
 public:
  CompiledKernelsOnly() : pool_(2) {}
  bool Run(const runtime::QuantView&, int64_t, int64_t, int64_t, const float*, int64_t, float*) override {
    return false;
  }
  dsc_attention_block_fn AttentionBlock(int64_t, int64_t) override {
    ++requests;
    return attention;
  }
  dsc_indexer_block_fn IndexerBlock(int64_t) override {
    ++requests;
    return indexer;
  }
  runtime::ThreadPool* pool() override { return &pool_; }

  dsc_attention_block_fn attention = nullptr;
  dsc_indexer_block_fn indexer = nullptr;
  int requests = 0;

 private:
  runtime::ThreadPool pool_;
};

}  // namespace dsc::codegen::testing

#endif  // DSC_TESTS_UNIT_CODEGEN_LINEAR_TEST_UTIL_H_
