// `--engine jit` (optimized graph + JIT-compiled quantized kernels) against the tiny-a goldens on
// every ISA path the code generator has: host, AVX2 (x86-64-v3) and generic (x86-64).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "absl/strings/str_join.h"
#include "frontend/safetensors.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/tools/cli_runner.h"

namespace dsc::testing {
namespace {

std::vector<float> Tensor(const std::string& path, const std::string& name) {
  auto file = frontend::SafetensorsFile::Open(path);
  EXPECT_TRUE(file.ok()) << file.status();
  if (!file.ok() || (*file)->Find(name) == nullptr) return {};
  return frontend::ReadAsFloat32(*(*file)->Find(name)).value_or(std::vector<float>{});
}

TEST(JitEngineTest, MatchesTheGoldensOnEveryIsaPath) {
  const std::string cases = SharedDir() + "/golden/tiny-a/cases.safetensors";
  std::vector<int64_t> tokens;
  for (float v : Tensor(cases, "len40.tokens")) tokens.push_back(static_cast<int64_t>(v));
  ASSERT_EQ(tokens.size(), 40u);
  const std::string out = std::filesystem::temp_directory_path() / "dsc_jit_engine.safetensors";
  for (const char* cpu : {"", "x86-64-v3", "x86-64"}) {
    for (const auto& [mode, golden] : {std::pair{"prefill", "len40.logits_prefill"}, {"decode", "len40.logits_decode"},
                                       {"chunked:16", "len40.logits_chunked16"}}) {
      std::string target = *cpu ? std::string(" --target-cpu ") + cpu : "";
      CliResult r = RunDsc("logits -m " + SharedDir() + "/golden/tiny-a --engine jit --kv-cache f32 -t 2 --mode " + mode +
                           target + " --tokens " + absl::StrJoin(tokens, ",") + " -o " + out);
      ASSERT_EQ(r.exit_code, 0) << r.err;
      std::vector<float> actual = Tensor(out, "logits"), expected = Tensor(cases, golden);
      ASSERT_EQ(actual.size(), expected.size());
      double num = 0, den = 0;
      for (size_t i = 0; i < actual.size(); ++i) {
        num += (double(actual[i]) - expected[i]) * (double(actual[i]) - expected[i]);
        den += double(expected[i]) * expected[i];
      }
      double rel = std::sqrt(num / den);
      std::cout << (*cpu ? cpu : "host") << " " << mode << ": rel-L2 " << rel << "\n";
      EXPECT_LE(rel, 1e-3) << cpu << " " << mode;  // issue 9 allows 2e-2; f32 activations do far better
    }
  }
  std::filesystem::remove(out);
}

// `--activations bf16` (opt-in): the NVFP4 GEMVs round their activations to BF16. Checked, as
// issue 9 asks of a reduced-precision mode, on the short cases (length <= 8: dense attention) at
// the goldens' own bar (rel-L2 <= 2e-2, top-1 >= 0.95). Longer cases are printed only: on this
// random-weight model any error above ~1e-6 flips top-k, FP8 indexer and routing decisions
// (len17 gives rel-L2 ~0.2); the trained tinycode model is the quality check
// (tools.TinycodeTest.Bf16ActivationsKeepThePerplexity).
TEST(JitEngineTest, Bf16ActivationsMeetTheGoldenBarOnTheShortCases) {
  const std::string cases = SharedDir() + "/golden/tiny-a/cases.safetensors";
  const std::string out = std::filesystem::temp_directory_path() / "dsc_jit_bf16act.safetensors";
  if (RunDsc("logits -m " + SharedDir() + "/golden/tiny-a --engine jit --activations bf16 --tokens 1 -o " + out)
          .exit_code != 0) {
    // A CPU without AVX-512 BF16: the flag must say so, exit 2.
    CliResult r = RunDsc("logits -m " + SharedDir() + "/golden/tiny-a --engine jit --activations bf16 --tokens 1");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("AVX-512 BF16"), std::string::npos) << r.err;
    return;
  }
  for (int length : {1, 5, 17, 40, 100}) {
    std::vector<int64_t> tokens;
    const std::string prefix = "len" + std::to_string(length);
    for (float v : Tensor(cases, prefix + ".tokens")) tokens.push_back(static_cast<int64_t>(v));
    ASSERT_EQ(tokens.size(), static_cast<size_t>(length));
    CliResult r = RunDsc("logits -m " + SharedDir() + "/golden/tiny-a --engine jit --activations bf16 --kv-cache f32 " +
                         "-t 2 --mode decode --tokens " + absl::StrJoin(tokens, ",") + " -o " + out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<float> actual = Tensor(out, "logits"), expected = Tensor(cases, prefix + ".logits_decode");
    ASSERT_EQ(actual.size(), expected.size());
    const size_t vocab = expected.size() / length;
    double num = 0, den = 0;
    int top1_same = 0;
    for (int p = 0; p < length; ++p) {
      size_t best_a = 0, best_e = 0;
      for (size_t v = 0; v < vocab; ++v) {
        const size_t i = p * vocab + v;
        num += (double(actual[i]) - expected[i]) * (double(actual[i]) - expected[i]);
        den += double(expected[i]) * expected[i];
        if (actual[i] > actual[p * vocab + best_a]) best_a = v;
        if (expected[i] > expected[p * vocab + best_e]) best_e = v;
      }
      top1_same += best_a == best_e;
    }
    const double rel = std::sqrt(num / den), top1 = double(top1_same) / length;
    std::cout << prefix << " decode, bf16 activations: rel-L2 " << rel << ", top-1 " << top1 << "\n";
    if (length <= 8) {
      EXPECT_LE(rel, 2e-2) << prefix;
      EXPECT_GE(top1, 0.95) << prefix;
    }
  }
  std::filesystem::remove(out);
}

// The same mode through the decode graph on the trained tinycode model, where MLA decode
// attention's BF16 products (queries, cached latents, probabilities) run with the GEMVs'
// (`dsc perplexity` takes the prefill graph): three 200-token windows of held-out text, one
// token at a time. Next-token perplexity within 1 % of float32's (measured 0.9987, 1.0044,
// 1.0003 on Zen 4).
TEST(JitEngineTest, Bf16ActivationsKeepTheDecodePerplexityOnTinycode) {
  std::ifstream in(SharedDir() + "/models/tinycode-eval.ids.json");
  ASSERT_TRUE(in.good());
  const std::vector<int64_t> ids = nlohmann::json::parse(in).get<std::vector<int64_t>>();
  ASSERT_GT(ids.size(), 20200u);
  const std::string out = std::filesystem::temp_directory_path() / "dsc_jit_bf16_tinycode.safetensors";
  auto perplexity = [&](const std::vector<int64_t>& tokens, const std::string& activations) {
    CliResult r = RunDsc("logits -m " + SharedDir() + "/models/tinycode-nvfp4 --engine jit -t 2 --mode decode " +
                         "--activations " + activations + " --tokens " + absl::StrJoin(tokens, ",") + " -o " + out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::vector<float> logits = Tensor(out, "logits");
    const size_t vocab = logits.size() / tokens.size();
    double nll = 0;
    for (size_t p = 0; p + 1 < tokens.size(); ++p) {
      const float* row = logits.data() + p * vocab;
      const float top = *std::max_element(row, row + vocab);
      double sum = 0;
      for (size_t v = 0; v < vocab; ++v) sum += std::exp(double{row[v]} - top);
      nll += top + std::log(sum) - row[tokens[p + 1]];
    }
    return std::exp(nll / static_cast<double>(tokens.size() - 1));
  };
  CliResult probe =
      RunDsc("logits -m " + SharedDir() + "/models/tinycode-nvfp4 --engine jit --activations bf16 --tokens 1 -o " + out);
  if (probe.exit_code != 0) {  // a CPU without AVX-512 BF16: the flag must say so, exit 2
    EXPECT_EQ(probe.exit_code, 2);
    EXPECT_NE(probe.err.find("AVX-512 BF16"), std::string::npos) << probe.err;
    return;
  }
  for (size_t start : {size_t{0}, size_t{5000}, size_t{20000}}) {
    const std::vector<int64_t> tokens(ids.begin() + start, ids.begin() + start + 200);
    const double f32 = perplexity(tokens, "f32"), bf16 = perplexity(tokens, "bf16");
    std::cout << "tinycode decode, tokens " << start << "+200: f32 " << f32 << ", bf16 " << bf16 << "\n";
    EXPECT_GT(f32, 2.0);  // real text, a trained model: neither trivial nor random
    EXPECT_LT(f32, 40.0);
    EXPECT_NEAR(bf16 / f32, 1.0, 0.01) << start;
    EXPECT_NE(bf16, f32);  // the flag reached the kernels
  }
  std::filesystem::remove(out);
}

}  // namespace
}  // namespace dsc::testing
