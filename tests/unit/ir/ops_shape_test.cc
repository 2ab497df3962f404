// Shape inference and verifier rules of ops_shape.cc (data movement).
#include "gtest/gtest.h"
#include "ir_test_util.h"

namespace dsc::ir {
namespace {

using testing::HasError;
using testing::Infer;
using testing::T;

AttrMap ShapeAttr(const char* type) { return {{"shape", T(type).shape()}}; }

TEST(ReshapeTest, KeepsDtypeAndElementCount) {
  EXPECT_EQ(Infer(OpCode::kReshape, {"bf16[S,64]"}, ShapeAttr("f32[S,4,16]")), "bf16[S,4,16]");
  EXPECT_EQ(Infer(OpCode::kReshape, {"f32[P+S,64]"}, ShapeAttr("f32[P+S,1,64]")), "f32[P+S,1,64]");
  EXPECT_TRUE(HasError(Infer(OpCode::kReshape, {"f32[S,64]"}, ShapeAttr("f32[S,65]")),
                       {"'reshape'", "attribute 'shape' [S,65] does not hold the same number of elements as f32[S,64]"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kReshape, {"f32[S,4]"}, ShapeAttr("f32[P,4]")), {"same number of elements"}));
}

TEST(TransposeTest, PermRules) {
  EXPECT_EQ(Infer(OpCode::kTranspose, {"f32[S,H,8]"}, {{"perm", std::vector<int64_t>{1, 0, 2}}}), "f32[H,S,8]");
  EXPECT_TRUE(HasError(Infer(OpCode::kTranspose, {"f32[S,4]"}, {{"perm", std::vector<int64_t>{0}}}),
                       {"'transpose'", "attribute 'perm' has 1 entries for rank 2"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kTranspose, {"f32[S,4]"}, {{"perm", std::vector<int64_t>{0, 0}}}),
                       {"attribute 'perm' is not a permutation"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kTranspose, {"f32[S,4]"}, {{"perm", std::vector<int64_t>{0, 2}}}),
                       {"is not a permutation"}));
}

TEST(BroadcastOpTest, ToShape) {
  EXPECT_EQ(Infer(OpCode::kBroadcast, {"f32[1,4]"}, ShapeAttr("f32[S,4]")), "f32[S,4]");
  EXPECT_EQ(Infer(OpCode::kBroadcast, {"i32[4]"}, ShapeAttr("f32[2,4]")), "i32[2,4]");
  EXPECT_TRUE(HasError(Infer(OpCode::kBroadcast, {"f32[3,4]"}, ShapeAttr("f32[S,4]")),
                       {"'broadcast'", "operand 'x' f32[3,4] does not broadcast to [S,4]"}));
  // Broadcasting must produce exactly the target, not a bigger shape.
  EXPECT_TRUE(HasError(Infer(OpCode::kBroadcast, {"f32[2,4]"}, ShapeAttr("f32[4]")), {"does not broadcast to [4]"}));
}

TEST(ConcatTest, SumsTheAxis) {
  EXPECT_EQ(Infer(OpCode::kConcat, {"f32[S,4]", "f32[S,6]"}, {{"axis", int64_t{1}}}), "f32[S,10]");
  EXPECT_EQ(Infer(OpCode::kConcat, {"f32[P,4]", "f32[S,4]", "f32[1,4]"}, {{"axis", int64_t{0}}}), "f32[P+S+1,4]");
  EXPECT_EQ(Infer(OpCode::kConcat, {"f32[S,4]"}, {{"axis", int64_t{-1}}}), "f32[S,4]");
}

TEST(ConcatTest, Rules) {
  EXPECT_TRUE(HasError(Infer(OpCode::kConcat, {"f32[S,4]", "bf16[S,4]"}, {{"axis", int64_t{1}}}),
                       {"'concat'", "operand 1 bf16[S,4] does not match operand 0 f32[S,4]"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kConcat, {"f32[S,4]", "f32[P,4]"}, {{"axis", int64_t{1}}}),
                       {"operand 1 f32[P,4] differs from operand 0 f32[S,4] outside the concat axis"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kConcat, {"f32[S,4]", "f32[S,4]"}, {{"axis", int64_t{2}}}),
                       {"attribute 'axis' = 2 is out of range for rank 2"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kConcat, {"nvfp4[4,16]"}, {{"axis", int64_t{0}}}),
                       {"operand 'xs' must be a plain tensor"}));
}

TEST(SplitTest, OneResultPerSize) {
  EXPECT_EQ(Infer(OpCode::kSplit, {"f32[S,12]"}, {{"axis", int64_t{1}}, {"sizes", std::vector<int64_t>{4, 8}}}),
            "f32[S,4], f32[S,8]");
  auto split = [](std::vector<int64_t> sizes) {
    return Infer(OpCode::kSplit, {"f32[S,12]"}, {{"axis", int64_t{1}}, {"sizes", sizes}});
  };
  EXPECT_TRUE(HasError(split({}), {"'split'", "attribute 'sizes' must not be empty"}));
  EXPECT_TRUE(HasError(split({12, 0}), {"attribute 'sizes' must be positive, got 0"}));
  EXPECT_TRUE(HasError(split({4, 6}), {"attribute 'sizes' sums to 10 but dim 1 of 'x' is 12"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kSplit, {"f32[S,12]"}, {{"axis", int64_t{0}}, {"sizes", std::vector<int64_t>{1}}}),
                       {"sums to 1 but dim 0 of 'x' is S"}));
}

TEST(SliceTest, StaticBounds) {
  auto slice = [](const char* x, int64_t start, int64_t end) {
    return Infer(OpCode::kSlice, {x}, {{"axis", int64_t{1}}, {"start", start}, {"end", end}});
  };
  EXPECT_EQ(slice("f32[S,10]", 2, 5), "f32[S,3]");
  EXPECT_EQ(slice("f32[S,T]", 0, 64), "f32[S,64]");  // symbolic dims are checked at run time
  EXPECT_TRUE(HasError(slice("f32[S,10]", 2, 11), {"'slice'", "slice [2, 11) is not inside dim 1 of 'x' (10)"}));
  EXPECT_TRUE(HasError(slice("f32[S,10]", 5, 5), {"slice [5, 5) is not inside"}));
  EXPECT_TRUE(HasError(slice("f32[S,10]", -1, 5), {"slice [-1, 5)"}));
}

TEST(GatherTest, InfersAndChecksIndices) {
  EXPECT_EQ(Infer(OpCode::kGather, {"f32[256,64]", "i32[S]"}, {{"axis", int64_t{0}}}), "f32[S,64]");
  EXPECT_EQ(Infer(OpCode::kGather, {"bf16[S,E,8]", "i64[K]"}, {{"axis", int64_t{1}}}), "bf16[S,K,8]");
  EXPECT_TRUE(HasError(Infer(OpCode::kGather, {"f32[256,64]", "f32[S]"}, {{"axis", int64_t{0}}}),
                       {"'gather'", "operand 'indices' must be i32 or i64"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kGather, {"f32[256,64]", "i32[S]"}, {{"axis", int64_t{-3}}}),
                       {"attribute 'axis' = -3 is out of range"}));
}

TEST(ScatterAddTest, InfersAndChecks) {
  AttrMap axis0 = {{"axis", int64_t{0}}};
  EXPECT_EQ(Infer(OpCode::kScatterAdd, {"f32[E,64]", "i32[S]", "f32[S,64]"}, axis0), "f32[E,64]");
  EXPECT_TRUE(HasError(Infer(OpCode::kScatterAdd, {"f32[E,64]", "i32[S]", "f32[S,32]"}, axis0),
                       {"'scatter_add'", "operand 'src' f32[S,32] must equal 'dst' f32[E,64] with dim 0 replaced by the length of 'indices'"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kScatterAdd, {"f32[E,64]", "i32[S,2]", "f32[S,64]"}, axis0),
                       {"operand 'indices' must have rank 1"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kScatterAdd, {"i32[E,64]", "i32[S]", "f32[S,64]"}, axis0),
                       {"operand 'dst' must have a float element type"}));
}

TEST(TopkTest, ValuesAndIndices) {
  EXPECT_EQ(Infer(OpCode::kTopk, {"f32[S,256]"}, {{"k", int64_t{8}}}), "f32[S,8], i32[S,8]");
  EXPECT_EQ(Infer(OpCode::kTopk, {"f32[S,T]"}, {{"k", int64_t{2048}}}), "f32[S,2048], i32[S,2048]");
  EXPECT_TRUE(HasError(Infer(OpCode::kTopk, {"f32[S,256]"}, {{"k", int64_t{300}}}),
                       {"'topk'", "attribute 'k' = 300 must be in [1, 256]"}));
  EXPECT_TRUE(HasError(Infer(OpCode::kTopk, {"f32[S,256]"}, {{"k", int64_t{0}}}), {"attribute 'k' = 0"}));
}

TEST(PositionsTest, SymbolicLength) {
  EXPECT_EQ(Infer(OpCode::kPositions, {}, {{"start", Dim::Symbol("P")}, {"length", Dim::Symbol("S")}}), "i64[S]");
  EXPECT_TRUE(HasError(Infer(OpCode::kPositions, {}, {{"start", Dim::Symbol("P")}}),
                       {"'positions': missing required attribute 'length'"}));
}

}  // namespace
}  // namespace dsc::ir
