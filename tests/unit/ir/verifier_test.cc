// Module-level verifier rules (ir/verifier.cc): each rule has a failing case whose message
// names the function, the op, the operand or global, and the rule.
#include "gtest/gtest.h"
#include "ir/verifier.h"
#include "ir_test_util.h"

namespace dsc::ir {
namespace {

using testing::HasError;
using testing::Ref;
using testing::T;

TEST(VerifierTest, BuiltModelVerifies) {
  EXPECT_TRUE(Verify(*testing::BuildTinyModel(3)).ok());
  EXPECT_TRUE(Verify(Module("empty")).ok());
}

TEST(VerifierTest, ConstantShapeMustBeStatic) {
  Module m;
  m.AddConstant("w", T("f32[S,4]"), {Ref("w")});
  EXPECT_TRUE(HasError(Verify(m), {"constant @w: shape must be static, got f32[S,4]"}));
}

TEST(VerifierTest, QuantizedConstantRules) {
  Module a;
  a.AddConstant("w", T("nvfp4[64]"), {Ref("a"), Ref("b"), Ref("c")});
  EXPECT_TRUE(HasError(Verify(a), {"constant @w: a quantized weight needs rank >= 2"}));
  Module b;
  b.AddConstant("w", T("nvfp4[4,24]"), {Ref("a"), Ref("b"), Ref("c")});
  EXPECT_TRUE(HasError(Verify(b), {"constant @w: nvfp4 needs the input dim to be a multiple of 16, got 24"}));
}

TEST(VerifierTest, ConstantPartCount) {
  Module m;  // two stacked nvfp4 matrices: 2 x (codes, block scale, global scale)
  m.AddConstant("experts", T("nvfp4[2,4,32]"), {Ref("a"), Ref("b"), Ref("c")});
  EXPECT_TRUE(HasError(Verify(m), {"constant @experts: expected 6 checkpoint tensor references for nvfp4[2,4,32], got 3"}));
  Module f;
  f.AddConstant("w", T("fp8b128[256,256]"), {Ref("w.weight"), Ref("w.weight_scale_inv")});
  EXPECT_TRUE(Verify(f).ok());
  Module t;
  t.AddConstant("w", T("f32[4]"), {});
  EXPECT_TRUE(HasError(Verify(t), {"expected 1 checkpoint tensor references"}));
}

TEST(VerifierTest, TensorRefNeedsNameAndFile) {
  Module m;
  m.AddConstant("w", T("f32[4]"), {{"w", "", 0}});
  EXPECT_TRUE(HasError(Verify(m), {"constant @w: a tensor reference has an empty name or file"}));
}

TEST(VerifierTest, StateMustBeStaticPlainTensor) {
  for (const char* type : {"f32[S,4]", "nvfp4[16,16]", "f32[]"}) {
    Module m;
    m.AddState("kv", T(type));
    EXPECT_TRUE(HasError(Verify(m), {"state @kv: must be a plain tensor of static shape"})) << type;
  }
}

TEST(VerifierTest, SymbolsMustBeDeclared) {
  Module m;
  Function* f = m.AddFunction("f", {"S"});
  f->AddArgument(T("f32[P,4]"), "x");
  EXPECT_TRUE(HasError(Verify(m), {"function @f, argument %x: symbol 'P' is not declared by the function"}));

  Module m2;
  Function* g = m2.AddFunction("g", {"S"});
  g->AppendOp(OpCode::kPositions, {}, {{"start", Dim::Symbol("Q")}, {"length", Dim::Symbol("S")}}, {T("i64[S]")}, {"pos"});
  EXPECT_TRUE(HasError(Verify(m2), {"function @g, op #0 'positions' (%pos): symbol 'Q' is not declared"}));

  Module m3;
  Function* h = m3.AddFunction("h", {"S", "S"});
  EXPECT_TRUE(HasError(Verify(m3), {"function @h: symbol 'S' declared twice"}));
  (void)h;
}

TEST(VerifierTest, UseBeforeDefinition) {
  Module m;
  Function* f = m.AddFunction("f", {"S"});
  Value* x = f->AddArgument(T("f32[S,4]"), "x");
  Operation* late = f->AppendOp(OpCode::kSilu, {x}, {}, {T("f32[S,4]")}, {"late"});
  f->InsertOp(0, OpCode::kRelu, {late->result()}, {}, {T("f32[S,4]")}, {"early"});
  EXPECT_TRUE(HasError(Verify(m), {"function @f, op #0 'relu' (%early): operand 0 (%late) is used before it is defined"}));
}

TEST(VerifierTest, NullOperand) {
  Module m;
  Function* f = m.AddFunction("f", {});
  f->AppendOp(OpCode::kSilu, {nullptr}, {}, {T("f32[4]")});
  EXPECT_TRUE(HasError(Verify(m), {"op #0 'silu': operand 0 is null"}));
}

TEST(VerifierTest, StateOnlyThroughCacheOps) {
  Module m;
  Value* kv = m.AddState("kv", T("f32[8,4]"));
  Value* w = m.AddConstant("w", T("f32[8,4]"), {Ref("w")});
  Function* f = m.AddFunction("f", {});
  f->AppendOp(OpCode::kAdd, {kv, kv}, {}, {T("f32[8,4]")}, {"y"});
  EXPECT_TRUE(HasError(Verify(m), {"function @f, op #0 'add' (%y): state @kv may only be accessed by cache_read/cache_write"}));

  Module m2;
  Value* w2 = m2.AddConstant("w", T("f32[8,4]"), {Ref("w")});
  Function* g = m2.AddFunction("g", {});
  g->AppendOp(OpCode::kCacheRead, {w2}, {{"length", Dim(2)}}, {T("f32[2,4]")}, {"r"});
  EXPECT_TRUE(HasError(Verify(m2), {"op #0 'cache_read' (%r): operand 'state' must be a module state"}));
  (void)w;
}

TEST(VerifierTest, GlobalFromAnotherModuleIsUndefined) {
  Module other;
  Value* foreign = other.AddConstant("w", T("f32[4]"), {Ref("w")});
  Module m;
  m.AddConstant("w", T("f32[4]"), {Ref("w")});
  Function* f = m.AddFunction("f", {});
  f->AppendOp(OpCode::kSilu, {foreign}, {}, {T("f32[4]")});
  EXPECT_TRUE(HasError(Verify(m), {"operand 0 (%w) is used before it is defined"}));
}

TEST(VerifierTest, OpSchemaViolationNamesFunctionAndOp) {
  Module m;
  Function* f = m.AddFunction("prefill", {"S"});
  Value* x = f->AddArgument(T("f32[S,64]"), "x");
  Value* w = f->AddArgument(T("f32[8,32]"), "w");
  f->AppendOp(OpCode::kMatmul, {x, w}, {}, {T("f32[S,8]")}, {"y"});
  EXPECT_TRUE(HasError(Verify(m), {"function @prefill, op #0 'matmul' (%y): 'matmul': last dim of 'x' and dim 1 (in) of 'w' must match, got 64 and 32"}));
}

TEST(VerifierTest, DefaultsMustBeFilledIn) {
  Module m;
  Function* f = m.AddFunction("f", {});
  Value* x = f->AddArgument(T("f32[4]"), "x");
  Value* w = f->AddArgument(T("f32[4]"), "w");
  f->AppendOp(OpCode::kRmsNorm, {x, w}, {}, {T("f32[4]")});
  EXPECT_TRUE(HasError(Verify(m), {"op #0 'rms_norm': attributes with defaults were not filled in"}));
}

TEST(VerifierTest, ResultCountAndTypes) {
  Module m;
  Function* f = m.AddFunction("f", {"S"});
  Value* x = f->AddArgument(T("f32[S,12]"), "x");
  f->AppendOp(OpCode::kSplit, {x}, {{"axis", int64_t{1}}, {"sizes", std::vector<int64_t>{4, 8}}}, {T("f32[S,4]")});
  EXPECT_TRUE(HasError(Verify(m), {"op #0 'split': has 1 results, the op defines 2"}));

  Module m2;
  Function* g = m2.AddFunction("g", {"S"});
  Value* y = g->AddArgument(T("f32[S,4]"), "y");
  g->AppendOp(OpCode::kSilu, {y}, {}, {T("f32[S,5]")}, {"z"});
  EXPECT_TRUE(HasError(Verify(m2), {"op #0 'silu' (%z): result 0 has type f32[S,5] but the operands give f32[S,4]"}));
}

TEST(VerifierTest, SymbolAttributeMustNameAFunction) {
  Module m;
  Function* f = m.AddFunction("f", {"S"});
  std::vector<Value*> args;
  for (const char* t : {"f32[S,64]", "f32[S,2]", "i32[S,2]", "f32[4,8,64]", "f32[4,64,8]", "f32[4,8,64]"}) {
    args.push_back(f->AddArgument(T(t), ""));
  }
  f->AppendOp(OpCode::kMoeExperts, args, {{"body", SymbolRef{"nothing"}}}, {T("f32[S,64]")}, {"y"});
  f->AppendOp(OpCode::kReturn, {}, {}, {});
  EXPECT_TRUE(HasError(Verify(m), {"op #0 'moe_experts' (%y): attribute 'body' refers to unknown function @nothing"}));
}

TEST(VerifierTest, ReturnRules) {
  Module m;
  Function* f = m.AddFunction("f", {});
  Value* x = f->AddArgument(T("f32[4]"), "x");
  f->AppendOp(OpCode::kSilu, {x}, {}, {T("f32[4]")});
  EXPECT_TRUE(HasError(Verify(m), {"function @f: body must end with 'return'"}));
  f->InsertOp(0, OpCode::kReturn, {x}, {}, {});
  EXPECT_TRUE(HasError(Verify(m), {"function @f, op #0 'return': 'return' must be the last op"}));
}

}  // namespace
}  // namespace dsc::ir
