// The pass registry: name -> factory, from passes.def.
#include "passes/pass_registry.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "passes/passes.h"

namespace dsc::passes {
namespace {

struct Entry {
  PassInfo info;
  std::unique_ptr<Pass> (*create)();
};

const std::vector<Entry>& Entries() {
  static const std::vector<Entry>* entries = new std::vector<Entry>{
#define DSC_PASS(factory, name, description) {{name, description}, &factory},
#include "passes/passes.def"
#undef DSC_PASS
  };
  return *entries;
}

}  // namespace

const std::vector<PassInfo>& RegisteredPasses() {
  static const std::vector<PassInfo>* infos = [] {
    auto* v = new std::vector<PassInfo>();
    for (const Entry& e : Entries()) v->push_back(e.info);
    return v;
  }();
  return *infos;
}

absl::StatusOr<std::unique_ptr<Pass>> CreatePass(std::string_view name) {
  for (const Entry& e : Entries()) {
    if (e.info.name == name) return e.create();
  }
  std::vector<std::string> names;
  for (const Entry& e : Entries()) names.emplace_back(e.info.name);
  return absl::NotFoundError(
      absl::StrCat("unknown pass '", std::string(name), "' (known: ", absl::StrJoin(names, ", "), ")"));
}

}  // namespace dsc::passes
