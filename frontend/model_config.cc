// Parses HF and official DeepSeek configs into ModelConfig: typed field reads with defaults,
// then one consistency check; every error names the file and the field.
#include "frontend/model_config.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/json_strict.h"

namespace dsc::frontend {
namespace {

using nlohmann::json;

// Reads typed fields of one JSON object; keeps the first error so call sites stay flat.
class FieldReader {
 public:
  FieldReader(const json& object, std::string source, std::string prefix = "")
      : object_(object), source_(std::move(source)), prefix_(std::move(prefix)) {}

  bool Has(const char* key) const { return object_.contains(key) && !object_[key].is_null(); }
  void Int(const char* key, int64_t* out, bool required = false) {
    if (const json* v = Get(key, required)) {
      if (v->is_number_integer()) *out = v->get<int64_t>();
      else Fail(key, "must be an integer", *v);
    }
  }
  void Double(const char* key, double* out, bool required = false) {
    if (const json* v = Get(key, required)) {
      if (v->is_number()) *out = v->get<double>();
      else Fail(key, "must be a number", *v);
    }
  }
  void String(const char* key, std::string* out, bool required = false) {
    if (const json* v = Get(key, required)) {
      if (v->is_string()) *out = v->get<std::string>();
      else Fail(key, "must be a string", *v);
    }
  }
  void Bool(const char* key, bool* out) {
    if (const json* v = Get(key, false)) {
      if (v->is_boolean()) *out = v->get<bool>();
      else Fail(key, "must be true or false", *v);
    }
  }
  void StringList(const char* key, std::vector<std::string>* out) {
    if (const json* v = Get(key, false)) {
      if (!v->is_array()) return Fail(key, "must be a list of strings", *v);
      out->clear();
      for (const json& item : *v) {
        if (!item.is_string()) return Fail(key, "must be a list of strings", *v);
        out->push_back(item.get<std::string>());
      }
    }
  }
  // An optional nested object; nullptr when absent or null.
  const json* Object(const char* key) {
    const json* v = Get(key, false);
    if (v != nullptr && !v->is_object()) {
      Fail(key, "must be an object", *v);
      return nullptr;
    }
    return v;
  }
  void Fail(const char* key, const std::string& what, const json& got) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(absl::StrCat(
          source_, ": field '", prefix_, key, "' ", what, ", got ", got.dump()));
    }
  }
  const absl::Status& status() const { return status_; }

 private:
  const json* Get(const char* key, bool required) {
    auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      if (required && status_.ok()) {
        status_ = absl::InvalidArgumentError(
            absl::StrCat(source_, ": required field '", prefix_, key, "' is missing"));
      }
      return nullptr;
    }
    return &*it;
  }
  const json& object_;
  std::string source_, prefix_;
  absl::Status status_;
};

absl::Status ReadHfRope(FieldReader& top, const json& config, const std::string& source,
                        ModelConfig& c) {
  const char* key = top.Has("rope_parameters") ? "rope_parameters" : "rope_scaling";
  const json* rope = top.Object(key);
  if (!top.status().ok()) return top.status();
  if (rope == nullptr) {
    c.rope_type = "none";
    c.rope_factor = 1.0;
    return absl::OkStatus();
  }
  FieldReader r(*rope, source, absl::StrCat(key, "."));
  std::string type;
  r.String(r.Has("rope_type") ? "rope_type" : "type", &type);
  r.Double("rope_theta", &c.rope_theta);  // rope_parameters spelling
  if (type == "default" || type.empty()) {
    c.rope_type = "none";
    c.rope_factor = 1.0;
    return r.status();
  }
  if (type != "yarn") {
    return absl::InvalidArgumentError(absl::StrCat(source, ": field '", key,
                                                   ".type' is '", type,
                                                   "'; only 'yarn' rotary scaling is supported"));
  }
  c.rope_type = "yarn";
  r.Double("factor", &c.rope_factor, /*required=*/true);
  r.Int("original_max_position_embeddings", &c.original_seq_len);
  r.Double("beta_fast", &c.beta_fast);
  r.Double("beta_slow", &c.beta_slow);
  r.Double("mscale", &c.mscale);
  c.mscale_all_dim = c.mscale;
  r.Double("mscale_all_dim", &c.mscale_all_dim);
  return r.status();
}

