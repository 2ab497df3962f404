// `dsc tokenize` / `dsc detokenize` as a user runs them (cli.md): the golden cases through
// --jsonl, --text/--file/--bos, detokenize, and exit code 2 with a message on bad input.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/tokenizer/test_data.h"

namespace dsc {
namespace {

using ::dsc::testing::ReadFileOrDie;
using ::dsc::testing::SharedPath;
using ::testing::HasSubstr;

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

std::string ShellQuote(const std::string& arg) {
  std::string quoted(1, '\'');
  for (char c : arg) {
    if (c == '\'') {
      quoted.append("'\\''");
    } else {
      quoted.push_back(c);
    }
  }
  quoted.push_back('\'');
  return quoted;
}

RunResult RunDsc(const std::vector<std::string>& args) {
  // One stderr file per process: ctest runs each test case as its own process, in parallel.
  const std::string err_file =
      ::testing::TempDir() + "/dsc_cli_test_stderr_" + std::to_string(getpid()) + ".txt";
  std::string command = ShellQuote(DSC_BINARY);
  for (const std::string& arg : args) command.append(" ").append(ShellQuote(arg));
  command.append(" 2>").append(ShellQuote(err_file));
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[65536];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = ReadFileOrDie(err_file);
  std::filesystem::remove(err_file);
  return result;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(DSC_BINARY)) {
      GTEST_SKIP() << "the dsc binary is not built: " << DSC_BINARY;
    }
  }
  const std::string tokenizer_ = SharedPath("tokenizer/deepseek-v3");
};

TEST_F(CliTest, JsonlGoldenCases) {
  const std::string cases = SharedPath("golden/tokenizer/cases.jsonl");
  const RunResult run = RunDsc({"tokenize", "--tokenizer", tokenizer_, "--jsonl", cases});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::istringstream expected_lines(ReadFileOrDie(cases)), output_lines(run.out);
  std::string expected, output;
  int count = 0;
  while (std::getline(expected_lines, expected)) {
    ASSERT_TRUE(std::getline(output_lines, output)) << "missing output line " << count + 1;
    const nlohmann::json want = nlohmann::json::parse(expected)["ids"];
    EXPECT_EQ(nlohmann::json::parse(output), want) << "line " << count + 1;
    EXPECT_EQ(output, want.dump());  // compact JSON, one array per line
    ++count;
  }
  EXPECT_EQ(count, 103);
  EXPECT_FALSE(std::getline(output_lines, output));
}

TEST_F(CliTest, TextFileAndBos) {
  RunResult run = RunDsc({"tokenize", "--tokenizer", tokenizer_, "--text", "Hello world!"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "[19923,2058,3]\n");
  run = RunDsc({"tokenize", "--tokenizer", tokenizer_ + "/tokenizer.json", "--bos", "--text",
                "<｜User｜>hi<｜Assistant｜>"});
  EXPECT_EQ(run.out, "[0,128803,6366,128804]\n");
  run = RunDsc({"tokenize", "--tokenizer", SharedPath("models/tinycode-bf16"), "--file",
                SharedPath("models/tinycode-eval.txt")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(nlohmann::json::parse(run.out),
            nlohmann::json::parse(ReadFileOrDie(SharedPath("models/tinycode-eval.ids.json"))));
}

TEST_F(CliTest, Detokenize) {
  RunResult run = RunDsc({"detokenize", "--tokenizer", tokenizer_, "--ids",
                          "30594,303,3427,1175,19923,14,4495,3"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "你好，世界！Hello, World!");
  run = RunDsc({"detokenize", "--tokenizer", tokenizer_, "--ids", "[0, 128803, 6366, 1]",
                "--skip-special"});
  EXPECT_EQ(run.out, "<｜User｜>hi");
  run = RunDsc({"detokenize", "--tokenizer", tokenizer_, "--ids", "19923,129000"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "Hello");
  EXPECT_THAT(run.err, HasSubstr("id 129000 has no token"));
}

TEST_F(CliTest, BadInputExitsWithTwoAndAMessage) {
  RunResult run = RunDsc({"tokenize", "--tokenizer", "/nonexistent/tok.json", "--text", "a"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("/nonexistent/tok.json"));

  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / ("cli_bad_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  struct RemoveAtEnd {
    const std::filesystem::path& dir;
    ~RemoveAtEnd() { std::filesystem::remove_all(dir); }
  } remove_at_end{dir};
  std::ofstream(dir / "tokenizer.json") << "{\"model\": [";
  run = RunDsc({"tokenize", "--tokenizer", dir.string(), "--text", "a"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("tokenizer.json: not valid JSON"));
  run = RunDsc({"detokenize", "--tokenizer", dir.string(), "--ids", "1"});
  EXPECT_EQ(run.exit_code, 2);

  run = RunDsc({"detokenize", "--tokenizer", tokenizer_, "--ids", "1,x,3"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("item 2"));
  run = RunDsc({"detokenize", "--tokenizer", tokenizer_, "--ids", "-4"});
  EXPECT_EQ(run.exit_code, 2);
  run = RunDsc({"detokenize", "--tokenizer", tokenizer_});
  EXPECT_EQ(run.exit_code, 2);

  const std::filesystem::path jsonl = dir / "input.jsonl";
  std::ofstream(jsonl) << "{\"text\": \"ok\"}\n{\"txt\": \"no\"}\n";
  run = RunDsc({"tokenize", "--tokenizer", tokenizer_, "--jsonl", jsonl.string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("input.jsonl:2"));
  std::ofstream(jsonl) << "{\"text\": \"ok\"\n";
  run = RunDsc({"tokenize", "--tokenizer", tokenizer_, "--jsonl", jsonl.string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("input.jsonl:1: not valid JSON"));
  run = RunDsc({"tokenize", "--tokenizer", tokenizer_, "--jsonl", (dir / "missing").string()});
  EXPECT_EQ(run.exit_code, 2);
  run = RunDsc({"tokenize", "--tokenizer", tokenizer_, "--text", "bad \xff byte"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("not valid UTF-8"));
  run = RunDsc({"tokenize", "--tokenizer", tokenizer_, "--text", "a", "--jsonl", jsonl.string()});
  EXPECT_EQ(run.exit_code, 2);
}

}  // namespace
}  // namespace dsc
