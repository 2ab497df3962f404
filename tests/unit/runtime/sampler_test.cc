// Sampler: greedy, determinism per seed, top-k/top-p support, and the sampled distribution.
#include "runtime/sampler.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace dsc::runtime {
namespace {

std::vector<float> Logits() { return {0.3f, 2.5f, -1.0f, 2.5f, 1.7f, 0.9f, -3.0f}; }

TEST(SamplerTest, GreedyPicksTheMaximumLowestIdOnTies) {
  Sampler s({.temperature = 0});
  EXPECT_EQ(s.Sample(Logits()), 1);
}

TEST(SamplerTest, SameSeedSameSequenceDifferentSeedDiffers) {
  std::vector<int32_t> a, b, c;
  Sampler sa({.temperature = 1.0, .seed = 7}), sb({.temperature = 1.0, .seed = 7}), sc({.temperature = 1.0, .seed = 8});
  for (int i = 0; i < 64; ++i) {
    a.push_back(sa.Sample(Logits()));
    b.push_back(sb.Sample(Logits()));
    c.push_back(sc.Sample(Logits()));
  }
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(SamplerTest, TopKRestrictsTheSupport) {
  Sampler s({.temperature = 5.0, .top_k = 2, .seed = 3});
  for (int i = 0; i < 200; ++i) {
    int32_t t = s.Sample(Logits());
    EXPECT_TRUE(t == 1 || t == 3) << t;
  }
}

TEST(SamplerTest, TopPKeepsTheSmallestNucleus) {
  // softmax at T=1 of these logits puts ~0.87 on ids 1 and 3 together.
  Sampler s({.temperature = 1.0, .top_p = 0.5, .seed = 11});
  for (int i = 0; i < 200; ++i) {
    int32_t t = s.Sample(Logits());
    EXPECT_TRUE(t == 1 || t == 3) << t;
  }
}

TEST(SamplerTest, FrequenciesFollowTheSoftmax) {
  std::vector<float> logits = {0.0f, std::log(2.0f), std::log(5.0f)};  // probabilities 1:2:5
  Sampler s({.temperature = 1.0, .seed = 123});
  std::vector<int> counts(3, 0);
  const int n = 40000;
  for (int i = 0; i < n; ++i) ++counts[s.Sample(logits)];
  EXPECT_NEAR(counts[0] / double(n), 1.0 / 8, 0.01);
  EXPECT_NEAR(counts[1] / double(n), 2.0 / 8, 0.01);
  EXPECT_NEAR(counts[2] / double(n), 5.0 / 8, 0.01);
}

}  // namespace
}  // namespace dsc::runtime
