// The tiny-a golden chain: checkpoint loading and one forward call (model.md §3–§10) written
// as a straight sequence of reference-kernel calls.
#include "tests/unit/runtime/golden_chain.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "frontend/safetensors.h"
#include "numerics/nvfp4.h"
#include "numerics/rope.h"
#include "numerics/scalar_formats.h"
#include "runtime/interp/kernels_elementwise.h"
#include "runtime/interp/kernels_indexer.h"
#include "runtime/interp/kernels_linear.h"
#include "runtime/interp/kernels_moe.h"
#include "runtime/interp/kernels_norm.h"
#include "runtime/interp/kernels_rope.h"

namespace dsc::runtime::testing {
namespace {

using frontend::SafetensorsFile;
using frontend::StDtype;
using frontend::TensorView;

constexpr float kNormEps = 1e-6f;  // hard-coded in the official code (model.md §2)

// A checkpoint tensor as float32: NVFP4 `.weight` (U8 + `.weight_scale`) is dequantized,
// everything else widened.
absl::StatusOr<std::vector<float>> ReadWeight(const SafetensorsFile& file, const TensorView& t) {
  const std::string prefix = t.name.substr(0, t.name.size() - std::string(".weight").size());
  const TensorView* block_scales = file.Find(prefix + ".weight_scale");
  if (t.dtype != StDtype::kU8 || block_scales == nullptr) return frontend::ReadAsFloat32(t);
  const TensorView* global = file.Find(prefix + ".weight_scale_2");
  if (global == nullptr || t.shape.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat("incomplete NVFP4 weight ", t.name));
  }
  absl::StatusOr<std::vector<float>> global_scale = frontend::ReadAsFloat32(*global);
  if (!global_scale.ok()) return global_scale.status();
  const int64_t rows = t.shape[0], cols = t.shape[1] * 2;
  std::vector<float> out(rows * cols);
  absl::Status s = numerics::DequantizeNvfp4(t.data, block_scales->data, (*global_scale)[0], rows,
                                             cols, out.data());
  if (!s.ok()) return s;
  return out;
}

std::vector<float> Rows(const std::vector<float>& x, int64_t first, int64_t count, int64_t cols) {
  return std::vector<float>(x.begin() + first * cols, x.begin() + (first + count) * cols);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TinyModel>> TinyModel::Load(const std::string& dir) {
  std::unique_ptr<TinyModel> model(new TinyModel());
  absl::StatusOr<frontend::ModelConfig> config = frontend::LoadHfConfig(dir + "/config.json");
  if (!config.ok()) return config.status();
  model->config_ = *config;
  frontend::ModelConfig& c = model->config_;
  // The golden's N_max is the checkpoint's max_position_embeddings (golden README: YaRN active).
  if (c.max_position_embeddings > 0) c.max_seq_len = c.max_position_embeddings;

  absl::StatusOr<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::Open(dir + "/model.safetensors");
  if (!file.ok()) return file.status();
  for (const TensorView& t : (*file)->tensors()) {
    if (absl::EndsWith(t.name, ".weight_scale") || absl::EndsWith(t.name, ".weight_scale_2") ||
        absl::EndsWith(t.name, ".input_scale")) {
      continue;
    }
    absl::StatusOr<std::vector<float>> w = ReadWeight(**file, t);
    if (!w.ok()) return w.status();
    model->weights_[t.name] = *std::move(w);
  }

  const int64_t yarn_len = c.YarnActive() ? c.max_seq_len : c.original_seq_len;
  absl::StatusOr<std::vector<float>> freqs =
      numerics::YarnFrequencies(c.qk_rope_head_dim, c.rope_theta, c.rope_factor, c.original_seq_len,
                                c.beta_fast, c.beta_slow, yarn_len);
  if (!freqs.ok()) return freqs.status();
  model->rope_freqs_ = *std::move(freqs);
  model->softmax_scale_ =
      numerics::AttentionSoftmaxScale(c.qk_head_dim(), c.rope_factor, c.mscale, c.YarnActive());
  model->dims_ = {.n_heads = c.n_heads,
                  .qk_nope_dim = c.qk_nope_head_dim,
                  .qk_rope_dim = c.qk_rope_head_dim,
                  .v_head_dim = c.v_head_dim,
                  .kv_lora_rank = c.kv_lora_rank};
  return model;
}

absl::StatusOr<KvCache> TinyModel::NewCache(KvCacheDtype dtype) const {
  return KvCache::Create({.n_layers = config_.n_layers,
                          .capacity = config_.max_seq_len,
                          .kv_lora_rank = config_.kv_lora_rank,
                          .qk_rope_head_dim = config_.qk_rope_head_dim,
                          .index_head_dim = config_.index_head_dim},
                         dtype);
}

const std::vector<float>& TinyModel::W(const std::string& name) const {
  auto it = weights_.find(name);
  if (it == weights_.end()) {
    std::fprintf(stderr, "golden chain: checkpoint tensor %s is missing\n", name.c_str());
    std::abort();
  }
  return it->second;
}

const std::vector<float>& TinyModel::LayerW(int64_t layer, const std::string& suffix) const {
  return W(absl::StrCat("model.layers.", layer, ".", suffix));
}

const float* TinyModel::OptionalW(const std::string& name) const {
  auto it = weights_.find(name);
  return it == weights_.end() ? nullptr : it->second.data();
}

absl::StatusOr<std::vector<float>> TinyModel::Forward(const std::vector<int32_t>& tokens,
                                                      int64_t start_pos, KvCache& cache,
                                                      const ChainOptions& options,
                                                      ForwardTrace* trace) const {
  const int64_t S = static_cast<int64_t>(tokens.size()), D = config_.dim;
  std::vector<int64_t> positions(S);
  for (int64_t s = 0; s < S; ++s) positions[s] = start_pos + s;
  if (trace != nullptr) trace->layers.assign(config_.n_layers, LayerTrace{});

  // §3 step 1 and §4: h = Embed(t); the residual add is deferred into the next norm.
  std::vector<float> h(S * D), residual, a(S * D), f(S * D);
  absl::Status s = ref::Embed(W("model.embed_tokens.weight").data(), config_.vocab_size, D,
                              tokens.data(), S, h.data());
  if (!s.ok()) return s;
  for (int64_t layer = 0; layer < config_.n_layers; ++layer) {
    LayerTrace* lt = trace ? &trace->layers[layer] : nullptr;
    const float* attn_norm = LayerW(layer, "input_layernorm.weight").data();
    if (layer == 0) {
      residual = h;
      ref::RmsNorm(h.data(), attn_norm, S, D, kNormEps, a.data());
    } else {
      ref::AddRmsNorm(h.data(), residual.data(), attn_norm, S, D, kNormEps, a.data());
    }
    if (lt) lt->h_in = residual;
    absl::StatusOr<std::vector<float>> o = Attention(layer, a, positions, cache, options, lt);
    if (!o.ok()) return o.status();
    ref::AddRmsNorm(o->data(), residual.data(),
                    LayerW(layer, "post_attention_layernorm.weight").data(), S, D, kNormEps,
                    f.data());
    absl::StatusOr<std::vector<float>> m = Ffn(layer, f, lt);
    if (!m.ok()) return m.status();
    if (lt) {
      lt->attn_out = *o;
      lt->ffn_out = *m;
    }
    h = *std::move(m);
  }
  // §10: final norm over h + r, then the head on every row.
  std::vector<float> x(S * D), logits(S * config_.vocab_size);
  ref::AddRmsNorm(h.data(), residual.data(), W("model.norm.weight").data(), S, D, kNormEps,
                  x.data());
  if (trace) trace->final_hidden = x;
  ref::Linear(x.data(), W("lm_head.weight").data(), S, D, config_.vocab_size, logits.data());
  return logits;
}

absl::StatusOr<std::vector<float>> TinyModel::Attention(int64_t layer, const std::vector<float>& a,
                                                        const std::vector<int64_t>& positions,
                                                        KvCache& cache, const ChainOptions& options,
                                                        LayerTrace* trace) const {
  const int64_t S = static_cast<int64_t>(positions.size()), P = positions[0], end = P + S;
  const int64_t D = config_.dim, H = dims_.n_heads, dn = dims_.qk_nope_dim;
  const int64_t dr = dims_.qk_rope_dim, dv = dims_.v_head_dim, R = dims_.kv_lora_rank;
  const int64_t Rq = config_.q_lora_rank, dqk = dims_.qk_head_dim();
  using ref::RopeLayout;

  // §7 steps 1–2: query latent and roped queries.
  std::vector<float> q_lat(S * Rq), q(S * H * dqk);
  ref::Linear(a.data(), LayerW(layer, "self_attn.q_a_proj.weight").data(), S, D, Rq, q_lat.data());
  ref::RmsNorm(q_lat.data(), LayerW(layer, "self_attn.q_a_layernorm.weight").data(), S, Rq,
               kNormEps, q_lat.data());
  ref::Linear(q_lat.data(), LayerW(layer, "self_attn.q_b_proj.weight").data(), S, Rq, H * dqk,
              q.data());
  ref::ApplyRope(q.data(), S, H, dqk, dn, dr, positions.data(), rope_freqs_.data(),
                 RopeLayout::kInterleaved);

  // §7 steps 3–5: KV latent and rotary key, written to the cache and read back as stored.
  std::vector<float> kva(S * (R + dr)), latent(S * R), k_pe(S * dr);
  ref::Linear(a.data(), LayerW(layer, "self_attn.kv_a_proj_with_mqa.weight").data(), S, D, R + dr,
              kva.data());
  for (int64_t s = 0; s < S; ++s) {
    std::copy_n(&kva[s * (R + dr)], R, &latent[s * R]);
    std::copy_n(&kva[s * (R + dr) + R], dr, &k_pe[s * dr]);
  }
  ref::RmsNorm(latent.data(), LayerW(layer, "self_attn.kv_a_layernorm.weight").data(), S, R,
               kNormEps, latent.data());
  ref::ApplyRope(k_pe.data(), S, 1, dr, 0, dr, positions.data(), rope_freqs_.data(),
                 RopeLayout::kInterleaved);
  if (absl::Status s = cache.WriteLatent(layer, P, S, latent.data(), k_pe.data()); !s.ok()) {
    return s;
  }
  std::vector<float> kv_all(end * R), pe_all(end * dr);
  if (absl::Status s = cache.ReadLatent(layer, end, kv_all.data(), pe_all.data()); !s.ok()) {
    return s;
  }
  if (trace) {
    trace->kv_latent = Rows(kv_all, P, S, R);
    trace->k_pe = Rows(pe_all, P, S, dr);
  }

  // §7 step 6: sparse selection; step 7: attention; step 8: output projection.
  absl::StatusOr<std::vector<int32_t>> sel =
      Indexer(layer, a, q_lat, positions, cache, options, trace);
  if (!sel.ok()) return sel.status();
  const ref::KeySelection selection{sel->data(), config_.index_topk};
  const std::vector<float>& w_kvb = LayerW(layer, "self_attn.kv_b_proj.weight");
  std::vector<float> o(S * H * dv), y(S * D);
  if (P == 0 && S > 1) {
    std::vector<float> kvb(S * H * (dn + dv));
    ref::Linear(kv_all.data(), w_kvb.data(), S, R, H * (dn + dv), kvb.data());
    ref::MlaPrefillAttention(q.data(), kvb.data(), pe_all.data(), S, dims_, softmax_scale_,
                             selection, o.data());
  } else {
    ref::MlaDecodeAttention(q.data(), w_kvb.data(), kv_all.data(), pe_all.data(), positions.data(),
                            S, end, dims_, softmax_scale_, selection, o.data());
  }
  ref::Linear(o.data(), LayerW(layer, "self_attn.o_proj.weight").data(), S, H * dv, D, y.data());
  return y;
}

absl::StatusOr<std::vector<int32_t>> TinyModel::Indexer(int64_t layer, const std::vector<float>& a,
                                                        const std::vector<float>& q_lat,
                                                        const std::vector<int64_t>& positions,
                                                        KvCache& cache, const ChainOptions& options,
                                                        LayerTrace* trace) const {
  const int64_t S = static_cast<int64_t>(positions.size()), P = positions[0], end = P + S;
  const int64_t D = config_.dim, Rq = config_.q_lora_rank, dr = config_.qk_rope_head_dim;
  const int64_t Hi = config_.index_n_heads, di = config_.index_head_dim;
  const ref::RopeLayout layout = options.indexer_rope_interleaved ? ref::RopeLayout::kInterleaved
                                                                  : ref::RopeLayout::kHalfSplit;
  // Steps 1–2: queries from q_lat, keys from a (LayerNorm), rotary part first in both.
  std::vector<float> q(S * Hi * di), k(S * di);
  ref::Linear(q_lat.data(), LayerW(layer, "self_attn.indexer.wq_b.weight").data(), S, Rq, Hi * di,
              q.data());
  ref::ApplyRope(q.data(), S, Hi, di, 0, dr, positions.data(), rope_freqs_.data(), layout);
  ref::Linear(a.data(), LayerW(layer, "self_attn.indexer.wk.weight").data(), S, D, di, k.data());
  ref::LayerNorm(k.data(), LayerW(layer, "self_attn.indexer.k_norm.weight").data(),
                 LayerW(layer, "self_attn.indexer.k_norm.bias").data(), S, di, kNormEps, k.data());
  ref::ApplyRope(k.data(), S, 1, di, 0, dr, positions.data(), rope_freqs_.data(), layout);

  // Steps 3–4: Hadamard + FP8; keys go to the cache.
  std::vector<uint8_t> q8(S * Hi * di), k8(S * di);
  std::vector<float> q_scale(S * Hi), k_scale(S);
  if (absl::Status s = ref::IndexerQuantize(q.data(), S * Hi, di, q8.data(), q_scale.data());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ref::IndexerQuantize(k.data(), S, di, k8.data(), k_scale.data()); !s.ok()) {
    return s;
  }
  if (absl::Status s = cache.WriteIndexKeys(layer, P, S, k8.data(), k_scale.data()); !s.ok()) {
    return s;
  }
  const uint8_t* k_codes = nullptr;
  const float* k_scales = nullptr;
  if (absl::Status s = cache.IndexKeys(layer, end, &k_codes, &k_scales); !s.ok()) return s;

  // Steps 5–8: head weights, scores over every cached key, top-k.
  std::vector<float> w(S * Hi), scores(S * end);
  ref::Linear(a.data(), LayerW(layer, "self_attn.indexer.weights_proj.weight").data(), S, D, Hi,
              w.data());
  ref::IndexScores(q8.data(), q_scale.data(), w.data(), k_codes, k_scales, positions.data(), S, Hi,
                   di, end, scores.data());
  std::vector<int32_t> selected(S * config_.index_topk);
  ref::TopKIndices(scores.data(), S, end, config_.index_topk, selected.data());
  if (trace) {
    trace->index_k_fp8.resize(S * di);
    for (int64_t i = 0; i < S * di; ++i) trace->index_k_fp8[i] = numerics::DecodeE4m3(k8[i]);
    trace->index_k_scale = k_scale;
    trace->index_score = scores;
    trace->index_topk = selected;
  }
  return selected;
}

absl::StatusOr<std::vector<float>> TinyModel::Ffn(int64_t layer, const std::vector<float>& f,
                                                  LayerTrace* trace) const {
  const int64_t S = static_cast<int64_t>(f.size()) / config_.dim, D = config_.dim;
  std::vector<float> y(S * D);
  auto swiglu = [&](const std::string& prefix, int64_t hidden) {
    return ref::SwiGluWeights{LayerW(layer, prefix + ".gate_proj.weight").data(),
                              LayerW(layer, prefix + ".up_proj.weight").data(),
                              LayerW(layer, prefix + ".down_proj.weight").data(), hidden};
  };
  if (!config_.IsMoeLayer(layer)) {
    ref::SwiGluFfn(f.data(), S, D, swiglu("mlp", config_.inter_dim), y.data());
    return y;
  }
  const int64_t E = config_.n_routed_experts, K = config_.n_activated_experts;
  std::vector<float> router(S * E), weights(S * K);
  std::vector<int32_t> experts(S * K);
  ref::Linear(f.data(), LayerW(layer, "mlp.gate.weight").data(), S, D, E, router.data());
  const ref::MoeGateConfig gate{.n_experts = E,
                                .n_groups = config_.n_expert_groups,
                                .n_limited_groups = config_.n_limited_groups,
                                .n_activated = K,
                                .route_scale = static_cast<float>(config_.route_scale),
                                .score_func = config_.score_func == "softmax"
                                                  ? ref::ScoreFunc::kSoftmax
                                                  : ref::ScoreFunc::kSigmoid};
  const float* bias =
      OptionalW(absl::StrCat("model.layers.", layer, ".mlp.gate.e_score_correction_bias"));
  if (absl::Status s = ref::MoeGate(router.data(), bias, S, gate, experts.data(), weights.data());
      !s.ok()) {
    return s;
  }
  const ref::SwiGluWeights shared =
      swiglu("mlp.shared_experts", config_.n_shared_experts * config_.moe_inter_dim);
  absl::Status s = ref::MoeForward(
      f.data(), S, D, experts.data(), weights.data(), K, E,
      [&](int64_t e) -> absl::StatusOr<ref::SwiGluWeights> {
        return swiglu(absl::StrCat("mlp.experts.", e), config_.moe_inter_dim);
      },
      &shared, y.data());
  if (!s.ok()) return s;
  if (trace) {
    trace->experts = experts;
    trace->expert_weights = weights;
  }
  return y;
}

double RelL2Finite(const std::vector<float>& actual, const std::vector<float>& expected) {
  if (actual.size() != expected.size()) return INFINITY;
  double diff = 0, norm = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (!std::isfinite(expected[i])) {
      if (actual[i] != expected[i]) return INFINITY;
      continue;
    }
    const double d = double{actual[i]} - expected[i];
    diff += d * d;
    norm += double{expected[i]} * expected[i];
  }
  return norm == 0 ? std::sqrt(diff) : std::sqrt(diff / norm);
}

double Top1Agreement(const std::vector<float>& actual, const std::vector<float>& expected,
                     int64_t cols) {
  const int64_t rows = static_cast<int64_t>(expected.size()) / cols;
  int64_t agree = 0;
  for (int64_t r = 0; r < rows; ++r) {
    auto row_argmax = [&](const std::vector<float>& v) {
      return std::max_element(v.begin() + r * cols, v.begin() + (r + 1) * cols) - v.begin();
    };
    agree += row_argmax(actual) == row_argmax(expected) ? 1 : 0;
  }
  return rows == 0 ? 1.0 : static_cast<double>(agree) / static_cast<double>(rows);
}

}  // namespace dsc::runtime::testing
