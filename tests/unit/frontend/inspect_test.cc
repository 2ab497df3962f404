// The inspect report and `dsc inspect`: counts and formats checked against numbers computed
// here independently (from config.json by formula, and from the raw safetensors header).
#include "frontend/inspect.h"

#include <sys/wait.h>

#include <cstdio>
#include <map>

#include "gtest/gtest.h"
#include "test_checkpoints.h"

namespace dsc::frontend {
namespace {

using nlohmann::json;

struct ExpectedCounts {
  int64_t total = 0, active = 0;
};

// Parameter counts of checkpoint.md §4 written out from config.json's own keys.
ExpectedCounts CountsFromConfig(const json& c) {
  const int64_t D = c["hidden_size"], V = c["vocab_size"], H = c["num_attention_heads"];
  const int64_t Rq = c["q_lora_rank"], Rkv = c["kv_lora_rank"], dn = c["qk_nope_head_dim"];
  const int64_t dr = c["qk_rope_head_dim"], dv = c["v_head_dim"], Hi = c["index_n_heads"];
  const int64_t di = c["index_head_dim"], L = c["num_hidden_layers"];
  const int64_t Ld = c["first_k_dense_replace"], Id = c["intermediate_size"];
  const int64_t Im = c["moe_intermediate_size"], E = c["n_routed_experts"];
  const int64_t Es = c["n_shared_experts"], K = c["num_experts_per_tok"];
  const int64_t attention = D + Rq * D + Rq + H * (dn + dr) * Rq + (Rkv + dr) * D + Rkv +
                            H * (dn + dv) * Rkv + D * H * dv +  // MLA
                            Hi * di * Rq + di * D + 2 * di + Hi * D +  // indexer
                            D;                                 // ffn_norm
  const int64_t expert = 3 * Im * D;
  const int64_t moe_shared = E * D + E + Es * expert;  // router weight + bias, shared expert
  ExpectedCounts n;
  n.total = 2 * V * D + D + L * attention + Ld * 3 * Id * D + (L - Ld) * (moe_shared + E * expert);
  n.active = n.total - (L - Ld) * (E - K) * expert;
  return n;
}

// The safetensors header of `path`, parsed here without the library's reader.
json RawHeader(const std::string& path) {
  std::string bytes = test_util::ReadBytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  json header = json::parse(bytes.substr(8, n));
  header.erase("__metadata__");
  return header;
}

TEST(Inspect, TinyAReportMatchesIndependentCounts) {
  const json config = test_util::ReadJson(test_util::TinyADir() + "/config.json");
  const ExpectedCounts expected = CountsFromConfig(config);
  auto report = InspectCheckpoint(test_util::TinyADir());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->config.architecture, "DeepseekV32ForCausalLM");
  EXPECT_EQ(report->total_params, expected.total);
  EXPECT_EQ(report->active_params, expected.active);
  EXPECT_TRUE(report->missing.empty());
  EXPECT_TRUE(report->unexpected.empty());

  // Second opinion from the raw header: logical elements of every main-model tensor (packed
  // NVFP4 bytes hold two weights; scales are not parameters).
  const json header = RawHeader(test_util::TinyADir() + "/model.safetensors");
  int64_t from_tensors = 0;
  std::map<std::string, uint64_t> bytes_by_dtype;
  int64_t nvfp4_weights = 0;
  for (const auto& [name, info] : header.items()) {
    bytes_by_dtype[info["dtype"]] += info["data_offsets"][1].get<uint64_t>() -
                                     info["data_offsets"][0].get<uint64_t>();
    if (name.ends_with("weight_scale") || name.ends_with("weight_scale_2") ||
        name.ends_with("input_scale")) {
      continue;
    }
    int64_t numel = 1;
    for (int64_t d : info["shape"]) numel *= d;
    if (info["dtype"] == "U8") {
      numel *= 2;
      ++nvfp4_weights;
    }
    from_tensors += numel;
  }
  EXPECT_EQ(report->total_params, from_tensors);
  EXPECT_EQ(report->bytes_by_dtype, bytes_by_dtype);

