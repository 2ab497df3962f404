// LatentAttentionAllHeads (heads in vector lanes; on the calling thread, or with a pool keys,
// heads and columns split over two threads)
// against ref::MlaLatentAttentionRow with its default sequential dot, head by head, bit for
// bit: ragged head counts (1, 16, 19: a partly filled vector), a rank that is no multiple of the
// column split, keys the mask drops, causal limits, and a row whose keys are all dropped (NaN).
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/interp/kernels_attention.h"
#include "runtime/interp/latent_attention_fast.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime {
namespace {

constexpr int64_t kRank = 40, kRope = 6;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

TEST(LatentAttentionFastTest, BitIdenticalToTheReferenceRow) {
  ThreadPool pool(2);
  for (int64_t heads : {1, 16, 19}) {
    // 1300 keys x 19 heads over the two threads; the rest on this thread.
    for (int64_t t : {int64_t{1}, int64_t{9}, int64_t{53}, heads == 19 ? int64_t{1300} : int64_t{2}}) {
      for (int64_t last_visible : {int64_t{-1}, t / 2, t + 3}) {
        for (bool masked : {false, true}) {
          SCOPED_TRACE(absl::StrCat("heads=", heads, " t=", t, " last_visible=", last_visible, " masked=", masked));
          const uint32_t seed = static_cast<uint32_t>(heads * 1000 + t * 10 + (masked ? 1 : 0));
          const std::vector<float> ql = testing::RandomVector(heads * kRank, seed, -1.0f, 1.0f);
          const std::vector<float> qp = testing::RandomVector(heads * kRope, seed + 1, -1.0f, 1.0f);
          const std::vector<float> kv = testing::RandomVector(t * kRank, seed + 2, -2.0f, 2.0f);
          const std::vector<float> pe = testing::RandomVector(t * kRope, seed + 3, -2.0f, 2.0f);
          std::vector<float> mask = testing::RandomVector(t, seed + 4, -0.5f, 0.5f);
          std::mt19937 rng(seed);
          for (float& m : mask) {
            if (rng() % 3 == 0) m = kNegInf;
          }
          mask[0] = 0.25f;  // key 0 is visible to every row
          const float scale = 0.173f;
          std::vector<float> got(heads * kRank, 1.0f), want(heads * kRank), z(t);
          LatentAttentionAllHeads(t > 1000 ? &pool : nullptr, ql.data(), qp.data(), kv.data(), pe.data(), t, heads, kRank, kRope, scale,
                                  masked ? mask.data() : nullptr, last_visible, got.data());
          for (int64_t h = 0; h < heads; ++h) {
            ref::MlaLatentAttentionRow(ql.data() + h * kRank, qp.data() + h * kRope, kv.data(), pe.data(), t, kRank,
                                       kRope, scale, masked ? mask.data() : nullptr, last_visible, z.data(),
                                       want.data() + h * kRank, nullptr);
          }
          EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0);
          int finite = 0;
          for (float v : want) finite += std::isfinite(v) && v != 0.0f;
          EXPECT_EQ(finite, static_cast<int>(want.size()));  // real values everywhere
        }
      }
    }
  }
  // Every key dropped: 0/0 probabilities, NaN rows in both.
  std::vector<float> ql = testing::RandomVector(3 * kRank, 7), qp = testing::RandomVector(3 * kRope, 8);
  std::vector<float> kv = testing::RandomVector(4 * kRank, 9), pe = testing::RandomVector(4 * kRope, 10);
  std::vector<float> mask(4, kNegInf), got(3 * kRank), want(3 * kRank), z(4);
  LatentAttentionAllHeads(&pool, ql.data(), qp.data(), kv.data(), pe.data(), 4, 3, kRank, kRope, 0.5f, mask.data(), -1,
                          got.data());
  for (int64_t h = 0; h < 3; ++h) {
    ref::MlaLatentAttentionRow(ql.data() + h * kRank, qp.data() + h * kRope, kv.data(), pe.data(), 4, kRank, kRope,
                               0.5f, mask.data(), -1, z.data(), want.data() + h * kRank, nullptr);
  }
  EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0);
}

// A wider latent (200 = three 64-column tiles, a 16-column one and 8 scalar columns; split over
// 2 threads at column 112) and more keys than one key block (300 > 128, the last block
// partial): the weighted sum's tiles, its per-block partial sums and its packing, bit for bit.
TEST(LatentAttentionFastTest, WideLatentAndSeveralKeyBlocksStayBitIdentical) {
  constexpr int64_t kWide = 200, kHeads = 19, kKeys = 300;
  ThreadPool pool(2);
  for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
    for (bool masked : {false, true}) {
      SCOPED_TRACE(absl::StrCat("pool=", p != nullptr, " masked=", masked));
      const std::vector<float> ql = testing::RandomVector(kHeads * kWide, 21, -1.0f, 1.0f);
      const std::vector<float> qp = testing::RandomVector(kHeads * kRope, 22, -1.0f, 1.0f);
      const std::vector<float> kv = testing::RandomVector(kKeys * kWide, 23, -2.0f, 2.0f);
      const std::vector<float> pe = testing::RandomVector(kKeys * kRope, 24, -2.0f, 2.0f);
      std::vector<float> mask = testing::RandomVector(kKeys, 25, -0.5f, 0.5f);
      for (int64_t j = 3; j < kKeys; j += 7) mask[j] = kNegInf;
      std::vector<float> got(kHeads * kWide, 1.0f), want(kHeads * kWide), z(kKeys);
      LatentAttentionAllHeads(p, ql.data(), qp.data(), kv.data(), pe.data(), kKeys, kHeads, kWide, kRope, 0.061f,
                              masked ? mask.data() : nullptr, -1, got.data());
      for (int64_t h = 0; h < kHeads; ++h) {
        ref::MlaLatentAttentionRow(ql.data() + h * kWide, qp.data() + h * kRope, kv.data(), pe.data(), kKeys, kWide,
                                   kRope, 0.061f, masked ? mask.data() : nullptr, -1, z.data(),
                                   want.data() + h * kWide, nullptr);
      }
      EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0);
      int nonzero = 0;
      for (float v : want) nonzero += std::isfinite(v) && v != 0.0f;
      EXPECT_EQ(nonzero, static_cast<int>(want.size()));
    }
  }
}

}  // namespace
}  // namespace dsc::runtime
