// absorb-mla: rewrites MLA attention in the expanded form the frontend declares (model.md §7a:
// K/V of every cached position expanded through W_kvb) into the absorbed form §7b, the op
// mla_decode_attention, which folds W_UK into the query and W_UV into the output per head and
// attends over the cached latent directly: per token O(H·R·(d_n+d_v) + T·H·(R+d_r)) instead
// of O(T·H·R·(d_n+d_v)). Pattern, with kvb = linear(kv, W_kvb) in any form:
//   k_nope, v = split(reshape(kvb, [T,H,dn+dv]), axis 2, [dn, dv])
//   k = concat(k_nope, broadcast(reshape(pe, [T,1,dr]), [T,H,dr]), axis 2)
//   o = attention(concat(q_nope, q_pe, axis 2), k, v [, mask])
// Fires only for a static single query (decode): for S queries the absorbed form costs S times
// the latent attention, and the expanded form wins for prefill chunks.
#include "ir/builder.h"
#include "passes/passes.h"
#include "passes/pattern_utils.h"

namespace dsc::passes {
namespace {

using ir::Dim;
using ir::OpCode;
using ir::Operation;
using ir::Value;

// The two operands of concat(a, b) along the last of three axes, or nullptr.
Operation* Concat2OnLastAxis(const Value* v) {
  Operation* c = DefinedBy(v, OpCode::kConcat);
  if (c == nullptr || c->num_operands() != 2) return nullptr;
  int64_t axis = ir::GetInt(c->attrs(), "axis");
  return axis == 2 || axis == -1 ? c : nullptr;
}

struct MlaMatch {
  Value* q_nope;
  Value* q_pe;
  Value* kv;
  Value* pe;
  Value* w;
};

std::optional<MlaMatch> Match(const Operation& attn) {
  if (attn.operand(0)->type().shape().dim(0) != Dim(1)) return std::nullopt;
  Operation* q = Concat2OnLastAxis(attn.operand(0));
  Operation* k = Concat2OnLastAxis(attn.operand(1));
  if (q == nullptr || k == nullptr) return std::nullopt;
  // Values and non-rotary keys: the two halves of one split of the expanded latent.
  Operation* split = DefinedBy(attn.operand(2), OpCode::kSplit);
  if (split == nullptr || split->num_results() != 2 || attn.operand(2) != split->result(1) ||
      k->operand(0) != split->result(0)) {
    return std::nullopt;
  }
  int64_t axis = ir::GetInt(split->attrs(), "axis");
  Operation* reshape = DefinedBy(split->operand(0), OpCode::kReshape);
  if ((axis != 2 && axis != -1) || reshape == nullptr) return std::nullopt;
  // Head h of the expanded row must be rows h·(dn+dv) .. of W_kvb: a [T, H·(dn+dv)] product
  // viewed as [T, H, dn+dv].
  const ir::Shape& heads = reshape->result(0)->type().shape();
  const ir::Shape& flat = reshape->operand(0)->type().shape();
  if (flat.rank() != 2 || heads.dim(0) != flat.dim(0) || heads.dim(1) != attn.operand(0)->type().shape().dim(1)) {
    return std::nullopt;
  }
  std::optional<LinearMatch> kvb = MatchLinear(reshape->operand(0));
  if (!kvb || kvb->x->type().rank() != 2) return std::nullopt;
  // The rotary key: one row per position, broadcast over the heads.
  Operation* bcast = DefinedBy(k->operand(1), OpCode::kBroadcast);
  Operation* pe_rows = bcast != nullptr ? DefinedBy(bcast->operand(0), OpCode::kReshape) : nullptr;
  if (pe_rows == nullptr || pe_rows->operand(0)->type().rank() != 2) return std::nullopt;
  const ir::Shape& pe = pe_rows->operand(0)->type().shape();
  if (pe_rows->result(0)->type().shape() != ir::Shape{pe.dim(0), Dim(1), pe.dim(1)}) return std::nullopt;
  MlaMatch m{q->operand(0), q->operand(1), kvb->x, pe_rows->operand(0), kvb->weight};
  // The split must cut [dn | dv] with dn the query's nope width; the op's verifier checks the rest.
  if (split->result(0)->type().shape().dim(2) != m.q_nope->type().shape().dim(2)) return std::nullopt;
  return m;
}

class AbsorbMlaPass : public Pass {
 public:
  std::string_view name() const override { return "absorb-mla"; }

  absl::StatusOr<bool> Run(ir::Module& module) override {
    bool changed = false;
    for (ir::Function* f : Functions(module)) {
      for (size_t i = 0; i < f->num_ops(); ++i) {
        Operation* attn = f->ops()[i].get();
        if (attn->code() != OpCode::kAttention) continue;
        std::optional<MlaMatch> m = Match(*attn);
        if (!m) continue;
        std::vector<Value*> operands = {m->q_nope, m->q_pe, m->kv, m->pe, m->w};
        if (attn->num_operands() == 4) operands.push_back(attn->operand(3));
        ir::Builder b(f);
        b.SetInsertionPoint(i);
        b.Named(attn->result(0)->name());
        absl::StatusOr<Operation*> absorbed = b.TryCreate(OpCode::kMlaDecodeAttention, operands, attn->attrs());
        // Shapes outside the op's contract: keep the expanded form (a created op dies below).
        if (!absorbed.ok()) continue;
        ++i;
        if ((*absorbed)->result(0)->type() != attn->result(0)->type()) continue;
        ReplaceOp(attn, {(*absorbed)->result(0)});
        Count("attentions absorbed");
        changed = true;
      }
      EraseDeadOps(*f);
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateAbsorbMlaPass() { return std::make_unique<AbsorbMlaPass>(); }

}  // namespace dsc::passes
