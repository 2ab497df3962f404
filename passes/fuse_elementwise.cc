// fuse-elementwise: merges pointwise work into the op that produces or consumes it.
//  - rms_norm(add(a, b), w) -> add_rms_norm(a, b, w): the residual add and the norm read the
//    rows once; the op's second result is the sum (the new residual, model.md §4), which
//    replaces every other use of the add. Not when the add broadcasts.
//  - swiglu(linear(x, W1), linear(x, W3)) -> gate_up_swiglu(x, W1, W3): SwiGLU as the epilogue
//    of the gate/up matmuls, one pass over x (model.md §9). Not when the two linears read
//    different inputs, when either product has another user, or the weights differ in type.
// Softmax already lives inside the attention ops; rotary stays a separate op because its
// input is a split slice of the projection output (no contiguous epilogue to fuse into).
#include "ir/builder.h"
#include "passes/passes.h"
#include "passes/pattern_utils.h"

namespace dsc::passes {
namespace {

using ir::OpCode;
using ir::Operation;
using ir::Value;

bool DefinedBefore(const ir::Function& f, const Value* v, size_t pos) {
  return v->is_global() || v->kind() == Value::Kind::kArgument || f.IndexOf(v->defining_op()) < pos;
}

class FuseElementwisePass : public Pass {
 public:
  std::string_view name() const override { return "fuse-elementwise"; }

  absl::StatusOr<bool> Run(ir::Module& module) override {
    bool changed = false;
    for (ir::Function* f : Functions(module)) {
      for (size_t i = 0; i < f->num_ops(); ++i) {
        Operation* op = f->ops()[i].get();
        if (op->code() != OpCode::kRmsNorm && op->code() != OpCode::kSwiglu) continue;
        if (f->CountUses(op->result(0)) == 0) continue;  // a replaced op awaiting removal
        if (op->code() == OpCode::kRmsNorm && FuseAddRmsNorm(*f, op)) {
          Count("add + rms_norm fused");
          changed = true;
          ++i;
        } else if (op->code() == OpCode::kSwiglu && FuseGateUpSwiglu(*f, op, i)) {
          Count("gate/up swiglu fused");
          changed = true;
          ++i;
        }
      }
      EraseDeadOps(*f);
    }
    return changed;
  }

 private:
  // Inserts at the add (its later users must see the sum), so the norm weight must exist there.
  static bool FuseAddRmsNorm(ir::Function& f, Operation* norm) {
    Operation* add = DefinedBy(norm->operand(0), OpCode::kAdd);
    if (add == nullptr) return false;
    const ir::Type& sum = add->result(0)->type();
    if (add->operand(0)->type().shape() != sum.shape() || add->operand(1)->type().shape() != sum.shape()) return false;
    size_t pos = f.IndexOf(add);
    if (!DefinedBefore(f, norm->operand(1), pos)) return false;
    ir::Builder b(&f);
    b.SetInsertionPoint(pos);
    Operation* fused = b.Create(OpCode::kAddRmsNorm, {add->operand(0), add->operand(1), norm->operand(1)}, norm->attrs());
    fused->result(0)->set_name(norm->result(0)->name());
    fused->result(1)->set_name(add->result(0)->name());
    ReplaceOp(norm, {fused->result(0)});
    ReplaceOp(add, {fused->result(1)});
    return true;
  }

  static bool FuseGateUpSwiglu(ir::Function& f, Operation* swiglu, size_t pos) {
    std::optional<LinearMatch> gate = MatchLinear(swiglu->operand(0));
    std::optional<LinearMatch> up = MatchLinear(swiglu->operand(1));
    if (!gate || !up || gate->x != up->x || gate->weight->type() != up->weight->type()) return false;
    if (f.CountUses(swiglu->operand(0)) != 1 || f.CountUses(swiglu->operand(1)) != 1) return false;
    ir::Builder b(&f);
    b.SetInsertionPoint(pos);
    b.Named(swiglu->result(0)->name());
    absl::StatusOr<Operation*> fused = b.TryCreate(OpCode::kGateUpSwiglu, {gate->x, gate->weight, up->weight});
    if (!fused.ok()) return false;
    ReplaceOp(swiglu, {(*fused)->result(0)});
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseElementwisePass() { return std::make_unique<FuseElementwisePass>(); }

}  // namespace dsc::passes
