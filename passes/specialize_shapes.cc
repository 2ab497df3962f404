// specialize-shapes: uses what the shapes say to drop work the generic ops would do for nothing.
//
// Decode already has S = 1 as a static dim (the frontend declares @decode with it), and its KV
// length T = P+1 is symbolic but bounded by the cache capacity. Two facts follow:
//  1. A single query at position `start` over keys [0, start+1) sees only past keys, so the
//     causal flag of attention / indexer_score / mla_decode_attention is a no-op: cleared
//     (model.md §7b "no causal mask", §8.7 "Decode: no mask").
//  2. sparse_topk_mask{k} selects every key when T <= k; when T's bound (a static T, or the
//     capacity of the cache the scores were computed over) is <= k, the mask is all zeros and
//     is dropped from its attention ops — DCE then removes the indexer's score computation
//     (its cache writes stay). This fires when index_topk >= the context (model.md §8.9).
// Prefill bucketing (padding S to a few static sizes) does not pay for the interpreter and
// is left to the code generator.
#include "ir/builder.h"
#include "passes/passes.h"
#include "passes/pattern_utils.h"

namespace dsc::passes {
namespace {

using ir::Dim;
using ir::OpCode;
using ir::Operation;

// Index of the key-length operand (its dim 0 is T) of the ops with a causal flag.
int KeyOperand(OpCode code) {
  switch (code) {
    case OpCode::kAttention: return 1;
    case OpCode::kIndexerScore: return 2;
    case OpCode::kMlaDecodeAttention: return 2;
    default: return -1;
  }
}

bool SingleQueryAtLastPosition(const Operation& op) {
  const Dim& queries = op.operand(0)->type().shape().dim(0);
  const Dim& keys = op.operand(KeyOperand(op.code()))->type().shape().dim(0);
  return queries == Dim(1) && keys == ir::GetDim(op.attrs(), "start") + Dim(1);
}

// An upper bound of the key count of sparse_topk_mask's scores, or -1 if unknown.
int64_t KeyBound(const Operation& mask) {
  const Dim& t = mask.operand(0)->type().shape().dim(1);
  if (t.is_static()) return t.offset();
  Operation* score = DefinedBy(mask.operand(0), OpCode::kIndexerScore);
  Operation* read = score != nullptr ? DefinedBy(score->operand(2), OpCode::kCacheRead) : nullptr;
  return read != nullptr ? read->operand(0)->type().shape().dim(0).offset() : -1;
}

// The operand index of an additive mask in ops that take one, or -1.
int MaskOperand(const Operation& op) {
  if (op.code() == OpCode::kAttention && op.num_operands() == 4) return 3;
  if (op.code() == OpCode::kMlaDecodeAttention && op.num_operands() == 6) return 5;
  return -1;
}

class SpecializeShapesPass : public Pass {
 public:
  std::string_view name() const override { return "specialize-shapes"; }

  absl::StatusOr<bool> Run(ir::Module& module) override {
    bool changed = false;
    for (ir::Function* f : Functions(module)) {
      for (size_t i = 0; i < f->num_ops(); ++i) {
        Operation* op = f->ops()[i].get();
        if (KeyOperand(op->code()) >= 0 && ir::GetBool(op->attrs(), "causal") && SingleQueryAtLastPosition(*op)) {
          op->mutable_attrs()["causal"] = false;
          Count("causal masks dropped");
          changed = true;
        }
        int m = MaskOperand(*op);
        Operation* mask = m >= 0 ? DefinedBy(op->operand(m), OpCode::kSparseTopkMask) : nullptr;
        if (mask == nullptr) continue;
        int64_t bound = KeyBound(*mask);
        if (bound < 0 || bound > ir::GetInt(mask->attrs(), "k")) continue;
        std::vector<ir::Value*> operands(op->operands().begin(), op->operands().begin() + m);
        ir::Builder b(f);
        b.SetInsertionPoint(i);
        b.Named(op->result(0)->name());
        ReplaceOp(op, {b.Op(op->code(), std::move(operands), op->attrs())});
        Count("select-all sparse masks dropped");
        changed = true;
        ++i;
      }
      EraseDeadOps(*f);
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateSpecializeShapesPass() { return std::make_unique<SpecializeShapesPass>(); }

}  // namespace dsc::passes
