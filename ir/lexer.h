// Splits IR text into tokens with 1-based line:column positions; `//` comments and all
// whitespace (newlines included) are skipped, so the parser sees a plain token stream.
#ifndef DSC_IR_LEXER_H_
#define DSC_IR_LEXER_H_

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace dsc::ir {

enum class TokenKind {
  kEof,
  kError,   // a lexical error; `text` holds the message
  kIdent,   // bare word: keyword, op name, dtype, symbol, true/false/inf/nan ([A-Za-z_][\w.]*)
  kLocal,   // %name; `text` is the name without '%'
  kGlobal,  // @name or @"quoted name"; `text` is the (unescaped) name without '@'
  kInt,     // unsigned decimal digits; the sign is a separate kMinus token
  kFloat,   // digits with '.' and/or an exponent: 1.5, 1e-06, 2.5e+10
  kString,  // "..." with escapes \" \\ \n \t \xHH; `text` is the unescaped value
  kLBrace, kRBrace, kLParen, kRParen, kLBracket, kRBracket,
  kComma, kColon, kEqual, kPlus, kMinus, kArrow,
};

// "identifier", "'{'", "end of file", ... for "expected X, got Y" messages.
std::string_view TokenKindName(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string text;      // see TokenKind; the spelling for numbers and punctuation
  int line = 1, col = 1;  // where the token starts
  bool first_on_line = false;
  // Where the previous token ended (the column just after it): "expected X" errors for a
  // token at the start of a line point here, at the end of the incomplete line.
  int prev_end_line = 1, prev_end_col = 1;
};

class Lexer {
 public:
  explicit Lexer(absl::string_view text) : text_(text) {}

  // The next token; kEof forever at the end. Never fails: bad input gives a kError token.
  Token Next();

 private:
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void Advance();                    // one byte, tracking line and column
  bool SkipSpaceAndComments();       // true if a newline was skipped
  Token LexNumber(Token tok);
  Token LexString(Token tok);        // at the opening quote
  Token LexName(Token tok, bool bare);

  absl::string_view text_;
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
  int prev_end_line_ = 1, prev_end_col_ = 1;
  bool at_start_ = true;
};

// True for the characters of %local and @global names: [A-Za-z0-9_.-].
bool IsNameChar(char c);

}  // namespace dsc::ir

#endif  // DSC_IR_LEXER_H_
