// specialize-moe: replaces the generic moe_experts (one call of the expert body per expert
// that has tokens) by a form chosen from the shapes (model.md §9):
//  - moe_decode when the token count S is static and S·K <= E (decode: S = 1): there is
//    nothing to group, so each token runs only its K selected experts — gate+up in one pass
//    over x, SwiGLU, down-projection accumulated with the routing weight — and the shared
//    expert, when the graph adds one on the same input, joins the same sweep.
//  - moe_grouped otherwise (prefill): (token, slot) pairs counting-sorted by expert, one GEMM
//    per expert over its contiguous block, results scattered back. The shared expert stays a
//    dense FFN over all tokens (already one GEMM per projection).
// Fires only if the body is a SwiGLU unit on its arguments (x, w1, w2, w3); a body that
// computes anything else keeps the generic op. A body no op calls any more is removed.
#include "absl/strings/str_cat.h"
#include "ir/builder.h"
#include "passes/passes.h"
#include "passes/pattern_utils.h"

namespace dsc::passes {
namespace {

using ir::OpCode;
using ir::Operation;
using ir::Value;

bool IsSwigluBody(const ir::Module& module, const Operation& moe) {
  const ir::Function* body = module.FindFunction(std::get<ir::SymbolRef>(moe.attrs().at("body")).name);
  if (body == nullptr || body->arguments().size() != 4 || body->terminator() == nullptr ||
      body->terminator()->num_operands() != 1) {
    return false;
  }
  std::optional<FfnMatch> ffn = MatchSwigluFfn(body->terminator()->operand(0));
  return ffn && ffn->x == body->argument(0) && ffn->w1 == body->argument(1) && ffn->w2 == body->argument(2) &&
         ffn->w3 == body->argument(3);
}

// The single add(routed, F_shared(x)) consuming the routed output, with F_shared's weights.
std::optional<std::pair<Operation*, FfnMatch>> SharedExpert(const ir::Function& f, const Operation& moe) {
  const Value* routed = moe.result(0);
  if (f.CountUses(routed) != 1) return std::nullopt;
  for (const auto& op : f.ops()) {
    if (op->code() != OpCode::kAdd || op->result(0)->type() != routed->type()) continue;
    if (op->operand(0) != routed && op->operand(1) != routed) continue;
    std::optional<FfnMatch> shared = MatchSwigluFfn(op->operand(op->operand(0) == routed ? 1 : 0));
    if (!shared || shared->x != moe.operand(0)) return std::nullopt;
    return std::make_pair(op.get(), *shared);
  }
  return std::nullopt;
}

class SpecializeMoePass : public Pass {
 public:
  std::string_view name() const override { return "specialize-moe"; }

  absl::StatusOr<bool> Run(ir::Module& module) override {
    bool changed = false;
    std::vector<std::string> bodies;
    for (ir::Function* f : Functions(module)) {
      for (size_t i = 0; i < f->num_ops(); ++i) {
        Operation* moe = f->ops()[i].get();
        if (moe->code() != OpCode::kMoeExperts || f->CountUses(moe->result(0)) == 0 || !IsSwigluBody(module, *moe)) {
          continue;
        }
        bodies.push_back(std::get<ir::SymbolRef>(moe->attrs().at("body")).name);
        const ir::Dim& tokens = moe->operand(0)->type().shape().dim(0);
        const int64_t k = moe->operand(1)->type().shape().dim(1).offset();
        const int64_t experts = moe->operand(3)->type().shape().dim(0).offset();
        std::vector<Value*> operands(moe->operands().begin(), moe->operands().end());
        Operation* replaced = moe;
        OpCode form = OpCode::kMoeGrouped;
        if (tokens.is_static() && tokens.offset() * k <= experts) {
          form = OpCode::kMoeDecode;
          if (auto shared = SharedExpert(*f, *moe)) {
            replaced = shared->first;
            operands.insert(operands.end(), {shared->second.w1, shared->second.w2, shared->second.w3});
            Count("shared experts folded");
          }
        }
        // The replacement goes where the last value it replaces is defined, after its inputs.
        size_t pos = f->IndexOf(replaced);
        ir::Builder b(f);
        b.SetInsertionPoint(pos);
        b.Named(replaced->result(0)->name());
        ReplaceOp(replaced, {b.Op(form, std::move(operands))});
        Count(absl::StrCat(std::string(ir::GetOpInfo(form).name), " ops"));
        changed = true;
      }
      EraseDeadOps(*f);
    }
    for (const std::string& body : bodies) {
      bool called = false;
      for (const auto& f : module.functions()) {
        for (const auto& op : f->ops()) {
          for (const auto& [name, value] : op->attrs()) {
            const auto* ref = std::get_if<ir::SymbolRef>(&value);
            called |= ref != nullptr && ref->name == body;
          }
        }
      }
      if (!called && module.EraseFunction(body)) Count("expert bodies removed");
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateSpecializeMoePass() { return std::make_unique<SpecializeMoePass>(); }

}  // namespace dsc::passes
