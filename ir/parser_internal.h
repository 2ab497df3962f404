// Internal to the IR parser (parser.cc: declarations, functions, ops; parser_values.cc:
// dims, types, attribute values). Not part of the public API: use parser.h.
#ifndef DSC_IR_PARSER_INTERNAL_H_
#define DSC_IR_PARSER_INTERNAL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ir/builder.h"
#include "ir/lexer.h"
#include "ir/module.h"

namespace dsc::ir::parser_internal {

#define DSC_PARSE_TRY(expr)                              \
  do {                                               \
    absl::Status _parse_status = (expr);             \
    if (!_parse_status.ok()) return _parse_status;   \
  } while (0)

struct Loc {
  int line = 1, col = 1;
};
inline Loc LocOf(const Token& t) { return {t.line, t.col}; }

// How a token reads in "expected X, got Y": "'matmull'", "%x", "end of file".
std::string Describe(const Token& t);

class Parser {
 public:
  Parser(absl::string_view text, absl::string_view filename)
      : lexer_(text), filename_(filename), tok_(lexer_.Next()) {}

  absl::StatusOr<std::unique_ptr<Module>> Run();
  // A lone type such as "f32[S,7168]"; any symbol is accepted.
  absl::StatusOr<Type> RunType();

 private:
  // ---- tokens and errors
  bool At(TokenKind k) const { return tok_.kind == k; }
  bool AtKeyword(absl::string_view kw) const { return At(TokenKind::kIdent) && tok_.text == kw; }
  Token Take() {
    Token t = std::move(tok_);
    tok_ = lexer_.Next();
    return t;
  }
  absl::Status ErrorAt(Loc loc, absl::string_view msg) const {
    return absl::InvalidArgumentError(
        absl::StrCat(filename_, ":", loc.line, ":", loc.col, ": ", msg));
  }
  // "expected WHAT, got X" at the current token (a lexical error reports itself instead).
  absl::Status ExpectedHere(absl::string_view what) const {
    if (At(TokenKind::kError)) return ErrorAt(LocOf(tok_), tok_.text);
    return ErrorAt(LocOf(tok_), absl::StrCat("expected ", what, context_, ", got ", Describe(tok_)));
  }
  // Same, for something that should continue the current line: if the token starts a new
  // line, the error points just after the end of the incomplete line.
  absl::Status ExpectedAfter(absl::string_view what) const {
    if (At(TokenKind::kError)) return ErrorAt(LocOf(tok_), tok_.text);
    Loc loc = LocOf(tok_);
    if (tok_.first_on_line || At(TokenKind::kEof)) loc = {tok_.prev_end_line, tok_.prev_end_col};
    return ErrorAt(loc, absl::StrCat("expected ", what, context_, ", got ", Describe(tok_)));
  }
  absl::Status Expect(TokenKind k, absl::string_view what) {
    if (!At(k)) return ExpectedAfter(what);
    Take();
    return absl::OkStatus();
  }
  absl::Status ExpectKeyword(absl::string_view kw) {
    if (!AtKeyword(kw)) return ExpectedAfter(absl::StrCat("'", kw, "'"));
    Take();
    return absl::OkStatus();
  }

  // ---- pieces
  // [-]INT; with `negated`, the '-' was already read (as in the dim "S-3").
  absl::Status ParseInt(int64_t* out, bool negated = false);
  absl::Status ParseFloat(double* out);
  absl::Status ParseDim(Dim* out);
  absl::Status ParseShape(Shape* out);
  absl::Status ParseType(Type* out, Loc* loc = nullptr);
  absl::Status ParseTypeList(std::vector<Type>* types, std::vector<Loc>* locs);
  absl::Status ParseAttrValue(AttrKind kind, AttrValue* out);
  absl::Status ParseAttrs(const OpInfo& info, AttrMap* attrs);
  absl::Status ParseTensorRef(TensorRef* out);

  // ---- declarations
  absl::Status ParseMeta();
  absl::Status ParseGlobalHead(Token* name, Type* type);  // "@name : type" of const/state
  absl::Status ParseConst();
  absl::Status ParseState();
  absl::Status ParseFunction();
  absl::Status ParseOp(Builder& builder);
  absl::Status VerifyWithLocation() const;

  Lexer lexer_;
  std::string filename_;
  Token tok_;
  std::unique_ptr<Module> module_;
  // Inside a function: its symbols (dims may use them), its locals and its name.
  const std::vector<std::string>* symbols_ = nullptr;
  bool any_symbol_ = false;  // RunType: no function to declare them
  absl::flat_hash_map<std::string, Value*> locals_;
  std::string function_name_;
  // Appended to "expected X" while reading an attribute value: which attribute, what kind.
  std::string context_;
  // Where things were declared, to point verifier errors at a line.
  absl::flat_hash_map<std::string, Loc> global_locs_, function_locs_;
  absl::flat_hash_map<std::string, std::vector<Loc>> op_locs_;
};

}  // namespace dsc::ir::parser_internal

#endif  // DSC_IR_PARSER_INTERNAL_H_
