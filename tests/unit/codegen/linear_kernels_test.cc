// Differential tests of every generated linear kernel against numerics' dequantizer +
// ref::Linear, on random ragged shapes, on each ISA path (host, AVX2, generic x86-64).
#include "codegen/linear_kernels.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "codegen/jit.h"
#include "codegen/kernel_builder.h"
#include "gtest/gtest.h"
#include "runtime/cpu_kernels.h"
#include "tests/unit/codegen/linear_test_util.h"

namespace dsc::codegen {
namespace {

using testing::MaxRelativeError;
using testing::RandomActivations;
using testing::RandomWeights;

// Float32 accumulation in a different order than oneDNN: errors are ~1e-7 of Σ|x·w|.
constexpr double kTolerance = 1e-5;

struct Shape {
  int64_t n, k;
};

class LinearKernelsTest : public testing::JitTargetTest {
 protected:
  // Runs `kernel` over [row_begin, row_end) split in `parts` calls and returns the max error;
  // outputs outside the range must keep their sentinel.
  double RunAndCheck(const dsc_linear_kernel& kernel, const RandomWeights& w, int64_t m,
                     int64_t row_begin, int64_t row_end, int parts, uint32_t seed) {
    const int64_t ldx = w.k + 3, ldy = w.n + 5;
    std::vector<float> x = RandomActivations(m * ldx, seed);
    std::vector<float> y(m * ldy, testing::kSentinel);
    runtime::KernelScratch scratch(1);
    dsc_linear_args args{};
    args.x = x.data();
    args.y = y.data();
    args.w = w.codes.data();
    args.w_scale = kernel.info.format == DSC_WEIGHT_NVFP4
                       ? static_cast<const void*>(w.scales.data())
                       : static_cast<const void*>(w.scale_inv.data());
    args.w_global_scale = w.global_scale;
    args.m = m;
    args.ldx = ldx;
    args.ldy = ldy;
    for (int p = 0; p < parts; ++p) {
      auto [b, e] = runtime::SplitRows(row_end - row_begin, parts, p, kernel.info.row_align);
      args.row_begin = row_begin + b;
      args.row_end = row_begin + e;
      args.scratch = scratch.Get(0, dsc_kernel_scratch_bytes(&kernel.info, m));
      kernel.fn(&args);
    }
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < ldy; ++j) {
        if (j >= row_begin && j < row_end) continue;
        if (y[i * ldy + j] != testing::kSentinel) {
          ADD_FAILURE() << "row " << i << " column " << j << " outside the range was written";
          return INFINITY;
        }
      }
    }
    return MaxRelativeError(w, x, m, ldx, y, ldy, row_begin, row_end);
  }

  void CheckAll(LinearKernelKind kind, const std::vector<Shape>& shapes,
                const std::vector<int64_t>& ms, const LinearKernelSpec& knobs = {}) {
    std::vector<LinearKernelSpec> specs;
    for (const Shape& s : shapes) {
      for (int64_t m : ms) {
        LinearKernelSpec spec = knobs;
        spec.kind = kind;
        spec.n = s.n;
        spec.k = s.k;
        spec.m = m;
        specs.push_back(spec);
      }
    }
    absl::StatusOr<std::vector<dsc_linear_kernel>> kernels = CompileLinearKernels(*jit_, specs);
    ASSERT_TRUE(kernels.ok()) << kernels.status();
    uint32_t seed = 1;
    for (size_t s = 0; s < shapes.size(); ++s) {
      const RandomWeights w = kind == LinearKernelKind::kFp8Gemv
                                  ? testing::RandomFp8(shapes[s].n, shapes[s].k, seed++)
                                  : testing::RandomNvfp4(shapes[s].n, shapes[s].k, seed++);
      for (size_t i = 0; i < ms.size(); ++i) {
        const dsc_linear_kernel& kernel = (*kernels)[s * ms.size() + i];
        const std::string what = specs[s * ms.size() + i].Name() + " on " + GetParam();
        // The whole weight split for two threads, and an odd sub-range in three calls.
        const double all = RunAndCheck(kernel, w, ms[i], 0, w.n, 2, seed++);
        EXPECT_LE(all, kTolerance) << what;
        const int64_t b = std::min<int64_t>(1, w.n - 1), e = std::max<int64_t>(b, w.n - 2);
        const double part = RunAndCheck(kernel, w, ms[i], b, e, 3, seed++);
        EXPECT_LE(part, kTolerance) << what << " rows [" << b << ", " << e << ")";
        std::printf("%-44s %-10s max err %.2e / %.2e\n", specs[s * ms.size() + i].Name().c_str(),
                    GetParam(), all, part);
      }
    }
  }
};

