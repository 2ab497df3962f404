// The value-level grammar of the IR text: integers, floats, symbolic dims, shapes, types,
// attribute values (read by the kind the op's schema declares) and checkpoint references.
#include <algorithm>
#include <charconv>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "ir/parser_internal.h"

namespace dsc::ir::parser_internal {

std::string Describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kIdent: return absl::StrCat("'", t.text, "'");
    case TokenKind::kLocal: return absl::StrCat("%", t.text);
    case TokenKind::kGlobal: return absl::StrCat("@", t.text);
    case TokenKind::kInt:
    case TokenKind::kFloat: return t.text;
    case TokenKind::kString: return "a string";
    case TokenKind::kEof:
    case TokenKind::kError: return std::string(TokenKindName(t.kind));
    default: return absl::StrCat("'", t.text, "'");
  }
}

absl::Status Parser::ParseInt(int64_t* out, bool negated) {
  bool neg = negated || At(TokenKind::kMinus);
  if (!negated && neg) Take();
  if (!At(TokenKind::kInt)) return ExpectedAfter("an integer");
  Token t = Take();
  uint64_t v = 0;
  if (!absl::SimpleAtoi(t.text, &v) || v > (neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1)) {
    return ErrorAt(LocOf(t), absl::StrCat("integer ", t.text, " is out of range"));
  }
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return absl::OkStatus();
}

absl::Status Parser::ParseFloat(double* out) {
  bool neg = At(TokenKind::kMinus);
  if (neg) Take();
  if (AtKeyword("inf") || AtKeyword("nan")) {
    *out = Take().text == "inf" ? std::numeric_limits<double>::infinity()
                                : std::numeric_limits<double>::quiet_NaN();
  } else if (At(TokenKind::kInt) || At(TokenKind::kFloat)) {
    Token t = Take();
    auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), *out);
    if (ec != std::errc() || ptr != t.text.data() + t.text.size()) {
      return ErrorAt(LocOf(t), absl::StrCat("float ", t.text, " is out of range"));
    }
  } else {
    return ExpectedAfter("a number");
  }
  if (neg) *out = -*out;
  return absl::OkStatus();
}

// dim := term (('+' term) | ('-' INT))*, term := SYMBOL | ['-'] INT. Printed dims are a
// sorted symbol sum and a signed constant: "7168", "-1", "S", "P+S", "P+S-1".
absl::Status Parser::ParseDim(Dim* out) {
  Dim d(0);
  bool first = true, negate = false;
  while (true) {
    if (At(TokenKind::kIdent) && !negate) {
      Token t = Take();
      if (!any_symbol_ && symbols_ == nullptr) {
        return ErrorAt(LocOf(t), absl::StrCat("symbolic dim '", t.text,
                                              "' outside a function (module-level types are static)"));
      }
      if (!any_symbol_ && std::find(symbols_->begin(), symbols_->end(), t.text) == symbols_->end()) {
        return ErrorAt(LocOf(t), absl::StrCat("symbol '", t.text, "' is not declared by function @",
                                              function_name_, " [", absl::StrJoin(*symbols_, ", "), "]"));
      }
      d = d + Dim::Symbol(t.text);
    } else if (At(TokenKind::kInt) || (first && At(TokenKind::kMinus))) {
      Loc at = LocOf(tok_);
      int64_t v, sum;
      DSC_PARSE_TRY(ParseInt(&v, negate));
      if (__builtin_add_overflow(d.offset(), v, &sum)) return ErrorAt(at, "dimension out of range");
      d = d + Dim(v);
    } else {
      return ExpectedAfter(negate ? "an integer after '-'" : "a dimension (integer or symbol)");
    }
    first = false;
    if (!At(TokenKind::kPlus) && !At(TokenKind::kMinus)) break;
    negate = Take().kind == TokenKind::kMinus;
  }
  *out = std::move(d);
  return absl::OkStatus();
}

// Shapes (of types and shape attributes) may not have negative static dims; a symbolic dim
// such as S-1 is fine, its value is checked when the symbols are bound.
absl::Status Parser::ParseShape(Shape* out) {
  DSC_PARSE_TRY(Expect(TokenKind::kLBracket, "'[' to start a shape"));
  std::vector<Dim> dims;
  if (!At(TokenKind::kRBracket)) {
    do {
      Loc at = LocOf(tok_);
      dims.emplace_back();
      DSC_PARSE_TRY(ParseDim(&dims.back()));
      if (dims.back().is_static() && dims.back().offset() < 0) {
        return ErrorAt(at, absl::StrCat("negative dimension ", dims.back().offset()));
      }
    } while (At(TokenKind::kComma) && (Take(), true));
  }
  DSC_PARSE_TRY(Expect(TokenKind::kRBracket, "',' or ']' in the shape"));
  *out = Shape(std::move(dims));
  return absl::OkStatus();
}

