// Shared pass helpers (see pattern_utils.h).
#include "passes/pattern_utils.h"

#include "absl/container/flat_hash_set.h"
#include "ir/check.h"

namespace dsc::passes {

using ir::OpCode;

bool IsPure(const ir::Operation& op) { return !op.info().has_side_effects && op.code() != OpCode::kReturn; }

ir::Operation* DefinedBy(const ir::Value* v, OpCode code) {
  ir::Operation* op = v->defining_op();
  return op != nullptr && op->code() == code ? op : nullptr;
}

absl::flat_hash_map<const ir::Value*, int> UseCounts(const ir::Function& f) {
  absl::flat_hash_map<const ir::Value*, int> uses;
  for (const auto& op : f.ops()) {
    for (const ir::Value* v : op->operands()) ++uses[v];
  }
  return uses;
}

int EraseDeadOps(ir::Function& f) {
  absl::flat_hash_map<const ir::Value*, int> uses = UseCounts(f);
  absl::flat_hash_set<const ir::Operation*> dead;
  // Straight-line code: every use follows its definition, so one backward sweep suffices.
  for (auto it = f.ops().rbegin(); it != f.ops().rend(); ++it) {
    const ir::Operation& op = **it;
    if (!IsPure(op)) continue;
    bool used = false;
    for (int r = 0; r < op.num_results(); ++r) used |= uses[op.result(r)] > 0;
    if (used) continue;
    dead.insert(&op);
    for (const ir::Value* v : op.operands()) --uses[v];
  }
  f.EraseOpsIf([&](const ir::Operation* op) { return dead.contains(op); });
  return static_cast<int>(dead.size());
}

void ReplaceOp(ir::Operation* op, const std::vector<ir::Value*>& replacements) {
  DSC_CHECK(static_cast<int>(replacements.size()) == op->num_results(), "ReplaceOp: result count mismatch");
  for (int r = 0; r < op->num_results(); ++r) {
    DSC_CHECK(replacements[r]->type() == op->result(r)->type(), "ReplaceOp: result type mismatch");
    op->parent()->ReplaceAllUsesWith(op->result(r), replacements[r]);
  }
}

std::optional<LinearMatch> MatchLinear(const ir::Value* y) {
  if (ir::Operation* q = DefinedBy(y, OpCode::kQuantizedMatmul)) return LinearMatch{q->operand(0), q->operand(1)};
  ir::Operation* mm = DefinedBy(y, OpCode::kMatmul);
  if (mm == nullptr) return std::nullopt;
  if (ir::Operation* dq = DefinedBy(mm->operand(1), OpCode::kDequantize)) {
    return LinearMatch{mm->operand(0), dq->operand(0)};
  }
  return LinearMatch{mm->operand(0), mm->operand(1)};
}

std::optional<FfnMatch> MatchSwigluFfn(const ir::Value* y) {
  std::optional<LinearMatch> down = MatchLinear(y);
  if (!down) return std::nullopt;
  if (ir::Operation* g = DefinedBy(down->x, OpCode::kGateUpSwiglu)) {
    return FfnMatch{g->operand(0), g->operand(1), down->weight, g->operand(2)};
  }
  ir::Operation* sw = DefinedBy(down->x, OpCode::kSwiglu);
  if (sw == nullptr) return std::nullopt;
  std::optional<LinearMatch> gate = MatchLinear(sw->operand(0));
  std::optional<LinearMatch> up = MatchLinear(sw->operand(1));
  if (!gate || !up || gate->x != up->x) return std::nullopt;
  return FfnMatch{gate->x, gate->weight, down->weight, up->weight};
}

}  // namespace dsc::passes
