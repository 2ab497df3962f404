// Static memory planning of one function: every intermediate gets an offset in one arena, from
// the liveness of the values (a buffer is reused once its last reader ran), so that running
// the function allocates nothing. Symbolic dims are sized at their bound, the context: every
// symbolic dim of the graph counts tokens of the context (S, P+1, P+S; rows routed to one
// expert), and the runtime rejects a chunk with P+S above the cache capacity.
//
// An analysis, not a pass: the plan-memory pass records it in the module for compiled code
// (elements at their dtype's width); the interpreter's executor plans its own arena with the
// widths it stores (float32 and int64 elements).
#ifndef DSC_IR_MEMORY_PLAN_H_
#define DSC_IR_MEMORY_PLAN_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "ir/module.h"

namespace dsc::ir {

inline constexpr int64_t kArenaAlignment = 64;

struct BufferAssignment {
  const Value* value = nullptr;
  int64_t offset = 0;    // in the arena, a multiple of kArenaAlignment
  int64_t bytes = 0;     // at the bound of its symbolic dims
  int first = 0;         // index of the defining op
  int last = 0;          // index of the last op reading it (or an alias); num_ops if returned
  const Value* alias_of = nullptr;  // for a reshape: the value whose buffer it shares
};

struct MemoryPlan {
  int64_t arena_bytes = 0;
  std::vector<BufferAssignment> buffers;  // op results in definition order, then aliases
  // Results that need no arena space: cache reads (a prefix of the state) and reshapes of
  // them or of arguments.
  std::vector<const Value*> views;
};

// The capacity of the module's caches (the smallest state dim 0), or 0 without state.
int64_t ContextBound(const Module& module);

// Bits one element of `dtype` takes in the storage being planned.
using ElementBits = std::function<int64_t(DType)>;

// Plans every op result of `f`; `bound` sizes symbolic dims (must be > 0); elements take
// `bits(dtype)` bits (default: the dtype's own width).
MemoryPlan PlanFunctionMemory(const Function& f, int64_t bound, const ElementBits& bits = {});

}  // namespace dsc::ir

#endif  // DSC_IR_MEMORY_PLAN_H_