absl::Status Parser::ParseType(Type* out, Loc* loc) {
  if (!At(TokenKind::kIdent)) return ExpectedAfter("a type such as f32[S,7168] or nvfp4[N,K]");
  Token t = Take();
  if (loc != nullptr) *loc = LocOf(t);
  Shape shape;
  if (std::optional<DType> dt = DTypeFromName(t.text)) {
    DSC_PARSE_TRY(ParseShape(&shape));
    *out = Type::Tensor(*dt, std::move(shape));
  } else if (std::optional<QuantFormat> qf = QuantFormatFromName(t.text)) {
    DSC_PARSE_TRY(ParseShape(&shape));
    *out = Type::Quantized(*qf, std::move(shape));
  } else {
    return ErrorAt(LocOf(t), absl::StrCat("unknown element type '", t.text, "'"));
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseTypeList(std::vector<Type>* types, std::vector<Loc>* locs) {
  do {
    types->emplace_back();
    locs->emplace_back();
    DSC_PARSE_TRY(ParseType(&types->back(), &locs->back()));
  } while (At(TokenKind::kComma) && (Take(), true));
  return absl::OkStatus();
}

absl::Status Parser::ParseAttrValue(AttrKind kind, AttrValue* out) {
  auto list = [&](auto parse_one, auto& vec) -> absl::Status {
    DSC_PARSE_TRY(Expect(TokenKind::kLBracket, "'['"));
    if (!At(TokenKind::kRBracket)) {
      do {
        vec.emplace_back();
        DSC_PARSE_TRY(parse_one(&vec.back()));
      } while (At(TokenKind::kComma) && (Take(), true));
    }
    return Expect(TokenKind::kRBracket, "',' or ']'");
  };
  switch (kind) {
    case AttrKind::kBool:
      if (!AtKeyword("true") && !AtKeyword("false")) return ExpectedAfter("true or false");
      *out = Take().text == "true";
      return absl::OkStatus();
    case AttrKind::kInt: {
      int64_t v;
      DSC_PARSE_TRY(ParseInt(&v));
      *out = v;
      return absl::OkStatus();
    }
    case AttrKind::kFloat: {
      double v;
      DSC_PARSE_TRY(ParseFloat(&v));
      *out = v;
      return absl::OkStatus();
    }
    case AttrKind::kString:
      if (!At(TokenKind::kString)) return ExpectedAfter("a string");
      *out = Take().text;
      return absl::OkStatus();
    case AttrKind::kInts: {
      std::vector<int64_t> v;
      DSC_PARSE_TRY(list([&](int64_t* x) { return ParseInt(x); }, v));
      *out = std::move(v);
      return absl::OkStatus();
    }
    case AttrKind::kFloats: {
      std::vector<double> v;
      DSC_PARSE_TRY(list([&](double* x) { return ParseFloat(x); }, v));
      *out = std::move(v);
      return absl::OkStatus();
    }
    case AttrKind::kDim: {
      Dim d;
      DSC_PARSE_TRY(ParseDim(&d));
      *out = std::move(d);
      return absl::OkStatus();
    }
    case AttrKind::kShape: {
      Shape s;
      DSC_PARSE_TRY(ParseShape(&s));
      *out = std::move(s);
      return absl::OkStatus();
    }
    case AttrKind::kDType: {
      if (!At(TokenKind::kIdent)) return ExpectedAfter("an element type");
      Token t = Take();
      std::optional<DType> dt = DTypeFromName(t.text);
      if (!dt) return ErrorAt(LocOf(t), absl::StrCat("unknown element type '", t.text, "'"));
      *out = *dt;
      return absl::OkStatus();
    }
    case AttrKind::kSymbol:
      if (!At(TokenKind::kGlobal)) return ExpectedAfter("a function name @name");
      *out = SymbolRef{Take().text};
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseAttrs(const OpInfo& info, AttrMap* attrs) {
  Take();  // '{'
  while (!At(TokenKind::kRBrace)) {
    if (!At(TokenKind::kIdent)) return ExpectedAfter("an attribute name");
    Token name = Take();
    const AttrSpec* spec = nullptr;
    for (const AttrSpec& s : info.attrs) {
      if (s.name == name.text) spec = &s;
    }
    if (spec == nullptr) {
      std::vector<std::string> known;
      for (const AttrSpec& s : info.attrs) known.push_back(s.name);
      return ErrorAt(LocOf(name), absl::StrCat("unknown attribute '", name.text, "' for '",
                                               std::string(info.name), "' (it has ",
                                               known.empty() ? "none" : absl::StrJoin(known, ", "), ")"));
    }
    if (attrs->count(name.text)) {
      return ErrorAt(LocOf(name), absl::StrCat("attribute '", name.text, "' given twice"));
    }
    DSC_PARSE_TRY(Expect(TokenKind::kEqual, absl::StrCat("'=' after attribute '", name.text, "'")));
    AttrValue value;
    context_ = absl::StrCat(" (attribute '", name.text, "' of '", std::string(info.name), "' is a ",
                            std::string(AttrKindName(spec->kind)), ")");
    absl::Status s = ParseAttrValue(spec->kind, &value);
    context_.clear();
    DSC_PARSE_TRY(s);
    (*attrs)[name.text] = std::move(value);
    if (!At(TokenKind::kComma)) break;
    Take();
  }
  return Expect(TokenKind::kRBrace, "',' or '}' in the attribute list");
}

absl::Status Parser::ParseTensorRef(TensorRef* out) {
  if (!At(TokenKind::kString)) return ExpectedAfter("a checkpoint tensor name \"...\"");
  out->tensor = Take().text;
  DSC_PARSE_TRY(ExpectKeyword("in"));
  if (!At(TokenKind::kString)) return ExpectedAfter("a file name \"...\"");
  out->file = Take().text;
  DSC_PARSE_TRY(ExpectKeyword("at"));
  if (!At(TokenKind::kInt)) return ExpectedAfter("a byte offset");
  Token t = Take();
  if (!absl::SimpleAtoi(t.text, &out->offset)) {
    return ErrorAt(LocOf(t), absl::StrCat("offset ", t.text, " is out of range"));
  }
  return absl::OkStatus();
}

}  // namespace dsc::ir::parser_internal
