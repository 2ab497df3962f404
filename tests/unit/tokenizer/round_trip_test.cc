// Properties on random text: decode(encode(s)) == s for valid UTF-8 without added-token text,
// the piece cache never changes ids, and very long runs neither crash nor take long.
#include <random>
#include <string>
#include <vector>

#include "frontend/tokenizer/utf8.h"
#include "gtest/gtest.h"
#include "tests/unit/tokenizer/test_data.h"

namespace dsc {
namespace {

using ::dsc::testing::DeepSeekV3;
using ::dsc::testing::SharedPath;

// Code points that exercise every branch of the pre-tokenizer patterns.
const std::vector<char32_t>& InterestingCodePoints() {
  static const auto* points = new std::vector<char32_t>{
      'a', 'Z', 'q', '0', '7', ' ', ' ', ' ', '\t', '\n', '\r', '\v', '\f', '.', ',', '\'',
      '"', '(', ')', '-', '_', '<', '>', '|', '\\', '$', 0x00, 0x07, 0x1C, 0x7F, 0x85, 0xA0,
      0xAD, 0xE9, 0x301, 0x308, 0x2581, 0xFF5C, 0x4E16, 0x754C, 0x3042, 0x30AB, 0x9FA6,
      0xAC00, 0x3131, 0x627, 0x5D0, 0x0E2A, 0x0939, 0x200B, 0x200D, 0x2028, 0x3000, 0xFEFF,
      0xFF11, 0x00B2, 0x2160, 0x20AC, 0x1F600, 0x1F3FD, 0xFE0F, 0x31350, 0x1D2C0, 0x10FFFF};
  return *points;
}

std::string RandomText(std::mt19937& rng, int length) {
  const std::vector<char32_t>& points = InterestingCodePoints();
  std::string text;
  for (int i = 0; i < length; ++i) utf8::AppendCodePoint(points[rng() % points.size()], &text);
  return text;
}

TEST(RoundTripTest, RandomTextDecodesBackToItself) {
  absl::StatusOr<Tokenizer> uncached = Tokenizer::Load(SharedPath("tokenizer/deepseek-v3"),
                                                       TokenizerOptions{.piece_cache = false});
  ASSERT_TRUE(uncached.ok()) << uncached.status();
  std::mt19937 rng(2024);
  for (int round = 0; round < 2000; ++round) {
    const std::string text = RandomText(rng, 1 + static_cast<int>(rng() % 40));
    const std::vector<int32_t> ids = DeepSeekV3().Encode(text);
    ASSERT_EQ(DeepSeekV3().Decode(ids).value(), text) << "round " << round;
    ASSERT_EQ(uncached->Encode(text), ids) << "round " << round;
  }
}

TEST(RoundTripTest, LongRunsAreHandled) {
  for (const std::string unit : {" ", "a", "\n", "1", "日", "!", " a", "😀", "\u0301"}) {
    std::string text;
    for (int i = 0; i < 50000; ++i) text += unit;
    const std::vector<int32_t> ids = DeepSeekV3().Encode(text);
    EXPECT_FALSE(ids.empty());
    EXPECT_EQ(DeepSeekV3().Decode(ids).value(), text);
  }
}

TEST(RoundTripTest, EmptyInput) {
  EXPECT_TRUE(DeepSeekV3().Encode("").empty());
  EXPECT_EQ(DeepSeekV3().Decode({}).value(), "");
}

}  // namespace
}  // namespace dsc
