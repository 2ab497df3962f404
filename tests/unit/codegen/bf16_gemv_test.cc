// Differential test of the BF16 GEMV (codegen/emit_bf16_gemv.cc) against the exact widening
// of its BF16 weights followed by ref::Linear, on random ragged shapes (k not a multiple of any
// vector width, row ranges split over several calls), on each ISA path: host, AVX2, generic.
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include "codegen/jit.h"
#include "codegen/kernel_builder.h"
#include "codegen/linear_kernels.h"
#include "gtest/gtest.h"
#include "tests/unit/codegen/linear_test_util.h"
#include "numerics/scalar_formats.h"
#include "runtime/cpu_kernels.h"
#include "runtime/interp/kernels_linear.h"

namespace dsc::codegen {
namespace {

struct Bf16Matrix {
  int64_t n, k;
  std::vector<uint16_t> bits;  // [n, k]
  std::vector<float> wide;     // exact float32 values
};

// Random normal-range BF16 values of both signs over a wide exponent range, plus zeros and
// subnormals (bf16 → f32 keeps them exactly).
Bf16Matrix RandomBf16(int64_t n, int64_t k, uint32_t seed) {
  std::mt19937 rng(seed);
  Bf16Matrix w{n, k, std::vector<uint16_t>(n * k), std::vector<float>(n * k)};
  for (int64_t j = 0; j < n * k; ++j) {
    uint32_t r = rng();
    uint16_t exponent = static_cast<uint16_t>(100 + r % 40);  // 2^-27 .. 2^12
    if (r % 97 == 0) exponent = 0;                           // zero / subnormal
    w.bits[j] = static_cast<uint16_t>(((r >> 8) & 0x8000) | (exponent << 7) | ((r >> 16) & 0x7F));
    w.wide[j] = numerics::Bf16ToFloat(w.bits[j]);
  }
  return w;
}

class Bf16GemvTest : public testing::JitTargetTest {
 public:

  // Largest |y - y_ref| / Σ|x·w| over rows [row_begin, row_end) computed in `parts` calls;
  // outputs outside the range must keep their sentinel. reference_x_bf16: y_ref takes the
  // activations rounded to BF16 (nearest even); against_f32 (optional) gets the same error
  // measured against y_ref on the float32 activations.
  static double RunAndCheck(const dsc_linear_kernel& kernel, const Bf16Matrix& w, int64_t m, int64_t row_begin,
                     int64_t row_end, int parts, uint32_t seed, bool reference_x_bf16 = false,
                     double* against_f32 = nullptr) {
    const int64_t ldx = w.k + 3, ldy = w.n + 5;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> x(m * ldx), y(m * ldy, testing::kSentinel);
    for (float& v : x) v = dist(rng);
    runtime::KernelScratch scratch(1);
    dsc_linear_args args{};
    args.scratch = scratch.Get(0, dsc_kernel_scratch_bytes(&kernel.info, m));
    args.x = x.data();
    args.y = y.data();
    args.w = reinterpret_cast<const uint8_t*>(w.bits.data());
    args.m = m;
    args.ldx = ldx;
    args.ldy = ldy;
    for (int p = 0; p < parts; ++p) {
      auto [b, e] = runtime::SplitRows(row_end - row_begin, parts, p, kernel.info.row_align);
      args.row_begin = row_begin + b;
      args.row_end = row_begin + e;
      kernel.fn(&args);
    }
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < ldy; ++j) {
        if ((j < row_begin || j >= row_end) && y[i * ldy + j] != testing::kSentinel) {
          ADD_FAILURE() << "row " << i << " column " << j << " outside the range was written";
          return INFINITY;
        }
      }
    }
    auto worst_error = [&](bool round_x) {
      std::vector<float> x_dense(m * w.k), ref(m * w.n);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t c = 0; c < w.k; ++c) {
          const float v = x[i * ldx + c];
          x_dense[i * w.k + c] = round_x ? numerics::Bf16ToFloat(numerics::FloatToBf16(v)) : v;
        }
      }
      runtime::ref::Linear(x_dense.data(), w.wide.data(), m, w.k, w.n, ref.data());
      double worst = 0.0;
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = row_begin; j < row_end; ++j) {
          double magnitude = 0.0;
          for (int64_t c = 0; c < w.k; ++c) magnitude += std::fabs(double(x_dense[i * w.k + c]) * w.wide[j * w.k + c]);
          const double err = std::fabs(double(y[i * ldy + j]) - ref[i * w.n + j]);
          const double rel = magnitude > 0.0 ? err / magnitude : err;
          if (!(rel <= worst)) worst = std::isnan(rel) ? INFINITY : rel;
        }
      }
      return worst;
    };
    if (against_f32 != nullptr) *against_f32 = worst_error(false);
    return worst_error(reference_x_bf16);
  }


 protected:
  void CheckAll(const std::vector<std::pair<int64_t, int64_t>>& shapes, const std::vector<int64_t>& ms,
                const LinearKernelSpec& knobs = {}) {
    std::vector<LinearKernelSpec> specs;
    for (auto [n, k] : shapes) {
      for (int64_t m : ms) {
        LinearKernelSpec spec = knobs;
        spec.kind = LinearKernelKind::kBf16Gemv;
        spec.n = n;
        spec.k = k;
        spec.m = m;
        specs.push_back(spec);
      }
    }
    absl::StatusOr<std::vector<dsc_linear_kernel>> kernels = CompileLinearKernels(*jit_, specs);
    ASSERT_TRUE(kernels.ok()) << kernels.status();
    uint32_t seed = 7;
    for (size_t s = 0; s < shapes.size(); ++s) {
      const Bf16Matrix w = RandomBf16(shapes[s].first, shapes[s].second, seed++);
      for (size_t i = 0; i < ms.size(); ++i) {
        const dsc_linear_kernel& kernel = (*kernels)[s * ms.size() + i];
        EXPECT_EQ(kernel.info.format, DSC_WEIGHT_BF16);
        EXPECT_EQ(kernel.info.m_static, ms[i]);
        const std::string what = specs[s * ms.size() + i].Name() + " on " + GetParam();
        const double all = RunAndCheck(kernel, w, ms[i], 0, w.n, 2, seed++);
        EXPECT_LE(all, 1e-5) << what;
        const int64_t b = std::min<int64_t>(1, w.n - 1), e = std::max<int64_t>(b, w.n - 2);
        const double part = RunAndCheck(kernel, w, ms[i], b, e, 3, seed++);
        EXPECT_LE(part, 1e-5) << what << " rows [" << b << ", " << e << ")";
        std::printf("%-40s %-10s max err %.2e / %.2e\n", specs[s * ms.size() + i].Name().c_str(), GetParam(), all,
                    part);
      }
    }
  }
};

