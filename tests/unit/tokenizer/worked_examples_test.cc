// The worked examples of tokenizer.md §6 and §9 with the DeepSeek V3 tokenizer.json: the
// pieces the pre-tokenizer cuts, the ids, and decoding with and without special tokens.
#include <string>
#include <vector>

#include "frontend/tokenizer/pre_tokenizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/unit/tokenizer/test_data.h"

namespace dsc {
namespace {

using ::dsc::testing::DeepSeekV3;
using ::dsc::testing::ReadFileOrDie;
using ::dsc::testing::SharedPath;
using ::testing::ElementsAreArray;
using tokenizer_internal::PreTokenizer;
using tokenizer_internal::PreTokenizerScratch;

struct WorkedExample {
  std::string text;
  std::vector<std::string> pieces;  // empty: not given in the spec
  std::vector<int32_t> ids;
};

const std::vector<WorkedExample>& Examples() {
  static const auto* examples = new std::vector<WorkedExample>{
      {"Hello world!", {"Hello", " world", "!"}, {19923, 2058, 3}},
      {"12345 apples", {"123", "45", " apples"}, {6895, 1883, 37679}},
      {"x  \n  y", {"x", "  \n", " ", " y"}, {90, 2143, 223, 383}},
      {"def f(x):\n    return x**2",
       {"def", " f", "(x", "):\n", "   ", " return", " x", "**", "2"},
       {3465, 285, 4042, 3395, 361, 1354, 1527, 666, 20}},
      {"你好，世界！Hello, World!",
       {"你好", "，", "世界", "！", "Hello", ",", " World", "!"},
       {30594, 303, 3427, 1175, 19923, 14, 4495, 3}},
      {"3.14159", {"3", ".", "141", "59"}, {21, 16, 9926, 3318}},
      {"don't", {"don", "'t"}, {20385, 1664}},
      {"a,b;c", {"a", ",b", ";c"}, {67, 16181, 29, 69}},
      {"-5.0e-10", {"-", "5", ".", "0", "e", "-", "10"}, {15, 23, 16, 18, 71, 15, 553}},
      {"  leading spaces and trailing   ",
       {" ", " leading", " spaces", " and", " trailing", "   "},
       {223, 6646, 13564, 305, 52964, 361}},
      // tokenizer.md §9 lists these 12 ids for the text WITH a final "\n"; they decode to the
      // text without it, and the final "\n" is one more piece (Ċ = 201).
      {"line1\nline2\r\n\r\n  indented", {},
       {1836, 19, 201, 1836, 20, 204, 201, 204, 201, 223, 1126, 19686}},
      {"line1\nline2\r\n\r\n  indented\n", {},
       {1836, 19, 201, 1836, 20, 204, 201, 204, 201, 223, 1126, 19686, 201}},
      {"\n\n\n", {"\n\n\n"}, {6328}},
      {"a\u200db", {"a", "\u200db"}, {67, 46088, 68}},
      {"<｜User｜>hi<｜Assistant｜>", {}, {128803, 6366, 128804}},
      {"<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜></think>", {},
       {0, 128803, 3085, 344, 223, 20, 13, 20, 33, 128804, 1718, 37947, 32}},
      {"<think>reasoning</think>answer", {},
       {30, 37947, 32, 86512, 288, 1718, 37947, 32, 19995}},
      // §6 traces.
      {" world", {" world"}, {2058}},
      {"apples", {"apples"}, {1827, 1154}},
      {" apples", {" apples"}, {37679}},
      {"世界", {"世界"}, {3427}},
  };
  return *examples;
}

TEST(WorkedExamplesTest, IdsMatchTheSpec) {
  for (const WorkedExample& example : Examples()) {
    EXPECT_THAT(DeepSeekV3().Encode(example.text), ElementsAreArray(example.ids))
        << example.text;
  }
}

TEST(WorkedExamplesTest, PreTokenizerPiecesMatchTheSpec) {
  const nlohmann::json json =
      nlohmann::json::parse(ReadFileOrDie(SharedPath("tokenizer/deepseek-v3/tokenizer.json")));
  absl::StatusOr<PreTokenizer> pre = PreTokenizer::FromJson(json["pre_tokenizer"]);
  ASSERT_TRUE(pre.ok()) << pre.status();
  EXPECT_TRUE(pre->byte_level());
  for (const WorkedExample& example : Examples()) {
    if (example.pieces.empty()) continue;
    PreTokenizerScratch scratch;
    std::vector<std::string_view> pieces;
    pre->Split(example.text, &scratch, &pieces);
    EXPECT_THAT(pieces, ElementsAreArray(example.pieces.begin(), example.pieces.end()))
        << example.text;
  }
}

TEST(WorkedExamplesTest, DecodeWithAndWithoutSpecialTokens) {
  const std::vector<int32_t> ids = {0, 128803, 6366, 128804, 1};
  EXPECT_EQ(DeepSeekV3().Decode(ids).value(),
            "<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜><｜end▁of▁sentence｜>");
  EXPECT_EQ(DeepSeekV3().Decode(ids, {.skip_special_tokens = true}).value(),
            "<｜User｜>hi<｜Assistant｜>");
}

TEST(WorkedExamplesTest, VocabularyFacts) {
  const Tokenizer& t = DeepSeekV3();
  EXPECT_EQ(t.vocab_size(), 128815);
  EXPECT_EQ(t.bos_id(), 0);
  EXPECT_EQ(t.eos_id(), 1);
  EXPECT_TRUE(t.add_bos_token());
  EXPECT_EQ(t.TokenId("Ġ"), 223);
  EXPECT_EQ(t.TokenId("Ċ"), 201);
  EXPECT_EQ(t.TokenId("A"), 35);
  EXPECT_EQ(t.TokenId("Ā"), 191);  // byte 0x00
  EXPECT_EQ(t.TokenId("ÿ"), 190);  // byte 0xFF
  EXPECT_EQ(t.TokenId("<｜place▁holder▁no▁7｜>"), 128007);
  EXPECT_EQ(t.TokenId("<think>"), std::nullopt);  // plain text in the V3 file
  EXPECT_EQ(t.TokenString(2058), "Ġworld");
  EXPECT_EQ(t.TokenBytes(2058), " world");
  EXPECT_TRUE(t.IsSpecial(0));
  EXPECT_TRUE(t.IsSpecial(128805));   // <|EOT|>
  EXPECT_FALSE(t.IsSpecial(128803));  // <｜User｜> is not special
  // Ids past the vocabulary (the model's padding rows 128815..129279) decode as nothing.
  EXPECT_EQ(t.TokenString(129000), std::nullopt);
  EXPECT_EQ(t.Decode(std::vector<int32_t>{19923, 129000, 2058}).value(), "Hello world");
  EXPECT_FALSE(t.Decode(std::vector<int32_t>{19923, -1}).ok());
}

TEST(WorkedExamplesTest, AddBosPrependsBosOnce) {
  EXPECT_THAT(DeepSeekV3().Encode("Hello world!", {.add_bos = true}),
              ElementsAreArray({0, 19923, 2058, 3}));
  // A prompt that already holds the BOS text gets exactly what it says.
  EXPECT_THAT(DeepSeekV3().Encode("<｜begin▁of▁sentence｜>Hello world!"),
              ElementsAreArray({0, 19923, 2058, 3}));
}

TEST(WorkedExamplesTest, InvalidUtf8IsEncodedAsReplacementCharacters) {
  const Tokenizer& t = DeepSeekV3();
  EXPECT_EQ(t.Encode("a\xff" "b"), t.Encode("a\uFFFD" "b"));
  EXPECT_EQ(t.Encode("x\xe2\x96"), t.Encode("x\uFFFD"));  // a truncated character
}

}  // namespace
}  // namespace dsc
