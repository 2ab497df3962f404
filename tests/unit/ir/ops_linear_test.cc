// Shape inference and verifier rules of ops_linear.cc: matmul, batch_matmul, dequantize,
// quantized_matmul, embedding.
#include "gtest/gtest.h"
#include "ir_test_util.h"

namespace dsc::ir {
namespace {

using testing::HasError;
using testing::Infer;

TEST(MatmulTest, Infers) {
  EXPECT_EQ(Infer(OpCode::kMatmul, {"f32[S,64]", "bf16[128,64]"}), "f32[S,128]");
  EXPECT_EQ(Infer(OpCode::kMatmul, {"bf16[B,S,64]", "f32[8,64]"}), "f32[B,S,8]");
  EXPECT_EQ(Infer(OpCode::kMatmul, {"f32[64]", "f32[8,64]"}), "f32[8]");
}

TEST(MatmulTest, Rules) {
  EXPECT_TRUE(HasError(Infer(OpCode::kMatmul, {"i32[S,64]", "f32[8,64]"}),
                       {"'matmul'", "operand 'x' must have a float element type, got i32[S,64]"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kMatmul, {"f32[S,64]", "nvfp4[8,64]"}),
                       {"operand 'w' must be a plain tensor, got quantized nvfp4[8,64]"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kMatmul, {"f32[S,64]", "f32[2,8,64]"}), {"operand 'w' must have rank 2"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kMatmul, {"f32[]", "f32[8,64]"}), {"operand 'x' must have rank >= 1"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kMatmul, {"f32[S,64]", "f32[8,32]"}),
                       {"last dim of 'x' and dim 1 (in) of 'w' must match, got 64 and 32"}));
}

TEST(BatchMatmulTest, Infers) {
  EXPECT_EQ(Infer(OpCode::kBatchMatmul, {"f32[H,S,16]", "f32[H,16,T]"}), "f32[H,S,T]");
  EXPECT_EQ(Infer(OpCode::kBatchMatmul, {"f32[H,S,16]", "f32[H,T,16]"}, {{"transpose_b", true}}), "f32[H,S,T]");
}

TEST(BatchMatmulTest, Rules) {
  EXPECT_TRUE(HasError(Infer(OpCode::kBatchMatmul, {"f32[16]", "f32[16]"}), {"operand 'a' must have rank >= 2"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kBatchMatmul, {"f32[2,S,16]", "f32[16,4]"}),
                       {"operands 'a' and 'b' must have the same rank"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kBatchMatmul, {"f32[2,S,16]", "f32[3,16,4]"}),
                       {"batch dim 0 of 'a' and 'b' must match, got 2 and 3"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kBatchMatmul, {"f32[2,S,16]", "f32[2,8,4]"}),
                       {"contracted dims of 'a' and 'b' must match, got 16 and 8"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kBatchMatmul, {"f32[2,S,16]", "i64[2,16,4]"}),
                       {"operand 'b' must have a float element type"}));
}

TEST(DequantizeTest, InfersAndRequiresQuantized) {
  EXPECT_EQ(Infer(OpCode::kDequantize, {"nvfp4[128,64]"}), "f32[128,64]");
  EXPECT_EQ(Infer(OpCode::kDequantize, {"fp8b128[E,128,64]"}), "f32[E,128,64]");
  EXPECT_TRUE(HasError(Infer(OpCode::kDequantize, {"bf16[128,64]"}),
                       {"'dequantize'", "operand 'w' must be a quantized weight (nvfp4|fp8b128), got bf16[128,64]"}));
}

TEST(QuantizedMatmulTest, InfersAndChecks) {
  EXPECT_EQ(Infer(OpCode::kQuantizedMatmul, {"f32[S,64]", "nvfp4[128,64]"}), "f32[S,128]");
  EXPECT_EQ(Infer(OpCode::kQuantizedMatmul, {"bf16[S,64]", "fp8b128[128,64]"}), "f32[S,128]");
  EXPECT_TRUE(HasError(Infer(OpCode::kQuantizedMatmul, {"f32[S,64]", "f32[128,64]"}),
                       {"'quantized_matmul'", "operand 'w' must be a quantized weight"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kQuantizedMatmul, {"f32[S,32]", "nvfp4[128,64]"}),
                       {"last dim of 'x' and dim 1 (in) of 'w' must match, got 32 and 64"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kQuantizedMatmul, {"f32[S,64]", "nvfp4[2,128,64]"}),
                       {"operand 'w' must have rank 2"}));
}

TEST(EmbeddingTest, InfersAndChecks) {
  EXPECT_EQ(Infer(OpCode::kEmbedding, {"bf16[256,64]", "i32[S]"}), "f32[S,64]");
  EXPECT_EQ(Infer(OpCode::kEmbedding, {"f32[256,64]", "i64[B,S]"}), "f32[B,S,64]");
  EXPECT_TRUE(HasError(Infer(OpCode::kEmbedding, {"bf16[256,64]", "f32[S]"}),
                       {"'embedding'", "operand 'ids' must be i32 or i64, got f32[S]"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kEmbedding, {"bf16[256]", "i32[S]"}), {"operand 'table' must have rank 2"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kEmbedding, {"u8[256,64]", "i32[S]"}),
                       {"operand 'table' must have a float element type"}));
}

}  // namespace
}  // namespace dsc::ir