  std::map<std::string, std::map<std::string, int64_t>> formats(report->formats_by_kind.begin(),
                                                                report->formats_by_kind.end());
  const int64_t layers = config["num_hidden_layers"], dense = config["first_k_dense_replace"];
  const int64_t moe = layers - dense, experts = config["n_routed_experts"];
  using Counts = std::map<std::string, int64_t>;
  EXPECT_EQ(formats["attn.wq_a"], (Counts{{"NVFP4", layers}}));
  EXPECT_EQ(formats["attn.indexer.wk"], (Counts{{"NVFP4", layers}}));
  EXPECT_EQ(formats["attn.indexer.weights_proj"], (Counts{{"BF16", layers}}));
  EXPECT_EQ(formats["ffn.w1"], (Counts{{"NVFP4", dense}}));
  EXPECT_EQ(formats["ffn.gate"], (Counts{{"BF16", moe}}));
  EXPECT_EQ(formats["ffn.experts.w2"], (Counts{{"NVFP4", moe * experts}}));
  EXPECT_EQ(formats["ffn.shared_experts.w3"], (Counts{{"NVFP4", moe}}));
  EXPECT_EQ(formats["embed"], (Counts{{"BF16", 1}}));
  EXPECT_EQ(formats["head"], (Counts{{"BF16", 1}}));
  int64_t nvfp4_modules = 0;
  for (const auto& [kind, counts] : formats) {
    if (counts.count("NVFP4")) nvfp4_modules += counts.at("NVFP4");
  }
  EXPECT_EQ(nvfp4_modules, nvfp4_weights);

  const std::string text = InspectReportText(*report);
  EXPECT_NE(text.find("DeepseekV32ForCausalLM"), std::string::npos) << text;
  EXPECT_NE(text.find("3 (1 dense, 2 MoE)"), std::string::npos) << text;
  EXPECT_NE(text.find("NVFP4 x3"), std::string::npos) << text;
}

TEST(Inspect, TinycodeBf16HasNoQuantizedModules) {
  const json config = test_util::ReadJson(test_util::TinycodeBf16Dir() + "/config.json");
  auto report = InspectCheckpoint(test_util::TinycodeBf16Dir());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->shard_count, 2);
  EXPECT_EQ(report->total_params, CountsFromConfig(config).total);
  EXPECT_EQ(report->active_params, CountsFromConfig(config).active);
  for (const auto& [kind, counts] : report->formats_by_kind) {
    EXPECT_EQ(counts.count("NVFP4"), 0u) << kind;
  }
}

TEST(Inspect, OfficialConfigGivesTheSameModel) {
  // tiny-a's config.json rewritten in the official inference style (ModelArgs keys).
  const json hf = test_util::ReadJson(test_util::TinyADir() + "/config.json");
  const json official = {
      {"vocab_size", hf["vocab_size"]}, {"dim", hf["hidden_size"]},
      {"inter_dim", hf["intermediate_size"]}, {"moe_inter_dim", hf["moe_intermediate_size"]},
      {"n_layers", hf["num_hidden_layers"]}, {"n_dense_layers", hf["first_k_dense_replace"]},
      {"n_heads", hf["num_attention_heads"]}, {"n_routed_experts", hf["n_routed_experts"]},
      {"n_shared_experts", hf["n_shared_experts"]},
      {"n_activated_experts", hf["num_experts_per_tok"]}, {"n_expert_groups", hf["n_group"]},
      {"n_limited_groups", hf["topk_group"]}, {"route_scale", hf["routed_scaling_factor"]},
      {"score_func", "sigmoid"}, {"q_lora_rank", hf["q_lora_rank"]},
      {"kv_lora_rank", hf["kv_lora_rank"]}, {"qk_nope_head_dim", hf["qk_nope_head_dim"]},
      {"qk_rope_head_dim", hf["qk_rope_head_dim"]}, {"v_head_dim", hf["v_head_dim"]},
      {"index_n_heads", hf["index_n_heads"]}, {"index_head_dim", hf["index_head_dim"]},
      {"index_topk", hf["index_topk"]}, {"original_seq_len", 64}, {"dtype", "nvfp4"},
      {"scale_fmt", "ue8m0"}};
  test_util::ScratchDir dir;
  test_util::WriteJson(dir.File("config_tiny_nvfp4.json"), official);
  auto report = InspectCheckpoint(test_util::TinyADir(), dir.File("config_tiny_nvfp4.json"));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->config.source, ModelConfig::Source::kOfficial);
  EXPECT_EQ(report->total_params, CountsFromConfig(hf).total);
  EXPECT_EQ(report->active_params, CountsFromConfig(hf).active);
}

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

