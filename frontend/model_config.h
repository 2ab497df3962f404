// The DeepSeek V3 / V3.2 hyper-parameters (checkpoint.md §2, model.md §2) under the official
// ModelArgs names, parsed from a Hugging Face config.json or an official inference config.
#ifndef DSC_FRONTEND_MODEL_CONFIG_H_
#define DSC_FRONTEND_MODEL_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace dsc::frontend {

inline constexpr char kArchDeepseekV3[] = "DeepseekV3ForCausalLM";
inline constexpr char kArchDeepseekV32[] = "DeepseekV32ForCausalLM";

struct ModelConfig {
  enum class Source { kHuggingFace, kOfficial };
  Source source = Source::kHuggingFace;
  std::string source_path;   // file the values came from (for messages)
  std::string architecture;  // kArchDeepseekV3 or kArchDeepseekV32
  std::string model_type;    // "deepseek_v3", "deepseek_v32" (HF only)

  // Shapes.
  int64_t vocab_size = 129280;
  int64_t dim = 7168;
  int64_t inter_dim = 18432;
  int64_t moe_inter_dim = 2048;
  int64_t n_layers = 61;        // main blocks; the MTP block(s) come after
  int64_t n_dense_layers = 3;   // blocks 0..n_dense_layers-1 use a dense MLP
  int64_t n_heads = 128;
  int64_t q_lora_rank = 1536;   // 0 means a plain wq projection
  int64_t kv_lora_rank = 512;
  int64_t qk_nope_head_dim = 128;
  int64_t qk_rope_head_dim = 64;
  int64_t v_head_dim = 128;

  // Mixture of experts.
  int64_t n_routed_experts = 256;
  int64_t n_shared_experts = 1;
  int64_t n_activated_experts = 8;
  int64_t n_expert_groups = 8;
  int64_t n_limited_groups = 4;
  std::string score_func = "sigmoid";
  double route_scale = 2.5;
  std::string topk_method = "noaux_tc";  // noaux_tc: routing bias tensor present
  bool norm_topk_prob = true;

  // Sparse-attention indexer (V3.2 only; index_n_heads == 0 for V3).
  int64_t index_n_heads = 64;
  int64_t index_head_dim = 128;
  int64_t index_topk = 2048;

  // Rotary embedding and YaRN.
  double rope_theta = 10000.0;
  std::string rope_type = "yarn";  // "yarn" or "none" (HF config without rope_scaling)
  int64_t original_seq_len = 4096;  // L_0
  double rope_factor = 40.0;
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  double mscale = 1.0;          // official m_s (HF rope_scaling.mscale)
  double mscale_all_dim = 1.0;  // HF's spelling of the attention-scale correction
  // HF max_position_embeddings (0 when the config has none). Not N_max: see max_seq_len.
  int64_t max_position_embeddings = 0;
  // N_max of model.md §5: the runtime cache capacity. It is not stored in any config
  // (checkpoint.md §2); the official default is 16384 and the runtime may change it. It also
  // switches YaRN on: see YarnActive().
  int64_t max_seq_len = 16384;
  int64_t max_batch_size = 8;

  double norm_eps = 1e-6;
  std::string hidden_act = "silu";
  int64_t num_nextn_predict_layers = 0;  // MTP blocks stored at layer ids n_layers..
  int64_t bos_token_id = 0;
  int64_t eos_token_id = 1;
  std::string torch_dtype = "bfloat16";

  // Quantization as the config declares it (the tensors are authoritative).
  std::string quant_method;        // "fp8", "modelopt" or "" (unquantized)
  std::string dtype = "bf16";      // official ModelArgs.dtype: "fp8", "bf16" (or "nvfp4")
  std::string scale_fmt;           // "ue8m0" or "" (None)
  std::vector<std::string> quant_exclude_modules;  // ModelOpt exclude / ignore list

  // Keys of an official config that ModelArgs does not know (kept, not fatal).
  std::vector<std::string> ignored_keys;

  bool has_indexer() const { return architecture == kArchDeepseekV32 && index_n_heads > 0; }
  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  int64_t n_moe_layers() const { return n_layers - n_dense_layers; }
  bool IsMoeLayer(int64_t layer) const { return layer >= n_dense_layers && layer < n_layers; }
  // model.md §5: YaRN (and the softmax-scale correction) apply iff N_max > L_0.
  bool YarnActive() const { return rope_type == "yarn" && max_seq_len > original_seq_len; }
};

// Parses a Hugging Face config.json (DeepseekV3ForCausalLM / DeepseekV32ForCausalLM) with the
// HF defaults of checkpoint.md §2 for missing keys. `source` names the file in errors.
absl::StatusOr<ModelConfig> ParseHfConfig(const nlohmann::json& config, const std::string& source);
absl::StatusOr<ModelConfig> LoadHfConfig(const std::string& path);

// Parses an official inference config (`config_671B_v3.2.json` style: dim, n_layers, ...).
// Keys it omits take the official ModelArgs defaults, except the model-shape keys (vocab_size,
// dim, inter_dim, moe_inter_dim, n_layers, n_dense_layers, n_heads), which are required
// because the defaults describe a different (16B) model.
absl::StatusOr<ModelConfig> ParseOfficialConfig(const nlohmann::json& config,
                                                const std::string& source);
absl::StatusOr<ModelConfig> LoadOfficialConfig(const std::string& path);

// Consistency checks shared by both parsers (also useful after a caller edits a config).
// InvalidArgument naming the source file and the field.
absl::Status ValidateModelConfig(const ModelConfig& config);

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_MODEL_CONFIG_H_
