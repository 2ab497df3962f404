// Real-text quality on the trained tinycode model (issue 10), through the dsc binary with the
// reference interpreter: perplexity under shared/models/README.md's protocol against the
// reference table there, and greedy generations equal to the reference's ids.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/tools/cli_runner.h"

namespace dsc::testing {
namespace {

std::string Models() { return SharedDir() + "/models"; }

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

double Perplexity(const std::string& model, const std::string& kv) {
  CliResult r = RunDsc("perplexity -m " + Models() + "/" + model + " --ids " + Models() +
                       "/tinycode-eval.ids.json --max-tokens 2048 --ctx 256 --engine interp --json --kv-cache " + kv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_object()) {
    ADD_FAILURE() << "not JSON: " << r.out;
    return NAN;
  }
  EXPECT_EQ(j["predictions"], 2040);
  EXPECT_EQ(j["windows"].size(), 8u);
  EXPECT_NEAR(std::exp(j["nll"].get<double>()), j["ppl"].get<double>(), 1e-9);
  return j["ppl"];
}

TEST(TinycodeTest, PerplexityMatchesTheReferenceTable) {
  for (const Reference& ref : kReferences) {
    double ppl = Perplexity(ref.model, ref.kv_cache);
    std::cout << ref.model << " --kv-cache " << ref.kv_cache << ": PPL " << ppl << " (reference " << ref.ppl << ")\n";
    EXPECT_NEAR(ppl / ref.ppl, 1.0, ref.tolerance) << ref.model << " " << ref.kv_cache;
  }
}

// Our quantizer is at least as good as the reference one: `dsc convert` of tinycode-bf16 has a
// perplexity <= 1.005x that of the shipped tinycode-nvfp4 (issue 10), measured in one run.
TEST(TinycodeTest, OurNvfp4ConversionIsAsGoodAsTheShippedOne) {
  std::string out = std::filesystem::temp_directory_path() / ("dsc_tinycode_nvfp4_" + std::to_string(getpid()));
  std::filesystem::remove_all(out);
  CliResult r = RunDsc("convert -m " + Models() + "/tinycode-bf16 -o " + out + " --to nvfp4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ppl = [&](const std::string& dir) {
    CliResult p = RunDsc("perplexity -m " + dir + " --ids " + Models() +
                         "/tinycode-eval.ids.json --max-tokens 2048 --ctx 256 --engine interp --json --kv-cache f32");
    EXPECT_EQ(p.exit_code, 0) << p.err;
    return nlohmann::json::parse(p.out, nullptr, false).value("ppl", NAN);
  };
  double ours = ppl(out), shipped = ppl(Models() + "/tinycode-nvfp4");
  std::cout << "dsc convert NVFP4: PPL " << ours << "; shipped NVFP4: " << shipped << "\n";
  EXPECT_LE(ours, 1.005 * shipped);
  std::filesystem::remove_all(out);
}

TEST(TinycodeTest, GreedyIdsEqualTheReference) {
  std::ifstream in(Models() + "/tinycode-prompts.json");
  nlohmann::json prompts = nlohmann::json::parse(in);
  ASSERT_GE(prompts.size(), 3u);
  for (const auto& p : prompts) {
    for (const auto& [model, key] : {std::pair{"tinycode-bf16", "reference_greedy_ids_bf16"},
                                     {"tinycode-nvfp4", "reference_greedy_ids_nvfp4"}}) {
      std::vector<int64_t> ids = p["prompt_ids"], expected = p[key];
      CliResult r = RunDsc(std::string("run -m ") + Models() + "/" + model +
                           " --engine interp --kv-cache f32 --temp 0 --print-ids -n 60 --prompt-ids " + absl::StrJoin(ids, ","));
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(r.out, "[" + absl::StrJoin(expected, ",") + "]\n") << model << ": " << p["prompt"];
    }
  }
}

}  // namespace
}  // namespace dsc::testing
