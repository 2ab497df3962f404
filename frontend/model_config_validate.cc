// ValidateModelConfig: the consistency rules a DeepSeek config must satisfy before any tensor
// is looked at (positive sizes, expert grouping, indexer block size); errors name the field.
#include <cmath>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "frontend/model_config.h"

namespace dsc::frontend {

absl::Status ValidateModelConfig(const ModelConfig& c) {
  const bool hf = c.source == ModelConfig::Source::kHuggingFace;
  // Errors use the spelling of the file the value came from.
  static const std::map<std::string, std::string> kHfNames = {
      {"vocab_size", "vocab_size"}, {"dim", "hidden_size"}, {"inter_dim", "intermediate_size"},
      {"moe_inter_dim", "moe_intermediate_size"}, {"n_layers", "num_hidden_layers"},
      {"n_dense_layers", "first_k_dense_replace"}, {"n_heads", "num_attention_heads"},
      {"n_activated_experts", "num_experts_per_tok"}, {"n_expert_groups", "n_group"},
      {"n_limited_groups", "topk_group"}, {"score_func", "scoring_func"},
      {"route_scale", "routed_scaling_factor"}, {"norm_eps", "rms_norm_eps"},
      {"rope_factor", "rope_scaling.factor"},
      {"original_seq_len", "rope_scaling.original_max_position_embeddings"}};
  auto field = [&](const std::string& name) {
    auto it = kHfNames.find(name);
    return hf && it != kHfNames.end() ? it->second : name;
  };
  auto fail = [&](const std::string& name, const std::string& what) {
    return absl::InvalidArgumentError(
        absl::StrCat(c.source_path, ": field '", field(name), "' ", what));
  };
  struct Positive { const char* name; int64_t value; };
  for (const Positive& p : {Positive{"vocab_size", c.vocab_size}, Positive{"dim", c.dim},
                            Positive{"n_layers", c.n_layers}, Positive{"n_heads", c.n_heads},
                            Positive{"kv_lora_rank", c.kv_lora_rank},
                            Positive{"qk_rope_head_dim", c.qk_rope_head_dim},
                            Positive{"v_head_dim", c.v_head_dim},
                            Positive{"original_seq_len", c.original_seq_len},
                            Positive{"max_seq_len", c.max_seq_len}}) {
    if (p.value <= 0) return fail(p.name, absl::StrCat("must be positive, got ", p.value));
  }
  for (const Positive& p : {Positive{"q_lora_rank", c.q_lora_rank},
                            Positive{"qk_nope_head_dim", c.qk_nope_head_dim},
                            Positive{"num_nextn_predict_layers", c.num_nextn_predict_layers},
                            Positive{"n_shared_experts", c.n_shared_experts}}) {
    if (p.value < 0) return fail(p.name, absl::StrCat("must not be negative, got ", p.value));
  }
  if (c.qk_rope_head_dim % 2 != 0) {
    return fail("qk_rope_head_dim", absl::StrCat("must be even, got ", c.qk_rope_head_dim));
  }
  if (c.n_dense_layers < 0 || c.n_dense_layers > c.n_layers) {
    return fail("n_dense_layers", absl::StrCat("must be in [0, ", field("n_layers"), " = ",
                                               c.n_layers, "], got ", c.n_dense_layers));
  }
  if (c.n_dense_layers > 0 && c.inter_dim <= 0) {
    return fail("inter_dim", absl::StrCat("must be positive, got ", c.inter_dim));
  }
  if (c.n_moe_layers() > 0) {
    if (c.moe_inter_dim <= 0) {
      return fail("moe_inter_dim", absl::StrCat("must be positive, got ", c.moe_inter_dim));
    }
    if (c.n_routed_experts <= 0) {
      return fail("n_routed_experts", absl::StrCat("must be positive, got ", c.n_routed_experts));
    }
    if (c.n_activated_experts <= 0 || c.n_activated_experts > c.n_routed_experts) {
      return fail("n_activated_experts",
                  absl::StrCat("must be in [1, n_routed_experts = ", c.n_routed_experts,
                               "], got ", c.n_activated_experts));
    }
    if (c.n_expert_groups <= 0 || c.n_routed_experts % c.n_expert_groups != 0) {
      return fail("n_expert_groups",
                  absl::StrCat("(", c.n_expert_groups, ") must divide n_routed_experts (",
                               c.n_routed_experts, ")"));
    }
    if (c.n_limited_groups <= 0 || c.n_limited_groups > c.n_expert_groups) {
      return fail("n_limited_groups", absl::StrCat("must be in [1, ", field("n_expert_groups"),
                                                   " = ", c.n_expert_groups, "], got ",
                                                   c.n_limited_groups));
    }
    const int64_t kept = c.n_limited_groups * (c.n_routed_experts / c.n_expert_groups);
    if (c.n_activated_experts > kept) {
      return fail("n_activated_experts",
                  absl::StrCat("(", c.n_activated_experts, ") exceeds the ", kept,
                               " experts of the ", c.n_limited_groups, " groups kept"));
    }
  }
  if (c.score_func != "sigmoid" && c.score_func != "softmax") {
    return fail("score_func", absl::StrCat("must be \"sigmoid\" or \"softmax\", got \"",
                                           c.score_func, "\""));
  }
  if (c.hidden_act != "silu") {
    return fail("hidden_act", absl::StrCat("must be \"silu\", got \"", c.hidden_act, "\""));
  }
  if (c.topk_method != "noaux_tc" && c.topk_method != "greedy" &&
      c.topk_method != "group_limited_greedy") {
    return fail("topk_method", absl::StrCat("unsupported value \"", c.topk_method, "\""));
  }
  if (!(c.norm_eps > 0) || !std::isfinite(c.norm_eps)) {
    return fail("norm_eps", absl::StrCat("must be a positive number, got ", c.norm_eps));
  }
  if (!(c.rope_theta > 0)) return fail("rope_theta", "must be positive");
  if (c.rope_type == "yarn" && !(c.rope_factor >= 1.0)) {
    return fail("rope_factor", absl::StrCat("must be >= 1, got ", c.rope_factor));
  }
  if (c.has_indexer()) {
    // The indexer quantizes q and k in one 128-element FP8 block per head (model.md §8).
    if (c.index_head_dim != 128) {
      return fail("index_head_dim", absl::StrCat("must be 128 (one FP8 quantization block), got ",
                                                 c.index_head_dim));
    }
    if (c.qk_rope_head_dim > c.index_head_dim) {
      return fail("qk_rope_head_dim", "must not exceed index_head_dim");
    }
    if (c.index_topk <= 0) {
      return fail("index_topk", absl::StrCat("must be positive, got ", c.index_topk));
    }
    if (c.q_lora_rank <= 0) {
      return fail("q_lora_rank", "must be positive when the indexer is present (it reads q's latent)");
    }
  } else if (c.architecture == kArchDeepseekV32) {
    return fail("index_n_heads", "must be positive for DeepseekV32ForCausalLM");
  }
  return absl::OkStatus();
}

}  // namespace dsc::frontend
