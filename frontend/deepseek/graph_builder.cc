// DeepSeek V3.2 graph declaration, op by op as in shared/spec/model.md (section numbers in
// comments). Weights are resolved up front so that building the functions cannot fail on
// input; what remains are programmer errors, which the IR builder aborts on.
#include "frontend/deepseek/graph_builder.h"

#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "ir/builder.h"
#include "ir/check.h"
#include "ir/verifier.h"
#include "numerics/rope.h"

namespace dsc::frontend {
namespace {

using ir::AttrMap;
using ir::Dim;
using ir::DType;
using ir::OpCode;
using ir::Shape;
using ir::Type;
using ir::Value;

std::string LayerPrefix(int64_t l) { return absl::StrCat("model.layers.", l, "."); }

class DeepseekGraph {
 public:
  DeepseekGraph(const ModelConfig& c, const WeightResolver& w, const GraphOptions& o, ir::Module* m)
      : c_(c), weights_(w), opt_(o), module_(m) {}

  absl::Status DeclareGlobals();
  // decode: one token (S = 1). last_row: logits of one row only, chosen by an i32[1] argument
  // %last (generation needs the last prompt row's; the LM head over every row of a long prompt
  // would cost S times as much).
  void BuildFunction(const std::string& name, bool decode, bool last_row = false);

 private:
  // --- weights and state
  absl::Status AddWeight(const std::string& module, const std::string& tensor = "weight");
  absl::Status AddStackedExperts(int64_t layer, const std::string& proj);
  Value* W(const std::string& module, const std::string& tensor = "weight") const;
  Value* State(const std::string& name, int64_t layer) const {
    return module_->FindGlobal(absl::StrCat(name, ".", layer));
  }
  std::string ExpertBody(const Type& w1, const Type& w2);

  // --- pieces of the forward pass (b_ is the current function's builder)
  Value* Linear(Value* x, const std::string& module);
  Value* ReadF32(Value* state);
  Value* Ffn(Value* x, const std::string& prefix);  // SwiGLU unit, model.md §9
  Value* Attention(int64_t l, Value* a);            // MLA §7 with the indexer §8
  Value* Indexer(int64_t l, Value* a, Value* q_lat);
  Value* Moe(int64_t l, Value* f);

  const ModelConfig& c_;
  const WeightResolver& weights_;
  const GraphOptions& opt_;
  ir::Module* module_;
  absl::flat_hash_map<std::string, Value*> constants_;  // by checkpoint tensor path

