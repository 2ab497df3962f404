// Prints modules in the IR text form (see printer.h for the grammar by example).
#include "ir/printer.h"

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dsc::ir {
namespace {

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

std::string Quote(std::string_view s) { return AttrToString(AttrValue(std::string(s))); }

// Prints a local value by its assigned name, a global by its module-level name.
class LocalNames {
 public:
  explicit LocalNames(const Function& f) : names_(LocalValueNames(f)) {}
  std::string Get(const Value* v) const {
    if (v->is_global()) return GlobalName(v->name());
    auto it = names_.find(v);
    return it == names_.end() ? "%<unknown>" : absl::StrCat("%", it->second);
  }

 private:
  absl::flat_hash_map<const Value*, std::string> names_;
};

std::string PrintRef(const TensorRef& r) {
  return absl::StrCat(Quote(r.tensor), " in ", Quote(r.file), " at ", r.offset);
}

void PrintOp(const Operation& op, const LocalNames& names, std::string* out) {
  absl::StrAppend(out, "    ");
  if (op.num_results() > 0) {
    std::vector<std::string> results;
    for (int i = 0; i < op.num_results(); ++i) results.push_back(names.Get(op.result(i)));
    absl::StrAppend(out, absl::StrJoin(results, ", "), " = ");
  }
  out->append(op.name());
  std::vector<std::string> operands;
  for (const Value* v : op.operands()) operands.push_back(names.Get(v));
  if (!operands.empty()) absl::StrAppend(out, " ", absl::StrJoin(operands, ", "));
  std::vector<std::string> attrs;
  for (const AttrSpec& spec : op.info().attrs) {
    auto it = op.attrs().find(spec.name);
    if (it == op.attrs().end()) continue;
    if (spec.default_value && *spec.default_value == it->second) continue;
    attrs.push_back(absl::StrCat(spec.name, " = ", AttrToString(it->second)));
  }
  if (!attrs.empty()) absl::StrAppend(out, " {", absl::StrJoin(attrs, ", "), "}");
  if (op.num_results() > 0) {
    std::vector<std::string> types;
    for (int i = 0; i < op.num_results(); ++i) types.push_back(op.result(i)->type().ToString());
    absl::StrAppend(out, " : ", absl::StrJoin(types, ", "));
  }
  absl::StrAppend(out, "\n");
}

}  // namespace

std::string GlobalName(std::string_view name) {
  return IsIdentifier(name) ? absl::StrCat("@", std::string(name)) : absl::StrCat("@", Quote(name));
}

absl::flat_hash_map<const Value*, std::string> LocalValueNames(const Function& f) {
  absl::flat_hash_map<const Value*, std::string> names;
  absl::flat_hash_set<std::string> used;
  int next = 0;
  auto assign = [&](const Value* v) {
    std::string name = v->name();
    if (!IsIdentifier(name) || used.contains(name)) {
      do {
        name = absl::StrCat(next++);
      } while (used.contains(name));
    }
    used.insert(name);
    names[v] = std::move(name);
  };
  for (const auto& a : f.arguments()) assign(a.get());
  for (const auto& op : f.ops()) {
    for (int i = 0; i < op->num_results(); ++i) assign(op->result(i));
  }
  return names;
}

std::string PrintFunction(const Module& module, const Function& f) {
  LocalNames names(f);
  std::string out = absl::StrCat("  func ", GlobalName(f.name()));
  if (!f.symbols().empty()) absl::StrAppend(&out, "[", absl::StrJoin(f.symbols(), ", "), "]");
  std::vector<std::string> args;
  for (const auto& a : f.arguments()) args.push_back(absl::StrCat(names.Get(a.get()), ": ", a->type().ToString()));
  std::vector<std::string> results;
  for (const Type& t : f.ResultTypes()) results.push_back(t.ToString());
  absl::StrAppend(&out, "(", absl::StrJoin(args, ", "), ") -> (", absl::StrJoin(results, ", "), ") {\n");
  for (const auto& op : f.ops()) PrintOp(*op, names, &out);
  absl::StrAppend(&out, "  }\n");
  return out;
}

std::string PrintModule(const Module& m) {
  std::string out = absl::StrCat("module ", GlobalName(m.name()), " {\n");
  for (const auto& [k, v] : m.metadata()) absl::StrAppend(&out, "  meta ", Quote(k), " = ", Quote(v), "\n");
  for (const auto& c : m.constants()) {
    absl::StrAppend(&out, "  const ", GlobalName(c->name()), " : ", c->type().ToString());
    if (!c->type().is_quantized() && c->parts().size() == 1) {
      absl::StrAppend(&out, " = ", PrintRef(c->parts()[0]), "\n");
      continue;
    }
    absl::StrAppend(&out, " {\n");
    for (const TensorRef& r : c->parts()) absl::StrAppend(&out, "    ", PrintRef(r), "\n");
    absl::StrAppend(&out, "  }\n");
  }
  for (const auto& s : m.states()) {
    absl::StrAppend(&out, "  state ", GlobalName(s->name()), " : ", s->type().ToString(), "\n");
  }
  for (const auto& f : m.functions()) absl::StrAppend(&out, PrintFunction(m, *f));
  absl::StrAppend(&out, "}\n");
  return out;
}

}  // namespace dsc::ir
