// `dsc bench` end to end on the tiny-a golden model: one JSON object with every key, sane
// values, bytes per decode token equal to an independent count from the checkpoint and config;
// bad flags exit 2; `--profile` writes a Chrome trace. No timing thresholds.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "frontend/model_config.h"
#include "frontend/safetensors.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/tools/cli_runner.h"

namespace dsc::testing {
namespace {

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "_" + std::to_string(getpid()))).string();
}

// tiny-a: 3 layers (layer 0 dense, 1-2 MoE, top-4 of 16 experts), hidden 256, kv_lora_rank 128,
// rope dim 16, indexer head dim 128. Weights: every checkpoint tensor but the unused NVFP4
// activation scales, the embedding table (one BF16 row read) and the routed experts (top-k).
double IndependentWeightBytes() {
  auto file = frontend::SafetensorsFile::Open(TinyA() + "/model.safetensors");
  EXPECT_TRUE(file.ok()) << file.status();
  double w = 0, expert = 0;
  for (const frontend::TensorView& t : (*file)->tensors()) {
    if (absl::EndsWith(t.name, ".input_scale") || t.name == "model.embed_tokens.weight") continue;
    if (absl::StrContains(t.name, ".mlp.experts.")) {
      if (absl::StartsWith(t.name, "model.layers.1.mlp.experts.3.")) expert += static_cast<double>(t.nbytes);
      continue;
    }
    w += static_cast<double>(t.nbytes);
  }
  return w + 256 * 2 + 2 * 4 * expert;
}

TEST(BenchCliTest, JsonHasEveryKeyAndIndependentByteCount) {
  CliResult r = RunDsc("bench -m " + TinyA() + " --prompt 8 --gen 4 --json -t 1 --bandwidth-mib 256");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);  // exactly one JSON value
  ASSERT_TRUE(j.is_object());
  for (const char* key : {"prefill_tok_s", "decode_tok_s", "ttft_s", "load_s", "compile_s", "peak_rss_bytes",
                          "decode_roofline_fraction", "bandwidth_bytes_s", "decode_bytes_per_token",
                          "decode_weight_bytes_per_token", "decode_cache_bytes_per_token"}) {
    ASSERT_TRUE(j.contains(key)) << key << " in " << r.out;
  }
  EXPECT_GT(j["prefill_tok_s"].get<double>(), 0);
  EXPECT_GT(j["decode_tok_s"].get<double>(), 0);
  EXPECT_GT(j["ttft_s"].get<double>(), 0);
  EXPECT_GE(j["load_s"].get<double>(), 0);
  EXPECT_GE(j["compile_s"].get<double>(), 0);
  EXPECT_GT(j["peak_rss_bytes"].get<double>(), 1e6);
  EXPECT_GT(j["bandwidth_bytes_s"].get<double>(), 1e8);
  // The second pass, right before the timed decode, and their ratio.
  EXPECT_GT(j["bandwidth_before_bytes_s"].get<double>(), 1e8);
  EXPECT_DOUBLE_EQ(j["bandwidth_drift"].get<double>(),
                   j["bandwidth_bytes_s"].get<double>() / j["bandwidth_before_bytes_s"].get<double>());
  const double drift = j["bandwidth_drift"].get<double>();
  EXPECT_EQ(j["bandwidth_unsteady"].get<bool>(), drift < 1 / 1.15 || drift > 1.15);
  EXPECT_GT(j["decode_roofline_fraction"].get<double>(), 0);
  EXPECT_EQ(j["threads"].get<int>(), 1);
  EXPECT_EQ(j["generated"].size(), 5u);  // the prefill's token + 4 decode steps
  EXPECT_EQ(j["decode_weight_bytes_per_token"].get<double>(), IndependentWeightBytes());
  // Decode at positions 8..11 reads 9..12 cache rows (mean 10.5) in each of 3 layers: the f32
  // latent (128) and rope key (16), the e4m3 indexer key (128) and its f32 scale.
  EXPECT_EQ(j["decode_cache_bytes_per_token"].get<double>(), 10.5 * 3 * (128 * 4 + 16 * 4 + 128 + 4));
  EXPECT_DOUBLE_EQ(j["decode_bytes_per_token"].get<double>(),
                   j["decode_weight_bytes_per_token"].get<double>() + j["decode_cache_bytes_per_token"].get<double>());
}

