// dce: removes ops whose results are unused, transitively. Ops with side effects (cache_write,
// return) always stay, so the indexer's key-cache writes survive even when its score is no
// longer read. Weights no function reads any more are dropped from the module afterwards.
#include "passes/passes.h"
#include "passes/pattern_utils.h"

namespace dsc::passes {
namespace {

class DcePass : public Pass {
 public:
  std::string_view name() const override { return "dce"; }

  absl::StatusOr<bool> Run(ir::Module& module) override {
    int removed = 0;
    for (ir::Function* f : Functions(module)) removed += EraseDeadOps(*f);
    size_t constants = module.constants().size();
    module.EraseUnusedConstants();
    int64_t dropped = static_cast<int64_t>(constants - module.constants().size());
    if (removed > 0) Count("ops removed", removed);
    if (dropped > 0) Count("unused weights dropped", dropped);
    return removed > 0 || dropped > 0;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateDcePass() { return std::make_unique<DcePass>(); }

}  // namespace dsc::passes
