// The tokenizer against Hugging Face's own output: the 103 golden cases of
// shared/golden/tokenizer/cases.jsonl (ids, token strings, decoded text) and the 57,590 ids of
// the tinycode evaluation text.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/tokenizer/test_data.h"

namespace dsc {
namespace {

using ::dsc::testing::DeepSeekV3;
using ::dsc::testing::ReadFileOrDie;
using ::dsc::testing::SharedPath;
using ::dsc::testing::Tinycode;

struct GoldenCase {
  int line = 0;
  std::string text;
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
  std::string decoded;
};

std::vector<GoldenCase> LoadGoldenCases() {
  std::vector<GoldenCase> cases;
  std::istringstream lines(ReadFileOrDie(SharedPath("golden/tokenizer/cases.jsonl")));
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty()) continue;
    const nlohmann::json json = nlohmann::json::parse(line);
    GoldenCase c;
    c.line = number;
    c.text = json["text"].get<std::string>();
    c.ids = json["ids"].get<std::vector<int32_t>>();
    c.tokens = json["tokens"].get<std::vector<std::string>>();
    c.decoded = json["decoded"].get<std::string>();
    cases.push_back(std::move(c));
  }
  return cases;
}

TEST(GoldenCasesTest, AllCasesMatchHuggingFace) {
  const std::vector<GoldenCase> cases = LoadGoldenCases();
  ASSERT_EQ(cases.size(), 103u);
  const Tokenizer& tokenizer = DeepSeekV3();
  int ids_equal = 0, tokens_equal = 0, decoded_equal = 0;
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << "cases.jsonl line " << c.line << ": " << c.text);
    const std::vector<int32_t> ids = tokenizer.Encode(c.text);
    EXPECT_THAT(ids, ::testing::ElementsAreArray(c.ids));
    ids_equal += ids == c.ids;
    std::vector<std::string> tokens;
    for (int32_t id : c.ids) tokens.emplace_back(tokenizer.TokenString(id).value_or("<none>"));
    EXPECT_THAT(tokens, ::testing::ElementsAreArray(c.tokens));
    tokens_equal += tokens == c.tokens;
    const absl::StatusOr<std::string> decoded = tokenizer.Decode(c.ids);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, c.decoded);
    EXPECT_EQ(*decoded, c.text);
    decoded_equal += *decoded == c.decoded;
  }
  EXPECT_EQ(ids_equal, 103);
  EXPECT_EQ(tokens_equal, 103);
  EXPECT_EQ(decoded_equal, 103);
}

TEST(GoldenCasesTest, EncodingTwiceGivesTheSameIds) {  // the piece cache changes nothing
  const Tokenizer& tokenizer = DeepSeekV3();
  absl::StatusOr<Tokenizer> uncached = Tokenizer::Load(SharedPath("tokenizer/deepseek-v3"),
                                                       TokenizerOptions{.piece_cache = false});
  ASSERT_TRUE(uncached.ok()) << uncached.status();
  for (const GoldenCase& c : LoadGoldenCases()) {
    EXPECT_EQ(tokenizer.Encode(c.text), c.ids) << c.text;
    EXPECT_EQ(uncached->Encode(c.text), c.ids) << c.text;
  }
}

TEST(TinycodeTest, EvalTextMatchesHuggingFaceIds) {
  // tinycode-eval.ids.json is HF encode() of the file without BOS (models/README.md).
  const std::string text = ReadFileOrDie(SharedPath("models/tinycode-eval.txt"));
  const std::vector<int32_t> expected =
      nlohmann::json::parse(ReadFileOrDie(SharedPath("models/tinycode-eval.ids.json")))
          .get<std::vector<int32_t>>();
  ASSERT_EQ(expected.size(), 57590u);
  const std::vector<int32_t> ids = Tinycode().Encode(text);
  ASSERT_EQ(ids.size(), expected.size());
  size_t first_difference = ids.size();
  size_t equal = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == expected[i]) {
      ++equal;
    } else if (first_difference == ids.size()) {
      first_difference = i;
    }
  }
  EXPECT_EQ(equal, expected.size()) << "first difference at index " << first_difference;
  const absl::StatusOr<std::string> decoded = Tinycode().Decode(ids);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, text);
}

TEST(TinycodeTest, SpecialIdsAndVocabulary) {
  const Tokenizer& tokenizer = Tinycode();
  EXPECT_EQ(tokenizer.bos_id(), 0);
  EXPECT_EQ(tokenizer.eos_id(), 1);
  EXPECT_EQ(tokenizer.vocab_size(), 4096);
  EXPECT_EQ(tokenizer.TokenId("<think>"), 4079);
  EXPECT_EQ(tokenizer.Encode("<think>x</think>").front(), 4079);
  // The generation prompts of models/README.md (BOS + prompt).
  EXPECT_EQ(tokenizer.Encode("def fibonacci(n):", {.add_bos = true}),
            (std::vector<int32_t>{0, 486, 290, 1314, 269, 1159, 516, 1334, 2279}));
  EXPECT_EQ(tokenizer.Encode("import os\nimport sys\n\n\ndef main():", {.add_bos = true}),
            (std::vector<int32_t>{0, 804, 744, 201, 804, 830, 814, 486, 2761, 422, 28}));
}

}  // namespace
}  // namespace dsc
