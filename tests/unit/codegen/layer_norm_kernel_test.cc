// The JIT's layer norm kernel (codegen/emit_layer_norm.cc) must equal ref::LayerNorm bit for
// bit, on every ISA path, for ragged row lengths (full vectors and masked tails), on rows with
// a large common offset (where the mean matters) and on constant rows (zero variance).
#include <cstring>
#include <random>
#include <vector>

#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "gtest/gtest.h"
#include "runtime/interp/kernels_norm.h"
#include "tests/unit/codegen/linear_test_util.h"

namespace dsc::codegen {
namespace {

// Rows of mixed magnitude around `offset`, never all zero.
std::vector<float> RowsAround(int64_t count, float offset, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  std::vector<float> v(count);
  for (float& x : v) x = offset + dist(rng) * (rng() % 8 == 0 ? 40.0f : 1.0f);
  return v;
}

class LayerNormKernelTest : public testing::JitTargetTest {
 protected:
  static absl::StatusOr<dsc_linear_kernel> Compile(Jit& jit, int64_t dim) {
    LinearKernelSpec spec;
    spec.kind = LinearKernelKind::kLayerNorm;
    spec.n = spec.k = dim;
    return CompileLinearKernel(jit, spec);
  }

  // Runs the kernel on `x` (rows of `dim`) and compares with the reference; the element after
  // the output must keep its sentinel.
  static void RunAndCheck(const dsc_linear_kernel& kernel, int64_t dim, const std::vector<float>& x,
                          uint32_t seed) {
    ASSERT_EQ(kernel.info.format, DSC_KERNEL_LAYER_NORM);
    ASSERT_EQ(kernel.info.k, dim);
    const int64_t rows = static_cast<int64_t>(x.size()) / dim;
    const std::vector<float> gamma = RowsAround(dim, 1.0f, seed),
                             beta = RowsAround(dim, 0.0f, seed + 1);
    const float eps = 1e-6f;
    std::vector<float> y(rows * dim + 1, testing::kSentinel);
    const dsc_layer_norm_args args = {x.data(), gamma.data(), beta.data(), y.data(), rows, eps, 0};
    reinterpret_cast<dsc_layer_norm_fn>(kernel.fn)(&args);

    std::vector<float> ref(rows * dim);
    runtime::ref::LayerNorm(x.data(), gamma.data(), beta.data(), rows, dim, eps, ref.data());
    for (int64_t i = 0; i < rows * dim; ++i) {
      ASSERT_EQ(std::memcmp(&y[i], &ref[i], sizeof(float)), 0)
          << "element " << i << ": " << y[i] << " vs " << ref[i];
    }
    EXPECT_EQ(y[rows * dim], testing::kSentinel);
  }
};

TEST_P(LayerNormKernelTest, RaggedRowLengthsAndOffsets) {
  uint32_t seed = 23;
  for (int64_t dim : {1, 3, 7, 8, 15, 17, 31, 64, 65, 100, 128, 129, 512, 7168 + 5}) {
    absl::StatusOr<dsc_linear_kernel> kernel = Compile(*jit_, dim);
    ASSERT_TRUE(kernel.ok()) << kernel.status();
    for (float offset : {0.0f, 250.0f, -17.5f}) {
      SCOPED_TRACE(::testing::Message() << "dim " << dim << ", offset " << offset);
      seed += 3;
      RunAndCheck(*kernel, dim, RowsAround((dim > 1000 ? 2 : 3) * dim, offset, seed), seed + 100);
    }
  }
}

TEST_P(LayerNormKernelTest, ConstantRowsGiveBeta) {
  const int64_t dim = 37;
  absl::StatusOr<dsc_linear_kernel> kernel = Compile(*jit_, dim);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  const std::vector<float> x(2 * dim, 3.25f);  // zero variance: y = 0 · inv · γ + β
  RunAndCheck(*kernel, dim, x, 7);
}

TEST(LayerNormKernelSpecTest, ShapesAreCheckedAndThereAreNoKnobs) {
  LinearKernelSpec spec;
  spec.kind = LinearKernelKind::kLayerNorm;
  spec.n = spec.k = 128;
  EXPECT_TRUE(ValidateSpec(spec).ok());
  EXPECT_EQ(spec.Name(), "dsc_layer_norm_d128");
  spec.n = 64;
  EXPECT_FALSE(ValidateSpec(spec).ok());
  spec.n = 128;
  spec.rows_per_iteration = 2;
  EXPECT_FALSE(ValidateSpec(spec).ok());
  spec.rows_per_iteration = 0;
  spec.m = 2;
  EXPECT_FALSE(ValidateSpec(spec).ok());
}

INSTANTIATE_TEST_SUITE_P(Isa, LayerNormKernelTest, ::testing::Values("host", "x86-64-v3", "x86-64"),
                         testing::IsaParamName);

}  // namespace
}  // namespace dsc::codegen
