// Added tokens on a small synthetic tokenizer: leftmost-longest matching, the lstrip / rstrip
// / single_word / normalized flags, and special vs non-special tokens when decoding.
#include <string>
#include <vector>

#include "frontend/tokenizer/tokenizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/tokenizer/test_data.h"

namespace dsc {
namespace {

using ::dsc::testing::AddedTokenJson;
using ::dsc::testing::SyntheticTokenizerJson;
using ::testing::ElementsAre;

constexpr int32_t kHello = 259;  // "hello" after all merges
constexpr int32_t kSpaceW = 260;  // "Ġw"

Tokenizer Make(const std::vector<nlohmann::json>& added) {
  nlohmann::json json = SyntheticTokenizerJson();
  json["added_tokens"] = added;
  absl::StatusOr<Tokenizer> tokenizer = Tokenizer::FromJson(json.dump());
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
  return *std::move(tokenizer);
}

TEST(AddedTokensTest, SyntheticTokenizerMerges) {
  const Tokenizer t = Make({});
  EXPECT_THAT(t.Encode("hello world"), ElementsAre(kHello, kSpaceW, 'o', 'r', 'l', 'd'));
  EXPECT_EQ(t.Decode(t.Encode("hello world")).value(), "hello world");
  EXPECT_EQ(t.bos_id(), -1);  // no config and no known BOS token
}

TEST(AddedTokensTest, LeftmostLongest) {
  const Tokenizer t = Make({AddedTokenJson(301, "<a>", true), AddedTokenJson(302, "<a><b>", true),
                            AddedTokenJson(303, "<b>", false)});
  EXPECT_THAT(t.Encode("<a><b>"), ElementsAre(302));
  EXPECT_THAT(t.Encode("<a><a><b>"), ElementsAre(301, 302));
  EXPECT_THAT(t.Encode("hello<b>hello"), ElementsAre(kHello, 303, kHello));
  EXPECT_THAT(t.Encode("<a"), ElementsAre('<', 'a'));
  // Special tokens are dropped by skip_special_tokens, non-special ones are kept.
  EXPECT_EQ(t.Decode(std::vector<int32_t>{301, 303}, {.skip_special_tokens = true}).value(),
            "<b>");
}

TEST(AddedTokensTest, LstripAndRstripSwallowWhitespace) {
  const Tokenizer t = Make({AddedTokenJson(301, "<l>", true, /*lstrip=*/true),
                            AddedTokenJson(302, "<r>", true, false, /*rstrip=*/true)});
  EXPECT_THAT(t.Encode("hello \t<l>"), ElementsAre(kHello, 301));
  EXPECT_THAT(t.Encode("<r> \n hello"), ElementsAre(302, kHello));
  EXPECT_THAT(t.Encode("<r>  <l>"), ElementsAre(302, 301));
}

TEST(AddedTokensTest, SingleWordNeedsWordBoundaries) {
  const Tokenizer t = Make({AddedTokenJson(301, "sw", true, false, false, /*single_word=*/true)});
  EXPECT_THAT(t.Encode("sw"), ElementsAre(301));
  EXPECT_THAT(t.Encode("hello sw!"), ElementsAre(kHello, ' ', 301, '!'));  // Ġ is byte 0x20
  EXPECT_THAT(t.Encode("swsw"), ElementsAre('s', 'w', 's', 'w'));
}

TEST(AddedTokensTest, RawTokensAreMatchedBeforeNormalizedOnes) {
  // HF matches normalized=false tokens on the whole text first, then normalized=true tokens
  // on what is left: "xy" wins although "wxy" starts further left.
  const Tokenizer t = Make({AddedTokenJson(301, "xy", true, false, false, false, false),
                            AddedTokenJson(302, "wxy", false, false, false, false, true)});
  EXPECT_THAT(t.Encode("wxy"), ElementsAre('w', 301));
  EXPECT_THAT(t.Encode("wx"), ElementsAre('w', 'x'));
  EXPECT_THAT(t.Encode("zwxyz"), ElementsAre('z', 'w', 301, 'z'));
}

}  // namespace
}  // namespace dsc
