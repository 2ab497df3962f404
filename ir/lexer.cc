// Tokenizer for the IR text form (grammar in printer.h and ir/README.md).
#include "ir/lexer.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace dsc::ir {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool IsNameChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '.' || c == '-'; }

std::string_view TokenKindName(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEof: return "end of file";
    case TokenKind::kError: return "invalid token";
    case TokenKind::kIdent: return "identifier";
    case TokenKind::kLocal: return "%value";
    case TokenKind::kGlobal: return "@name";
    case TokenKind::kInt: return "integer";
    case TokenKind::kFloat: return "float";
    case TokenKind::kString: return "string";
    case TokenKind::kLBrace: return "'{'";
    case TokenKind::kRBrace: return "'}'";
    case TokenKind::kLParen: return "'('";
    case TokenKind::kRParen: return "')'";
    case TokenKind::kLBracket: return "'['";
    case TokenKind::kRBracket: return "']'";
    case TokenKind::kComma: return "','";
    case TokenKind::kColon: return "':'";
    case TokenKind::kEqual: return "'='";
    case TokenKind::kPlus: return "'+'";
    case TokenKind::kMinus: return "'-'";
    case TokenKind::kArrow: return "'->'";
  }
  return "token";
}

void Lexer::Advance() {
  if (pos_ >= text_.size()) return;
  if (text_[pos_] == '\n') {
    ++line_;
    col_ = 1;
  } else {
    ++col_;
  }
  ++pos_;
}

bool Lexer::SkipSpaceAndComments() {
  bool newline = false;
  while (pos_ < text_.size()) {
    char c = Peek();
    if (c == '\n') newline = true;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      Advance();
    } else if (c == '/' && Peek(1) == '/') {
      while (pos_ < text_.size() && Peek() != '\n') Advance();
    } else {
      break;
    }
  }
  return newline;
}

Token Lexer::Next() {
  bool newline = SkipSpaceAndComments();
  Token tok;
  tok.line = line_;
  tok.col = col_;
  tok.first_on_line = newline || at_start_;
  tok.prev_end_line = prev_end_line_;
  tok.prev_end_col = prev_end_col_;
  at_start_ = false;
  if (pos_ >= text_.size()) {
    tok.kind = TokenKind::kEof;
    return tok;
  }
  char c = Peek();
  auto punct = [&](TokenKind kind, int len) {
    tok.kind = kind;
    tok.text = std::string(text_.substr(pos_, len));
    for (int i = 0; i < len; ++i) Advance();
    return tok;
  };
  Token out;
  switch (c) {
    case '{': out = punct(TokenKind::kLBrace, 1); break;
    case '}': out = punct(TokenKind::kRBrace, 1); break;
    case '(': out = punct(TokenKind::kLParen, 1); break;
    case ')': out = punct(TokenKind::kRParen, 1); break;
    case '[': out = punct(TokenKind::kLBracket, 1); break;
    case ']': out = punct(TokenKind::kRBracket, 1); break;
    case ',': out = punct(TokenKind::kComma, 1); break;
    case ':': out = punct(TokenKind::kColon, 1); break;
    case '=': out = punct(TokenKind::kEqual, 1); break;
    case '+': out = punct(TokenKind::kPlus, 1); break;
    case '-': out = Peek(1) == '>' ? punct(TokenKind::kArrow, 2) : punct(TokenKind::kMinus, 1); break;
    case '"': out = LexString(tok); break;
    case '%':
    case '@': {
      Advance();
      tok.kind = c == '%' ? TokenKind::kLocal : TokenKind::kGlobal;
      if (c == '@' && Peek() == '"') {
        out = LexString(tok);
        if (out.kind == TokenKind::kString) out.kind = TokenKind::kGlobal;
      } else {
        out = LexName(tok, /*bare=*/false);
      }
      break;
    }
    default:
      if (IsDigit(c)) {
        out = LexNumber(tok);
      } else if (IsAlpha(c)) {
        tok.kind = TokenKind::kIdent;
        out = LexName(tok, /*bare=*/true);
      } else {
        tok.kind = TokenKind::kError;
        tok.text = std::isprint(static_cast<unsigned char>(c))
                       ? absl::StrCat("unexpected character '", std::string(1, c), "'")
                       : absl::StrCat("unexpected byte 0x", absl::Hex(static_cast<unsigned char>(c)));
        Advance();
        out = tok;
      }
  }
  prev_end_line_ = line_;
  prev_end_col_ = col_;
  return out;
}

Token Lexer::LexName(Token tok, bool bare) {
  size_t start = pos_;
  // Bare words exclude '-' so that "S-3" is the dim S minus 3.
  while (pos_ < text_.size() && (bare ? IsAlpha(Peek()) || IsDigit(Peek()) || Peek() == '.'
                                      : IsNameChar(Peek()))) {
    Advance();
  }
  tok.text = std::string(text_.substr(start, pos_ - start));
  if (tok.text.empty()) {
    tok.text = tok.kind == TokenKind::kLocal ? "expected a name after '%'" : "expected a name after '@'";
    tok.kind = TokenKind::kError;
  }
  return tok;
}

Token Lexer::LexNumber(Token tok) {
  size_t start = pos_;
  tok.kind = TokenKind::kInt;
  while (IsDigit(Peek())) Advance();
  if (Peek() == '.' && IsDigit(Peek(1))) {
    tok.kind = TokenKind::kFloat;
    Advance();
    while (IsDigit(Peek())) Advance();
  }
  if ((Peek() == 'e' || Peek() == 'E') &&
      (IsDigit(Peek(1)) || ((Peek(1) == '+' || Peek(1) == '-') && IsDigit(Peek(2))))) {
    tok.kind = TokenKind::kFloat;
    Advance();
    if (Peek() == '+' || Peek() == '-') Advance();
    while (IsDigit(Peek())) Advance();
  }
  tok.text = std::string(text_.substr(start, pos_ - start));
  if (IsAlpha(Peek())) {
    tok.kind = TokenKind::kError;
    tok.text = absl::StrCat("invalid number '", tok.text, std::string(1, Peek()), "...'");
  }
  return tok;
}

Token Lexer::LexString(Token tok) {
  Advance();  // opening quote
  tok.kind = TokenKind::kString;
  std::string value;
  auto fail = [&](std::string msg) {
    tok.kind = TokenKind::kError;
    tok.text = std::move(msg);
    return tok;
  };
  while (true) {
    if (pos_ >= text_.size() || Peek() == '\n') return fail("unterminated string");
    char c = Peek();
    Advance();
    if (c == '"') break;
    if (c != '\\') {
      value += c;
      continue;
    }
    char e = Peek();
    Advance();
    switch (e) {
      case '"': value += '"'; break;
      case '\\': value += '\\'; break;
      case 'n': value += '\n'; break;
      case 't': value += '\t'; break;
      case 'x': {
        int hi = HexValue(Peek()), lo = HexValue(Peek(1));
        if (hi < 0 || lo < 0) return fail("invalid \\x escape in string (needs two hex digits)");
        Advance();
        Advance();
        value += static_cast<char>(hi * 16 + lo);
        break;
      }
      default:
        return fail(absl::StrCat("invalid escape '\\", std::string(1, e), "' in string"));
    }
  }
  tok.text = std::move(value);
  return tok;
}

}  // namespace dsc::ir
