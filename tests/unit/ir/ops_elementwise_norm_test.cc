// Shape inference and verifier rules of ops_elementwise.cc and ops_norm.cc.
#include "gtest/gtest.h"
#include "ir_test_util.h"

namespace dsc::ir {
namespace {

using testing::HasError;
using testing::Infer;

TEST(BinaryOpsTest, BroadcastToF32) {
  for (OpCode c : {OpCode::kAdd, OpCode::kSub, OpCode::kMul, OpCode::kDiv}) {
    SCOPED_TRACE(std::string(GetOpInfo(c).name));
    EXPECT_EQ(Infer(c, {"bf16[S,4]", "f32[4]"}), "f32[S,4]");
    EXPECT_EQ(Infer(c, {"f32[S,1]", "f32[1,8]"}), "f32[S,8]");
  }
}

TEST(BinaryOpsTest, Rules) {
  EXPECT_TRUE(HasError(Infer(OpCode::kAdd, {"i32[4]", "f32[4]"}), {"'add'", "operand 'a' must have a float element type"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kMul, {"f32[4]", "nvfp4[4,16]"}), {"'mul'", "operand 'b' must be a plain tensor"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kSub, {"f32[S,4]", "f32[S,5]"}),
                       {"'sub'", "operands 'a' and 'b': shapes [S,4] and [S,5] do not broadcast"}));
}

TEST(UnaryOpsTest, InferAndRejectNonFloat) {
  for (OpCode c : {OpCode::kSilu, OpCode::kSigmoid, OpCode::kRelu, OpCode::kExp}) {
    SCOPED_TRACE(std::string(GetOpInfo(c).name));
    EXPECT_EQ(Infer(c, {"bf16[S,4]"}), "f32[S,4]");
    EXPECT_TRUE(HasError(Infer(c, {"i64[S]"}), {"operand 'x' must have a float element type"}));
    EXPECT_TRUE(HasError(Infer(c, {"e2m1[S]"}), {"operand 'x' must have a float element type, got e2m1[S]"}));
  }
  EXPECT_EQ(Infer(OpCode::kScale, {"f32[S]"}, {{"factor", 0.5}}), "f32[S]");
}

TEST(SwigluTest, GateAndUpMustMatch) {
  EXPECT_EQ(Infer(OpCode::kSwiglu, {"f32[S,128]", "f32[S,128]"}), "f32[S,128]");
  EXPECT_TRUE(HasError(Infer(OpCode::kSwiglu, {"f32[S,128]", "f32[S,64]"}),
                       {"'swiglu'", "operands 'gate' and 'up' must have the same shape, got f32[S,128] and f32[S,64]"}));
}

TEST(CastTest, TargetTypeRules) {
  EXPECT_EQ(Infer(OpCode::kCast, {"f32[S,4]"}, {{"dtype", DType::kBF16}}), "bf16[S,4]");
  EXPECT_EQ(Infer(OpCode::kCast, {"i32[S]"}, {{"dtype", DType::kF32}}), "f32[S]");
  EXPECT_TRUE(HasError(Infer(OpCode::kCast, {"f32[S,4]"}, {{"dtype", DType::kE2M1}}),
                       {"'cast'", "attribute 'dtype': cannot cast to packed e2m1"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kCast, {"nvfp4[4,16]"}, {{"dtype", DType::kF32}}),
                       {"operand 'x' must be a plain tensor"}));
}

TEST(RmsNormTest, InfersAndChecks) {
  EXPECT_EQ(Infer(OpCode::kRmsNorm, {"f32[S,64]", "bf16[64]"}), "f32[S,64]");
  EXPECT_TRUE(HasError(Infer(OpCode::kRmsNorm, {"f32[S,64]", "bf16[32]"}),
                       {"'rms_norm'", "last dim of 'x' and length of 'w' must match, got 64 and 32"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kRmsNorm, {"f32[S,64]", "bf16[1,64]"}), {"operand 'w' must have rank 1"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kRmsNorm, {"f32[S,64]", "f32[64]"}, {{"eps", 0.0}}),
                       {"attribute 'eps' must be > 0"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kRmsNorm, {"f32[]", "f32[64]"}), {"operand 'x' must have rank >= 1"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kRmsNorm, {"i32[S,64]", "f32[64]"}), {"operand 'x' must have a float"}));
}

TEST(LayerNormTest, InfersAndChecksBias) {
  EXPECT_EQ(Infer(OpCode::kLayerNorm, {"f32[S,64]", "f32[64]", "f32[64]"}), "f32[S,64]");
  EXPECT_TRUE(HasError(Infer(OpCode::kLayerNorm, {"f32[S,64]", "f32[64]", "f32[63]"}),
                       {"'layer_norm'", "last dim of 'x' and length of 'b' must match"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kLayerNorm, {"f32[S,64]", "f32[64]", "f32[64]"}, {{"eps", -1.0}}),
                       {"attribute 'eps' must be > 0"}));
}

TEST(SoftmaxTest, AxisRange) {
  EXPECT_EQ(Infer(OpCode::kSoftmax, {"bf16[S,T]"}), "f32[S,T]");
  EXPECT_EQ(Infer(OpCode::kSoftmax, {"f32[S,T]"}, {{"axis", int64_t{0}}}), "f32[S,T]");
  EXPECT_TRUE(HasError(Infer(OpCode::kSoftmax, {"f32[S,T]"}, {{"axis", int64_t{2}}}),
                       {"'softmax'", "attribute 'axis' = 2 is out of range for rank 2"}));
}

TEST(ReduceTest, InfersShapes) {
  AttrMap sum = {{"kind", std::string("sum")}, {"axes", std::vector<int64_t>{1}}};
  EXPECT_EQ(Infer(OpCode::kReduce, {"f32[S,64]"}, sum), "f32[S]");
  sum["keepdims"] = true;
  EXPECT_EQ(Infer(OpCode::kReduce, {"f32[S,64]"}, sum), "f32[S,1]");
  EXPECT_EQ(Infer(OpCode::kReduce, {"f32[S,64]"},
                  {{"kind", std::string("mean")}, {"axes", std::vector<int64_t>{0, -1}}}),
            "f32[]");
}

TEST(ReduceTest, Rules) {
  auto reduce = [](std::string kind, std::vector<int64_t> axes) {
    return Infer(OpCode::kReduce, {"f32[S,64]"}, {{"kind", kind}, {"axes", axes}});
  };
  EXPECT_TRUE(HasError(reduce("min", {1}), {"'reduce'", "attribute 'kind' must be sum, max or mean, got \"min\""}));
  EXPECT_TRUE(HasError(reduce("max", {}), {"attribute 'axes' must not be empty"}));
  EXPECT_TRUE(HasError(reduce("max", {1, -1}), {"attribute 'axes' repeats axis -1"}));
  EXPECT_TRUE(HasError(reduce("max", {5}), {"attribute 'axes' = 5 is out of range for rank 2"}));
}

}  // namespace
}  // namespace dsc::ir
