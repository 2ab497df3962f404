// `dsc run` and `dsc logits` end to end on the golden model: greedy ids equal the manifest's
// greedy_tokens for every case; bad input exits 2 with a message; outputs are atomic.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/safetensors.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/tools/cli_runner.h"

namespace dsc::testing {
namespace {

std::vector<int64_t> GoldenIds(const std::string& tensor) {
  auto file = frontend::SafetensorsFile::Open(TinyA() + "/cases.safetensors");
  EXPECT_TRUE(file.ok());
  const frontend::TensorView* t = (*file)->Find(tensor);
  EXPECT_NE(t, nullptr) << tensor;
  std::vector<int64_t> ids;
  absl::StatusOr<std::vector<float>> values = frontend::ReadAsFloat32(*t);
  EXPECT_TRUE(values.ok()) << values.status();
  for (float v : values.value_or(std::vector<float>{})) ids.push_back(static_cast<int64_t>(v));
  return ids;
}

TEST(RunCliTest, GreedyIdsEqualTheGoldenForEveryCase) {
  std::ifstream in(TinyA() + "/cases.json");
  nlohmann::json manifest = nlohmann::json::parse(in);
  int checked = 0;
  for (const auto& c : manifest["cases"]) {
    if (!c["tensors"].contains("greedy_tokens")) continue;
    std::vector<int64_t> prompt = GoldenIds(c["tensors"]["tokens"]);
    std::vector<int64_t> expected = GoldenIds(c["tensors"]["greedy_tokens"]);
    CliResult r = RunDsc("run -m " + TinyA() + " --engine interp --kv-cache f32 --temp 0 --print-ids -n " +
                         std::to_string(expected.size()) + " --prompt-ids " + absl::StrJoin(prompt, ","));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, absl::StrCat("[", absl::StrJoin(expected, ","), "]\n")) << c["name"];
    EXPECT_NE(r.err.find("tok/s"), std::string::npos) << "stats line missing: " << r.err;
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

// --no-mmap reads the weights into anonymous memory: same tokens on both engines.
TEST(RunCliTest, NoMmapGivesTheGoldenIds) {
  std::ifstream in(TinyA() + "/cases.json");
  nlohmann::json manifest = nlohmann::json::parse(in);
  for (const auto& c : manifest["cases"]) {
    if (!c["tensors"].contains("greedy_tokens")) continue;
    std::vector<int64_t> prompt = GoldenIds(c["tensors"]["tokens"]);
    std::vector<int64_t> expected = GoldenIds(c["tensors"]["greedy_tokens"]);
    for (const char* engine : {"interp", "jit"}) {
      CliResult r = RunDsc("run -m " + TinyA() + " --no-mmap --engine " + engine +
                           " --kv-cache f32 --temp 0 --print-ids -n " + std::to_string(expected.size()) +
                           " --prompt-ids " + absl::StrJoin(prompt, ","));
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(r.out, absl::StrCat("[", absl::StrJoin(expected, ","), "]\n")) << c["name"] << " " << engine;
    }
    return;  // one case: the weights' bytes are the point, GreedyIdsEqualTheGoldenForEveryCase covers the rest
  }
  FAIL() << "no case with greedy_tokens";
}

TEST(RunCliTest, BatchGivesTheSameTokensAsSeparateRuns) {
  // A synthetic tiny model with a tokenizer: batch-file lines are text prompts.
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("dsc_batch_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  CliResult synth = RunDsc("synth --preset tiny --seed 3 -o " + dir.string() + "/model");
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  const std::vector<std::string> prompts = {"def add(a, b):", "Hello", "x = [1, 2, 3] and more words here",
                                            "import os"};
  {
    std::ofstream batch(dir / "prompts.txt");
    for (const std::string& p : prompts) batch << p << "\n";
  }
  const std::string common = " -m " + dir.string() + "/model --kv-cache f32 --temp 0 -n 7 -t 1";
  CliResult all = RunDsc("run" + common + " --batch-file " + (dir / "prompts.txt").string());
  ASSERT_EQ(all.exit_code, 0) << all.err;
  std::istringstream lines(all.out);
  std::string line;
  std::set<std::string> distinct;
  for (size_t i = 0; i < prompts.size(); ++i) {
    ASSERT_TRUE(std::getline(lines, line)) << all.out;
    const nlohmann::json row = nlohmann::json::parse(line);
    EXPECT_EQ(row["index"], i);
    CliResult one = RunDsc("run" + common + " --print-ids -p '" + prompts[i] + "'");
    ASSERT_EQ(one.exit_code, 0) << one.err;
    EXPECT_EQ(nlohmann::json::parse(one.out), row["tokens"]) << prompts[i];
    EXPECT_EQ(row["tokens"].size(), 7u);
    distinct.insert(row["tokens"].dump());
  }
  EXPECT_GT(distinct.size(), 1u);  // the prompts lead to different continuations
  EXPECT_FALSE(std::getline(lines, line));
  std::filesystem::remove_all(dir);
}

TEST(RunCliTest, BadInputExitsTwoWithAMessage) {
  CliResult r = RunDsc("run -m /nonexistent/model --prompt-ids 1,2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent/model"), std::string::npos) << r.err;
  r = RunDsc("run -m " + TinyA() + " --prompt-ids 1,x,3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'x'"), std::string::npos) << r.err;
  r = RunDsc("run -m " + TinyA() + " -p hello");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("tokenizer"), std::string::npos) << r.err;
  r = RunDsc("run -m " + TinyA() + " --prompt-ids 1,2 --temp banana");
  EXPECT_EQ(r.exit_code, 2);
  r = RunDsc("run -m " + TinyA() + " --prompt-ids 999999");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("vocabulary"), std::string::npos) << r.err;
}

TEST(RunCliTest, PromptLongerThanTheContextIsAClearError) {
  CliResult r = RunDsc("run -m " + TinyA() + " --engine interp --prompt-ids 1,2,3 -n 100000");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("context"), std::string::npos) << r.err;
}

TEST(LogitsCliTest, FailureLeavesNoOutputFile) {
  std::string out = std::filesystem::temp_directory_path() / "dsc_logits_fail.safetensors";
  std::filesystem::remove(out);
  CliResult r = RunDsc("logits -m " + TinyA() + " --engine interp --tokens 1,2,999999 -o " + out);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  r = RunDsc("logits -m " + TinyA() + " --engine interp --tokens 1,2 --mode chunked:0 -o " + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--mode"), std::string::npos) << r.err;
}

TEST(LogitsCliTest, WritesLogitsOfEveryPosition) {
  std::string out = std::filesystem::temp_directory_path() / "dsc_logits_ok.safetensors";
  CliResult r = RunDsc("logits -m " + TinyA() + " --engine interp --kv-cache f32 --tokens 5,6,7 -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto file = frontend::SafetensorsFile::Open(out);
  ASSERT_TRUE(file.ok()) << file.status();
  const frontend::TensorView* t = (*file)->Find("logits");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{3, 2048}));
  std::filesystem::remove(out);
}

}  // namespace
}  // namespace dsc::testing