absl::Status ReadHfQuantization(FieldReader& top, const std::string& source, ModelConfig& c) {
  const json* q = top.Object("quantization_config");
  if (!top.status().ok()) return top.status();
  // V3.2 defines its indexer (and the FP8 KV cache) with power-of-two activation scales; the
  // release config says so and exports that drop the field still mean it (checkpoint.md §2).
  c.scale_fmt = "ue8m0";
  if (q == nullptr) {
    c.dtype = "bf16";
    return absl::OkStatus();
  }
  FieldReader r(*q, source, "quantization_config.");
  r.String("quant_method", &c.quant_method, /*required=*/true);
  r.String("scale_fmt", &c.scale_fmt);
  if (!r.status().ok()) return r.status();
  if (c.quant_method == "fp8") {
    c.dtype = "fp8";
    if (r.Has("weight_block_size") && (*q)["weight_block_size"] != json::array({128, 128})) {
      r.Fail("weight_block_size", "must be [128, 128]", (*q)["weight_block_size"]);
    }
  } else if (c.quant_method == "modelopt") {
    c.dtype = "nvfp4";
    r.StringList(r.Has("exclude_modules") ? "exclude_modules" : "ignore",
                 &c.quant_exclude_modules);
  } else {
    r.Fail("quant_method", "must be \"fp8\" or \"modelopt\"", (*q)["quant_method"]);
  }
  return r.status();
}

}  // namespace

absl::StatusOr<ModelConfig> ParseHfConfig(const json& config, const std::string& source) {
  if (!config.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not a JSON object"));
  }
  ModelConfig c;
  c.source = ModelConfig::Source::kHuggingFace;
  c.source_path = source;
  FieldReader r(config, source);
  std::vector<std::string> architectures;
  r.StringList("architectures", &architectures);
  r.String("model_type", &c.model_type);
  if (!r.status().ok()) return r.status();
  for (const std::string& a : architectures) {
    if (a == kArchDeepseekV3 || a == kArchDeepseekV32) c.architecture = a;
  }
  if (architectures.empty()) {
    if (c.model_type == "deepseek_v3") c.architecture = kArchDeepseekV3;
    if (c.model_type == "deepseek_v32") c.architecture = kArchDeepseekV32;
  }
  if (c.architecture.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": field 'architectures' is [", absl::StrJoin(architectures, ", "),
        "] (model_type '", c.model_type, "'); supported: ", kArchDeepseekV3, ", ",
        kArchDeepseekV32));
  }
  const bool v32 = c.architecture == kArchDeepseekV32;
  c.max_position_embeddings = v32 ? 163840 : 4096;  // the two HF classes' defaults
  if (!v32) c.index_n_heads = 0;

  r.Int("vocab_size", &c.vocab_size);
  r.Int("hidden_size", &c.dim);
  r.Int("intermediate_size", &c.inter_dim);
  r.Int("moe_intermediate_size", &c.moe_inter_dim);
  r.Int("num_hidden_layers", &c.n_layers);
  r.Int("first_k_dense_replace", &c.n_dense_layers);
  r.Int("num_attention_heads", &c.n_heads);
  r.Int("q_lora_rank", &c.q_lora_rank);  // null means 0 (plain q_proj) below
  if (config.contains("q_lora_rank") && config["q_lora_rank"].is_null()) c.q_lora_rank = 0;
  r.Int("kv_lora_rank", &c.kv_lora_rank);
  r.Int("qk_nope_head_dim", &c.qk_nope_head_dim);
  r.Int("qk_rope_head_dim", &c.qk_rope_head_dim);
  r.Int("v_head_dim", &c.v_head_dim);
  r.Int("n_routed_experts", &c.n_routed_experts);
  r.Int("n_shared_experts", &c.n_shared_experts);
  r.Int("num_experts_per_tok", &c.n_activated_experts);
  r.Int("n_group", &c.n_expert_groups);
  r.Int("topk_group", &c.n_limited_groups);
  r.Double("routed_scaling_factor", &c.route_scale);
  r.String("scoring_func", &c.score_func);
  r.String("topk_method", &c.topk_method);
  r.Bool("norm_topk_prob", &c.norm_topk_prob);
  r.String("hidden_act", &c.hidden_act);
  r.Double("rms_norm_eps", &c.norm_eps);
  r.Double("rope_theta", &c.rope_theta);
  r.Int("max_position_embeddings", &c.max_position_embeddings);
  r.Int("num_nextn_predict_layers", &c.num_nextn_predict_layers);
  r.Int("bos_token_id", &c.bos_token_id);
  r.Int("eos_token_id", &c.eos_token_id);
  r.String("torch_dtype", &c.torch_dtype);
  if (v32) {
    r.Int("index_n_heads", &c.index_n_heads);
    r.Int("index_head_dim", &c.index_head_dim);
    r.Int("index_topk", &c.index_topk);
  }
  int64_t moe_layer_freq = 1;
  r.Int("moe_layer_freq", &moe_layer_freq);
  bool tie_word_embeddings = false, attention_bias = false;
  r.Bool("tie_word_embeddings", &tie_word_embeddings);
  r.Bool("attention_bias", &attention_bias);
  if (!r.status().ok()) return r.status();
  if (moe_layer_freq != 1) r.Fail("moe_layer_freq", "must be 1 (MoE in every non-dense layer)", moe_layer_freq);
  if (tie_word_embeddings) r.Fail("tie_word_embeddings", "must be false (separate lm_head)", true);
  if (attention_bias) r.Fail("attention_bias", "must be false (no projection biases)", true);
  if (!r.status().ok()) return r.status();
  if (absl::Status s = ReadHfRope(r, config, source, c); !s.ok()) return s;
  if (absl::Status s = ReadHfQuantization(r, source, c); !s.ok()) return s;
  if (absl::Status s = ValidateModelConfig(c); !s.ok()) return s;
  return c;
}

