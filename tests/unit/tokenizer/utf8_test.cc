// UTF-8 validation and lossy decoding with Rust from_utf8_lossy's "maximal subpart" rule.
#include "frontend/tokenizer/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace dsc::utf8 {
namespace {

TEST(Utf8Test, Validity) {
  EXPECT_TRUE(IsValid(""));
  EXPECT_TRUE(IsValid("plain ascii"));
  EXPECT_TRUE(IsValid("héllo 世界 😀"));
  EXPECT_FALSE(IsValid("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValid("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValid("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValid("\xE4\xB8"));          // truncated
  EXPECT_EQ(FirstInvalidOffset("ab\xFF" "cd"), 2u);
}

TEST(Utf8Test, LossyReplacesMaximalSubparts) {
  // The example of the Unicode Standard §3.9 (U+FFFD substitution of maximal subparts).
  EXPECT_EQ(Lossy("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            "a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd");
  EXPECT_EQ(Lossy("\xE2\x96" "A"), "\uFFFDA");
  EXPECT_EQ(Lossy("\xF0\x80"), "\uFFFD\uFFFD");
  EXPECT_EQ(Lossy("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");  // a surrogate: 3 bytes, 3 subparts
  EXPECT_EQ(Lossy("ok \xF0\x9F\x98"), "ok \uFFFD");
}

TEST(Utf8Test, IncrementalHoldsBackAValidPrefix) {
  std::string out;
  EXPECT_EQ(AppendLossy("ab\xF0\x9F\x98", /*final_chunk=*/false, &out), 2u);
  EXPECT_EQ(out, "ab");
  out.clear();
  EXPECT_EQ(AppendLossy("\xF0\x9F\x98\x80", false, &out), 4u);
  EXPECT_EQ(out, "😀");
  out.clear();
  EXPECT_EQ(AppendLossy("\xF0\x9F\x41", false, &out), 3u);  // known bad: replaced now
  EXPECT_EQ(out, "\uFFFDA");
}

TEST(Utf8Test, CodePoints) {
  std::string s;
  for (char32_t cp : {U'A', U'é', U'世', U'😀'}) AppendCodePoint(cp, &s);
  EXPECT_EQ(s, "Aé世😀");
  char32_t cp;
  EXPECT_EQ(DecodeAt(s, 1, &cp), 2);
  EXPECT_EQ(cp, U'é');
  EXPECT_EQ(DecodeAt(s, 6, &cp), 4);
  EXPECT_EQ(cp, U'😀');
  EXPECT_TRUE(IsWhitespace(0x85));
  EXPECT_TRUE(IsWhitespace(0x3000));
  EXPECT_FALSE(IsWhitespace(0x200B));
  EXPECT_FALSE(IsWhitespace(0x1C));
}

}  // namespace
}  // namespace dsc::utf8
