// fuse-quantized-matmul: matmul(x, dequantize(W)) -> quantized_matmul(x, W) for NVFP4 and
// FP8-block weights, in every function in scope (expert bodies included), so a kernel reads
// W in its packed form instead of a float32 copy. A dequantize with other users stays for
// them; one left without users is removed. Does not fire on float weights (already plain),
// on a dequantized value used as the activation, or on stacked [E, N, K] dequantizes.
#include "absl/strings/str_cat.h"
#include "ir/builder.h"
#include "passes/passes.h"
#include "passes/pattern_utils.h"

namespace dsc::passes {
namespace {

using ir::OpCode;
using ir::Operation;

class FuseQuantizedMatmulPass : public Pass {
 public:
  std::string_view name() const override { return "fuse-quantized-matmul"; }

  absl::StatusOr<bool> Run(ir::Module& module) override {
    bool changed = false;
    for (ir::Function* f : Functions(module)) {
      for (size_t i = 0; i < f->num_ops(); ++i) {
        Operation* op = f->ops()[i].get();
        if (op->code() != OpCode::kMatmul) continue;
        Operation* dq = DefinedBy(op->operand(1), OpCode::kDequantize);
        if (dq == nullptr || dq->operand(0)->type().rank() != 2) continue;
        ir::Value* w = dq->operand(0);
        ir::Builder b(f);
        b.SetInsertionPoint(i);
        b.Named(op->result(0)->name());
        ReplaceOp(op, {b.Op(OpCode::kQuantizedMatmul, {op->operand(0), w})});
        Count(absl::StrCat(std::string(ir::QuantFormatName(w->type().format())), " matmuls fused"));
        changed = true;
        ++i;
      }
      EraseDeadOps(*f);
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> CreateFuseQuantizedMatmulPass() { return std::make_unique<FuseQuantizedMatmulPass>(); }

}  // namespace dsc::passes