TEST_P(Bf16GemvTest, RaggedShapes) {
  CheckAll({{37, 48}, {5, 1}, {130, 177}, {64, 2051}, {3, 31}}, {1, 2, 3, 4, 5, 8});
}

TEST_P(Bf16GemvTest, ModelShapes) {
  // lm_head rows of the small preset, the router and the indexer weights_proj.
  CheckAll({{1000, 2048}, {64, 2048}, {16, 2048}, {256, 128}}, {1, 2, 8});
}

TEST_P(Bf16GemvTest, RowsPerIterationAndNoPrefetch) {
  LinearKernelSpec knobs;
  knobs.rows_per_iteration = 3;
  knobs.prefetch_distance = 0;
  CheckAll({{41, 200}}, {1, 2}, knobs);
}

TEST(Bf16GemvSpecTest, AnyPositiveKIsValid) {
  LinearKernelSpec spec;
  spec.kind = LinearKernelKind::kBf16Gemv;
  spec.n = 3;
  spec.k = 7;
  EXPECT_TRUE(ValidateSpec(spec).ok());
  EXPECT_EQ(spec.Name(), "dsc_bf16_gemv_m1_n3_k7");
  spec.m = 9;
  EXPECT_FALSE(ValidateSpec(spec).ok());
}

// `--activations bf16`: x rounded to BF16 once per call, vdpbf16ps on the weights as stored.
// Equal to ref::Linear on the rounded activations up to summation order; the rounding shows
// against the float32 activations.
TEST(Bf16GemvBf16ActTest, MatchesTheReferenceOnBf16RoundedActivations) {
  absl::StatusOr<std::unique_ptr<Jit>> jit = testing::JitForTarget("host");
  ASSERT_TRUE(jit.ok()) << jit.status();
  auto spec_for = [](int64_t n, int64_t k, int64_t m) {
    LinearKernelSpec spec;
    spec.kind = LinearKernelKind::kBf16Gemv;
    spec.n = n;
    spec.k = k;
    spec.m = m;
    spec.bf16_activations = true;
    return spec;
  };
  if (!(*jit)->target().Has("avx512bf16")) {
    // The kernel cannot run here; what this host gets instead is a clear error.
    absl::StatusOr<dsc_linear_kernel> kernel = CompileLinearKernel(**jit, spec_for(37, 48, 1));
    EXPECT_EQ(kernel.status().code(), absl::StatusCode::kFailedPrecondition);
    return;
  }
  // Ragged k (tails of 1..31 columns, k < one vector), n not a multiple of the row group, and
  // the small preset's lm_head k.
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{37, 48}, {5, 1}, {130, 177}, {64, 2051}, {3, 31},
                                                           {203, 2048}};
  uint32_t seed = 11;
  for (auto [n, k] : shapes) {
    const Bf16Matrix w = RandomBf16(n, k, seed++);
    for (int64_t m : {1, 2, 3, 5, 8}) {
      absl::StatusOr<dsc_linear_kernel> kernel = CompileLinearKernel(**jit, spec_for(n, k, m));
      ASSERT_TRUE(kernel.ok()) << kernel.status();
      const std::string what = spec_for(n, k, m).Name();
      double against_f32 = 0.0;
      const double all = Bf16GemvTest::RunAndCheck(*kernel, w, m, 0, n, 2, seed++, true, &against_f32);
      EXPECT_LE(all, 1e-5) << what;
      if (k > 4) {
        EXPECT_GT(against_f32, 1e-5) << what << ": the activations were not rounded";
      }
      EXPECT_LE(against_f32, 4e-3) << what;
      const int64_t b = std::min<int64_t>(1, n - 1), e = std::max<int64_t>(b, n - 2);
      EXPECT_LE(Bf16GemvTest::RunAndCheck(*kernel, w, m, b, e, 3, seed++, true), 1e-5) << what << " rows [" << b
                                                                                          << ", " << e << ")";
      std::printf("%-45s err vs bf16(x) %.2e, vs x %.2e\n", what.c_str(), all, against_f32);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, Bf16GemvTest, ::testing::Values("host", "x86-64-v3", "x86-64"), testing::IsaParamName);

}  // namespace
}  // namespace dsc::codegen
