// Split steps with every HF behavior and invert, the Oniguruma -> PCRE2 translation, and the
// Unicode details of the DeepSeek patterns (\s, \p{..} with Unicode 15 additions).
#include "frontend/tokenizer/pre_tokenizer.h"

#include <string>
#include <vector>

#include "frontend/tokenizer/regex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dsc::tokenizer_internal {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Split(const nlohmann::json& json, std::string_view text) {
  absl::StatusOr<PreTokenizer> pre = PreTokenizer::FromJson(json);
  EXPECT_TRUE(pre.ok()) << pre.status();
  if (!pre.ok()) return {};
  PreTokenizerScratch scratch;
  std::vector<std::string_view> pieces;
  pre->Split(text, &scratch, &pieces);
  return {pieces.begin(), pieces.end()};
}

nlohmann::json SplitJson(const std::string& behavior, bool invert = false,
                         const std::string& regex = "-") {
  return {{"type", "Split"},
          {"pattern", {{"Regex", regex}}},
          {"behavior", behavior},
          {"invert", invert}};
}

// The cases of HF tokenizers' normalizer.rs split tests.
TEST(SplitTest, EveryBehavior) {
  const std::string text = "The-final--countdown";
  EXPECT_THAT(Split(SplitJson("Removed"), text), ElementsAre("The", "final", "countdown"));
  EXPECT_THAT(Split(SplitJson("Isolated"), text),
              ElementsAre("The", "-", "final", "-", "-", "countdown"));
  EXPECT_THAT(Split(SplitJson("MergedWithPrevious"), text),
              ElementsAre("The-", "final-", "-", "countdown"));
  EXPECT_THAT(Split(SplitJson("MergedWithNext"), text),
              ElementsAre("The", "-final", "-", "-countdown"));
  EXPECT_THAT(Split(SplitJson("Contiguous"), text),
              ElementsAre("The", "-", "final", "--", "countdown"));
}

TEST(SplitTest, Invert) {
  // With invert the pattern marks the pieces; what lies between them is the delimiter.
  EXPECT_THAT(Split(SplitJson("Removed", true, "\\w+"), "Hello, how are-you?"),
              ElementsAre("Hello", "how", "are", "you"));
  EXPECT_THAT(Split(SplitJson("MergedWithPrevious", true, "\\w+"), "Hello, how"),
              ElementsAre("Hello, ", "how"));
  EXPECT_THAT(Split(SplitJson("MergedWithNext", true, "\\w+"), "Hello, how"),
              ElementsAre("Hello", ", how"));
}

TEST(SplitTest, LiteralStringPattern) {
  const nlohmann::json json = {
      {"type", "Split"}, {"pattern", {{"String", "a.b"}}}, {"behavior", "Isolated"}};
  EXPECT_THAT(Split(json, "xa.bya-b"), ElementsAre("x", "a.b", "ya-b"));
}

TEST(SplitTest, ByteLevelWithRegexAndPrefixSpace) {
  const nlohmann::json json = {{"type", "ByteLevel"}, {"add_prefix_space", true},
                               {"use_regex", true}};
  EXPECT_THAT(Split(json, "Hello world's  end"),
              ElementsAre(" Hello", " world", "'s", " ", " end"));
}

TEST(SplitTest, LookaheadSeesOnlyThePiece) {
  // Digits are cut first, so "\s+(?!\S)" at the end of "a " does not see the "1" after it.
  const nlohmann::json json = {
      {"type", "Sequence"},
      {"pretokenizers",
       {SplitJson("Isolated", false, "\\p{N}{1,3}"),
        SplitJson("Isolated", false, "\\s+(?!\\S)|\\s+|[^\\s]+")}}};
  EXPECT_THAT(Split(json, "a  1"), ElementsAre("a", "  ", "1"));
}

TEST(SplitTest, UnsupportedStepsAreReported) {
  absl::StatusOr<PreTokenizer> pre = PreTokenizer::FromJson({{"type", "Whitespace"}});
  EXPECT_EQ(pre.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(pre.status().message()), ::testing::HasSubstr("Whitespace"));
  pre = PreTokenizer::FromJson(SplitJson("Sideways"));
  EXPECT_EQ(pre.status().code(), absl::StatusCode::kInvalidArgument);
  pre = PreTokenizer::FromJson(SplitJson("Isolated", false, "(unclosed"));
  EXPECT_EQ(pre.status().code(), absl::StatusCode::kInvalidArgument);
}

bool Matches(std::string_view pattern, std::string_view text) {
  absl::StatusOr<Regex> regex = Regex::CompileOniguruma("\\A(?:" + std::string(pattern) + ")\\z");
  EXPECT_TRUE(regex.ok()) << regex.status();
  size_t begin, end;
  return regex.ok() && regex->Find(text, 0, &begin, &end);
}

TEST(RegexTest, OnigurumaWhitespace) {
  for (std::string_view space : {" ", "\t", "\n", "\v", "\f", "\r", "\u0085", "\u00a0",
                                 "\u1680", "\u2000", "\u200a", "\u2028", "\u2029", "\u202f",
                                 "\u205f", "\u3000"}) {
    EXPECT_TRUE(Matches("\\s", space)) << static_cast<int>(space[0]);
    EXPECT_FALSE(Matches("\\S", space));
    EXPECT_TRUE(Matches("[\\s]", space));
  }
  for (std::string_view other : {"\x1c", "\x1f", "\u200b", "\ufeff", "a"}) {
    EXPECT_FALSE(Matches("\\s", other));
    EXPECT_TRUE(Matches("\\S", other));
  }
}

TEST(RegexTest, Unicode15AdditionsBelongToTheirCategories) {
  EXPECT_TRUE(Matches("\\p{L}", "\U00031350"));  // CJK Extension H
  EXPECT_TRUE(Matches("[\\p{L}\\p{M}]+", "\U00011F04\U00011F34"));  // Kawi letter + sign
  EXPECT_TRUE(Matches("\\p{N}", "\U0001D2C0"));  // Kaktovik numeral zero
  EXPECT_TRUE(Matches("\\p{S}", "\U0001FAE8"));  // shaking face
  EXPECT_FALSE(Matches("[^\\r\\n\\p{L}\\p{P}\\p{S}]", "\U00031350"));
  EXPECT_TRUE(Matches("\\p{N}{1,3}", "²½①"));
  EXPECT_TRUE(Matches("[一-龥぀-ゟ゠-ヿ]+", "日本語のカタカナ"));
  EXPECT_FALSE(Matches("[一-龥]", "鿦"));  // U+9FE6 is past 龥 (U+9FA5)
}

TEST(RegexTest, Translation) {
  EXPECT_EQ(TranslateOnigurumaToPcre2("a\\sb").value(), "a[\\x{9}-\\x{D}\\x{85}\\p{Z}]b");
  EXPECT_EQ(TranslateOnigurumaToPcre2("[^\\s\\p{Z}]").value(), "[^\\x{9}-\\x{D}\\x{85}\\p{Z}\\p{Z}]");
  EXPECT_EQ(TranslateOnigurumaToPcre2("\\h+").value(), "[0-9a-fA-F]+");
  EXPECT_EQ(TranslateOnigurumaToPcre2("[]a]").value(), "[]a]");
  EXPECT_EQ(TranslateOnigurumaToPcre2("\\u00e9").value(), "\\x{00e9}");
  EXPECT_EQ(TranslateOnigurumaToPcre2("[\\S]").status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(TranslateOnigurumaToPcre2("[a-z&&[^x]]").status().code(),
            absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace dsc::tokenizer_internal
