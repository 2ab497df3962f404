// Tests of the feed-forward kernels (model.md §9): the spec's toy gate example, tie and
// group rules, and SwiGLU / MoE combination against double-precision formulas.
#include "runtime/interp/kernels_moe.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime::ref {
namespace {

using testing::RandomVector;
using testing::RelL2;

float Logit(float p) { return static_cast<float>(std::log(double{p} / (1.0 - p))); }

TEST(MoeGateTest, ToyExampleOfTheSpec) {
  const std::vector<float> sigma = {.9f, .1f, .6f, .5f, .2f, .8f, .3f, .4f};
  const std::vector<float> bias = {0, 0, .2f, 0, 0, -.3f, 0, 0};
  std::vector<float> logits;
  for (float p : sigma) logits.push_back(Logit(p));
  const MoeGateConfig config{
      .n_experts = 8, .n_groups = 4, .n_limited_groups = 2, .n_activated = 2, .route_scale = 2.5f};
  int32_t experts[2];
  float weights[2];
  ASSERT_TRUE(MoeGate(logits.data(), bias.data(), 1, config, experts, weights).ok());
  EXPECT_EQ(experts[0], 0);
  EXPECT_EQ(experts[1], 2);
  EXPECT_NEAR(weights[0], 1.5f, 1e-6);
  EXPECT_NEAR(weights[1], 1.0f, 1e-6);
}

TEST(MoeGateTest, WithoutBiasGroupsRankByTheirMaxAndTiesGoToLowerIndex) {
  // Groups {0,1} {2,3} {4,5}: maxima .7, .7, .9 -> keep group 2 and group 0 (tie, lower).
  const std::vector<float> sigma = {.7f, .6f, .7f, .65f, .9f, .1f};
  std::vector<float> logits;
  for (float p : sigma) logits.push_back(Logit(p));
  const MoeGateConfig config{
      .n_experts = 6, .n_groups = 3, .n_limited_groups = 2, .n_activated = 3, .route_scale = 1.0f};
  int32_t experts[3];
  float weights[3];
  ASSERT_TRUE(MoeGate(logits.data(), nullptr, 1, config, experts, weights).ok());
  EXPECT_EQ(experts[0], 4);
  EXPECT_EQ(experts[1], 0);
  EXPECT_EQ(experts[2], 1);
  const float total = .9f + .7f + .6f;
  EXPECT_NEAR(weights[0], .9f / total, 1e-6);
  EXPECT_NEAR(weights[2], .6f / total, 1e-6);
}

TEST(MoeGateTest, SoftmaxScoresAreNotRenormalized) {
  const std::vector<float> logits = {1.0f, 3.0f, 2.0f, 0.5f};
  const MoeGateConfig config{
      .n_experts = 4, .n_activated = 2, .route_scale = 2.0f, .score_func = ScoreFunc::kSoftmax};
  int32_t experts[2];
  float weights[2];
  ASSERT_TRUE(MoeGate(logits.data(), nullptr, 1, config, experts, weights).ok());
  double total = 0;
  for (float l : logits) total += std::exp(double{l});
  EXPECT_EQ(experts[0], 1);
  EXPECT_EQ(experts[1], 2);
  EXPECT_NEAR(weights[0], 2.0 * std::exp(3.0) / total, 1e-6);
  EXPECT_NEAR(weights[1], 2.0 * std::exp(2.0) / total, 1e-6);
}

TEST(MoeGateTest, RejectsInconsistentConfig) {
  const float logits[6] = {};
  int32_t experts[4];
  float weights[4];
  const MoeGateConfig config{
      .n_experts = 6, .n_groups = 4, .n_limited_groups = 2, .n_activated = 2};
  EXPECT_EQ(MoeGate(logits, nullptr, 1, config, experts, weights).code(),
            absl::StatusCode::kInvalidArgument);
}

// F(x) = W2 (silu(W1 x) ⊙ W3 x) in double for one row.
std::vector<double> NaiveSwiGlu(const float* x, int64_t dim, const std::vector<float>& w1,
                                const std::vector<float>& w3, const std::vector<float>& w2,
                                int64_t hidden) {
  std::vector<double> act(hidden), y(dim, 0.0);
  for (int64_t i = 0; i < hidden; ++i) {
    double g = 0, u = 0;
    for (int64_t j = 0; j < dim; ++j) {
      g += double{w1[i * dim + j]} * x[j];
      u += double{w3[i * dim + j]} * x[j];
    }
    act[i] = g / (1 + std::exp(-g)) * u;
  }
  for (int64_t j = 0; j < dim; ++j) {
    for (int64_t i = 0; i < hidden; ++i) y[j] += double{w2[j * hidden + i]} * act[i];
  }
  return y;
}

struct Expert {
  std::vector<float> w1, w3, w2;
  SwiGluWeights view(int64_t hidden) const { return {w1.data(), w3.data(), w2.data(), hidden}; }
};

Expert MakeExpert(int64_t dim, int64_t hidden, uint32_t seed) {
  return {RandomVector(hidden * dim, seed), RandomVector(hidden * dim, seed + 1),
          RandomVector(dim * hidden, seed + 2)};
}

TEST(MoeForwardTest, SwiGluAndRoutedPlusSharedMatchFormula) {
  const int64_t rows = 5, dim = 24, hidden = 10, n_experts = 6, k = 2;
  const std::vector<float> x = RandomVector(rows * dim, 400, -2, 2);
  std::vector<Expert> experts;
  for (int64_t e = 0; e < n_experts; ++e) experts.push_back(MakeExpert(dim, hidden, 410 + 3 * e));
  const Expert shared = MakeExpert(dim, hidden * 2, 470);
  const std::vector<int32_t> ids = {3, 1, 0, 5, 3, 0, 2, 4, 1, 3};
  const std::vector<float> gates = RandomVector(rows * k, 480, 0.1f, 1.0f);

  std::vector<float> y_dense(rows * dim);
  SwiGluFfn(x.data(), rows, dim, experts[0].view(hidden), y_dense.data());
  std::vector<double> dense_expected;
  for (int64_t r = 0; r < rows; ++r) {
    for (double v :
         NaiveSwiGlu(&x[r * dim], dim, experts[0].w1, experts[0].w3, experts[0].w2, hidden)) {
      dense_expected.push_back(v);
    }
  }
  EXPECT_LT(RelL2(y_dense, dense_expected), 1e-5);

  std::vector<float> y(rows * dim);
  const SwiGluWeights shared_view = shared.view(hidden * 2);
  ASSERT_TRUE(MoeForward(
                  x.data(), rows, dim, ids.data(), gates.data(), k, n_experts,
                  [&](int64_t e) { return experts[e].view(hidden); }, &shared_view, y.data())
                  .ok());
  std::vector<double> expected(rows * dim, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<double> acc =
        NaiveSwiGlu(&x[r * dim], dim, shared.w1, shared.w3, shared.w2, hidden * 2);
    for (int64_t i = 0; i < k; ++i) {
      const Expert& e = experts[ids[r * k + i]];
      const std::vector<double> f = NaiveSwiGlu(&x[r * dim], dim, e.w1, e.w3, e.w2, hidden);
      for (int64_t j = 0; j < dim; ++j) acc[j] += gates[r * k + i] * f[j];
    }
    for (int64_t j = 0; j < dim; ++j) expected[r * dim + j] = acc[j];
  }
  EXPECT_LT(RelL2(y, expected), 1e-5);

  const std::vector<int32_t> bad(rows * k, static_cast<int32_t>(n_experts));
  EXPECT_EQ(MoeForward(
                x.data(), rows, dim, bad.data(), gates.data(), k, n_experts,
                [&](int64_t e) { return experts[0].view(hidden); }, nullptr, y.data())
                .code(),
            absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace dsc::runtime::ref
