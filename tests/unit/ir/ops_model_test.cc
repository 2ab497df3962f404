// Shape inference and verifier rules of ops_model.cc: rotary, Hadamard, FP8 simulation, the
// DSA indexer, attention, the MoE gate and experts, and KV-cache access.
#include "gtest/gtest.h"
#include "ir_test_util.h"

namespace dsc::ir {
namespace {

using testing::HasError;
using testing::Infer;

AttrMap Yarn(int64_t dim) {
  return {{"dim", dim}, {"theta", 10000.0}, {"factor", 40.0}, {"original_seq_len", int64_t{4096}},
          {"beta_fast", 32.0}, {"beta_slow", 1.0}, {"max_seq_len", int64_t{163840}}};
}

TEST(RopeFreqsTest, HalfTheDim) {
  EXPECT_EQ(Infer(OpCode::kRopeFreqs, {}, Yarn(64)), "f32[32]");
  EXPECT_TRUE(HasError(Infer(OpCode::kRopeFreqs, {}, Yarn(63)), {"'rope_freqs'", "attribute 'dim' must be positive and even, got 63"}));
}

TEST(RotaryTest, InfersAndChecks) {
  AttrMap il = {{"interleaved", true}};
  EXPECT_EQ(Infer(OpCode::kRotary, {"f32[S,H,64]", "f32[32]", "i64[S]"}, il), "f32[S,H,64]");
  EXPECT_TRUE(HasError(Infer(OpCode::kRotary, {"f32[S,H,64]", "f32[32]", "i64[P]"}, il),
                       {"'rotary'", "dim 0 of 'x' and length of 'positions' must match, got S and P"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kRotary, {"f32[S,H,64]", "f32[16]", "i64[S]"}, il),
                       {"last dim of 'x' (64) must be twice the length of 'freqs' (16)"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kRotary, {"f32[S,H,64]", "f32[32]", "f32[S]"}, il),
                       {"operand 'positions' must be i32 or i64"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kRotary, {"f32[64]", "f32[32]", "i64[S]"}, il), {"operand 'x' must have rank >= 2"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kRotary, {"f32[S,64]", "f32[32]", "i64[S]"}),
                       {"missing required attribute 'interleaved'"}));
}

TEST(HadamardTest, PowerOfTwo) {
  EXPECT_EQ(Infer(OpCode::kHadamard, {"bf16[S,128]"}), "f32[S,128]");
  EXPECT_TRUE(HasError(Infer(OpCode::kHadamard, {"f32[S,96]"}),
                       {"'hadamard'", "last dim of 'x' must be a static power of two, got 96"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kHadamard, {"f32[S,T]"}), {"static power of two, got T"}));
}

TEST(Fp8Test, RoundTripAndQuantize) {
  EXPECT_EQ(Infer(OpCode::kFp8RoundTrip, {"f32[S,256]"}), "f32[S,256]");
  EXPECT_EQ(Infer(OpCode::kFp8Quantize, {"f32[S,256]"}), "f8e4m3[S,256], f32[S,2]");
  EXPECT_EQ(Infer(OpCode::kFp8Quantize, {"f32[S,256]"}, {{"block", int64_t{64}}}), "f8e4m3[S,256], f32[S,4]");
  EXPECT_TRUE(HasError(Infer(OpCode::kFp8RoundTrip, {"f32[S,100]"}),
                       {"'fp8_round_trip'", "last dim of 'x' (100) must be a multiple of 'block' (128)"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kFp8Quantize, {"f32[S,256]"}, {{"scale_fmt", std::string("e4m3")}}),
                       {"'fp8_quantize'", "attribute 'scale_fmt' must be \"ue8m0\" or \"plain\", got \"e4m3\""}));
  EXPECT_TRUE(HasError(Infer(OpCode::kFp8Quantize, {"f32[S,256]"}, {{"block", int64_t{0}}}), {"multiple of 'block' (0)"}));
}

TEST(IndexerScoreTest, FloatAndFp8Keys) {
  AttrMap a = {{"scale", 0.125}, {"causal", true}, {"start", Dim::Symbol("P")}};
  EXPECT_EQ(Infer(OpCode::kIndexerScore, {"f32[S,64,128]", "f32[S,64]", "f32[T,128]"}, a), "f32[S,T]");
  EXPECT_EQ(Infer(OpCode::kIndexerScore, {"f32[S,64,128]", "f32[S,64]", "f8e4m3[T,128]", "f32[T,1]"}, a), "f32[S,T]");
}

TEST(IndexerScoreTest, Rules) {
  AttrMap a = {{"scale", 0.125}, {"causal", true}};
  EXPECT_TRUE(HasError(Infer(OpCode::kIndexerScore, {"f32[S,64,128]", "f32[S,64]", "f8e4m3[T,128]"}, a),
                       {"'indexer_score'", "operand 'k' is f8e4m3 but 'k_scale' is missing"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kIndexerScore, {"f32[S,64,128]", "f32[S,64]", "f32[T,128]", "f32[T,1]"}, a),
                       {"operand 'k' must be f8e4m3 when 'k_scale' is given"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kIndexerScore, {"f32[S,64,128]", "f32[S,64]", "f8e4m3[T,128]", "f32[T]"}, a),
                       {"operand 'k_scale' must be f32[T,1], got f32[T]"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kIndexerScore, {"f32[S,64,128]", "f32[S,64]", "f32[T,64]"}, a),
                       {"head dim of 'q' and 'k' must match, got 128 and 64"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kIndexerScore, {"f32[S,64,128]", "f32[S,32]", "f32[T,128]"}, a),
                       {"dim 1 of 'q' and 'w' must match"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kIndexerScore, {"f32[S,64,128]", "f32[P,64]", "f32[T,128]"}, a),
                       {"dim 0 of 'q' and 'w' must match"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kIndexerScore, {"f32[S,128]", "f32[S,64]", "f32[T,128]"}, a),
                       {"operand 'q' must have rank 3"}));
}

TEST(SparseTopkMaskTest, Rules) {
  EXPECT_EQ(Infer(OpCode::kSparseTopkMask, {"f32[S,T]"}, {{"k", int64_t{2048}}}), "f32[S,T]");
  EXPECT_TRUE(HasError(Infer(OpCode::kSparseTopkMask, {"f32[S,T]"}, {{"k", int64_t{0}}}),
                       {"'sparse_topk_mask'", "attribute 'k' must be positive"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kSparseTopkMask, {"f32[S]"}, {{"k", int64_t{4}}}),
                       {"operand 'scores' must have rank 2"}));
}

TEST(AttentionTest, InfersWithAndWithoutMask) {
  AttrMap a = {{"scale", 0.125}, {"causal", true}, {"start", Dim::Symbol("P")}};
  EXPECT_EQ(Infer(OpCode::kAttention, {"f32[S,H,192]", "f32[T,H,192]", "f32[T,H,128]"}, a), "f32[S,H,128]");
  EXPECT_EQ(Infer(OpCode::kAttention, {"f32[S,H,192]", "f32[T,H,192]", "f32[T,H,128]", "f32[S,T]"}, a),
            "f32[S,H,128]");
}

TEST(AttentionTest, Rules) {
  AttrMap a = {{"scale", 0.125}, {"causal", false}};
  EXPECT_TRUE(HasError(Infer(OpCode::kAttention, {"f32[S,8,64]", "f32[T,4,64]", "f32[T,4,64]"}, a),
                       {"'attention'", "heads of 'q' and 'k' must match, got 8 and 4"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kAttention, {"f32[S,8,64]", "f32[T,8,32]", "f32[T,8,64]"}, a),
                       {"head dim of 'q' and 'k' must match"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kAttention, {"f32[S,8,64]", "f32[T,8,64]", "f32[P,8,64]"}, a),
                       {"keys of 'k' and 'v' must match, got T and P"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kAttention, {"f32[S,8,64]", "f32[T,8,64]", "f32[T,4,64]"}, a),
                       {"heads of 'k' and 'v' must match"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kAttention, {"f32[S,8,64]", "f32[T,8,64]", "f32[T,8,64]", "f32[T,S]"}, a),
                       {"operand 'mask' must be [S,T], got f32[T,S]"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kAttention, {"f32[S,64]", "f32[T,8,64]", "f32[T,8,64]"}, a),
                       {"operand 'q' must have rank 3"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kAttention, {"f32[S,8,64]", "f32[T,8,64]", "i32[T,8,64]"}, a),
                       {"operand 'v' must have a float element type"}));
}

AttrMap Gate(int64_t top_k, int64_t groups, int64_t limited, std::string func = "sigmoid") {
  return {{"top_k", top_k}, {"n_groups", groups}, {"n_limited_groups", limited},
          {"route_scale", 2.5}, {"score_func", func}};
}

TEST(MoeGateTest, Infers) {
  EXPECT_EQ(Infer(OpCode::kMoeGate, {"f32[S,256]", "f32[256]"}, Gate(8, 8, 4)), "f32[S,8], i32[S,8]");
  EXPECT_EQ(Infer(OpCode::kMoeGate, {"f32[S,16]"}, Gate(2, 1, 1, "softmax")), "f32[S,2], i32[S,2]");
}

TEST(MoeGateTest, Rules) {
  EXPECT_TRUE(HasError(Infer(OpCode::kMoeGate, {"f32[S,256]", "f32[128]"}, Gate(8, 8, 4)),
                       {"'moe_gate'", "operand 'bias' must be [256], got f32[128]"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kMoeGate, {"f32[S,256]"}, Gate(8, 7, 4)), {"'n_groups' = 7 must divide 256 experts"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kMoeGate, {"f32[S,256]"}, Gate(8, 8, 9)), {"'n_limited_groups' = 9 must be in [1, 8]"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kMoeGate, {"f32[S,256]"}, Gate(200, 8, 4)), {"'top_k' = 200 must be in"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kMoeGate, {"f32[S,256]"}, Gate(8, 8, 4, "relu")),
                       {"'score_func' must be sigmoid or softmax"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kMoeGate, {"f32[S,E]"}, Gate(8, 8, 4)),
                       {"the expert count (dim 1 of 'logits') must be static"}));
}

TEST(MoeExpertsTest, InfersAndChecks) {
  AttrMap body = {{"body", SymbolRef{"expert"}}};
  std::vector<std::string> ok = {"f32[S,64]", "f32[S,8]", "i32[S,8]", "nvfp4[16,32,64]", "nvfp4[16,64,32]",
                                 "nvfp4[16,32,64]"};
  EXPECT_EQ(Infer(OpCode::kMoeExperts, ok, body), "f32[S,64]");
  auto with = [&](int i, const char* t) {
    std::vector<std::string> ops = ok;
    ops[i] = t;
    return Infer(OpCode::kMoeExperts, ops, body);
  };
  EXPECT_TRUE(HasError(with(2, "f32[S,8]"), {"'moe_experts'", "operand 'experts' must be i32 or i64"}));
  EXPECT_TRUE(HasError(with(2, "i32[S,4]"), {"operands 'weights' and 'experts' must have the same shape"}));
  EXPECT_TRUE(HasError(with(0, "f32[P,64]"), {"tokens of 'x' and 'weights' must match"}));
  EXPECT_TRUE(HasError(with(4, "nvfp4[16,32,64]"), {"expert weights must be w1, w3: [E,I,64] and w2: [E,64,I]"}));
  EXPECT_TRUE(HasError(with(3, "nvfp4[32,64]"), {"operand 'w1' must have rank 3"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kMoeExperts, ok), {"missing required attribute 'body'"}));
}

TEST(CacheOpsTest, WriteAndRead) {
  EXPECT_EQ(Infer(OpCode::kCacheWrite, {"f32[512,64]", "f32[S,64]"}, {{"start", Dim::Symbol("P")}}), "");
  EXPECT_EQ(Infer(OpCode::kCacheRead, {"f8e4m3[512,128]"}, {{"length", Dim::Symbol("P") + Dim(1)}}),
            "f8e4m3[P+1,128]");
  EXPECT_TRUE(HasError(Infer(OpCode::kCacheWrite, {"f32[512,64]", "f32[S,2,32]"}, {{"start", Dim(0)}}),
                       {"'cache_write'", "operand 'values' f32[S,2,32] must have the rank of 'state' f32[512,64]"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kCacheWrite, {"f32[512,64]", "f32[S,32]"}, {{"start", Dim(0)}}),
                       {"dim 1 of 'state' and 'values' must match, got 64 and 32"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kCacheRead, {"f32[512,64]"}), {"'cache_read': missing required attribute 'length'"}));
}

}  // namespace
}  // namespace dsc::ir
