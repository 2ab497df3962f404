// canonicalize: local algebraic simplifications that leave a smaller, canonical graph for the
// pattern-matching passes after it. Each rule replaces an op by an existing value or by one
// simpler op; rules repeat until none applies, and ops left dead are removed.
//   scale(x, 1) -> x                      scale(scale(x, a), b) -> scale(x, a·b)
//   reshape(x) to x's shape -> x          reshape(reshape(x)) -> reshape(x)
//   transpose(x, identity) -> x           transpose(transpose(x, p), q) -> transpose(x, p∘q)
//   broadcast(x) to x's shape -> x        cast(x) to x's dtype -> x
//   concat(x) -> x                        split(x) into one piece -> x
//   slice(x) of a whole static dim -> x
#include "absl/strings/str_cat.h"
#include "ir/builder.h"
#include "passes/passes.h"
#include "passes/pattern_utils.h"

namespace dsc::passes {
namespace {

using ir::OpCode;
using ir::Operation;
using ir::Value;

// The value `op` (single result) reduces to without new ops, or nullptr.
Value* FoldToExisting(const Operation& op) {
  Value* x = op.num_operands() > 0 ? op.operand(0) : nullptr;
  const ir::Type& out = op.result(0)->type();
  const bool same_type = x != nullptr && x->type() == out;
  switch (op.code()) {
    case OpCode::kScale:
      return ir::GetFloat(op.attrs(), "factor") == 1.0 && same_type ? x : nullptr;
    case OpCode::kReshape:
    case OpCode::kBroadcast:
    case OpCode::kCast:
    case OpCode::kSplit:
      return same_type ? x : nullptr;
    case OpCode::kConcat:
      return op.num_operands() == 1 && same_type ? x : nullptr;
    case OpCode::kTranspose: {
      const auto& perm = ir::GetInts(op.attrs(), "perm");
      for (size_t i = 0; i < perm.size(); ++i) {
        if (perm[i] != static_cast<int64_t>(i)) return nullptr;
      }
      return x;
    }
    case OpCode::kSlice: {
      int axis = static_cast<int>(ir::GetInt(op.attrs(), "axis"));
      if (axis < 0) axis += x->type().rank();
      const ir::Dim& d = x->type().shape().dim(axis);
      return d.is_static() && ir::GetInt(op.attrs(), "start") == 0 && ir::GetInt(op.attrs(), "end") == d.offset()
                 ? x
                 : nullptr;
    }
    default:
      return nullptr;
  }
}

// An op of the same kind that reads through a producer of the same kind, or nullptr.
Value* Compose(Operation& op) {
  Operation* inner = op.num_operands() > 0 ? op.operand(0)->defining_op() : nullptr;
  if (inner == nullptr || inner->code() != op.code()) return nullptr;
  ir::Builder b(op.parent());
  b.SetInsertionPoint(op.parent()->IndexOf(&op));
  b.Named(op.result(0)->name());
  switch (op.code()) {
    case OpCode::kScale:
      return b.Scale(inner->operand(0), ir::GetFloat(inner->attrs(), "factor") * ir::GetFloat(op.attrs(), "factor"));
    case OpCode::kReshape:
      return b.Reshape(inner->operand(0), ir::GetShape(op.attrs(), "shape"));
    case OpCode::kTranspose: {
      const auto& p = ir::GetInts(inner->attrs(), "perm");
      const auto& q = ir::GetInts(op.attrs(), "perm");
      std::vector<int64_t> composed(q.size());
      for (size_t i = 0; i < q.size(); ++i) composed[i] = p[q[i]];  // out[i] = in[p[q[i]]]
      return b.Op(OpCode::kTranspose, {inner->operand(0)}, {{"perm", composed}});
    }
    default:
      return nullptr;
  }
}

class CanonicalizePass : public Pass {
 public:
  std::string_view name() const override { return "canonicalize"; }

  absl::StatusOr<bool> Run(ir::Module& module) override {
    bool changed = false;
    for (ir::Function* f : Functions(module)) {
      for (bool again = true; again;) {
        again = false;
        // Ops only die when a later user is rewritten, so counts from the start of the sweep
        // stay exact for every op not yet visited.
        absl::flat_hash_map<const Value*, int> uses = UseCounts(*f);
        for (size_t i = 0; i < f->num_ops(); ++i) {
          Operation* op = f->ops()[i].get();
          if (op->num_results() != 1 || !IsPure(*op) || uses[op->result(0)] == 0) continue;
          Value* to = FoldToExisting(*op);
          if (to == nullptr && (to = Compose(*op)) != nullptr) ++i;  // skip past the op it inserted
          if (to == nullptr) continue;
          ReplaceOp(op, {to});
          uses[op->result(0)] = 0;
          Count(absl::StrCat(std::string(op->name()), " folded"));
          again = changed = true;
        }
        EraseDeadOps(*f);
      }
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateCanonicalizePass() { return std::make_unique<CanonicalizePass>(); }

}  // namespace dsc::passes
