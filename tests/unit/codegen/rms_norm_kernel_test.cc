// The JIT's RMS norm kernel (codegen/emit_rms_norm.cc) must equal ref::RmsNorm bit for bit, on
// every ISA path, for ragged row lengths (full vectors and masked tails), with and without the
// fused residual add.
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "gtest/gtest.h"
#include "runtime/interp/kernels_norm.h"
#include "tests/unit/codegen/linear_test_util.h"

namespace dsc::codegen {
namespace {

// Values of mixed magnitude (as residual streams have), never all zero.
std::vector<float> RandomRows(int64_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng) * (rng() % 8 == 0 ? 40.0f : 1.0f);
  return v;
}

class RmsNormKernelTest : public testing::JitTargetTest {
 protected:
  static absl::StatusOr<dsc_linear_kernel> Compile(Jit& jit, int64_t dim) {
    LinearKernelSpec spec;
    spec.kind = LinearKernelKind::kRmsNorm;
    spec.n = spec.k = dim;
    return CompileLinearKernel(jit, spec);
  }

  // Runs the kernel for rows of `dim` and compares with the reference (y and, with a residual,
  // the sum); the element after each output must keep its sentinel.
  void RunAndCheck(const dsc_linear_kernel& kernel, int64_t dim, int64_t rows, bool add, uint32_t seed) {
    ASSERT_EQ(kernel.info.format, DSC_KERNEL_RMS_NORM);
    ASSERT_EQ(kernel.info.k, dim);

    const std::vector<float> x = RandomRows(rows * dim, seed);
    const std::vector<float> residual = RandomRows(rows * dim, seed + 1);
    std::vector<float> weight = RandomRows(dim, seed + 2);
    const float eps = 1e-6f;
    std::vector<float> y(rows * dim + 1, testing::kSentinel),
        sum(rows * dim + 1, testing::kSentinel);
    const dsc_rms_norm_args args = {x.data(), add ? residual.data() : nullptr, add ? sum.data() : nullptr,
                                    weight.data(), y.data(), rows, eps, 0};
    reinterpret_cast<dsc_rms_norm_fn>(kernel.fn)(&args);

    std::vector<float> s = x;
    if (add) {
      for (size_t i = 0; i < s.size(); ++i) s[i] = x[i] + residual[i];
    }
    std::vector<float> ref(rows * dim);
    runtime::ref::RmsNorm(s.data(), weight.data(), rows, dim, eps, ref.data());
    for (int64_t i = 0; i < rows * dim; ++i) {
      if (add) {
        ASSERT_EQ(sum[i], s[i]) << "sum at " << i;
      }
      ASSERT_EQ(std::memcmp(&y[i], &ref[i], sizeof(float)), 0) << "element " << i << ": " << y[i] << " vs " << ref[i];
    }
    EXPECT_EQ(y[rows * dim], testing::kSentinel);
    EXPECT_EQ(sum[rows * dim], testing::kSentinel);
    if (!add) {
      EXPECT_EQ(sum[0], testing::kSentinel);
    }
  }
};

TEST_P(RmsNormKernelTest, RaggedRowLengthsWithAndWithoutTheResidual) {
  uint32_t seed = 11;
  for (int64_t dim : {1, 3, 4, 7, 8, 15, 17, 31, 64, 65, 100, 129, 512, 2048, 7168 + 5}) {
    absl::StatusOr<dsc_linear_kernel> kernel = Compile(*jit_, dim);
    ASSERT_TRUE(kernel.ok()) << kernel.status();
    for (bool add : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "dim " << dim << (add ? " with" : " without") << " residual");
      RunAndCheck(*kernel, dim, dim > 1000 ? 2 : 3, add, seed += 3);
    }
  }
}

TEST(NonProductKernelSpecTest, ShapesAreCheckedAndThereAreNoKnobs) {
  LinearKernelSpec spec;
  spec.kind = LinearKernelKind::kRmsNorm;
  spec.n = 64;
  spec.k = 64;
  EXPECT_TRUE(ValidateSpec(spec).ok());
  EXPECT_EQ(spec.Name(), "dsc_rms_norm_d64");
  spec.n = 32;
  EXPECT_FALSE(ValidateSpec(spec).ok());
  spec.n = 64;
  spec.bf16_activations = true;
  EXPECT_FALSE(ValidateSpec(spec).ok());
  spec.bf16_activations = false;
  spec.m = 2;
  EXPECT_FALSE(ValidateSpec(spec).ok());
  spec = LinearKernelSpec{};
  spec.kind = LinearKernelKind::kIndexerScores;
  spec.n = 17;
  spec.k = 128;
  EXPECT_TRUE(ValidateSpec(spec).ok());
  EXPECT_EQ(spec.Name(), "dsc_indexer_scores_h17_d128");
  spec.rows_per_iteration = 2;
  EXPECT_FALSE(ValidateSpec(spec).ok());
  spec = LinearKernelSpec{};
  spec.kind = LinearKernelKind::kMlaAttention;
  spec.n = spec.k = 512;
  EXPECT_TRUE(ValidateSpec(spec).ok());
  EXPECT_EQ(spec.Name(), "dsc_mla_attention_r512");
  spec.n = 128;  // the rank is n and k
  EXPECT_FALSE(ValidateSpec(spec).ok());
  spec.n = 512;
  spec.prefetch_distance = 0;
  EXPECT_FALSE(ValidateSpec(spec).ok());
}

INSTANTIATE_TEST_SUITE_P(Isa, RmsNormKernelTest, ::testing::Values("host", "x86-64-v3", "x86-64"),
                         testing::IsaParamName);

}  // namespace
}  // namespace dsc::codegen
