// Builder (inference-checked construction, names) and the printer's exact text form.
#include "gtest/gtest.h"
#include "ir/builder.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "ir_test_util.h"

namespace dsc::ir {
namespace {

using testing::HasError;
using testing::Ref;
using testing::T;

TEST(BuilderTest, InfersTypesAndNamesResults) {
  Module m;
  Function* f = m.AddFunction("f", {"S"});
  Builder b(f);
  Value* x = f->AddArgument(T("f32[S,12]"), "x");
  Value* h = b.Named("h").Op(OpCode::kSilu, {x});
  EXPECT_EQ(h->name(), "h");
  EXPECT_EQ(h->type().ToString(), "f32[S,12]");
  EXPECT_EQ(h->kind(), Value::Kind::kOpResult);
  EXPECT_EQ(h->defining_op()->code(), OpCode::kSilu);
  std::vector<Value*> parts = b.Named("p").Split(h, 1, {4, 8});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0]->name(), "p.0");
  EXPECT_EQ(parts[1]->name(), "p.1");
  EXPECT_EQ(parts[1]->type().ToString(), "f32[S,8]");
  EXPECT_EQ(parts[1]->index(), 1);
  Value* unnamed = b.Op(OpCode::kRelu, {x});  // the name hint applies to one op only
  EXPECT_EQ(unnamed->name(), "");
  // Defaults are filled in on creation, so the verifier sees complete attributes.
  Value* w = f->AddArgument(T("f32[12]"), "w");
  Operation* norm = b.Create(OpCode::kRmsNorm, {x, w});
  EXPECT_EQ(GetFloat(norm->attrs(), "eps"), 1e-6);
  b.Return({norm->result()});
  EXPECT_TRUE(Verify(m).ok());
  EXPECT_EQ(f->CountUses(x), 3);
}

TEST(BuilderTest, TryCreateReportsInsteadOfBuilding) {
  Module m;
  Function* f = m.AddFunction("f", {"S"});
  Builder b(f);
  Value* x = f->AddArgument(T("f32[S,64]"), "x");
  Value* w = f->AddArgument(T("f32[8,32]"), "w");
  absl::StatusOr<Operation*> op = b.TryCreate(OpCode::kMatmul, {x, w});
  EXPECT_TRUE(HasError(op.status(), {"'matmul': last dim of 'x' and dim 1 (in) of 'w' must match"}));
  EXPECT_EQ(f->num_ops(), 0u);
  EXPECT_TRUE(HasError(b.TryCreate(OpCode::kSilu, {nullptr}).status(), {"'silu': null operand"}));
}

TEST(BuilderDeathTest, InvalidIrCannotBeBuilt) {
  Module m;
  Function* f = m.AddFunction("f", {"S"});
  Builder b(f);
  Value* x = f->AddArgument(T("f32[S,64]"), "x");
  Value* w = f->AddArgument(T("f32[8,32]"), "w");
  EXPECT_DEATH(b.Matmul(x, w), "must match, got 64 and 32");
}

TEST(BuilderTest, InsertionPoint) {
  Module m;
  Function* f = m.AddFunction("f", {});
  Builder b(f);
  Value* x = f->AddArgument(T("f32[4]"), "x");
  Value* a = b.Named("a").Op(OpCode::kSilu, {x});
  b.Return({a});
  b.SetInsertionPoint(1);
  Value* c = b.Named("c").Op(OpCode::kRelu, {a});
  f->terminator()->set_operand(0, c);
  ASSERT_EQ(f->num_ops(), 3u);
  EXPECT_EQ(f->ops()[1]->result()->name(), "c");
  EXPECT_EQ(f->IndexOf(f->terminator()), 2u);
  EXPECT_TRUE(Verify(m).ok());
  f->ReplaceAllUsesWith(a, x);
  EXPECT_EQ(f->CountUses(a), 0);
  EXPECT_EQ(f->CountUses(x), 2);
}

// A small module covering every line kind of the text form.
std::unique_ptr<Module> HandBuilt() {
  auto m = std::make_unique<Module>("tiny_a");
  m->metadata()["architecture"] = "DeepseekV32ForCausalLM";
  m->metadata()["note"] = "say \"hi\"\n";
  Value* norm = m->AddConstant("model.norm.weight", T("bf16[64]"), {{"model.norm.weight", "model.safetensors", 1024}});
  Value* q = m->AddConstant("model.layers.0.self_attn.q_a_proj", T("nvfp4[32,64]"),
                            {Ref("q.weight", 2048), Ref("q.weight_scale", 3072), Ref("q.weight_scale_2", 3200)});
  Value* kv = m->AddState("kv_latent.0", T("f32[256,32]"));
  Function* f = m->AddFunction("prefill", {"S", "P"});
  Builder b(f);
  Value* x = f->AddArgument(T("f32[S,64]"), "x");
  Value* n = b.Named("n").RmsNorm(x, norm, 1e-5);
  Value* c = b.Named("c").Op(OpCode::kQuantizedMatmul, {n, q});
  b.Create(OpCode::kCacheWrite, {kv, c}, {{"start", Dim::Symbol("P")}});
  std::vector<Value*> ab = b.Named("a").Split(c, 1, {16, 16});
  Value* t = b.Op(OpCode::kCast, {ab[1]}, {{"dtype", DType::kBF16}});
  b.Return({ab[0], t});
  return m;
}

