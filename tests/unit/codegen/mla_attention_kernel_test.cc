// The JIT's MLA latent attention (codegen/emit_mla_attention.cc), run through
// LatentAttentionAllHeads as the engine runs it, must equal ref::MlaLatentAttentionRow bit for
// bit (the golden long cases and the indexer after the layer react to any error above ~1e-6):
// on every ISA path, for head counts that fill 16-lane groups partly (1, 3, 17) and 4-head
// tiles partly (5, 18), ranks with 64-column and 16-column strips and a scalar column tail (40,
// 80, 144), ragged rope dims, more than one 128-key block, keys the mask drops, causal limits,
// and on the calling thread or split over two threads.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "gtest/gtest.h"
#include "runtime/interp/kernels_attention.h"
#include "runtime/interp/latent_attention_fast.h"
#include "runtime/thread_pool.h"
#include "tests/unit/codegen/linear_test_util.h"

namespace dsc::codegen {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::vector<float> Random(int64_t n, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

class MlaAttentionKernelTest : public testing::JitTargetTest {
 protected:
  dsc_mla_attention_fn Compile(int64_t rank) {
    LinearKernelSpec spec;
    spec.kind = LinearKernelKind::kMlaAttention;
    spec.n = spec.k = rank;
    absl::StatusOr<dsc_linear_kernel> kernel = CompileLinearKernel(*jit_, spec);
    EXPECT_TRUE(kernel.ok()) << kernel.status();
    if (!kernel.ok()) return nullptr;
    EXPECT_EQ(kernel->info.format, DSC_KERNEL_MLA_ATTENTION);
    return reinterpret_cast<dsc_mla_attention_fn>(kernel->fn);
  }

  void Check(dsc_mla_attention_fn fn, runtime::ThreadPool* pool, int64_t heads, int64_t rank, int64_t dr, int64_t t,
             int64_t last_visible, bool masked, uint32_t seed) {
    std::mt19937 rng(seed);
    const std::vector<float> ql = Random(heads * rank, rng, -1.0f, 1.0f), qp = Random(heads * dr, rng, -1.0f, 1.0f);
    const std::vector<float> kv = Random(t * rank, rng, -2.0f, 2.0f), pe = Random(t * dr, rng, -2.0f, 2.0f);
    std::vector<float> mask = Random(t, rng, -0.5f, 0.5f);
    for (float& m : mask) {
      if (rng() % 3 == 0) m = kNegInf;
    }
    mask[0] = 0.25f;  // key 0 is visible to every row
    const float scale = 0.173f;
    const float* m = masked ? mask.data() : nullptr;
    std::vector<float> got(heads * rank + 1, 1.0f), want(heads * rank), z(t);
    got[heads * rank] = 12345.0f;  // sentinel
    runtime::LatentAttentionAllHeads(pool, ql.data(), qp.data(), kv.data(), pe.data(), t, heads, rank, dr, scale, m,
                                     last_visible, got.data(), /*bf16=*/false, fn);
    for (int64_t h = 0; h < heads; ++h) {
      runtime::ref::MlaLatentAttentionRow(ql.data() + h * rank, qp.data() + h * dr, kv.data(), pe.data(), t, rank, dr,
                                          scale, m, last_visible, z.data(), want.data() + h * rank, nullptr);
    }
    for (int64_t i = 0; i < heads * rank; ++i) {
      ASSERT_EQ(std::memcmp(&got[i], &want[i], sizeof(float)), 0)
          << "head " << i / rank << " column " << i % rank << ": " << got[i] << " vs " << want[i];
      ASSERT_TRUE(std::isfinite(want[i]) && want[i] != 0.0f);  // real values everywhere
    }
    EXPECT_EQ(got[heads * rank], 12345.0f);
  }
};

TEST_P(MlaAttentionKernelTest, BitIdenticalToTheReference) {
  runtime::ThreadPool pool(2);
  uint32_t seed = 11;
  for (int64_t rank : {40, 80, 144}) {
    dsc_mla_attention_fn fn = Compile(rank);
    ASSERT_NE(fn, nullptr);
    for (int64_t heads : {1, 3, 5, 17, 18}) {
      for (int64_t t : {1, 6, 300}) {
        const int64_t dr = heads % 2 == 0 ? 8 : 3;
        for (int64_t last_visible : {int64_t{-1}, t / 2}) {
          for (bool masked : {false, true}) {
            SCOPED_TRACE(::testing::Message() << "rank " << rank << ", " << heads << " heads, t " << t
                                              << ", last_visible " << last_visible << (masked ? ", masked" : ""));
            seed += 5;
            Check(fn, (seed & 2) != 0 ? &pool : nullptr, heads, rank, dr, t, last_visible, masked, seed);
            if (HasFatalFailure()) return;
          }
        }
      }
    }
  }
}

// A score of −inf everywhere but one key, and huge and tiny scores: the softmax's exp clamps and
// −inf lanes, checked against the reference's ExpF path.
TEST_P(MlaAttentionKernelTest, ExtremeScoresMatchTheReference) {
  const int64_t rank = 32, dr = 2, heads = 17;
  dsc_mla_attention_fn fn = Compile(rank);
  ASSERT_NE(fn, nullptr);
  for (const float scale : {1e-30f, 40.0f, 300.0f}) {
    std::mt19937 rng(static_cast<uint32_t>(scale));
    const int64_t t = 140;
    const std::vector<float> ql = Random(heads * rank, rng, -1.0f, 1.0f), qp = Random(heads * dr, rng, -1.0f, 1.0f);
    const std::vector<float> kv = Random(t * rank, rng, -2.0f, 2.0f), pe = Random(t * dr, rng, -2.0f, 2.0f);
    std::vector<float> mask(t, kNegInf);
    for (int64_t j = 0; j < t; j += 7) mask[j] = static_cast<float>(j % 5) - 2.0f;
    std::vector<float> got(heads * rank), want(heads * rank), z(t);
    runtime::LatentAttentionAllHeads(nullptr, ql.data(), qp.data(), kv.data(), pe.data(), t, heads, rank, dr, scale,
                                     mask.data(), -1, got.data(), false, fn);
    for (int64_t h = 0; h < heads; ++h) {
      runtime::ref::MlaLatentAttentionRow(ql.data() + h * rank, qp.data() + h * dr, kv.data(), pe.data(), t, rank,
                                          dr, scale, mask.data(), -1, z.data(), want.data() + h * rank, nullptr);
    }
    SCOPED_TRACE(::testing::Message() << "scale " << scale);
    EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, MlaAttentionKernelTest, ::testing::Values("host", "x86-64-v3", "x86-64"),
                         testing::IsaParamName);

}  // namespace
}  // namespace dsc::codegen
