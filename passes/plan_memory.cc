// plan-memory: the pass that records the arena assignment (ir/memory_plan.h) and the
// plan in the module as metadata: "plan.<fn>" = "arena_bytes=… buffers=… bound=…" and
// "plan.<fn>.offsets" = "%name=offset+bytes ..." in definition order. The plan is computed
// last in the pipeline, on the final graph; --pass-stats prints the arena size.
#include "ir/memory_plan.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/printer.h"
#include "passes/passes.h"

namespace dsc::passes {
namespace {

std::string HumanBytes(int64_t n) {
  if (n >= (1 << 20)) return absl::StrCat(n / (1 << 20), ".", (n % (1 << 20)) * 10 / (1 << 20), " MiB");
  if (n >= (1 << 10)) return absl::StrCat(n / (1 << 10), ".", (n % (1 << 10)) * 10 / (1 << 10), " KiB");
  return absl::StrCat(n, " B");
}

class PlanMemoryPass : public Pass {
 public:
  std::string_view name() const override { return "plan-memory"; }

  absl::StatusOr<bool> Run(ir::Module& module) override {
    int64_t bound = ir::ContextBound(module);
    if (bound <= 0) bound = 1;  // no caches: symbolic dims are planned at 1 (a lower bound)
    bool changed = false;
    for (ir::Function* f : Functions(module)) {
      ir::MemoryPlan plan = ir::PlanFunctionMemory(*f, bound);
      // Values by the names the printer gives them, so the plan reads against the IR text.
      absl::flat_hash_map<const ir::Value*, std::string> names = ir::LocalValueNames(*f);
      std::vector<std::string> offsets;
      int64_t buffers = 0;
      for (const ir::BufferAssignment& b : plan.buffers) {
        if (b.alias_of != nullptr) continue;
        ++buffers;
        offsets.push_back(absl::StrCat("%", names[b.value], "=", b.offset, "+", b.bytes));
      }
      std::string summary = absl::StrCat("arena_bytes=", plan.arena_bytes, " buffers=", buffers, " bound=", bound);
      std::string& slot = module.metadata()[absl::StrCat("plan.", f->name())];
      changed |= slot != summary;
      slot = summary;
      module.metadata()[absl::StrCat("plan.", f->name(), ".offsets")] = absl::StrJoin(offsets, " ");
      Note(absl::StrCat("@", f->name(), " arena ", HumanBytes(plan.arena_bytes), " (", plan.arena_bytes, " bytes, ",
                        buffers, " buffers)"));
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreatePlanMemoryPass() { return std::make_unique<PlanMemoryPass>(); }

}  // namespace dsc::passes
