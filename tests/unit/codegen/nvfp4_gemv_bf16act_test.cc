// The opt-in BF16-activation NVFP4 GEMV against ref::Linear on the dequantized weights with the
// activations rounded to BF16 (nearest even) first: equal up to summation order. Against
// float32 activations it differs by the rounding, which the test also checks it does.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "gtest/gtest.h"
#include "runtime/cpu_kernels.h"
#include "tests/unit/codegen/linear_test_util.h"

namespace dsc::codegen {
namespace {

using testing::MaxRelativeError;
using testing::RandomActivations;
using testing::RandomWeights;

float RoundToBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000u;  // finite inputs only
  float rounded;
  std::memcpy(&rounded, &bits, sizeof(rounded));
  return rounded;
}

LinearKernelSpec Bf16ActSpec(int64_t m, int64_t n, int64_t k) {
  LinearKernelSpec spec;
  spec.kind = LinearKernelKind::kNvfp4Gemv;
  spec.m = m;
  spec.n = n;
  spec.k = k;
  spec.bf16_activations = true;
  return spec;
}

bool HostHasBf16() { return DetectHostCpu().Has("avx512bf16") && DetectHostCpu().Has("avx512bw"); }

TEST(Nvfp4GemvBf16ActTest, TargetsWithoutAvx512Bf16AreAClearError) {
  absl::StatusOr<std::unique_ptr<Jit>> jit = testing::JitForTarget("x86-64-v3");
  ASSERT_TRUE(jit.ok()) << jit.status();
  absl::StatusOr<dsc_linear_kernel> kernel = CompileLinearKernel(**jit, Bf16ActSpec(1, 37, 48));
  ASSERT_FALSE(kernel.ok());
  EXPECT_EQ(kernel.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(kernel.status().message().find("AVX-512 BF16"), std::string::npos) << kernel.status();
}

TEST(Nvfp4GemvBf16ActTest, OnlyTheNvfp4GemvHasBf16Activations) {
  LinearKernelSpec spec = Bf16ActSpec(1, 37, 48);
  spec.kind = LinearKernelKind::kFp8Gemv;
  EXPECT_EQ(ValidateSpec(spec).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Nvfp4GemvBf16ActTest, MatchesTheReferenceOnBf16RoundedActivations) {
  absl::StatusOr<std::unique_ptr<Jit>> jit = testing::JitForTarget("host");
  ASSERT_TRUE(jit.ok()) << jit.status();
  if (!HostHasBf16()) {
    // The kernel cannot run here; what this host gets instead is the error above.
    absl::StatusOr<dsc_linear_kernel> kernel = CompileLinearKernel(**jit, Bf16ActSpec(1, 37, 48));
    EXPECT_EQ(kernel.status().code(), absl::StatusCode::kFailedPrecondition);
    return;
  }
  struct Shape {
    int64_t n, k;
    int x_block_bytes = 0;  // 0: the default k blocks (m >= 3 at k = 7168)
  };
  // Ragged: a k tail of 1..7 blocks, n not a multiple of the row group, k past one L1 of x';
  // tiny k blocks, the last one the tail alone (2064) or full chunks and the tail (720).
  const std::vector<Shape> shapes = {{37, 48},         {5, 16},          {130, 176},
                                     {64, 2064},       {203, 7168},      {64, 2064, 1024},
                                     {130, 720, 1536}};
  uint32_t seed = 7;
  for (const Shape& shape : shapes) {
    const RandomWeights w = testing::RandomNvfp4(shape.n, shape.k, seed++);
    for (int64_t m : {1, 2, 3, 5, 8}) {
      LinearKernelSpec spec = Bf16ActSpec(m, shape.n, shape.k);
      spec.x_block_bytes = shape.x_block_bytes;
      absl::StatusOr<dsc_linear_kernel> kernel = CompileLinearKernel(**jit, spec);
      ASSERT_TRUE(kernel.ok()) << kernel.status();
      const int64_t ldx = shape.k + 3, ldy = shape.n + 5;
      std::vector<float> x = RandomActivations(m * ldx, seed++);
      std::vector<float> rounded(x.size());
      for (size_t i = 0; i < x.size(); ++i) rounded[i] = RoundToBf16(x[i]);
      std::vector<float> y(m * ldy, 12345.0f);
      runtime::KernelScratch scratch(1);
      dsc_linear_args args{};
      args.x = x.data();
      args.y = y.data();
      args.w = w.codes.data();
      args.w_scale = w.scales.data();
      args.w_global_scale = w.global_scale;
      args.m = m;
      args.ldx = ldx;
      args.ldy = ldy;
      // Two row ranges, as two threads would split them.
      for (int part = 0; part < 2; ++part) {
        auto [b, e] = runtime::SplitRows(shape.n, 2, part, kernel->info.row_align);
        args.row_begin = b;
        args.row_end = e;
        args.scratch = scratch.Get(0, dsc_kernel_scratch_bytes(&kernel->info, m));
        kernel->fn(&args);
      }
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = shape.n; j < ldy; ++j) ASSERT_EQ(y[i * ldy + j], 12345.0f) << "wrote past n";
      }
      const double against_rounded = MaxRelativeError(w, rounded, m, ldx, y, ldy, 0, shape.n);
      const double against_f32 = MaxRelativeError(w, x, m, ldx, y, ldy, 0, shape.n);
      EXPECT_LE(against_rounded, 1e-5) << spec.Name();
      // The rounding of x shows (2^-9 relative per element at most), so this is not the
      // float32 kernel.
      EXPECT_GT(against_f32, 1e-5) << spec.Name();
      EXPECT_LE(against_f32, 4e-3) << "n " << shape.n << " k " << shape.k << " m " << m;
      std::printf("n %4lld k %5lld m %lld: err vs bf16(x) %.2e, vs x %.2e\n",
                  static_cast<long long>(shape.n), static_cast<long long>(shape.k),
                  static_cast<long long>(m), against_rounded, against_f32);
    }
  }
}

}  // namespace
}  // namespace dsc::codegen