CommandResult RunDsc(const std::string& args) {
  test_util::ScratchDir scratch;
  const std::string command =
      std::string(DSC_BINARY) + " " + args + " 2>" + scratch.File("stderr");
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = test_util::ReadBytes(scratch.File("stderr"));
  return result;
}

TEST(InspectCli, TinyAJsonAndText) {
  ASSERT_TRUE(std::filesystem::exists(DSC_BINARY)) << "build the dsc target first";
  const json config = test_util::ReadJson(test_util::TinyADir() + "/config.json");
  const ExpectedCounts expected = CountsFromConfig(config);
  CommandResult json_run = RunDsc("inspect -m " + test_util::TinyADir() + " --json");
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
  const json report = json::parse(json_run.out);
  EXPECT_EQ(report["architecture"], "DeepseekV32ForCausalLM");
  EXPECT_EQ(report["layers"]["total"], 3);
  EXPECT_EQ(report["layers"]["dense"], 1);
  EXPECT_EQ(report["experts"]["routed"], 16);
  EXPECT_EQ(report["params"]["total"], expected.total);
  EXPECT_EQ(report["params"]["active"], expected.active);
  EXPECT_EQ(report["formats"]["attn.wq_a"]["NVFP4"], 3);

  CommandResult text_run = RunDsc("inspect -m " + test_util::TinyADir());
  ASSERT_EQ(text_run.exit_code, 0) << text_run.err;
  EXPECT_NE(text_run.out.find("NVFP4"), std::string::npos);
  EXPECT_NE(text_run.out.find("16 routed (top-4"), std::string::npos) << text_run.out;
}

TEST(InspectCli, BadInputExitsTwoWithTheMessage) {
  test_util::ScratchDir dir;
  std::filesystem::copy_file(test_util::TinyADir() + "/config.json", dir.File("config.json"));
  test_util::WriteBytes(dir.File("model.safetensors"), test_util::RawSafetensors("{\"w\":", ""));
  CommandResult bad = RunDsc("inspect -m " + dir.path());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("model.safetensors: header: invalid JSON"), std::string::npos) << bad.err;
  EXPECT_TRUE(bad.out.empty());

  // A missing tensor: the report still lists it, then exit 2.
  test_util::ScratchDir missing;
  test_util::CopyCheckpoint(test_util::TinyADir(), missing.path(), [](test_util::MutableTensor& t) {
    return t.name != "model.layers.2.mlp.experts.7.down_proj.weight";
  });
  CommandResult partial = RunDsc("inspect -m " + missing.path());
  EXPECT_EQ(partial.exit_code, 2);
  EXPECT_NE(partial.out.find("model.layers.2.mlp.experts.7.down_proj.weight"), std::string::npos);
  EXPECT_NE(partial.err.find("1 required tensor(s) missing"), std::string::npos) << partial.err;

  EXPECT_EQ(RunDsc("inspect -m /nonexistent/dir").exit_code, 2);
  EXPECT_EQ(RunDsc("inspect").exit_code, 2);
}

}  // namespace
}  // namespace dsc::frontend
