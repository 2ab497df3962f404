// Recursive-descent parser for the IR text form: the module, its declarations, functions and
// ops (values and attributes: parser_values.cc). One token of lookahead; every op is built
// through Builder::TryCreate so the registry checks it where it is written.
#include "ir/parser.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_join.h"
#include "ir/parser_internal.h"
#include "ir/verifier.h"

namespace dsc::ir {
namespace parser_internal {

absl::Status Parser::ParseMeta() {
  Take();
  if (!At(TokenKind::kString)) return ExpectedAfter("a metadata key \"...\"");
  Token key = Take();
  DSC_PARSE_TRY(Expect(TokenKind::kEqual, "'=' after the metadata key"));
  if (!At(TokenKind::kString)) return ExpectedAfter("a metadata value \"...\"");
  if (!module_->metadata().emplace(key.text, tok_.text).second) {
    return ErrorAt(LocOf(key), absl::StrCat("metadata key \"", key.text, "\" given twice"));
  }
  Take();
  return absl::OkStatus();
}

absl::Status Parser::ParseGlobalHead(Token* name, Type* type) {
  Take();  // 'const' or 'state'
  if (!At(TokenKind::kGlobal)) return ExpectedAfter("a global name @name");
  *name = Take();
  if (module_->FindGlobal(name->text) != nullptr) {
    return ErrorAt(LocOf(*name), absl::StrCat("redefinition of global @", name->text));
  }
  DSC_PARSE_TRY(Expect(TokenKind::kColon, "':' and the type"));
  DSC_PARSE_TRY(ParseType(type));
  global_locs_[name->text] = LocOf(*name);
  return absl::OkStatus();
}

absl::Status Parser::ParseConst() {
  Token name;
  Type type;
  DSC_PARSE_TRY(ParseGlobalHead(&name, &type));
  std::vector<TensorRef> parts;
  if (At(TokenKind::kEqual)) {
    Take();
    parts.emplace_back();
    DSC_PARSE_TRY(ParseTensorRef(&parts.back()));
  } else if (At(TokenKind::kLBrace)) {
    Take();
    while (At(TokenKind::kString)) {
      parts.emplace_back();
      DSC_PARSE_TRY(ParseTensorRef(&parts.back()));
    }
    DSC_PARSE_TRY(Expect(TokenKind::kRBrace, "a tensor reference \"tensor\" in \"file\" at OFFSET or '}'"));
  } else {
    return ExpectedAfter("'= \"tensor\" in \"file\" at OFFSET' or '{'");
  }
  module_->AddConstant(name.text, std::move(type), std::move(parts));
  return absl::OkStatus();
}

absl::Status Parser::ParseState() {
  Token name;
  Type type;
  DSC_PARSE_TRY(ParseGlobalHead(&name, &type));
  module_->AddState(name.text, std::move(type));
  return absl::OkStatus();
}

namespace {

std::string TypesToString(const std::vector<Type>& types) {
  return absl::StrCat("(", absl::StrJoin(types, ", ", [](std::string* o, const Type& t) {
                        o->append(t.ToString());
                      }), ")");
}

}  // namespace

// func @name[SYMS](%a: T, ...) -> (T, ...) { op* }
absl::Status Parser::ParseFunction() {
  Take();
  if (!At(TokenKind::kGlobal)) return ExpectedAfter("a function name @name");
  Token name = Take();
  if (module_->FindFunction(name.text) != nullptr) {
    return ErrorAt(LocOf(name), absl::StrCat("redefinition of function @", name.text));
  }
  std::vector<std::string> symbols;
  if (At(TokenKind::kLBracket)) {
    Take();
    do {
      if (!At(TokenKind::kIdent)) return ExpectedAfter("a symbol name");
      Token sym = Take();
      if (std::find(symbols.begin(), symbols.end(), sym.text) != symbols.end()) {
        return ErrorAt(LocOf(sym), absl::StrCat("symbol '", sym.text, "' declared twice"));
      }
      symbols.push_back(sym.text);
    } while (At(TokenKind::kComma) && (Take(), true));
    DSC_PARSE_TRY(Expect(TokenKind::kRBracket, "',' or ']' after the symbols"));
  }
  Function* f = module_->AddFunction(name.text, std::move(symbols));
  function_locs_[name.text] = LocOf(name);
  symbols_ = &f->symbols();
  function_name_ = name.text;
  locals_.clear();
  DSC_PARSE_TRY(Expect(TokenKind::kLParen, "'(' and the arguments"));
  if (!At(TokenKind::kRParen)) {
    do {
      if (!At(TokenKind::kLocal)) return ExpectedAfter("an argument %name");
      Token arg = Take();
      if (locals_.contains(arg.text)) {
        return ErrorAt(LocOf(arg), absl::StrCat("redefinition of value %", arg.text));
      }
      DSC_PARSE_TRY(Expect(TokenKind::kColon, "':' and the argument type"));
      Type t;
      DSC_PARSE_TRY(ParseType(&t));
      locals_[arg.text] = f->AddArgument(std::move(t), arg.text);
    } while (At(TokenKind::kComma) && (Take(), true));
  }
  DSC_PARSE_TRY(Expect(TokenKind::kRParen, "',' or ')' after the arguments"));
  Loc arrow = LocOf(tok_);
  DSC_PARSE_TRY(Expect(TokenKind::kArrow, "'->' and the result types"));
  DSC_PARSE_TRY(Expect(TokenKind::kLParen, "'(' before the result types"));
  std::vector<Type> results;
  std::vector<Loc> result_locs;
  if (!At(TokenKind::kRParen)) DSC_PARSE_TRY(ParseTypeList(&results, &result_locs));
  DSC_PARSE_TRY(Expect(TokenKind::kRParen, "',' or ')' after the result types"));
  DSC_PARSE_TRY(Expect(TokenKind::kLBrace, "'{' to open the body"));
  Builder builder(f);
  while (!At(TokenKind::kRBrace)) {
    if (f->terminator() != nullptr && !At(TokenKind::kEof)) {
      return ErrorAt(LocOf(tok_), absl::StrCat("'return' must be the last op of function @", f->name()));
    }
    DSC_PARSE_TRY(ParseOp(builder));
  }
  Token close = Take();
  if (f->terminator() == nullptr) {
    return ErrorAt(LocOf(close), absl::StrCat("function @", f->name(), " must end with 'return'"));
  }
  if (f->ResultTypes() != results) {
    return ErrorAt(arrow, absl::StrCat("function @", f->name(), " declares results ",
                                       TypesToString(results), " but its 'return' gives ",
                                       TypesToString(f->ResultTypes())));
  }
  symbols_ = nullptr;
  return absl::OkStatus();
}

// [%r, ... =] OP [operand, ...] [{attr = value, ...}] [: T, ...]
absl::Status Parser::ParseOp(Builder& builder) {
  std::vector<std::string> names;
  if (At(TokenKind::kLocal)) {
    do {
      if (!At(TokenKind::kLocal)) return ExpectedAfter("a result name %name");
      Token r = Take();
      if (locals_.contains(r.text) || std::find(names.begin(), names.end(), r.text) != names.end()) {
        return ErrorAt(LocOf(r), absl::StrCat("redefinition of value %", r.text));
      }
      names.push_back(r.text);
    } while (At(TokenKind::kComma) && (Take(), true));
    DSC_PARSE_TRY(Expect(TokenKind::kEqual, "'=' after the result list"));
  }
  if (!At(TokenKind::kIdent)) {
    return names.empty() ? ExpectedHere("an op or '}'") : ExpectedAfter("an op name");
  }
  Token op_tok = Take();
  std::optional<OpCode> code = OpCodeFromName(op_tok.text);
  if (!code) return ErrorAt(LocOf(op_tok), absl::StrCat("unknown op '", op_tok.text, "'"));
  std::string op_name(GetOpInfo(*code).name);
  std::vector<Value*> operands;
  if ((At(TokenKind::kLocal) || At(TokenKind::kGlobal)) && !tok_.first_on_line) {
    do {
      if (At(TokenKind::kLocal)) {
        Token t = Take();
        auto it = locals_.find(t.text);
        if (it == locals_.end()) return ErrorAt(LocOf(t), absl::StrCat("use of undefined value %", t.text));
        operands.push_back(it->second);
      } else if (At(TokenKind::kGlobal)) {
        Token t = Take();
        Value* g = module_->FindGlobal(t.text);
        if (g == nullptr) return ErrorAt(LocOf(t), absl::StrCat("use of undefined global @", t.text));
        operands.push_back(g);
      } else {
        return ExpectedAfter("an operand %value or @global");
      }
    } while (At(TokenKind::kComma) && (Take(), true));
  }
  AttrMap attrs;
  if (At(TokenKind::kLBrace) && !tok_.first_on_line) DSC_PARSE_TRY(ParseAttrs(GetOpInfo(*code), &attrs));
  std::vector<Type> types;
  std::vector<Loc> type_locs;
  Loc colon = LocOf(tok_);
  if (!names.empty()) {
    if (!At(TokenKind::kColon)) return ExpectedAfter(absl::StrCat("':' and the result types of '", op_name, "'"));
    Take();
    DSC_PARSE_TRY(ParseTypeList(&types, &type_locs));
    if (types.size() != names.size()) {
      return ErrorAt(colon, absl::StrCat(names.size(), " results are named but ", types.size(),
                                         " result types are given"));
    }
  } else if (At(TokenKind::kColon) && !tok_.first_on_line) {
    return ErrorAt(colon, absl::StrCat("result types without result names: write '%r = ", op_name, " ...'"));
  }
  absl::StatusOr<Operation*> op = builder.TryCreate(*code, std::move(operands), std::move(attrs), names);
  if (!op.ok()) return ErrorAt(LocOf(op_tok), op.status().message());
  op_locs_[function_name_].push_back(LocOf(op_tok));
  if ((*op)->num_results() != static_cast<int>(names.size())) {
    return ErrorAt(LocOf(op_tok), absl::StrCat("'", op_name, "' produces ", (*op)->num_results(),
                                                " results, but ", names.size(), " are named"));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const Type& inferred = (*op)->result(static_cast<int>(i))->type();
    if (types[i] != inferred) {
      return ErrorAt(type_locs[i], absl::StrCat("result type ", types[i].ToString(),
                                                " does not match inferred ", inferred.ToString()));
    }
    locals_[names[i]] = (*op)->result(static_cast<int>(i));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Module>> Parser::Run() {
  if (!AtKeyword("module")) return ExpectedHere("'module'");
  Take();
  if (!At(TokenKind::kGlobal)) return ExpectedAfter("a module name @name");
  module_ = std::make_unique<Module>(Take().text);
  DSC_PARSE_TRY(Expect(TokenKind::kLBrace, "'{' after the module name"));
  while (!At(TokenKind::kRBrace)) {
    if (AtKeyword("meta")) {
      DSC_PARSE_TRY(ParseMeta());
    } else if (AtKeyword("const")) {
      DSC_PARSE_TRY(ParseConst());
    } else if (AtKeyword("state")) {
      DSC_PARSE_TRY(ParseState());
    } else if (AtKeyword("func")) {
      DSC_PARSE_TRY(ParseFunction());
    } else {
      return ExpectedHere("'meta', 'const', 'state', 'func' or '}'");
    }
  }
  Take();
  if (!At(TokenKind::kEof)) return ExpectedHere("end of file after the module");
  DSC_PARSE_TRY(VerifyWithLocation());
  return std::move(module_);
}

// The parser has already checked each op against the registry; the verifier adds module-wide
// rules (constant parts, state access, callees). Its messages name the function and op index
// ("function @f, op #3 ...") or the global; map those back to a line.
absl::Status Parser::VerifyWithLocation() const {
  absl::Status s = Verify(*module_);
  if (s.ok()) return s;
  std::string msg(s.message());
  auto names = [&](absl::string_view prefix, const std::string& name) {
    std::string head = absl::StrCat(prefix, name);
    return msg.size() > head.size() && msg.compare(0, head.size(), head) == 0 &&
           (msg[head.size()] == ',' || msg[head.size()] == ':' || msg[head.size()] == ' ');
  };
  for (const auto& [name, loc] : function_locs_) {
    if (!names("function @", name)) continue;
    std::string op_tag = absl::StrCat("function @", name, ", op #");
    int index = -1;
    if (msg.compare(0, op_tag.size(), op_tag) == 0) index = std::atoi(msg.c_str() + op_tag.size());
    auto ops = op_locs_.find(name);
    if (index >= 0 && ops != op_locs_.end() && index < static_cast<int>(ops->second.size())) {
      return ErrorAt(ops->second[index], msg);
    }
    return ErrorAt(loc, msg);
  }
  for (const auto& [name, loc] : global_locs_) {
    if (names("constant @", name) || names("state @", name) || names("global @", name)) {
      return ErrorAt(loc, msg);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(filename_, ": ", msg));
}

absl::StatusOr<Type> Parser::RunType() {
  any_symbol_ = true;
  Type t;
  DSC_PARSE_TRY(ParseType(&t));
  if (!At(TokenKind::kEof)) return ExpectedHere("end of the type");
  return t;
}

}  // namespace parser_internal

absl::StatusOr<std::unique_ptr<Module>> ParseModule(absl::string_view text,
                                                    absl::string_view filename) {
  return parser_internal::Parser(text, filename).Run();
}

absl::StatusOr<Type> ParseType(absl::string_view text) {
  return parser_internal::Parser(text, "<type>").RunType();
}

}  // namespace dsc::ir
