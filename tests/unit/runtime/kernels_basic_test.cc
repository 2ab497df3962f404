// Tests of the reference linear, norm, element-wise and softmax kernels against double-precision
// formulas on random ragged shapes.
#include <cmath>
#include <limits>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/interp/kernels_elementwise.h"
#include "runtime/interp/kernels_linear.h"
#include "runtime/interp/kernels_norm.h"
#include "runtime/interp/kernels_softmax.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime::ref {
namespace {

using testing::RandomVector;
using testing::RelL2;

TEST(LinearTest, MatchesDoubleDotProductsOnRaggedShapes) {
  for (auto [m, k, n] : {std::tuple{1, 1, 1}, {7, 37, 13}, {3, 256, 129}, {17, 48, 5}}) {
    const std::vector<float> x = RandomVector(m * k, 1 + m), w = RandomVector(n * k, 2 + n);
    std::vector<float> y(m * n);
    Linear(x.data(), w.data(), m, k, n, y.data());
    std::vector<double> expected(m * n);
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        for (int c = 0; c < k; ++c) expected[i * n + j] += double{x[i * k + c]} * w[j * k + c];
      }
    }
    EXPECT_LT(RelL2(y, expected), 1e-6) << m << "x" << k << "x" << n;
  }
}

TEST(LinearTest, LargeProductsSplitAcrossThreadsGiveTheSameBits) {
  const int64_t m = 3, k = 1024, n = 4096;  // 12.6M multiply-adds: the threaded path
  const std::vector<float> x = RandomVector(m * k, 20), w = RandomVector(n * k, 21);
  std::vector<float> y(m * n);
  Linear(x.data(), w.data(), m, k, n, y.data());
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; j += 97) {
      EXPECT_EQ(y[i * n + j], DotF32(&x[i * k], &w[j * k], k)) << i << "," << j;
    }
  }
}

TEST(LinearTest, EmptyReductionGivesZeros) {
  std::vector<float> y(6, 5.0f);
  Linear(nullptr, nullptr, 2, 0, 3, y.data());
  for (float v : y) EXPECT_EQ(v, 0.0f);
}

TEST(NormTest, RmsNormMatchesFormula) {
  const int rows = 5, dim = 77;
  const std::vector<float> x = RandomVector(rows * dim, 3, -3, 3), w = RandomVector(dim, 4);
  std::vector<float> y(rows * dim);
  RmsNorm(x.data(), w.data(), rows, dim, 1e-6f, y.data());
  for (int r = 0; r < rows; ++r) {
    double mean_sq = 0;
    for (int j = 0; j < dim; ++j) mean_sq += double{x[r * dim + j]} * x[r * dim + j] / dim;
    for (int j = 0; j < dim; ++j) {
      const double expected = x[r * dim + j] / std::sqrt(mean_sq + 1e-6) * w[j];
      EXPECT_NEAR(y[r * dim + j], expected, 1e-5 * (1 + std::fabs(expected)));
    }
  }
}

TEST(NormTest, AddRmsNormUpdatesResidualThenNormalizes) {
  const int rows = 3, dim = 40;
  const std::vector<float> x = RandomVector(rows * dim, 5), w = RandomVector(dim, 6);
  std::vector<float> residual = RandomVector(rows * dim, 7), y(rows * dim);
  std::vector<float> sum(rows * dim), expected(rows * dim);
  for (int i = 0; i < rows * dim; ++i) sum[i] = x[i] + residual[i];
  RmsNorm(sum.data(), w.data(), rows, dim, 1e-6f, expected.data());
  AddRmsNorm(x.data(), residual.data(), w.data(), rows, dim, 1e-6f, y.data());
  EXPECT_EQ(residual, sum);
  EXPECT_EQ(y, expected);
}

TEST(NormTest, LayerNormMatchesFormula) {
  const int rows = 4, dim = 128;
  const std::vector<float> x = RandomVector(rows * dim, 8, -2, 5);  // nonzero mean
  const std::vector<float> g = RandomVector(dim, 9), b = RandomVector(dim, 10);
  std::vector<float> y(rows * dim);
  LayerNorm(x.data(), g.data(), b.data(), rows, dim, 1e-6f, y.data());
  for (int r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int j = 0; j < dim; ++j) mean += x[r * dim + j];
    mean /= dim;
    for (int j = 0; j < dim; ++j) var += (x[r * dim + j] - mean) * (x[r * dim + j] - mean);
    var /= dim;
    for (int j = 0; j < dim; ++j) {
      const double expected = (x[r * dim + j] - mean) / std::sqrt(var + 1e-6) * g[j] + b[j];
      EXPECT_NEAR(y[r * dim + j], expected, 1e-5);
    }
  }
}

TEST(ElementwiseTest, ActivationsMatchFormulas) {
  const int n = 101;
  const std::vector<float> x = RandomVector(n, 11, -8, 8), u = RandomVector(n, 12);
  std::vector<float> sig(n), silu(n), glu(n), sum(n), scaled(n);
  Sigmoid(x.data(), n, sig.data());
  Silu(x.data(), n, silu.data());
  SwiGlu(x.data(), u.data(), n, glu.data());
  Add(x.data(), u.data(), n, sum.data());
  Scale(x.data(), 0.75f, n, scaled.data());
  for (int i = 0; i < n; ++i) {
    const double s = 1.0 / (1.0 + std::exp(-double{x[i]}));
    EXPECT_NEAR(sig[i], s, 1e-7);
    EXPECT_NEAR(silu[i], x[i] * s, 1e-6);
    EXPECT_NEAR(glu[i], x[i] * s * u[i], 1e-6);
    EXPECT_EQ(sum[i], x[i] + u[i]);
    EXPECT_EQ(scaled[i], x[i] * 0.75f);
  }
}

TEST(ElementwiseTest, EmbedGathersRowsAndRejectsBadIds) {
  const int vocab = 9, dim = 6;
  const std::vector<float> table = RandomVector(vocab * dim, 13);
  const std::vector<int32_t> ids = {8, 0, 3, 3};
  std::vector<float> y(ids.size() * dim);
  ASSERT_TRUE(Embed(table.data(), vocab, dim, ids.data(), 4, y.data()).ok());
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < dim; ++j) EXPECT_EQ(y[i * dim + j], table[ids[i] * dim + j]);
  }
  const int32_t bad = vocab;
  EXPECT_EQ(Embed(table.data(), vocab, dim, &bad, 1, y.data()).code(),
            absl::StatusCode::kOutOfRange);
}

TEST(SoftmaxTest, MatchesFormulaAndZeroesMaskedEntries) {
  const int rows = 3, n = 23;
  std::vector<float> z = RandomVector(rows * n, 14, -20, 20);
  z[5] = -std::numeric_limits<float>::infinity();
  z[n + 22] = -std::numeric_limits<float>::infinity();
  std::vector<float> p(rows * n);
  Softmax(z.data(), rows, n, p.data());
  for (int r = 0; r < rows; ++r) {
    double total = 0;
    for (int t = 0; t < n; ++t) total += std::exp(double{z[r * n + t]});
    for (int t = 0; t < n; ++t) {
      EXPECT_NEAR(p[r * n + t], std::exp(double{z[r * n + t]}) / total, 1e-6);
    }
  }
  EXPECT_EQ(p[5], 0.0f);
  EXPECT_EQ(p[n + 22], 0.0f);
  std::vector<float> masked(4, -std::numeric_limits<float>::infinity());
  Softmax(masked.data(), 1, 4, masked.data());
  for (float v : masked) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace dsc::runtime::ref