TEST(PrinterTest, HandBuiltModuleExactText) {
  EXPECT_EQ(PrintModule(*HandBuilt()),
            "module @tiny_a {\n"
            "  meta \"architecture\" = \"DeepseekV32ForCausalLM\"\n"
            "  meta \"note\" = \"say \\\"hi\\\"\\n\"\n"
            "  const @model.norm.weight : bf16[64] = \"model.norm.weight\" in \"model.safetensors\" at 1024\n"
            "  const @model.layers.0.self_attn.q_a_proj : nvfp4[32,64] {\n"
            "    \"q.weight\" in \"model.safetensors\" at 2048\n"
            "    \"q.weight_scale\" in \"model.safetensors\" at 3072\n"
            "    \"q.weight_scale_2\" in \"model.safetensors\" at 3200\n"
            "  }\n"
            "  state @kv_latent.0 : f32[256,32]\n"
            "  func @prefill[S, P](%x: f32[S,64]) -> (f32[S,16], bf16[S,16]) {\n"
            "    %n = rms_norm %x, @model.norm.weight {eps = 1e-05} : f32[S,64]\n"
            "    %c = quantized_matmul %n, @model.layers.0.self_attn.q_a_proj : f32[S,32]\n"
            "    cache_write @kv_latent.0, %c {start = P}\n"
            "    %a.0, %a.1 = split %c {axis = 1, sizes = [16, 16]} : f32[S,16], f32[S,16]\n"
            "    %0 = cast %a.1 {dtype = bf16} : bf16[S,16]\n"
            "    return %a.0, %0\n"
            "  }\n"
            "}\n");
}

TEST(PrinterTest, DefaultAttributesAreOmitted) {
  Module m;
  Function* f = m.AddFunction("f", {"S"});
  Builder b(f);
  Value* x = f->AddArgument(T("f32[S,4]"), "x");
  Value* w = f->AddArgument(T("f32[4]"), "w");
  b.Named("d").RmsNorm(x, w, 1e-6);
  b.Named("s").Op(OpCode::kSoftmax, {x}, {{"axis", int64_t{-1}}});
  b.Named("s0").Op(OpCode::kSoftmax, {x}, {{"axis", int64_t{0}}});
  std::string text = PrintFunction(m, *f);
  EXPECT_NE(text.find("%d = rms_norm %x, %w : f32[S,4]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("%s = softmax %x : f32[S,4]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("%s0 = softmax %x {axis = 0} : f32[S,4]\n"), std::string::npos) << text;
}

TEST(PrinterTest, UnnamedAndDuplicateNamesGetNumbers) {
  Module m;
  Function* f = m.AddFunction("f", {});
  Builder b(f);
  Value* x = f->AddArgument(T("f32[4]"), "");
  Value* a = b.Named("y").Op(OpCode::kSilu, {x});
  Value* c = b.Named("y").Op(OpCode::kRelu, {a});       // duplicate
  Value* d = b.Named("bad name").Op(OpCode::kExp, {c});  // not an identifier
  b.Return({d});
  EXPECT_EQ(PrintFunction(m, *f),
            "  func @f(%0: f32[4]) -> (f32[4]) {\n"
            "    %y = silu %0 : f32[4]\n"
            "    %1 = relu %y : f32[4]\n"
            "    %2 = exp %1 : f32[4]\n"
            "    return %2\n"
            "  }\n");
  auto names = LocalValueNames(*f);
  EXPECT_EQ(names[x], "0");
  EXPECT_EQ(names[c], "1");
}

TEST(PrinterTest, QuotesOddGlobalNames) {
  EXPECT_EQ(GlobalName("model.norm.weight"), "@model.norm.weight");
  EXPECT_EQ(GlobalName("odd name"), "@\"odd name\"");
  EXPECT_EQ(GlobalName(""), "@\"\"");
  Module m("my module");
  EXPECT_EQ(PrintModule(m), "module @\"my module\" {\n}\n");
}

}  // namespace
}  // namespace dsc::ir
