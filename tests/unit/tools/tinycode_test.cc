// Real-text quality on the trained tinycode model (issue 10), through the dsc binary on both
// engines (the reference interpreter and the default JIT engine: optimized graph + JIT
// kernels): perplexity under shared/models/README.md's full protocol against the reference
// table there, and greedy generations equal to the reference's ids.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/tools/cli_runner.h"

namespace dsc::testing {
namespace {

// Perplexities of the float32 reference (shared/models/README.md, "Evaluation with the numpy
// reference"): published reference data, not values produced by dsc.
struct Reference {
  const char* model;
  const char* kv_cache;
  double ppl;
  double tolerance;  // issue 10: 0.5 % with an f32 cache, 1 % with fp8
};
constexpr Reference kReferences[] = {
    {"tinycode-bf16", "f32", 9.5882, 0.005},
    {"tinycode-nvfp4", "f32", 9.8511, 0.005},
    {"tinycode-bf16", "fp8", 9.5971, 0.01},
    {"tinycode-nvfp4", "fp8", 9.8673, 0.01},
};

// The protocol: first 2,048 ids, 8 windows of 256, one prefill each, 2,040 predictions.
nlohmann::json RunPerplexity(const std::string& model_dir, const std::string& engine, const std::string& kv) {
  CliResult r = RunDsc("perplexity -m " + model_dir + " --ids " + Models() +
                       "/tinycode-eval.ids.json --max-tokens 2048 --ctx 256 --json -t 1 --engine " + engine +
                       " --kv-cache " + kv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // stderr is a file here: no progress bar may reach it (cli.md: bars only on a TTY).
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("[="), std::string::npos) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_object()) ADD_FAILURE() << "not JSON: " << r.out;
  return j;
}

class TinycodeEngineTest : public ::testing::TestWithParam<std::string> {};

double Perplexity(const std::string& model, const std::string& engine, const std::string& kv) {
  nlohmann::json j = RunPerplexity(Models() + "/" + model, engine, kv);
  if (!j.is_object()) return NAN;
  EXPECT_EQ(j["predictions"], 2040);
  EXPECT_EQ(j["engine"], engine);
  EXPECT_GT(j["tok_s"].get<double>(), 0.0);
  EXPECT_EQ(j["windows"].size(), 8u);
  EXPECT_NEAR(std::exp(j["nll"].get<double>()), j["ppl"].get<double>(), 1e-9);
  return j["ppl"];
}

TEST_P(TinycodeEngineTest, PerplexityMatchesTheReferenceTable) {
  const std::string engine = GetParam();
  for (const Reference& ref : kReferences) {
    double ppl = Perplexity(ref.model, engine, ref.kv_cache);
    std::cout << ref.model << " --engine " << engine << " --kv-cache " << ref.kv_cache << ": PPL " << ppl
              << " (reference " << ref.ppl << ")\n";
    EXPECT_NEAR(ppl / ref.ppl, 1.0, ref.tolerance) << ref.model << " " << engine << " " << ref.kv_cache;
  }
}

// Our quantizer is at least as good as the reference one: `dsc convert` of tinycode-bf16 has a
// perplexity <= 1.005x that of the shipped tinycode-nvfp4 (issue 10), measured in one run on
// each engine.
TEST_P(TinycodeEngineTest, OurNvfp4ConversionIsAsGoodAsTheShippedOne) {
  const std::string engine = GetParam();
  std::string out = std::filesystem::temp_directory_path() / ("dsc_tinycode_nvfp4_" + engine + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(out);
  CliResult r = RunDsc("convert -m " + Models() + "/tinycode-bf16 -o " + out + " --to nvfp4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;  // no progress bar into a file
  auto ppl = [&](const std::string& dir) { return RunPerplexity(dir, engine, "f32").value("ppl", NAN); };
  double ours = ppl(out), shipped = ppl(Models() + "/tinycode-nvfp4");
  std::cout << "--engine " << engine << ": dsc convert NVFP4: PPL " << ours << "; shipped NVFP4: " << shipped << "\n";
  EXPECT_LE(ours, 1.005 * shipped);
  std::filesystem::remove_all(out);
}

TEST_P(TinycodeEngineTest, GreedyIdsEqualTheReference) {
  const std::string engine = GetParam();
  std::ifstream in(Models() + "/tinycode-prompts.json");
  nlohmann::json prompts = nlohmann::json::parse(in);
  ASSERT_GE(prompts.size(), 3u);
  for (const auto& p : prompts) {
    for (const auto& [model, key] : {std::pair{"tinycode-bf16", "reference_greedy_ids_bf16"},
                                     {"tinycode-nvfp4", "reference_greedy_ids_nvfp4"}}) {
      std::vector<int64_t> ids = p["prompt_ids"], expected = p[key];
      CliResult r = RunDsc(std::string("run -m ") + Models() + "/" + model +
                           " -t 1 --engine " + engine + " --kv-cache f32 --temp 0 --print-ids -n 60 --prompt-ids " +
                           absl::StrJoin(ids, ","));
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(r.out, absl::StrCat("[", absl::StrJoin(expected, ","), "]\n")) << model << " --engine " << engine << ": " << p["prompt"];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, TinycodeEngineTest, ::testing::Values("interp", "jit"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// `--activations bf16` on the trained model, where its rounding is meant to be harmless. With
// --ctx 8 every product has m <= 8 activation rows and runs the GEMV (the path the flag
// changes; longer windows take the prefill GEMM, which stays float32): 256 windows, 1,792
// predictions, f32 and bf16 perplexities within 0.5 % (measured 47.424 vs 47.389 on Zen 4).
TEST(TinycodeTest, Bf16ActivationsKeepThePerplexity) {
  auto ppl = [](const std::string& activations, CliResult* result) {
    *result = RunDsc("perplexity -m " + Models() + "/tinycode-nvfp4 --ids " + Models() +
                     "/tinycode-eval.ids.json --max-tokens 2048 --ctx 8 --json -t 2 --activations " + activations);
    nlohmann::json j = nlohmann::json::parse(result->out, nullptr, false);
    return j.is_object() && j.contains("ppl") ? j["ppl"].get<double>() : NAN;
  };
  CliResult f32_run, bf16_run;
  const double f32 = ppl("f32", &f32_run);
  ASSERT_EQ(f32_run.exit_code, 0) << f32_run.err;
  const double bf16 = ppl("bf16", &bf16_run);
  if (bf16_run.exit_code != 0) {  // a CPU without AVX-512 BF16: a clear refusal
    EXPECT_EQ(bf16_run.exit_code, 2);
    EXPECT_NE(bf16_run.err.find("AVX-512 BF16"), std::string::npos) << bf16_run.err;
    return;
  }
  std::cout << "tinycode-nvfp4 ctx 8: f32 " << f32 << ", bf16 activations " << bf16 << "\n";
  EXPECT_NEAR(bf16 / f32, 1.0, 0.005);
  EXPECT_NE(bf16, f32);  // the flag reached the kernels
}

}  // namespace
}  // namespace dsc::testing
