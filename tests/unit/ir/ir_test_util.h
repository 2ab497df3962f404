// Helpers shared by the IR unit tests: types from text, one-op inference as a string, error
// matching, and a small multi-layer model built with the Builder.
#ifndef DSC_TESTS_UNIT_IR_IR_TEST_UTIL_H_
#define DSC_TESTS_UNIT_IR_IR_TEST_UTIL_H_

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "ir/builder.h"
#include "ir/module.h"
#include "ir/op_registry.h"
#include "ir/parser.h"

namespace dsc::ir::testing {

// "f32[S,4]" -> Type (any symbol allowed).
inline Type T(const std::string& text) {
  absl::StatusOr<Type> t = ParseType(text);
  if (!t.ok()) {
    ADD_FAILURE() << "bad type in test: " << t.status();
    return Type();
  }
  return *t;
}

// Result types of one op as "f32[S,4], i32[S,4]", or "error: <message>".
inline std::string Infer(OpCode code, const std::vector<std::string>& operands, AttrMap attrs = {}) {
  std::vector<Type> types;
  for (const auto& s : operands) types.push_back(T(s));
  absl::StatusOr<std::vector<Type>> r = InferResultTypes(code, types, attrs);
  if (!r.ok()) return absl::StrCat("error: ", r.status().message());
  return absl::StrJoin(*r, ", ", [](std::string* o, const Type& t) { o->append(t.ToString()); });
}

// Success iff `got` is an error ("error: ..." or a Status message) containing every part.
inline ::testing::AssertionResult HasError(const std::string& got,
                                           std::initializer_list<std::string> parts) {
  for (const std::string& p : parts) {
    if (got.find(p) == std::string::npos) {
      return ::testing::AssertionFailure() << "missing '" << p << "' in: " << got;
    }
  }
  return ::testing::AssertionSuccess();
}
inline ::testing::AssertionResult HasError(const absl::Status& s, std::initializer_list<std::string> parts) {
  if (s.ok()) return ::testing::AssertionFailure() << "expected an error, got OK";
  if (s.code() != absl::StatusCode::kInvalidArgument) {
    return ::testing::AssertionFailure() << "expected InvalidArgument, got " << s;
  }
  return HasError(std::string(s.message()), parts);
}

inline TensorRef Ref(const std::string& tensor, uint64_t offset = 0) {
  return {tensor, "model.safetensors", offset};
}

// A DeepSeek-flavoured toy: embedding, then per layer an RMSNorm, a latent KV write/read with
// attention, and an NVFP4 SwiGLU MLP with a residual; final norm and head. Names follow the
// checkpoint ("model.layers.N....") so DOT clusters by layer.
inline std::unique_ptr<Module> BuildTinyModel(int layers) {
  auto m = std::make_unique<Module>("tiny");
  m->metadata()["architecture"] = "DeepseekV32ForCausalLM";
  m->metadata()["num_hidden_layers"] = absl::StrCat(layers);
  uint64_t off = 0;
  Value* embed = m->AddConstant("model.embed_tokens.weight", T("bf16[256,64]"),
                                {Ref("model.embed_tokens.weight", off += 4096)});
  std::vector<Value*> norm, gate, up, down, kv;
  for (int l = 0; l < layers; ++l) {
    std::string p = absl::StrCat("model.layers.", l, ".");
    norm.push_back(m->AddConstant(p + "input_layernorm.weight", T("bf16[64]"),
                                  {Ref(p + "input_layernorm.weight", off += 4096)}));
    for (auto [list, name, type] : {std::tuple{&gate, "mlp.gate_proj", "nvfp4[128,64]"},
                                    std::tuple{&up, "mlp.up_proj", "nvfp4[128,64]"},
                                    std::tuple{&down, "mlp.down_proj", "nvfp4[64,128]"}}) {
      list->push_back(m->AddConstant(p + name, T(type),
                                     {Ref(p + name + ".weight", off += 4096),
                                      Ref(p + name + ".weight_scale", off += 4096),
                                      Ref(p + name + ".weight_scale_2", off += 4096)}));
    }
  }
  Value* final_norm = m->AddConstant("model.norm.weight", T("bf16[64]"), {Ref("model.norm.weight", off += 4096)});
  Value* head = m->AddConstant("lm_head.weight", T("bf16[256,64]"), {Ref("lm_head.weight", off += 4096)});
  for (int l = 0; l < layers; ++l) kv.push_back(m->AddState(absl::StrCat("kv.", l), T("f32[512,64]")));

  Function* f = m->AddFunction("prefill", {"S", "P"});
  Builder b(f);
  Value* tokens = f->AddArgument(T("i32[S]"), "tokens");
  Value* h = b.Named("h").Op(OpCode::kEmbedding, {embed, tokens});
  for (int l = 0; l < layers; ++l) {
    std::string p = absl::StrCat("layers.", l, ".");
    Value* x = b.Named(p + "x").RmsNorm(h, norm[l], 1e-6);
    b.Create(OpCode::kCacheWrite, {kv[l], x}, {{"start", Dim::Symbol("P")}});
    Value* cache = b.Named(p + "kv").Op(OpCode::kCacheRead, {kv[l]},
                                        {{"length", Dim::Symbol("P") + Dim::Symbol("S")}});
    Value* q = b.Reshape(x, Shape{Dim::Symbol("S"), 1, 64});
    Value* k = b.Reshape(cache, Shape{Dim::Symbol("P") + Dim::Symbol("S"), 1, 64});
    Value* o = b.Op(OpCode::kAttention, {q, k, k},
                    {{"scale", 0.125}, {"causal", true}, {"start", Dim::Symbol("P")}});
    Value* a = b.Named(p + "attn").Reshape(o, Shape{Dim::Symbol("S"), 64});
    Value* g = b.Named(p + "gate").Op(OpCode::kQuantizedMatmul, {a, gate[l]});
    Value* u = b.Named(p + "up").Op(OpCode::kQuantizedMatmul, {a, up[l]});
    Value* act = b.Named(p + "act").Op(OpCode::kSwiglu, {g, u});
    Value* d = b.Named(p + "down").Op(OpCode::kQuantizedMatmul, {act, down[l]});
    h = b.Named(p + "out").Add(h, d);
  }
  Value* n = b.Named("final").RmsNorm(h, final_norm, 1e-6);
  Value* logits = b.Named("logits").Matmul(n, head);
  b.Return({logits});
  return m;
}

}  // namespace dsc::ir::testing

#endif  // DSC_TESTS_UNIT_IR_IR_TEST_UTIL_H_