  // Per-function state.
  std::unique_ptr<ir::Builder> b_;
  Dim s_, p_, t_;           // chunk length, start position, KV length (P+S)
  Value* positions_ = nullptr;
  Value* freqs_ = nullptr;  // YaRN frequencies shared by the MLA and the indexer (both d_r)
};

// ---------------------------------------------------------------------------------------------
// Weights and state

absl::Status DeepseekGraph::AddWeight(const std::string& module, const std::string& tensor) {
  absl::StatusOr<ResolvedWeight> r = weights_.Resolve(module, tensor);
  if (!r.ok()) return r.status();
  std::string name = tensor == "weight" ? module : absl::StrCat(module, ".", tensor);
  constants_[absl::StrCat(module, ".", tensor)] = module_->AddConstant(name, r->type, std::move(r->parts));
  return absl::OkStatus();
}

// Routed experts are one stacked constant [E, N, K] per projection, so that the generic MoE op
// takes three weight operands whatever the expert count.
absl::Status DeepseekGraph::AddStackedExperts(int64_t layer, const std::string& proj) {
  std::vector<ir::TensorRef> parts;
  Type first;
  for (int64_t e = 0; e < c_.n_routed_experts; ++e) {
    std::string module = absl::StrCat(LayerPrefix(layer), "mlp.experts.", e, ".", proj);
    absl::StatusOr<ResolvedWeight> r = weights_.Resolve(module);
    if (!r.ok()) return r.status();
    if (e == 0) first = r->type;
    if (r->type != first) {
      return absl::InvalidArgumentError(absl::StrCat("expert weight ", module, " is ", r->type.ToString(),
                                                     " but expert 0 is ", first.ToString(),
                                                     " (experts of a layer must share one format)"));
    }
    parts.insert(parts.end(), r->parts.begin(), r->parts.end());
  }
  std::vector<Dim> dims = {Dim(c_.n_routed_experts)};
  for (const Dim& d : first.shape().dims()) dims.push_back(d);
  Type stacked = first.is_quantized() ? Type::Quantized(first.format(), Shape(dims))
                                      : Type::Tensor(first.dtype(), Shape(dims));
  std::string name = absl::StrCat(LayerPrefix(layer), "mlp.experts.", proj);
  constants_[name + ".weight"] = module_->AddConstant(name, stacked, std::move(parts));
  return absl::OkStatus();
}

Value* DeepseekGraph::W(const std::string& module, const std::string& tensor) const {
  auto it = constants_.find(absl::StrCat(module, ".", tensor));
  DSC_CHECK(it != constants_.end(), absl::StrCat("weight not declared: ", module, ".", tensor));
  return it->second;
}

absl::Status DeepseekGraph::DeclareGlobals() {
  auto add = [&](const std::string& m, const std::string& t = "weight") { return AddWeight(m, t); };
  absl::Status s;
  if (!(s = add("model.embed_tokens")).ok()) return s;
  const int64_t n = opt_.context > 0 ? opt_.context : c_.max_seq_len;
  for (int64_t l = 0; l < c_.n_layers; ++l) {
    std::string p = LayerPrefix(l);
    for (const char* m : {"input_layernorm", "post_attention_layernorm", "self_attn.q_a_proj",
                          "self_attn.q_a_layernorm", "self_attn.q_b_proj", "self_attn.kv_a_proj_with_mqa",
                          "self_attn.kv_a_layernorm", "self_attn.kv_b_proj", "self_attn.o_proj"}) {
      if (!(s = add(p + m)).ok()) return s;
    }
    if (c_.has_indexer()) {
      for (const char* m : {"self_attn.indexer.wq_b", "self_attn.indexer.wk", "self_attn.indexer.k_norm",
                            "self_attn.indexer.weights_proj"}) {
        if (!(s = add(p + m)).ok()) return s;
      }
      if (!(s = add(p + "self_attn.indexer.k_norm", "bias")).ok()) return s;
    }
    if (!c_.IsMoeLayer(l)) {
      for (const char* m : {"mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"}) {
        if (!(s = add(p + m)).ok()) return s;
      }
    } else {
      if (!(s = add(p + "mlp.gate")).ok()) return s;
      if (weights_.Has(p + "mlp.gate", "e_score_correction_bias") &&
          !(s = add(p + "mlp.gate", "e_score_correction_bias")).ok()) {
        return s;
      }
      for (const char* proj : {"gate_proj", "up_proj", "down_proj"}) {
        if (!(s = AddStackedExperts(l, proj)).ok()) return s;
      }
      if (c_.n_shared_experts > 0) {
        for (const char* m : {"mlp.shared_experts.gate_proj", "mlp.shared_experts.up_proj",
                              "mlp.shared_experts.down_proj"}) {
          if (!(s = add(p + m)).ok()) return s;
        }
      }
    }
    // KV caches (model.md §11). The fp8 latent mode keeps f32 storage of the E4M3 round trip,
    // which is value-identical to storing codes + power-of-two scales.
    DType latent = opt_.kv_cache == KvCacheMode::kBf16 ? DType::kBF16 : DType::kF32;
    module_->AddState(absl::StrCat("kv_latent.", l), Type::Tensor(latent, Shape{n, c_.kv_lora_rank}));
    module_->AddState(absl::StrCat("kv_rope.", l), Type::Tensor(latent, Shape{n, c_.qk_rope_head_dim}));
    if (c_.has_indexer()) {
      module_->AddState(absl::StrCat("index_k.", l), Type::Tensor(DType::kF8E4M3, Shape{n, c_.index_head_dim}));
      module_->AddState(absl::StrCat("index_k_scale.", l), Type::Tensor(DType::kF32, Shape{n, 1}));
    }
  }
  if (!(s = add("model.norm")).ok()) return s;
  return add("lm_head");
}

// The body called by moe_experts for each expert on the rows routed to it.
std::string DeepseekGraph::ExpertBody(const Type& w1, const Type& w2) {
  auto slice = [](const Type& t) {
    Shape s{t.shape().dim(1), t.shape().dim(2)};
    return t.is_quantized() ? Type::Quantized(t.format(), s) : Type::Tensor(t.dtype(), s);
  };
  Type s1 = slice(w1), s2 = slice(w2);
  std::string name = absl::StrCat("expert_ffn.", s1.ToString(), ".", s2.ToString());
  for (char& ch : name) {
    if (ch == '[' || ch == ']' || ch == ',') ch = '_';
  }
  if (module_->FindFunction(name) != nullptr) return name;
  ir::Function* f = module_->AddFunction(name, {"N"});
  Value* x = f->AddArgument(Type::Tensor(DType::kF32, Shape{Dim::Symbol("N"), s1.shape().dim(1)}), "x");
  Value* gate = f->AddArgument(s1, "w1");
  Value* down = f->AddArgument(s2, "w2");
  Value* up = f->AddArgument(s1, "w3");
  ir::Builder b(f);
  auto linear = [&](Value* in, Value* w) {
    return b.Matmul(in, w->type().is_quantized() ? b.Dequantize(w) : w);
  };
  Value* h = b.Op(OpCode::kSwiglu, {linear(x, gate), linear(x, up)});
  b.Return({linear(h, down)});
  return name;
}

// ---------------------------------------------------------------------------------------------
// Forward pass pieces

// Rows [0, P+S) of a cache, widened to f32 when the cache stores a narrower type (bf16 mode).
Value* DeepseekGraph::ReadF32(Value* state) {
  Value* rows = b_->Op(OpCode::kCacheRead, {state}, {{"length", t_}});
  if (rows->type().dtype() == DType::kF32) return rows;
  return b_->Op(OpCode::kCast, {rows}, {{"dtype", DType::kF32}});
}

Value* DeepseekGraph::Linear(Value* x, const std::string& module) {
  Value* w = W(module);
  if (w->type().is_quantized()) w = b_->Dequantize(w);
  return b_->Matmul(x, w);
}

Value* DeepseekGraph::Ffn(Value* x, const std::string& prefix) {
  Value* gate = Linear(x, prefix + "gate_proj");
  Value* up = Linear(x, prefix + "up_proj");
  return Linear(b_->Op(OpCode::kSwiglu, {gate, up}), prefix + "down_proj");
}

Value* DeepseekGraph::Moe(int64_t l, Value* f) {
  std::string p = LayerPrefix(l) + "mlp.";
  // §9 gate: scores from the BF16 router (widened), selection with the optional bias.
  std::vector<Value*> gate_in = {b_->Matmul(f, W(p + "gate"))};
  if (weights_.Has(p + "gate", "e_score_correction_bias")) gate_in.push_back(W(p + "gate", "e_score_correction_bias"));
  ir::Operation* gate = b_->Create(
      OpCode::kMoeGate, gate_in,
      {{"top_k", c_.n_activated_experts}, {"n_groups", c_.n_expert_groups},
       {"n_limited_groups", c_.n_limited_groups}, {"route_scale", c_.route_scale},
       {"score_func", c_.score_func}});
  Value* w1 = W(p + "experts.gate_proj");
  Value* w2 = W(p + "experts.down_proj");
  Value* w3 = W(p + "experts.up_proj");
  Value* routed = b_->Op(OpCode::kMoeExperts, {f, gate->result(0), gate->result(1), w1, w2, w3},
                         {{"body", ir::SymbolRef{ExpertBody(w1->type(), w2->type())}}});
  if (c_.n_shared_experts == 0) return routed;
  return b_->Add(routed, Ffn(f, p + "shared_experts."));
}

// §8: the lightning indexer's sparse mask over the cached keys [0, P+S).
Value* DeepseekGraph::Indexer(int64_t l, Value* a, Value* q_lat) {
  const std::string p = LayerPrefix(l) + "self_attn.indexer.";
  const int64_t hi = c_.index_n_heads, di = c_.index_head_dim, dr = c_.qk_rope_head_dim;
  const bool interleaved = opt_.revision == "r1";  // §0 row 1
  auto rope_first = [&](Value* x, int64_t axis) {  // rotary part FIRST, then nope (§8.1-2)
    std::vector<Value*> parts = b_->Split(x, axis, {dr, di - dr});
    Value* pe = b_->Op(OpCode::kRotary, {parts[0], freqs_, positions_}, {{"interleaved", interleaved}});
    return b_->Concat({pe, parts[1]}, axis);
  };
  Value* q = b_->Reshape(Linear(q_lat, p + "wq_b"), Shape{s_, hi, di});
  q = b_->Op(OpCode::kHadamard, {rope_first(q, 2)});
  q = b_->Op(OpCode::kFp8RoundTrip, {q});  // §8.4: q̂ = e4m3(q/s_q)·s_q per head
  Value* k = b_->Op(OpCode::kLayerNorm, {Linear(a, p + "wk"), W(p + "k_norm"), W(p + "k_norm", "bias")},
                    {{"eps", c_.norm_eps}});
  k = b_->Op(OpCode::kHadamard, {rope_first(k, 1)});
  ir::Operation* k8 = b_->Create(OpCode::kFp8Quantize, {k});
  b_->Create(OpCode::kCacheWrite, {State("index_k", l), k8->result(0)}, {{"start", p_}});
  b_->Create(OpCode::kCacheWrite, {State("index_k_scale", l), k8->result(1)}, {{"start", p_}});
  // §8.5: head weights from the BF16 projection (widened), times H_i^-1/2.
  Value* w = b_->Scale(b_->Matmul(a, W(p + "weights_proj")), 1.0 / std::sqrt(static_cast<double>(hi)));
  Value* keys = b_->Op(OpCode::kCacheRead, {State("index_k", l)}, {{"length", t_}});
  Value* scales = b_->Op(OpCode::kCacheRead, {State("index_k_scale", l)}, {{"length", t_}});
  Value* score = b_->Op(OpCode::kIndexerScore, {q, w, keys, scales},
                        {{"scale", 1.0 / std::sqrt(static_cast<double>(di))}, {"causal", true}, {"start", p_}});
  return b_->Op(OpCode::kSparseTopkMask, {score}, {{"k", c_.index_topk}});
}

// §7: MLA. The graph uses the expanded form over the cached latent for every call (7a for
// P = 0; the generalized chunk of 7.7 otherwise); the absorb-mla pass rewrites decode to 7b.
Value* DeepseekGraph::Attention(int64_t l, Value* a) {
  const std::string p = LayerPrefix(l) + "self_attn.";
  const int64_t h = c_.n_heads, dn = c_.qk_nope_head_dim, dr = c_.qk_rope_head_dim, dv = c_.v_head_dim;
  const int64_t rkv = c_.kv_lora_rank;
  Value* q_lat = b_->RmsNorm(Linear(a, p + "q_a_proj"), W(p + "q_a_layernorm"), c_.norm_eps);  // §7.1
  Value* q = b_->Reshape(Linear(q_lat, p + "q_b_proj"), Shape{s_, h, dn + dr});               // §7.2
  std::vector<Value*> qs = b_->Split(q, 2, {dn, dr});
  Value* q_pe = b_->Op(OpCode::kRotary, {qs[1], freqs_, positions_}, {{"interleaved", true}});
  std::vector<Value*> kva = b_->Split(Linear(a, p + "kv_a_proj_with_mqa"), 1, {rkv, dr});      // §7.3
  Value* latent = b_->RmsNorm(kva[0], W(p + "kv_a_layernorm"), c_.norm_eps);
  Value* k_pe = b_->Op(OpCode::kRotary, {kva[1], freqs_, positions_}, {{"interleaved", true}});
  if (opt_.kv_cache == KvCacheMode::kFp8) latent = b_->Op(OpCode::kFp8RoundTrip, {latent});  // §7.4
  b_->Create(OpCode::kCacheWrite, {State("kv_latent", l), latent}, {{"start", p_}});          // §7.5
  b_->Create(OpCode::kCacheWrite, {State("kv_rope", l), k_pe}, {{"start", p_}});
  Value* mask = c_.has_indexer() ? Indexer(l, a, q_lat) : nullptr;                            // §7.6
  // §7a: expand keys/values of every cached position from the latent.
  Value* kv = ReadF32(State("kv_latent", l));
  Value* pe = ReadF32(State("kv_rope", l));
  std::vector<Value*> kvb = b_->Split(b_->Reshape(Linear(kv, p + "kv_b_proj"), Shape{t_, h, dn + dv}), 2, {dn, dv});
  Value* pe_heads = b_->Op(OpCode::kBroadcast, {b_->Reshape(pe, Shape{t_, 1, dr})}, {{"shape", Shape{t_, h, dr}}});
  Value* k = b_->Concat({kvb[0], pe_heads}, 2);
  Value* qf = b_->Concat({qs[0], q_pe}, 2);
  double scale = numerics::AttentionSoftmaxScale(c_.qk_head_dim(), c_.rope_factor, c_.mscale, c_.YarnActive());
  std::vector<Value*> attn_in = {qf, k, kvb[1]};
  if (mask != nullptr) attn_in.push_back(mask);
  Value* o = b_->Op(OpCode::kAttention, attn_in, {{"scale", scale}, {"causal", true}, {"start", p_}});
  return Linear(b_->Reshape(o, Shape{s_, h * dv}), p + "o_proj");                                // §7.8
}

// §3: the top-level forward of one chunk; logits for every row, or for the row %last.
void DeepseekGraph::BuildFunction(const std::string& name, bool decode, bool last_row) {
  std::vector<std::string> symbols = decode ? std::vector<std::string>{"P"} : std::vector<std::string>{"S", "P"};
  ir::Function* f = module_->AddFunction(name, symbols);
  s_ = decode ? Dim(1) : Dim::Symbol("S");
  p_ = Dim::Symbol("P");
  t_ = p_ + s_;
  Value* tokens = f->AddArgument(Type::Tensor(DType::kI32, Shape{s_}), "tokens");
  Value* last = last_row ? f->AddArgument(Type::Tensor(DType::kI32, Shape{Dim(1)}), "last") : nullptr;
  b_ = std::make_unique<ir::Builder>(f);
  positions_ = b_->Named("positions").Op(OpCode::kPositions, {}, {{"start", p_}, {"length", s_}});
  freqs_ = b_->Named("rope_freqs").Op(
      OpCode::kRopeFreqs, {},
      {{"dim", c_.qk_rope_head_dim}, {"theta", c_.rope_theta}, {"factor", c_.rope_factor},
       {"original_seq_len", c_.original_seq_len}, {"beta_fast", c_.beta_fast},
       {"beta_slow", c_.beta_slow}, {"max_seq_len", c_.YarnActive() ? c_.max_seq_len : c_.original_seq_len}});
  Value* h = b_->Named("h").Op(OpCode::kEmbedding, {W("model.embed_tokens"), tokens});
  Value* r = nullptr;
  for (int64_t l = 0; l < c_.n_layers; ++l) {  // §4 Block
    std::string p = LayerPrefix(l);
    r = r == nullptr ? h : b_->Add(h, r);
    Value* a = b_->RmsNorm(r, W(p + "input_layernorm"), c_.norm_eps);
    Value* o = Attention(l, a);
    r = b_->Named(absl::StrCat("resid.", l)).Add(o, r);
    if (last != nullptr && l + 1 == c_.n_layers) {
      // Every row's keys are cached by now; only row %last goes on through the last FFN.
      r = b_->Named("last_row").Op(OpCode::kGather, {r, last}, {{"axis", int64_t{0}}});
    }
    Value* fin = b_->RmsNorm(r, W(p + "post_attention_layernorm"), c_.norm_eps);
    h = c_.IsMoeLayer(l) ? Moe(l, fin) : Ffn(fin, p + "mlp.");
    h->set_name(absl::StrCat("ffn_out.", l));
  }
  Value* x = b_->RmsNorm(b_->Add(h, r), W("model.norm"), c_.norm_eps);  // §10
  b_->Return({b_->Named("logits").Matmul(x, W("lm_head"))});
  b_.reset();
}

}  // namespace

absl::StatusOr<KvCacheMode> ParseKvCacheMode(const std::string& name) {
  if (name == "f32") return KvCacheMode::kF32;
  if (name == "bf16") return KvCacheMode::kBf16;
  if (name == "fp8") return KvCacheMode::kFp8;
  return absl::InvalidArgumentError(absl::StrCat("unknown KV cache mode '", name, "' (f32|bf16|fp8)"));
}

absl::StatusOr<std::unique_ptr<ir::Module>> BuildDeepseekModule(const ModelConfig& config,
                                                                const WeightResolver& weights,
                                                                const GraphOptions& options) {
  if (options.revision != "r1" && options.revision != "r2") {
    return absl::InvalidArgumentError(absl::StrCat("unknown revision '", options.revision, "' (r1|r2)"));
  }
  auto module = std::make_unique<ir::Module>("deepseek_v32");
  module->metadata()["architecture"] = config.architecture;
  module->metadata()["revision"] = options.revision;
  DeepseekGraph graph(config, weights, options, module.get());
  if (absl::Status s = graph.DeclareGlobals(); !s.ok()) return s;
  graph.BuildFunction("prefill", /*decode=*/false);
  graph.BuildFunction("decode", /*decode=*/true);
  graph.BuildFunction("prefill_last", /*decode=*/false, /*last_row=*/true);
  if (absl::Status s = ir::Verify(*module); !s.ok()) {
    return absl::InternalError(absl::StrCat("the declared graph does not verify: ", s.message()));
  }
  return module;
}

}  // namespace dsc::frontend
