// The config.json of each `dsc synth` preset: tiny (the golden tiny-a shapes), small (a few GB,
// for benchmarks) and full-layer (one dense and one MoE layer at the true 671B shapes).
#include <string>

#include "absl/strings/str_cat.h"
#include "frontend/synth.h"

namespace dsc::frontend {
namespace {

// shared/golden/tiny-a/config.json with its quantization_config removed (synth adds the one of
// the chosen format). Generated from that file with a script, not typed; synth_test.cc checks
// that `synth --preset tiny --format nvfp4` writes a config.json equal to the golden one.
constexpr char kTinyAConfig[] = R"json(
{"architectures": ["DeepseekV32ForCausalLM"], "attention_bias": false,
"attention_dropout": 0.0, "bos_token_id": 0, "eos_token_id": 1, "ep_size": 1,
"first_k_dense_replace": 1, "hidden_act": "silu", "hidden_size": 256, "index_head_dim": 128,
"index_n_heads": 16, "index_topk": 8, "initializer_range": 0.02, "intermediate_size": 512,
"kv_lora_rank": 128, "max_position_embeddings": 256, "model_type": "deepseek_v32",
"moe_intermediate_size": 64, "moe_layer_freq": 1, "n_group": 4, "n_routed_experts": 16,
"n_shared_experts": 1, "norm_topk_prob": true, "num_attention_heads": 4,
"num_experts_per_tok": 4, "num_hidden_layers": 3, "num_key_value_heads": 4,
"num_nextn_predict_layers": 0, "q_lora_rank": 128, "qk_nope_head_dim": 32,
"qk_rope_head_dim": 16, "rms_norm_eps": 1e-06, "rope_scaling": {"beta_fast": 32,
"beta_slow": 1, "factor": 40, "mscale": 1.0, "mscale_all_dim": 1.0,
"original_max_position_embeddings": 64, "type": "yarn"}, "rope_theta": 10000,
"routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "tie_word_embeddings": false,
"topk_group": 2, "topk_method": "noaux_tc", "torch_dtype": "bfloat16",
"transformers_version": "4.44.2", "use_cache": true, "v_head_dim": 32, "vocab_size": 2048}
)json";

// DeepSeek-V3.2 (671B) config.json, checkpoint.md §2 (quantization_config removed).
constexpr char kV32Config[] = R"json(
{"architectures": ["DeepseekV32ForCausalLM"], "attention_bias": false,
"attention_dropout": 0.0, "bos_token_id": 0, "eos_token_id": 1, "ep_size": 1,
"first_k_dense_replace": 3, "hidden_act": "silu", "hidden_size": 7168, "index_head_dim": 128,
"index_n_heads": 64, "index_topk": 2048, "initializer_range": 0.02,
"intermediate_size": 18432, "kv_lora_rank": 512, "max_position_embeddings": 163840,
"model_type": "deepseek_v32", "moe_intermediate_size": 2048, "moe_layer_freq": 1,
"n_group": 8, "n_routed_experts": 256, "n_shared_experts": 1, "norm_topk_prob": true,
"num_attention_heads": 128, "num_experts_per_tok": 8, "num_hidden_layers": 61,
"num_key_value_heads": 128, "num_nextn_predict_layers": 1, "q_lora_rank": 1536,
"qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "rms_norm_eps": 1e-06,
"rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0,
"mscale_all_dim": 1.0, "original_max_position_embeddings": 4096, "type": "yarn"},
"rope_theta": 10000, "routed_scaling_factor": 2.5, "scoring_func": "sigmoid",
"tie_word_embeddings": false, "topk_group": 4, "topk_method": "noaux_tc",
"torch_dtype": "bfloat16", "transformers_version": "4.44.2", "use_cache": true,
"v_head_dim": 128, "vocab_size": 129280}
)json";

}  // namespace

std::vector<std::string> SynthPresetNames() { return {"tiny", "small", "full-layer"}; }

absl::StatusOr<nlohmann::json> SynthPresetConfig(std::string_view preset) {
  if (preset == "tiny") return nlohmann::json::parse(kTinyAConfig);
  nlohmann::json config = nlohmann::json::parse(kV32Config);
  // Synthetic checkpoints carry no MTP layer unless asked for (--mtp).
  config["num_nextn_predict_layers"] = 0;
  if (preset == "full-layer") {
    // Layer 0 dense, layer 1 MoE, every shape as in the 671B model.
    config["num_hidden_layers"] = 2;
    config["first_k_dense_replace"] = 1;
    return config;
  }
  if (preset == "small") {
    // 1.96 GB NVFP4 / 3.27 GB FP8 / 6.26 GB BF16; 3.13 B parameters, 0.57 B active per token.
    config.update({{"hidden_size", 2048},
                   {"num_hidden_layers", 8},
                   {"first_k_dense_replace", 1},
                   {"intermediate_size", 6144},
                   {"n_routed_experts", 64},
                   {"num_experts_per_tok", 6},
                   {"n_group", 8},
                   {"topk_group", 4},
                   {"moe_intermediate_size", 1024},
                   {"num_attention_heads", 16},
                   {"num_key_value_heads", 16},
                   {"q_lora_rank", 768},
                   {"kv_lora_rank", 256},
                   {"qk_rope_head_dim", 64},
                   {"qk_nope_head_dim", 128},
                   {"v_head_dim", 128},
                   {"index_n_heads", 16},
                   {"index_head_dim", 128},
                   {"vocab_size", 32768}});
    return config;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown synth preset '", std::string(preset), "' (expected tiny, small or full-layer)"));
}

}  // namespace dsc::frontend
