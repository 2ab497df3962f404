// LatentAttentionAllHeads (heads in vector lanes; on the calling thread, or with a pool keys,
// heads and columns split over two threads)
// against ref::MlaLatentAttentionRow with its default sequential dot, head by head, bit for
// bit: ragged head counts (1, 16, 19: a partly filled vector), a rank that is no multiple of the
// column split, keys the mask drops, causal limits, and a row whose keys are all dropped (NaN).
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "numerics/scalar_formats.h"
#include "runtime/interp/kernels_attention.h"
#include "runtime/interp/latent_attention_bf16.h"
#include "runtime/interp/latent_attention_fast.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime {
namespace {

constexpr int64_t kRank = 40, kRope = 6;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Queries in [-1, 1], cached latents in [-2, 2] and an additive mask in [-0.5, 0.5] for `heads`
// heads over t keys.
struct Inputs {
  std::vector<float> ql, qp, kv, pe, mask;
};
Inputs RandomInputs(int64_t heads, int64_t t, int64_t rank, int64_t rope, uint32_t seed) {
  return Inputs{testing::RandomVector(heads * rank, seed, -1.0f, 1.0f),
                testing::RandomVector(heads * rope, seed + 1, -1.0f, 1.0f),
                testing::RandomVector(t * rank, seed + 2, -2.0f, 2.0f),
                testing::RandomVector(t * rope, seed + 3, -2.0f, 2.0f),
                testing::RandomVector(t, seed + 4, -0.5f, 0.5f)};
}

TEST(LatentAttentionFastTest, BitIdenticalToTheReferenceRow) {
  ThreadPool pool(2);
  for (int64_t heads : {1, 16, 19}) {
    // 1300 keys x 19 heads over the two threads; the rest on this thread.
    for (int64_t t : {int64_t{1}, int64_t{9}, int64_t{53}, heads == 19 ? int64_t{1300} : int64_t{2}}) {
      for (int64_t last_visible : {int64_t{-1}, t / 2, t + 3}) {
        for (bool masked : {false, true}) {
          SCOPED_TRACE(absl::StrCat("heads=", heads, " t=", t, " last_visible=", last_visible, " masked=", masked));
          const uint32_t seed = static_cast<uint32_t>(heads * 1000 + t * 10 + (masked ? 1 : 0));
          const auto [ql, qp, kv, pe, random_mask] = RandomInputs(heads, t, kRank, kRope, seed);
          std::vector<float> mask = random_mask;
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

// bf16(v) (round to nearest even, as VCVTNEPS2BF16) as a float.
float RoundBf16(float v) { return numerics::Bf16ToFloat(numerics::FloatToBf16(v)); }

// The opt-in BF16 products (bf16 = true) against the same math in double on BF16-rounded
// queries, latents and probabilities (the softmax in float32 as in the kernel): what the mode
// promises, to float32 summation error. And against the float32 reference: the error the mode
// costs, small. Ragged: 19 heads (a partial 16-head group, a partial 4-head tile) and 32 (two
// whole groups), a latent of 80 (a 64-column tile and a 16-column one; 2 threads split it at
// 48), odd key counts (a half-empty last key pair), 300 keys (three key blocks), masked keys.
// Where the CPU lacks AVX-512 BF16 the flag falls back to the float32 products, bit for bit.
TEST(LatentAttentionFastTest, Bf16ProductsMatchTheirDefinition) {
  constexpr int64_t kWidth = 80, kRopeWidth = 6;
  ThreadPool pool(2);
  const bool bf16 = bf16_attention::Usable(kWidth, kRopeWidth);
  for (int64_t heads : {int64_t{19}, int64_t{32}}) {
    for (int64_t t : {int64_t{1}, int64_t{9}, int64_t{53}, int64_t{300}}) {
      for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
        for (bool masked : {false, true}) {
          SCOPED_TRACE(
              absl::StrCat("heads=", heads, " t=", t, " pool=", p != nullptr, " masked=", masked, " bf16=", bf16));
          const uint32_t seed = static_cast<uint32_t>(heads * 10000 + t * 10 + (masked ? 1 : 0));
          const auto [ql, qp, kv, pe, random_mask] = RandomInputs(heads, t, kWidth, kRopeWidth, seed);
          std::vector<float> mask = random_mask;
          for (int64_t j = 1; j < t; j += 5) mask[j] = kNegInf;
          const float* m = masked ? mask.data() : nullptr;
          const float scale = 0.173f;
          std::vector<float> got(heads * kWidth, 1.0f), exact(heads * kWidth), z(t);
          LatentAttentionAllHeads(p, ql.data(), qp.data(), kv.data(), pe.data(), t, heads, kWidth, kRopeWidth, scale, m,
                                  -1, got.data(), /*bf16=*/true);
          for (int64_t h = 0; h < heads; ++h) {
            ref::MlaLatentAttentionRow(ql.data() + h * kWidth, qp.data() + h * kRopeWidth, kv.data(), pe.data(), t,
                                       kWidth, kRopeWidth, scale, m, -1, z.data(), exact.data() + h * kWidth, nullptr);
          }
          if (!bf16) {
            EXPECT_EQ(std::memcmp(got.data(), exact.data(), exact.size() * sizeof(float)), 0);
            continue;
          }
          double worst_definition = 0, err2 = 0, norm2 = 0;
          for (int64_t h = 0; h < heads; ++h) {
            std::vector<float> s(t);
            float top = -std::numeric_limits<float>::infinity();
            for (int64_t j = 0; j < t; ++j) {
              double dot = 0;
              for (int64_t c = 0; c < kWidth; ++c) {
                dot += double{RoundBf16(ql[h * kWidth + c])} * RoundBf16(kv[j * kWidth + c]);
              }
              for (int64_t c = 0; c < kRopeWidth; ++c) {
                dot += double{RoundBf16(qp[h * kRopeWidth + c])} * RoundBf16(pe[j * kRopeWidth + c]);
              }
              s[j] = static_cast<float>(scale * dot) + (m != nullptr ? m[j] : 0.0f);
              top = std::max(top, s[j]);
            }
            double sum = 0;
            for (int64_t j = 0; j < t; ++j) sum += std::exp(double{s[j]} - top);
            for (int64_t c = 0; c < kWidth; ++c) {
              double want = 0;
              for (int64_t j = 0; j < t; ++j) {
                const float prob = static_cast<float>(std::exp(double{s[j]} - top) / sum);
                want += double{RoundBf16(prob)} * RoundBf16(kv[j * kWidth + c]);
              }
              const float v = got[h * kWidth + c];
              ASSERT_TRUE(std::isfinite(v));
              worst_definition = std::max(worst_definition, std::abs(v - want));
              err2 += (double{v} - exact[h * kWidth + c]) * (double{v} - exact[h * kWidth + c]);
              norm2 += double{exact[h * kWidth + c]} * exact[h * kWidth + c];
            }
          }
          // Values up to 2: float32 sums and a float32 softmax against double, and a probability
          // that lands on the other side of a BF16 rounding boundary (2^-9 of it) now and then
          // (measured: at most 3e-5, at 300 keys).
          EXPECT_LT(worst_definition, 2e-4);
          EXPECT_LT(std::sqrt(err2 / norm2), 1e-2);  // against float32: 1.4e-3 to 3.1e-3 measured
          EXPECT_GT(std::sqrt(err2 / norm2), 0.0);   // and it is the BF16 path that ran
        }
      }
    }
  }
}

}  // namespace
}  // namespace dsc::runtime