TEST_P(LinearKernelsTest, TargetSelectsTheExpectedIsa) {
  const Isa isa = SelectIsa(jit_->target());
  if (std::string(GetParam()) == "x86-64") {
    EXPECT_EQ(isa, Isa::kGeneric);
  }
  if (std::string(GetParam()) == "x86-64-v3") {
    EXPECT_EQ(isa, Isa::kAvx2);
  }
  std::printf("%s -> %s (%s)\n", GetParam(), IsaName(isa), jit_->target().cpu.c_str());
}

TEST_P(LinearKernelsTest, Nvfp4GemvSmallRaggedShapes) {
  CheckAll(LinearKernelKind::kNvfp4Gemv, {{37, 48}, {5, 16}, {130, 176}, {64, 2064}},
           {1, 2, 3, 4, 5, 8});
}

TEST_P(LinearKernelsTest, Nvfp4GemvDeepSeekShape) {
  CheckAll(LinearKernelKind::kNvfp4Gemv, {{2048, 7168}}, {1, 2, 5});
}

TEST_P(LinearKernelsTest, Fp8GemvRaggedShapes) {
  CheckAll(LinearKernelKind::kFp8Gemv, {{37, 48}, {300, 1000}, {129, 257}, {256, 7168}},
           {1, 2, 3, 4, 5, 8});
}

TEST_P(LinearKernelsTest, Nvfp4GemmRaggedShapes) {
  CheckAll(LinearKernelKind::kNvfp4Gemm, {{37, 48}, {200, 1040}, {130, 176}, {61, 16}},
           {1, 5, 37, 130});
}

TEST_P(LinearKernelsTest, Nvfp4GemmSmallTilesAndOddBlocking) {
  // Many k tiles (the k tail in the last), tiny register blocks, prefetch off in the GEMV.
  LinearKernelSpec knobs;
  knobs.gemm_kc = 128;
  knobs.gemm_mr = 3;
  knobs.gemm_nr_vectors = 1;
  CheckAll(LinearKernelKind::kNvfp4Gemm, {{200, 1040}, {37, 272}}, {1, 7, 40}, knobs);
  LinearKernelSpec gemv;
  gemv.rows_per_iteration = 3;
  gemv.prefetch_distance = 0;
  CheckAll(LinearKernelKind::kNvfp4Gemv, {{200, 1040}}, {1, 3}, gemv);
  // Tiny k blocks of the GEMV (m > 1): 2 chunks each, the last block ending in the k tail.
  LinearKernelSpec k_blocks;
  k_blocks.x_block_bytes = 1024;
  CheckAll(LinearKernelKind::kNvfp4Gemv, {{130, 720}, {37, 1040}}, {2, 3}, k_blocks);
  // Row groups of adjacent rows (the walk before split groups, kept for benchmarks' A/B), with
  // and without k blocks.
  LinearKernelSpec adjacent;
  adjacent.adjacent_rows = true;
  CheckAll(LinearKernelKind::kNvfp4Gemv, {{37, 48}, {130, 720}}, {1, 2, 3}, adjacent);
}

TEST_P(LinearKernelsTest, Nvfp4GemmDeepSeekDepth) {
  CheckAll(LinearKernelKind::kNvfp4Gemm, {{100, 7168}}, {17, 64});
}

INSTANTIATE_TEST_SUITE_P(Isa, LinearKernelsTest, ::testing::Values("host", "x86-64-v3", "x86-64"), testing::IsaParamName);

}  // namespace
}  // namespace dsc::codegen
