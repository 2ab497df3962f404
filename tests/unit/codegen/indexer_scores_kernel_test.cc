// The JIT's indexer-score kernel (codegen/emit_indexer_scores.cc) must equal the reference's
// scores bit for bit (its top-k picks the keys attention reads): checked against the formula in
// the reference's order on every ISA path, for head counts that do and do not fill a 16-lane
// group, ragged head dims and key ranges, with and without per-key scales.
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "gtest/gtest.h"
#include "tests/unit/codegen/linear_test_util.h"

namespace dsc::codegen {
namespace {

// The reference's order (runtime/interp/eval_model.cc): per key, per head in increasing order,
// dot over c in increasing order (each product rounded, then added), max(dot, 0) · w · scale
// added to the key's score, which is then multiplied by its k_scale.
std::vector<float> ReferenceScores(const std::vector<float>& q, const std::vector<float>& w,
                                   const std::vector<float>& k, const float* k_scale, int64_t heads, int64_t d,
                                   int64_t keys, float scale) {
  std::vector<float> out(keys);
  for (int64_t j = 0; j < keys; ++j) {
    float score = 0.0f;
    for (int64_t h = 0; h < heads; ++h) {
      float dot = 0.0f;
      for (int64_t c = 0; c < d; ++c) {
        const volatile float product = q[h * d + c] * k[j * d + c];  // no fused multiply-add
        dot += product;
      }
      const float relu = dot < 0.0f ? 0.0f : dot;
      const volatile float term = relu * w[h] * scale;
      score += term;
    }
    out[j] = k_scale != nullptr ? score * k_scale[j] : score;
  }
  return out;
}

class IndexerScoresKernelTest : public testing::JitTargetTest {
 protected:
  void Check(int64_t heads, int64_t d, int64_t keys, uint32_t seed) {
    LinearKernelSpec spec;
    spec.kind = LinearKernelKind::kIndexerScores;
    spec.n = heads;
    spec.k = d;
    absl::StatusOr<dsc_linear_kernel> kernel = CompileLinearKernel(*jit_, spec);
    ASSERT_TRUE(kernel.ok()) << kernel.status();
    ASSERT_EQ(kernel->info.format, DSC_KERNEL_INDEXER_SCORES);
    auto fn = reinterpret_cast<dsc_indexer_scores_fn>(kernel->fn);

    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
    std::vector<float> q(heads * d), w(heads), k(keys * d), k_scale(keys);
    for (float& v : q) v = dist(rng);
    for (float& v : w) v = dist(rng);
    for (float& v : k) v = dist(rng);
    for (float& v : k_scale) v = 0.5f + std::abs(dist(rng));
    const float scale = 0.0883883f;  // 128^-1/2, rounded
    // The heads-in-lanes layout of dsc_indexer_scores_args, zero past the heads.
    const int64_t groups = (heads + 15) / 16;
    std::vector<float> qt(groups * d * 16, 0.0f), wv(groups * 16, 0.0f);
    for (int64_t h = 0; h < heads; ++h) {
      wv[h] = w[h];
      for (int64_t c = 0; c < d; ++c) qt[((h / 16) * d + c) * 16 + h % 16] = q[h * d + c];
    }
    for (const bool scaled : {true, false}) {
      const std::vector<float> ref =
          ReferenceScores(q, w, k, scaled ? k_scale.data() : nullptr, heads, d, keys, scale);
      // The keys in two ranges, as two threads would split them; the outputs past `keys` stay.
      std::vector<float> out(keys + 1, testing::kSentinel);
      const int64_t split = keys / 3;
      for (auto [begin, end] : {std::pair<int64_t, int64_t>{0, split}, {split, keys}}) {
        const dsc_indexer_scores_args args = {qt.data(), wv.data(), k.data(), scaled ? k_scale.data() : nullptr,
                                              out.data(), begin, end, scale, 0};
        fn(&args);
      }
      for (int64_t j = 0; j < keys; ++j) {
        ASSERT_EQ(std::memcmp(&out[j], &ref[j], sizeof(float)), 0)
            << "key " << j << ": " << out[j] << " vs " << ref[j] << (scaled ? " (scaled)" : "");
      }
      EXPECT_EQ(out[keys], testing::kSentinel);
    }
  }
};

TEST_P(IndexerScoresKernelTest, BitIdenticalToTheReference) {
  uint32_t seed = 3;
  for (int64_t heads : {1, 5, 16, 17, 64}) {
    for (int64_t d : {1, 7, 128}) {
      SCOPED_TRACE(::testing::Message() << heads << " heads, d " << d);
      Check(heads, d, heads == 64 ? 37 : 9, seed += 7);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, IndexerScoresKernelTest, ::testing::Values("host", "x86-64-v3", "x86-64"),
                         testing::IsaParamName);

}  // namespace
}  // namespace dsc::codegen
