// Pass base class: counters and the function scope of a run.
#include "passes/pass.h"

#include "absl/container/flat_hash_set.h"

namespace dsc::passes {

void Pass::Count(std::string_view what, int64_t n) {
  for (auto& [name, value] : counters_) {
    if (name == what) {
      value += n;
      return;
    }
  }
  counters_.emplace_back(std::string(what), n);
}

std::vector<ir::Function*> Pass::Functions(const ir::Module& module) const {
  std::vector<ir::Function*> out;
  if (anchor_.empty()) {
    for (const auto& f : module.functions()) out.push_back(f.get());
    return out;
  }
  absl::flat_hash_set<const ir::Function*> reached;
  std::vector<ir::Function*> work;
  if (ir::Function* f = module.FindFunction(anchor_)) work.push_back(f);
  while (!work.empty()) {
    ir::Function* f = work.back();
    work.pop_back();
    if (!reached.insert(f).second) continue;
    for (const auto& op : f->ops()) {
      for (const auto& [name, value] : op->attrs()) {
        if (const auto* ref = std::get_if<ir::SymbolRef>(&value)) {
          if (ir::Function* callee = module.FindFunction(ref->name)) work.push_back(callee);
        }
      }
    }
  }
  for (const auto& f : module.functions()) {
    if (reached.contains(f.get())) out.push_back(f.get());
  }
  return out;
}

}  // namespace dsc::passes