absl::StatusOr<ModelConfig> LoadHfConfig(const std::string& path) {
  absl::StatusOr<json> config = ReadJsonFile(path);
  if (!config.ok()) return config.status();
  return ParseHfConfig(*config, path);
}

absl::StatusOr<ModelConfig> ParseOfficialConfig(const json& config, const std::string& source) {
  if (!config.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not a JSON object"));
  }
  // The official ModelArgs defaults (DeepSeek-V3.2 inference/model.py).
  ModelConfig c;
  c.source = ModelConfig::Source::kOfficial;
  c.source_path = source;
  c.architecture = kArchDeepseekV32;
  c.n_routed_experts = 64, c.n_shared_experts = 2, c.n_activated_experts = 6;
  c.n_expert_groups = 1, c.n_limited_groups = 1, c.score_func = "softmax", c.route_scale = 1.0;
  c.q_lora_rank = 0, c.dtype = "bf16", c.scale_fmt = "";
  FieldReader r(config, source);
  r.Int("vocab_size", &c.vocab_size, true);
  r.Int("dim", &c.dim, true);
  r.Int("inter_dim", &c.inter_dim, true);
  r.Int("moe_inter_dim", &c.moe_inter_dim, true);
  r.Int("n_layers", &c.n_layers, true);
  r.Int("n_dense_layers", &c.n_dense_layers, true);
  r.Int("n_heads", &c.n_heads, true);
  r.Int("max_batch_size", &c.max_batch_size);
  r.Int("max_seq_len", &c.max_seq_len);
  r.String("dtype", &c.dtype);
  r.String("scale_fmt", &c.scale_fmt);
  r.Int("n_routed_experts", &c.n_routed_experts);
  r.Int("n_shared_experts", &c.n_shared_experts);
  r.Int("n_activated_experts", &c.n_activated_experts);
  r.Int("n_expert_groups", &c.n_expert_groups);
  r.Int("n_limited_groups", &c.n_limited_groups);
  r.String("score_func", &c.score_func);
  r.Double("route_scale", &c.route_scale);
  r.Int("q_lora_rank", &c.q_lora_rank);
  r.Int("kv_lora_rank", &c.kv_lora_rank);
  r.Int("qk_nope_head_dim", &c.qk_nope_head_dim);
  r.Int("qk_rope_head_dim", &c.qk_rope_head_dim);
  r.Int("v_head_dim", &c.v_head_dim);
  r.Int("original_seq_len", &c.original_seq_len);
  r.Double("rope_theta", &c.rope_theta);
  r.Double("rope_factor", &c.rope_factor);
  r.Double("beta_fast", &c.beta_fast);
  r.Double("beta_slow", &c.beta_slow);
  r.Double("mscale", &c.mscale);
  r.Int("index_n_heads", &c.index_n_heads);
  r.Int("index_head_dim", &c.index_head_dim);
  r.Int("index_topk", &c.index_topk);
  if (!r.status().ok()) return r.status();
  c.mscale_all_dim = c.mscale;
  static const std::set<std::string> kKnown = {
      "max_batch_size", "max_seq_len", "dtype", "scale_fmt", "vocab_size", "dim", "inter_dim",
      "moe_inter_dim", "n_layers", "n_dense_layers", "n_heads", "n_routed_experts",
      "n_shared_experts", "n_activated_experts", "n_expert_groups", "n_limited_groups",
      "score_func", "route_scale", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim",
      "qk_rope_head_dim", "v_head_dim", "original_seq_len", "rope_theta", "rope_factor",
      "beta_fast", "beta_slow", "mscale", "index_n_heads", "index_head_dim", "index_topk"};
  for (const auto& [key, unused] : config.items()) {
    if (!kKnown.count(key)) c.ignored_keys.push_back(key);
  }
  static const std::set<std::string> kDtypes = {"bf16", "fp8", "nvfp4", "fp4"};
  if (!kDtypes.count(c.dtype)) {
    r.Fail("dtype", "must be one of bf16, fp8, nvfp4, fp4", config["dtype"]);
  }
  if (!c.scale_fmt.empty() && c.scale_fmt != "ue8m0") {
    r.Fail("scale_fmt", "must be null or \"ue8m0\"", config["scale_fmt"]);
  }
  if (!r.status().ok()) return r.status();
  if (absl::Status s = ValidateModelConfig(c); !s.ok()) return s;
  return c;
}

absl::StatusOr<ModelConfig> LoadOfficialConfig(const std::string& path) {
  absl::StatusOr<json> config = ReadJsonFile(path);
  if (!config.ok()) return config.status();
  return ParseOfficialConfig(*config, path);
}


}  // namespace dsc::frontend