TEST(BenchCliTest, BreakdownCoversTheDecodeStep) {
  CliResult r = RunDsc("bench -m " + TinyA() + " --prompt 4 --gen 2 --json --breakdown -t 1 --bandwidth-mib 64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.contains("breakdown"));
  double bytes = 0;
  for (const char* cls : {"mla_attention", "indexer", "moe_gate", "routed_experts", "shared_expert", "dense_mlp",
                          "lm_head", "embedding", "norms_elementwise"}) {
    ASSERT_TRUE(j["breakdown"].contains(cls)) << cls << ": " << j["breakdown"].dump();
    EXPECT_GE(j["breakdown"][cls]["seconds_per_token"].get<double>(), 0) << cls;
    bytes += j["breakdown"][cls]["bytes_per_token"].get<double>();
  }
  EXPECT_GT(j["breakdown"]["routed_experts"]["bytes_per_token"].get<double>(), 0);
  EXPECT_GT(j["breakdown"]["lm_head"]["bytes_per_token"].get<double>(), 0);
  if (j["breakdown"].contains("other")) bytes += j["breakdown"]["other"]["bytes_per_token"].get<double>();
  EXPECT_DOUBLE_EQ(bytes, j["decode_bytes_per_token"].get<double>());
}

TEST(BenchCliTest, TableWithoutJson) {
  CliResult r = RunDsc("bench -m " + TinyA() + " --prompt 3 --gen 1 -t 1 --bandwidth-mib 64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("decode roofline fraction"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tok/s"), std::string::npos) << r.out;
}

// A small checkpoint is read into memory by default; --mmap and --no-mmap decide; the same
// greedy tokens either way.
TEST(BenchCliTest, WeightsAreReadOrMappedAsAsked) {
  std::map<std::string, std::string> weights;
  std::map<std::string, nlohmann::json> generated;
  for (const std::string flag : {"", "--mmap", "--no-mmap"}) {
    CliResult r = RunDsc("bench -m " + TinyA() + " --prompt 4 --gen 3 --json -t 1 --bandwidth-mib 64 " + flag);
    ASSERT_EQ(r.exit_code, 0) << flag << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out);
    weights[flag] = j["weights"].get<std::string>();
    generated[flag] = j["generated"];
  }
  EXPECT_EQ(weights[""], "read");
  EXPECT_EQ(weights["--mmap"], "mapped");
  EXPECT_EQ(weights["--no-mmap"], "read");
  EXPECT_EQ(generated["--mmap"], generated[""]);
  EXPECT_EQ(generated["--no-mmap"], generated[""]);
}

TEST(BenchCliTest, BadFlagsExit2) {
  for (const std::string flags : {"--prompt 0", "--gen 0", "--gen -3", "--prompt abc", "--bogus", "-t -1",
                                  "--bandwidth-mib 1"}) {
    CliResult r = RunDsc("bench -m " + TinyA() + " --json --bandwidth-mib 64 " + flags);  // flags win
    EXPECT_EQ(r.exit_code, 2) << flags << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << flags;
  }
  CliResult missing = RunDsc("bench -m /nonexistent/model --json");
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
}

