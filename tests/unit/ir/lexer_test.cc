// The IR lexer: token kinds, positions, comments, escapes and lexical errors.
#include "gtest/gtest.h"
#include "ir/lexer.h"

namespace dsc::ir {
namespace {

std::vector<Token> LexAll(absl::string_view text) {
  Lexer lexer(text);
  std::vector<Token> out;
  do {
    out.push_back(lexer.Next());
  } while (out.back().kind != TokenKind::kEof && out.back().kind != TokenKind::kError);
  return out;
}

TEST(LexerTest, KindsTextAndPositions) {
  std::vector<Token> t = LexAll("  %a.0, %1 = matmul @model.w-1 {k = -2} : f32[P+S]\n  -> @\"q d\"");
  std::vector<std::pair<TokenKind, std::string>> expected = {
      {TokenKind::kLocal, "a.0"}, {TokenKind::kComma, ","}, {TokenKind::kLocal, "1"}, {TokenKind::kEqual, "="},
      {TokenKind::kIdent, "matmul"}, {TokenKind::kGlobal, "model.w-1"}, {TokenKind::kLBrace, "{"},
      {TokenKind::kIdent, "k"}, {TokenKind::kEqual, "="}, {TokenKind::kMinus, "-"}, {TokenKind::kInt, "2"},
      {TokenKind::kRBrace, "}"}, {TokenKind::kColon, ":"}, {TokenKind::kIdent, "f32"},
      {TokenKind::kLBracket, "["}, {TokenKind::kIdent, "P"}, {TokenKind::kPlus, "+"}, {TokenKind::kIdent, "S"},
      {TokenKind::kRBracket, "]"}, {TokenKind::kArrow, "->"}, {TokenKind::kGlobal, "q d"}, {TokenKind::kEof, ""}};
  ASSERT_EQ(t.size(), expected.size());
  for (size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(t[i].kind, expected[i].first) << i;
    EXPECT_EQ(t[i].text, expected[i].second) << i;
  }
  EXPECT_EQ(t[0].line, 1);
  EXPECT_EQ(t[0].col, 3);
  EXPECT_TRUE(t[0].first_on_line);
  EXPECT_EQ(t[4].col, 14);
  EXPECT_FALSE(t[4].first_on_line);
  EXPECT_EQ(t[19].line, 2);  // '->'
  EXPECT_EQ(t[19].col, 3);
  EXPECT_TRUE(t[19].first_on_line);
  EXPECT_EQ(t[19].prev_end_line, 1);  // just after "]"
  EXPECT_EQ(t[19].prev_end_col, 51);
}

TEST(LexerTest, NumbersBareWordsAndDims) {
  std::vector<Token> t = LexAll("7168 1.5 1e-06 2.5e+10 S-3 inf");
  ASSERT_EQ(t.size(), 9u);
  EXPECT_EQ(t[0].kind, TokenKind::kInt);
  EXPECT_EQ(t[1].kind, TokenKind::kFloat);
  EXPECT_EQ(t[2].kind, TokenKind::kFloat);
  EXPECT_EQ(t[2].text, "1e-06");
  EXPECT_EQ(t[3].text, "2.5e+10");
  EXPECT_EQ(t[4].text, "S");  // bare words stop at '-': S-3 is a dim expression
  EXPECT_EQ(t[5].kind, TokenKind::kMinus);
  EXPECT_EQ(t[6].text, "3");
  EXPECT_EQ(t[7].kind, TokenKind::kIdent);
}

TEST(LexerTest, CommentsAndStrings) {
  std::vector<Token> t = LexAll("// c1\n\"a//b\\\"\\\\\\n\\t\\x41\" // c2 \"x\n@x");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].kind, TokenKind::kString);
  EXPECT_EQ(t[0].text, "a//b\"\\\n\tA");
  EXPECT_EQ(t[0].line, 2);
  EXPECT_EQ(t[1].kind, TokenKind::kGlobal);
  EXPECT_EQ(t[1].line, 3);
}

TEST(LexerTest, Errors) {
  EXPECT_EQ(LexAll("\"abc\n").back().text, "unterminated string");
  EXPECT_EQ(LexAll("\"\\q\"").back().text, "invalid escape '\\q' in string");
  EXPECT_EQ(LexAll("\"\\x4\"").back().text, "invalid \\x escape in string (needs two hex digits)");
  EXPECT_EQ(LexAll("#").back().text, "unexpected character '#'");
  EXPECT_EQ(LexAll("\x01").back().text, "unexpected byte 0x1");
  EXPECT_EQ(LexAll("% x").back().text, "expected a name after '%'");
  EXPECT_EQ(LexAll("12ab").back().text, "invalid number '12a...'");
  for (const auto& t : {LexAll("#"), LexAll("12ab")}) EXPECT_EQ(t.back().kind, TokenKind::kError);
}

}  // namespace
}  // namespace dsc::ir
