// Tests of the per-sequence KV cache: dtype rounding per --kv-cache mode, position bookkeeping,
// rollback and the context-overflow error.
#include "runtime/kv_cache.h"

#include <vector>

#include "gtest/gtest.h"
#include "numerics/act_quant.h"
#include "numerics/scalar_formats.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime {
namespace {

using testing::RandomVector;

constexpr KvCacheShape kShape{.n_layers = 2,
                              .capacity = 10,
                              .kv_lora_rank = 256,
                              .qk_rope_head_dim = 8,
                              .index_head_dim = 128};

KvCache MakeCache(KvCacheDtype dtype) {
  absl::StatusOr<KvCache> cache = KvCache::Create(kShape, dtype);
  EXPECT_TRUE(cache.ok()) << cache.status();
  return *std::move(cache);
}

TEST(KvCacheTest, ParsesTheCliSpellings) {
  EXPECT_EQ(*ParseKvCacheDtype("fp8"), KvCacheDtype::kFP8);
  EXPECT_EQ(*ParseKvCacheDtype("bf16"), KvCacheDtype::kBF16);
  EXPECT_EQ(*ParseKvCacheDtype("f32"), KvCacheDtype::kF32);
  EXPECT_FALSE(ParseKvCacheDtype("fp16").ok());
  EXPECT_EQ(KvCacheDtypeName(KvCacheDtype::kFP8), "fp8");
}

TEST(KvCacheTest, StoresLatentRoundedToTheCacheDtype) {
  const int64_t rows = 3, rank = kShape.kv_lora_rank, dr = kShape.qk_rope_head_dim;
  const std::vector<float> latent = RandomVector(rows * rank, 700, -4, 4);
  const std::vector<float> pe = RandomVector(rows * dr, 701);
  for (KvCacheDtype dtype : {KvCacheDtype::kF32, KvCacheDtype::kBF16, KvCacheDtype::kFP8}) {
    KvCache cache = MakeCache(dtype);
    ASSERT_TRUE(cache.WriteLatent(1, 0, 1, latent.data(), pe.data()).ok());
    ASSERT_TRUE(cache.WriteLatent(1, 1, 2, latent.data() + rank, pe.data() + dr).ok());
    std::vector<float> got_latent(rows * rank), got_pe(rows * dr);
    ASSERT_TRUE(cache.ReadLatent(1, rows, got_latent.data(), got_pe.data()).ok());
    std::vector<float> want_latent = latent, want_pe = pe;
    if (dtype == KvCacheDtype::kBF16) {
      for (float& v : want_latent) v = numerics::Bf16ToFloat(numerics::FloatToBf16(v));
      for (float& v : want_pe) v = numerics::Bf16ToFloat(numerics::FloatToBf16(v));
    } else if (dtype == KvCacheDtype::kFP8) {  // model.md §7 step 4; k_pe stays exact
      ASSERT_TRUE(numerics::ActQuantRoundTrip(want_latent.data(), rows * rank, 128,
                                              numerics::ActScaleFormat::kUe8m0)
                      .ok());
    }
    EXPECT_EQ(got_latent, want_latent) << KvCacheDtypeName(dtype);
    EXPECT_EQ(got_pe, want_pe) << KvCacheDtypeName(dtype);
    if (dtype != KvCacheDtype::kF32) {
      EXPECT_NE(got_latent, latent);
    }
  }
}

TEST(KvCacheTest, IndexKeysRoundTripAndLayersAreIndependent) {
  KvCache cache = MakeCache(KvCacheDtype::kF32);
  std::vector<uint8_t> codes(2 * 128);
  for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<uint8_t>(i * 7);
  const float scales[2] = {0.25f, 8.0f};
  ASSERT_TRUE(cache.WriteIndexKeys(0, 0, 2, codes.data(), scales).ok());
  const uint8_t* got_codes = nullptr;
  const float* got_scales = nullptr;
  ASSERT_TRUE(cache.IndexKeys(0, 2, &got_codes, &got_scales).ok());
  EXPECT_EQ(std::vector<uint8_t>(got_codes, got_codes + codes.size()), codes);
  EXPECT_EQ(got_scales[1], 8.0f);
  EXPECT_EQ(cache.index_rows(0), 2);
  EXPECT_EQ(cache.index_rows(1), 0);
  EXPECT_FALSE(cache.IndexKeys(1, 1, &got_codes, &got_scales).ok());
}

TEST(KvCacheTest, RejectsOverflowGapsUnwrittenReadsAndBadShapes) {
  KvCache cache = MakeCache(KvCacheDtype::kF32);
  const std::vector<float> latent = RandomVector(11 * kShape.kv_lora_rank, 710);
  const std::vector<float> pe = RandomVector(11 * kShape.qk_rope_head_dim, 711);
  std::vector<float> out_latent(11 * kShape.kv_lora_rank), out_pe(11 * kShape.qk_rope_head_dim);

  const absl::Status overflow = cache.WriteLatent(0, 0, 11, latent.data(), pe.data());
  EXPECT_EQ(overflow.code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(overflow.message().find("context overflow"), std::string::npos) << overflow;

  ASSERT_TRUE(cache.WriteLatent(0, 0, 6, latent.data(), pe.data()).ok());
  EXPECT_EQ(cache.WriteLatent(0, 7, 1, latent.data(), pe.data()).code(),
            absl::StatusCode::kInvalidArgument);  // gap at position 6
  EXPECT_EQ(cache.ReadLatent(0, 7, out_latent.data(), out_pe.data()).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(cache.WriteLatent(0, 6, 5, latent.data(), pe.data()).code(),
            absl::StatusCode::kOutOfRange);  // [6, 11) > capacity 10
  // Rollback: rewriting from position 2 makes rows [0, 3) the valid ones.
  ASSERT_TRUE(cache.WriteLatent(0, 2, 1, latent.data(), pe.data()).ok());
  EXPECT_EQ(cache.latent_rows(0), 3);
  EXPECT_FALSE(cache.ReadLatent(0, 4, out_latent.data(), out_pe.data()).ok());
  EXPECT_FALSE(cache.WriteLatent(2, 0, 1, latent.data(), pe.data()).ok());

  KvCacheShape odd = kShape;
  odd.kv_lora_rank = 100;
  EXPECT_EQ(KvCache::Create(odd, KvCacheDtype::kFP8).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(KvCache::Create(odd, KvCacheDtype::kBF16).ok());
  odd.capacity = 0;
  EXPECT_FALSE(KvCache::Create(odd, KvCacheDtype::kF32).ok());
}

}  // namespace
}  // namespace dsc::runtime