// The projection machinery on tiny-a (layer 0 dense, layer 1 MoE, not the 671B widths) and the
// oneDNN baselines of its first dense and first MoE layer.
TEST(BenchCliTest, ProjectionAndBaselinesOnTinyA) {
  CliResult r = RunDsc("bench -m " + TinyA() + " --projection --baselines --prompt 6 --gen 2 --json -t 1 "
                       "--bandwidth-mib 64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  const nlohmann::json& p = j["projection"];
  EXPECT_FALSE(p["full_shapes"].get<bool>());
  EXPECT_EQ(p["dense_layers"].get<int>(), 3);
  EXPECT_EQ(p["moe_layers"].get<int>(), 58);
  EXPECT_EQ(p["prefill_tokens"].get<int>(), 6);
  const double dense = p["dense_layer"]["decode_bytes_per_token"].get<double>();
  const double moe = p["moe_layer"]["decode_bytes_per_token"].get<double>();
  const double head = p["head"]["decode_bytes_per_token"].get<double>();
  const double embed = p["embedding"]["decode_bytes_per_token"].get<double>();
  EXPECT_EQ(embed, 256 * 2);
  EXPECT_DOUBLE_EQ(p["decode_bytes_per_token"].get<double>(), embed + 3 * dense + 58 * moe + head);
  EXPECT_GT(p["decode_tok_s"].get<double>(), 0);
  EXPECT_GT(p["bound_tok_s"].get<double>(), 0);
  EXPECT_GT(p["prefill_tok_s"].get<double>(), 0);
  // Two bandwidth passes bracket the profiled run (the 64 MiB buffer fits beside tiny-a): the
  // one before the model loaded, and the one after it that the bound uses.
  const double before = j["bandwidth_before_bytes_s"].get<double>(), after = j["bandwidth_bytes_s"].get<double>();
  EXPECT_GT(before, 0);
  EXPECT_EQ(p["bandwidth_bytes_s"].get<double>(), after);
  EXPECT_DOUBLE_EQ(j["bandwidth_drift"].get<double>(), after / before);
  EXPECT_DOUBLE_EQ(p["bound_s_per_token"].get<double>(), p["decode_bytes_per_token"].get<double>() / after);
  ASSERT_EQ(j["baselines"].size(), 2u);
  EXPECT_EQ(j["baselines"][0]["kind"], "dense");
  EXPECT_EQ(j["baselines"][1]["kind"], "moe");
  for (const auto& b : j["baselines"]) {
    EXPECT_GT(b["seed_dequant_bf16_s"].get<double>(), 0);
    EXPECT_GT(b["onednn_bf16_s"].get<double>(), 0);
    EXPECT_GT(b["ours_products_s"].get<double>(), 0);
  }
  // Layer 1: 6 attention/indexer NVFP4 matrices + top-4 experts x 3 + the shared expert's 3.
  EXPECT_EQ(j["baselines"][1]["matrices"].get<int>(), 7 + 12 + 3);
}

// --profile on run and bench: Chrome trace events for the kernels, positive durations and bytes.
TEST(BenchCliTest, ProfileWritesAChromeTrace) {
  const std::string run_trace = TempPath("dsc_run_trace") + ".json";
  const std::string bench_trace = TempPath("dsc_bench_trace") + ".json";
  CliResult run = RunDsc("run -m " + TinyA() + " --prompt-ids 5,6,7 -n 3 --temp 0 --print-ids --profile " + run_trace);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  CliResult bench =
      RunDsc("bench -m " + TinyA() + " --prompt 4 --gen 2 --json -t 1 --bandwidth-mib 64 --profile " + bench_trace);
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  for (const std::string& path : {run_trace, bench_trace}) {
    std::ifstream in(path);
    ASSERT_TRUE(in.good()) << path;
    nlohmann::json trace = nlohmann::json::parse(in);
    int quantized = 0;
    double positive = 0;
    for (const auto& e : trace["traceEvents"]) {
      if (e["ph"] != "X" || e["cat"] == "phase") continue;
      EXPECT_GE(e["dur"].get<double>(), 0.0);
      if (e["name"] == "quantized_matmul") {
        ++quantized;
        EXPECT_GT(e["args"]["bytes"].get<int64_t>(), 0);
        EXPECT_FALSE(e["args"]["shape"].get<std::string>().empty());
        positive += e["dur"].get<double>();
      }
    }
    EXPECT_GT(quantized, 10) << path;
    EXPECT_GT(positive, 0) << path;
    std::filesystem::remove(path);
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(getpid())));
  }
}

}  // namespace
}  // namespace dsc::testing
