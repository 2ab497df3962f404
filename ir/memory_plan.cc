// Liveness-based arena assignment (memory_plan.h): greedy first-fit in definition order.
#include "ir/memory_plan.h"

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_map.h"

namespace dsc::ir {
namespace {

int64_t AlignUp(int64_t n) { return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

int64_t Bytes(const Type& t, int64_t bound, const ElementBits& bits) {
  int64_t elements = 1;
  for (const Dim& d : t.shape().dims()) elements *= d.is_static() ? d.offset() : std::max(bound, d.offset());
  const int64_t b = bits ? bits(t.dtype()) : DTypeBits(t.dtype());
  return (elements * b + 7) / 8;
}

}  // namespace

int64_t ContextBound(const Module& module) {
  int64_t n = 0;
  for (const auto& s : module.states()) {
    int64_t cap = s->type().shape().dim(0).offset();
    n = n == 0 ? cap : std::min(n, cap);
  }
  return n;
}

MemoryPlan PlanFunctionMemory(const Function& f, int64_t bound, const ElementBits& bits) {
  MemoryPlan plan;
  const int n = static_cast<int>(f.num_ops());
  absl::flat_hash_map<const Value*, size_t> index;  // value -> its buffer (or its alias root's)
  std::vector<std::pair<const Value*, size_t>> aliases;
  absl::flat_hash_map<const Value*, int> last_write;  // state -> index of its last cache_write
  for (int i = 0; i < n; ++i) {
    if (f.ops()[i]->code() == OpCode::kCacheWrite) last_write[f.ops()[i]->operand(0)] = i;
  }
  for (int i = 0; i < n; ++i) {
    const Operation& op = *f.ops()[i];
    for (const Value* v : op.operands()) {
      auto it = index.find(v);
      if (it != index.end()) plan.buffers[it->second].last = op.code() == OpCode::kReturn ? n : i;
    }
    for (int r = 0; r < op.num_results(); ++r) {
      const Value* v = op.result(r);
      // Views: a reshape shares its operand's bytes; a cache_read is a prefix of its state,
      // unless the function writes that state later (then the read needs its own copy).
      bool state_view = op.code() == OpCode::kCacheRead && last_write[op.operand(0)] < i;
      if (op.code() == OpCode::kReshape || state_view) {
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
      plan.buffers.push_back({v, 0, AlignUp(Bytes(v->type(), bound, bits)), i, i, nullptr});
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

}  // namespace dsc::ir
