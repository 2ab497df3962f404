// Static memory planning: every intermediate of a function gets an offset in one arena, from
// the liveness of the values (a buffer is reused once its last reader ran), so that running
// the function allocates nothing. Symbolic dims are sized at their bound, the context: every
// symbolic dim of the graph counts tokens of the context (S, P+1, P+S; rows routed to one
// expert), and the runtime rejects a chunk with P+S above the cache capacity.
#ifndef DSC_PASSES_PLAN_MEMORY_H_
#define DSC_PASSES_PLAN_MEMORY_H_

#include <cstdint>
#include <vector>

#include "ir/module.h"

namespace dsc::passes {

inline constexpr int64_t kArenaAlignment = 64;

struct BufferAssignment {
  const ir::Value* value = nullptr;
  int64_t offset = 0;    // in the arena, a multiple of kArenaAlignment
  int64_t bytes = 0;     // at the bound of its symbolic dims
  int first = 0;         // index of the defining op
  int last = 0;          // index of the last op reading it (or an alias); num_ops if returned
  const ir::Value* alias_of = nullptr;  // for a reshape: the value whose buffer it shares
};

struct MemoryPlan {
  int64_t arena_bytes = 0;
  std::vector<BufferAssignment> buffers;  // op results in definition order, then aliases
  // Results that need no arena space: cache reads (a prefix of the state) and reshapes of
  // them or of arguments.
  std::vector<const ir::Value*> views;
};

// The capacity of the module's caches (the smallest state dim 0), or 0 without state.
int64_t ContextBound(const ir::Module& module);

// Plans every op result of `f`; `bound` sizes symbolic dims (must be > 0).
MemoryPlan PlanFunctionMemory(const ir::Function& f, int64_t bound);

}  // namespace dsc::passes

#endif  // DSC_PASSES_PLAN_MEMORY_H_
