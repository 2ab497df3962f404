// ModelConfig parsing: the shared HF configs with their real values, HF defaults, the official
// inference config style, and the errors that name file and field.
#include "frontend/model_config.h"

#include "gtest/gtest.h"
#include "test_checkpoints.h"

namespace dsc::frontend {
namespace {

using nlohmann::json;

TEST(ModelConfig, ParsesGoldenTinyA) {
  auto c = LoadHfConfig(test_util::TinyADir() + "/config.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->architecture, kArchDeepseekV32);
  EXPECT_EQ(c->model_type, "deepseek_v32");
  EXPECT_EQ(c->dim, 256);
  EXPECT_EQ(c->n_layers, 3);
  EXPECT_EQ(c->n_dense_layers, 1);
  EXPECT_EQ(c->n_moe_layers(), 2);
  EXPECT_EQ(c->n_routed_experts, 16);
  EXPECT_EQ(c->n_shared_experts, 1);
  EXPECT_EQ(c->n_activated_experts, 4);
  EXPECT_EQ(c->n_expert_groups, 4);
  EXPECT_EQ(c->n_limited_groups, 2);
  EXPECT_EQ(c->n_heads, 4);
  EXPECT_EQ(c->q_lora_rank, 128);
  EXPECT_EQ(c->kv_lora_rank, 128);
  EXPECT_EQ(c->qk_nope_head_dim, 32);
  EXPECT_EQ(c->qk_rope_head_dim, 16);
  EXPECT_EQ(c->v_head_dim, 32);
  EXPECT_EQ(c->inter_dim, 512);
  EXPECT_EQ(c->moe_inter_dim, 64);
  EXPECT_EQ(c->vocab_size, 2048);
  EXPECT_EQ(c->index_n_heads, 16);
  EXPECT_EQ(c->index_head_dim, 128);
  EXPECT_EQ(c->index_topk, 8);
  EXPECT_TRUE(c->has_indexer());
  EXPECT_EQ(c->score_func, "sigmoid");
  EXPECT_DOUBLE_EQ(c->route_scale, 2.5);
  EXPECT_EQ(c->rope_type, "yarn");
  EXPECT_DOUBLE_EQ(c->rope_factor, 40.0);
  EXPECT_EQ(c->original_seq_len, 64);
  EXPECT_EQ(c->max_position_embeddings, 256);
  EXPECT_EQ(c->max_seq_len, 16384);  // runtime default, not from config.json
  EXPECT_TRUE(c->YarnActive());      // as the golden says: YaRN active
  EXPECT_DOUBLE_EQ(c->norm_eps, 1e-6);
  EXPECT_EQ(c->quant_method, "modelopt");
  EXPECT_EQ(c->dtype, "nvfp4");
  EXPECT_EQ(c->scale_fmt, "ue8m0");  // defaulted for ModelOpt exports (checkpoint.md §2)
  EXPECT_EQ(c->quant_exclude_modules.size(), 6u);
}

TEST(ModelConfig, ParsesTinycodeBf16) {
  auto c = LoadHfConfig(test_util::TinycodeBf16Dir() + "/config.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->n_layers, 4);
  EXPECT_EQ(c->vocab_size, 4096);
  EXPECT_EQ(c->inter_dim, 768);
  EXPECT_EQ(c->moe_inter_dim, 192);
  EXPECT_EQ(c->qk_rope_head_dim, 32);
  EXPECT_EQ(c->index_n_heads, 8);
  EXPECT_EQ(c->index_topk, 64);
  EXPECT_EQ(c->original_seq_len, 256);
  EXPECT_DOUBLE_EQ(c->rope_factor, 4.0);
  EXPECT_EQ(c->quant_method, "");
  EXPECT_EQ(c->dtype, "bf16");
}

TEST(ModelConfig, MissingKeysTakeTheHfDefaults) {
  auto c = ParseHfConfig(json{{"architectures", {"DeepseekV32ForCausalLM"}}}, "config.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->dim, 7168);
  EXPECT_EQ(c->n_layers, 61);
  EXPECT_EQ(c->n_dense_layers, 3);
  EXPECT_EQ(c->n_routed_experts, 256);
  EXPECT_EQ(c->index_topk, 2048);
  EXPECT_EQ(c->max_position_embeddings, 163840);
  EXPECT_EQ(c->rope_type, "none");  // no rope_scaling → no YaRN
  EXPECT_FALSE(c->YarnActive());
  auto v3 = ParseHfConfig(json{{"model_type", "deepseek_v3"}}, "config.json");
  ASSERT_TRUE(v3.ok()) << v3.status();
  EXPECT_EQ(v3->architecture, kArchDeepseekV3);
  EXPECT_FALSE(v3->has_indexer());
  EXPECT_EQ(v3->max_position_embeddings, 4096);
}

TEST(ModelConfig, AcceptsRopeParametersSpelling) {
  json j = {{"architectures", {"DeepseekV32ForCausalLM"}},
            {"rope_parameters", {{"rope_type", "yarn"}, {"rope_theta", 50000.0}, {"factor", 40},
                                 {"original_max_position_embeddings", 4096}}}};
  auto c = ParseHfConfig(j, "config.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->rope_type, "yarn");
  EXPECT_DOUBLE_EQ(c->rope_theta, 50000.0);
  EXPECT_TRUE(c->YarnActive());
}

TEST(ModelConfig, ParsesOfficialInferenceConfig) {
  // config_671B_v3.2.json of the official demo.
  json j = {{"vocab_size", 129280}, {"dim", 7168}, {"inter_dim", 18432},
            {"moe_inter_dim", 2048}, {"n_layers", 61}, {"n_dense_layers", 3},
            {"n_heads", 128}, {"n_routed_experts", 256}, {"n_shared_experts", 1},
            {"n_activated_experts", 8}, {"n_expert_groups", 8}, {"n_limited_groups", 4},
            {"route_scale", 2.5}, {"score_func", "sigmoid"}, {"q_lora_rank", 1536},
            {"kv_lora_rank", 512}, {"qk_nope_head_dim", 128}, {"qk_rope_head_dim", 64},
            {"v_head_dim", 128}, {"dtype", "fp8"}, {"scale_fmt", "ue8m0"},
            {"index_n_heads", 64}, {"index_head_dim", 128}, {"index_topk", 2048}};
  auto c = ParseOfficialConfig(j, "config_671B_v3.2.json");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->source, ModelConfig::Source::kOfficial);
  EXPECT_EQ(c->architecture, kArchDeepseekV32);
  EXPECT_EQ(c->dim, 7168);
  EXPECT_EQ(c->dtype, "fp8");
  EXPECT_EQ(c->max_seq_len, 16384);
  EXPECT_EQ(c->original_seq_len, 4096);
  EXPECT_DOUBLE_EQ(c->rope_factor, 40.0);
  EXPECT_TRUE(c->YarnActive());  // 16384 > 4096
  c->max_seq_len = 4096;
  EXPECT_FALSE(c->YarnActive());  // the official switch: N_max > L_0

  json unknown = j;
  unknown["quantization"] = "nvfp4";
  unknown["dtype"] = "nvfp4";
  auto nv = ParseOfficialConfig(unknown, "config_671B_nvfp4.json");
  ASSERT_TRUE(nv.ok()) << nv.status();
  EXPECT_EQ(nv->ignored_keys, std::vector<std::string>{"quantization"});

  json missing = j;
  missing.erase("dim");
  auto bad = ParseOfficialConfig(missing, "config_671B_v3.2.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("config_671B_v3.2.json: required field 'dim'"),
            absl::string_view::npos) << bad.status();
}

struct BadConfigCase {
  const char* label;
  json patch;
  const char* expected;  // substring of the message
};

TEST(ModelConfig, RejectsBadConfigsNamingTheField) {
  const json base = test_util::ReadJson(test_util::TinyADir() + "/config.json");
  const std::vector<BadConfigCase> cases = {
      {"unsupported architecture", {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"}},
       "field 'architectures'"},
      {"wrong type", {{"hidden_size", "256"}}, "field 'hidden_size' must be an integer"},
      {"float for int", {{"num_hidden_layers", 3.5}}, "field 'num_hidden_layers' must be an integer"},
      {"experts not divisible by groups", {{"n_group", 3}}, "field 'n_group' (3) must divide"},
      {"indexer head dim", {{"index_head_dim", 64}}, "field 'index_head_dim' must be 128"},
      {"too many active experts", {{"num_experts_per_tok", 17}}, "field 'num_experts_per_tok'"},
      {"moe_layer_freq", {{"moe_layer_freq", 2}}, "field 'moe_layer_freq'"},
      {"negative size", {{"hidden_size", -1}}, "field 'hidden_size' must be positive"},
      {"odd rope dim", {{"qk_rope_head_dim", 15}}, "field 'qk_rope_head_dim' must be even"},
      {"rope type", {{"rope_scaling", {{"type", "linear"}, {"factor", 2}}}}, "'rope_scaling.type'"},
      {"quant method", {{"quantization_config", {{"quant_method", "gptq"}}}},
       "field 'quantization_config.quant_method'"},
      {"activation", {{"hidden_act", "gelu"}}, "field 'hidden_act'"},
      {"dense > layers", {{"first_k_dense_replace", 4}}, "field 'first_k_dense_replace'"},
  };
  for (const BadConfigCase& bad : cases) {
    json j = base;
    j.merge_patch(bad.patch);
    auto c = ParseHfConfig(j, "cfg/config.json");
    ASSERT_FALSE(c.ok()) << bad.label;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad.label;
    EXPECT_NE(c.status().message().find("cfg/config.json: "), absl::string_view::npos)
        << bad.label << ": " << c.status();
    EXPECT_NE(c.status().message().find(bad.expected), absl::string_view::npos)
        << bad.label << ": " << c.status();
  }
}

TEST(ModelConfig, LoadReportsJsonSyntaxWithLine) {
  test_util::ScratchDir dir;
  test_util::WriteBytes(dir.File("config.json"), "{\n  \"hidden_size\": 256,\n  oops\n}\n");
  auto c = LoadHfConfig(dir.File("config.json"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("config.json: invalid JSON at line 3"),
            absl::string_view::npos) << c.status();
  auto missing = LoadHfConfig(dir.File("nope.json"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace dsc::frontend
