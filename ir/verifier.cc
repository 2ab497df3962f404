// Module and function verification: globals, symbols, dominance, op schemas, terminators.
#include "ir/verifier.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "ir/op_rules.h"

namespace dsc::ir {
namespace {

using rules::Error;

absl::Status VerifyConstant(const Value& c) {
  const Type& t = c.type();
  auto fail = [&](const auto&... msg) { return Error("constant @", c.name(), ": ", msg...); };
  if (!t.shape().is_static()) return fail("shape must be static, got ", t.ToString());
  size_t expected = 1;
  if (t.is_quantized()) {
    if (t.rank() < 2) return fail("a quantized weight needs rank >= 2, got ", t.ToString());
    int64_t k = t.shape().at(-1).offset();
    if (t.format() == QuantFormat::kNvfp4 && k % 16 != 0) {
      return fail("nvfp4 needs the input dim to be a multiple of 16, got ", k);
    }
    int64_t matrices = 1;
    for (int i = 0; i < t.rank() - 2; ++i) matrices *= t.shape().dim(i).offset();
    expected = static_cast<size_t>(matrices) * QuantParts(t.format(), 1, 16).size();
  }
  // A plain tensor may also be a stack of matrices [E..., N, K] stored one tensor each.
  if (!t.is_quantized() && t.rank() >= 3) {
    int64_t matrices = 1;
    for (int i = 0; i < t.rank() - 2; ++i) matrices *= t.shape().dim(i).offset();
    if (c.parts().size() == static_cast<size_t>(matrices)) expected = c.parts().size();
  }
  if (c.parts().size() != expected) {
    return fail("expected ", expected, " checkpoint tensor references for ", t.ToString(), ", got ",
                c.parts().size());
  }
  for (const TensorRef& r : c.parts()) {
    if (r.tensor.empty() || r.file.empty()) return fail("a tensor reference has an empty name or file");
  }
  return absl::OkStatus();
}

// Every symbol in a dim must be declared by the function.
absl::Status CheckSymbols(const Dim& d, const absl::flat_hash_set<std::string>& declared,
                          absl::string_view where) {
  for (const auto& s : d.symbols()) {
    if (!declared.contains(s)) return Error(where, ": symbol '", s, "' is not declared by the function");
  }
  return absl::OkStatus();
}
absl::Status CheckSymbols(const Shape& shape, const absl::flat_hash_set<std::string>& declared,
                          absl::string_view where) {
  for (const Dim& d : shape.dims()) DSC_RETURN_IF_ERROR(CheckSymbols(d, declared, where));
  return absl::OkStatus();
}

std::string OpLocation(const Function& f, size_t index, const Operation& op) {
  std::string s = absl::StrCat("function @", f.name(), ", op #", index, " '", std::string(op.name()), "'");
  if (op.num_results() > 0 && !op.result(0)->name().empty()) absl::StrAppend(&s, " (%", op.result(0)->name(), ")");
  return s;
}

}  // namespace

absl::Status VerifyFunction(const Module& module, const Function& f) {
  absl::flat_hash_set<std::string> symbols;
  for (const auto& s : f.symbols()) {
    if (!symbols.insert(s).second) return Error("function @", f.name(), ": symbol '", s, "' declared twice");
  }
  absl::flat_hash_set<const Value*> defined;
  for (const auto& arg : f.arguments()) {
    if (arg->type().is_quantized()) {
      // Allowed: expert bodies take a quantized weight slice as an argument.
    }
    DSC_RETURN_IF_ERROR(CheckSymbols(arg->type().shape(), symbols,
                                     absl::StrCat("function @", f.name(), ", argument %", arg->name())));
    defined.insert(arg.get());
  }
  const auto& ops = f.ops();
  for (size_t i = 0; i < ops.size(); ++i) {
    const Operation& op = *ops[i];
    std::string where = OpLocation(f, i, op);
    if (op.parent() != &f) return Error(where, ": op does not belong to this function");
    std::vector<Type> operand_types;
    for (int j = 0; j < op.num_operands(); ++j) {
      const Value* v = op.operand(j);
      if (v == nullptr) return Error(where, ": operand ", j, " is null");
      bool global = v->is_global() && module.FindGlobal(v->name()) == v;
      if (!global && !defined.contains(v)) {
        return Error(where, ": operand ", j, " (%", v->name(), ") is used before it is defined");
      }
      if (v->kind() == Value::Kind::kState &&
          !((op.code() == OpCode::kCacheWrite || op.code() == OpCode::kCacheRead) && j == 0)) {
        return Error(where, ": state @", v->name(), " may only be accessed by cache_read/cache_write");
      }
      operand_types.push_back(v->type());
    }
    if ((op.code() == OpCode::kCacheWrite || op.code() == OpCode::kCacheRead) &&
        op.operand(0)->kind() != Value::Kind::kState) {
      return Error(where, ": operand 'state' must be a module state");
    }
    AttrMap attrs = op.attrs();
    absl::StatusOr<std::vector<Type>> types = InferResultTypes(op.code(), operand_types, attrs);
    if (!types.ok()) return Error(where, ": ", types.status().message());
    if (attrs.size() != op.attrs().size()) return Error(where, ": attributes with defaults were not filled in");
    if (static_cast<int>(types->size()) != op.num_results()) {
      return Error(where, ": has ", op.num_results(), " results, the op defines ", types->size());
    }
    for (int r = 0; r < op.num_results(); ++r) {
      if ((*types)[r] != op.result(r)->type()) {
        return Error(where, ": result ", r, " has type ", op.result(r)->type().ToString(),
                     " but the operands give ", (*types)[r].ToString());
      }
      DSC_RETURN_IF_ERROR(CheckSymbols(op.result(r)->type().shape(), symbols, where));
      defined.insert(op.result(r));
    }
    for (const auto& [name, value] : op.attrs()) {
      if (KindOf(value) == AttrKind::kDim) DSC_RETURN_IF_ERROR(CheckSymbols(std::get<Dim>(value), symbols, where));
      if (KindOf(value) == AttrKind::kShape) DSC_RETURN_IF_ERROR(CheckSymbols(std::get<Shape>(value), symbols, where));
      if (KindOf(value) == AttrKind::kSymbol) {
        const std::string& callee = std::get<SymbolRef>(value).name;
        if (module.FindFunction(callee) == nullptr) {
          return Error(where, ": attribute '", name, "' refers to unknown function @", callee);
        }
      }
    }
    if (op.code() == OpCode::kReturn && i + 1 != ops.size()) return Error(where, ": 'return' must be the last op");
  }
  if (f.terminator() == nullptr) return Error("function @", f.name(), ": body must end with 'return'");
  return absl::OkStatus();
}

absl::Status Verify(const Module& module) {
  absl::flat_hash_set<std::string> names;
  for (const auto* list : {&module.constants(), &module.states()}) {
    for (const auto& v : *list) {
      if (!names.insert(v->name()).second) return Error("global @", v->name(), " is defined twice");
    }
  }
  for (const auto& c : module.constants()) DSC_RETURN_IF_ERROR(VerifyConstant(*c));
  for (const auto& s : module.states()) {
    if (s->type().is_quantized() || !s->type().shape().is_static() || s->type().rank() < 1) {
      return Error("state @", s->name(), ": must be a plain tensor of static shape, got ", s->type().ToString());
    }
  }
  absl::flat_hash_set<std::string> fnames;
  for (const auto& f : module.functions()) {
    if (!fnames.insert(f->name()).second) return Error("function @", f->name(), " is defined twice");
    DSC_RETURN_IF_ERROR(VerifyFunction(module, *f));
  }
  return absl::OkStatus();
}

}  // namespace dsc::ir
