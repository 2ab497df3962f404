// plan-memory: liveness-based arena assignment (plan_memory.h) and the pass that records the
// plan in the module as metadata: "plan.<fn>" = "arena_bytes=… buffers=… bound=…" and
// "plan.<fn>.offsets" = "%name=offset+bytes ..." in definition order. The plan is computed
// last in the pipeline, on the final graph; --pass-stats prints the arena size.
#include "passes/plan_memory.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ir/printer.h"
#include "passes/passes.h"

namespace dsc::passes {
namespace {

int64_t AlignUp(int64_t n) { return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

int64_t Bytes(const ir::Type& t, int64_t bound) {
  int64_t elements = 1;
  for (const ir::Dim& d : t.shape().dims()) elements *= d.is_static() ? d.offset() : std::max(bound, d.offset());
  return (elements * ir::DTypeBits(t.dtype()) + 7) / 8;
}

}  // namespace

int64_t ContextBound(const ir::Module& module) {
  int64_t n = 0;
  for (const auto& s : module.states()) {
    int64_t cap = s->type().shape().dim(0).offset();
    n = n == 0 ? cap : std::min(n, cap);
  }
  return n;
}

MemoryPlan PlanFunctionMemory(const ir::Function& f, int64_t bound) {
  MemoryPlan plan;
  const int n = static_cast<int>(f.num_ops());
  absl::flat_hash_map<const ir::Value*, size_t> index;  // value -> its buffer (or its alias root's)
  std::vector<std::pair<const ir::Value*, size_t>> aliases;
  absl::flat_hash_map<const ir::Value*, int> last_write;  // state -> index of its last cache_write
  for (int i = 0; i < n; ++i) {
    if (f.ops()[i]->code() == ir::OpCode::kCacheWrite) last_write[f.ops()[i]->operand(0)] = i;
  }
  for (int i = 0; i < n; ++i) {
    const ir::Operation& op = *f.ops()[i];
    for (const ir::Value* v : op.operands()) {
      auto it = index.find(v);
      if (it != index.end()) plan.buffers[it->second].last = op.code() == ir::OpCode::kReturn ? n : i;
    }
    for (int r = 0; r < op.num_results(); ++r) {
      const ir::Value* v = op.result(r);
      // Views: a reshape shares its operand's bytes; a cache_read is a prefix of its state,
      // unless the function writes that state later (then the read needs its own copy).
      bool state_view = op.code() == ir::OpCode::kCacheRead && last_write[op.operand(0)] < i;
      if (op.code() == ir::OpCode::kReshape || state_view) {
        auto root = index.find(op.operand(0));
        if (root == index.end()) {  // of a state, an argument or another such view
          plan.views.push_back(v);
          continue;
        }
        size_t buffer = root->second;  // read before the insertion below invalidates `root`
        index[v] = buffer;
        aliases.emplace_back(v, buffer);
        continue;
      }
      index[v] = plan.buffers.size();
      plan.buffers.push_back({v, 0, AlignUp(Bytes(v->type(), bound)), i, i, nullptr});
    }
  }
  // Greedy first-fit in definition order: a buffer may take the space of any buffer whose last
  // reader ran before its defining op.
  std::multimap<int64_t, const BufferAssignment*> live;  // offset -> buffer
  for (BufferAssignment& b : plan.buffers) {
    std::erase_if(live, [&](const auto& e) { return e.second->last < b.first; });
    int64_t offset = 0;
    for (const auto& [start, other] : live) {
      if (start >= offset + b.bytes) break;
      offset = std::max(offset, start + other->bytes);
    }
    b.offset = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + b.bytes);
    live.emplace(offset, &b);
  }
  for (const auto& [v, i] : aliases) {
    const BufferAssignment& root = plan.buffers[i];
    plan.buffers.push_back({v, root.offset, root.bytes, root.first, root.last, root.value});
  }
  return plan;
}

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
    int64_t bound = ContextBound(module);
    if (bound <= 0) bound = 1;  // no caches: symbolic dims are planned at 1 (a lower bound)
    bool changed = false;
    for (ir::Function* f : Functions(module)) {
      MemoryPlan plan = PlanFunctionMemory(*f, bound);
      // Values by the names the printer gives them, so the plan reads against the IR text.
      absl::flat_hash_map<const ir::Value*, std::string> names = ir::LocalValueNames(*f);
      std::vector<std::string> offsets;
      int64_t buffers = 0;
      for (const BufferAssignment& b : plan.buffers) {
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
