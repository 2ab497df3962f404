// RMS normalization of rows of a compiled-in length (a dsc_rms_norm_fn, runtime/kernel_abi.h):
// the rms_norm op, and the add_rms_norm that passes/fuse_elementwise.cc makes of a residual add
// and the norm after it. Per row:
//     s = x + residual          a vector at a time, stored to `sum` (the new residual stream);
//                               s = x without one
//     ss = Σ s²                 one element at a time, in increasing order
//     inv = rsqrt(ss / dim + eps)   in double, rounded once
//     y = (s · inv) · w         a vector at a time
// Bit-identical to ref::RmsNorm. The sum of squares keeps the reference's serial order on
// purpose: a vectorized sum (four accumulators) was tried and changed the norm's output by an
// ulp here and there, and on `small` that flipped a greedy token against the interpreter at
// step 45 of "def add(a, b):" (through the indexer's FP8 rounding of the normed query). The
// chain costs ~2 µs a row at dim = 2048, a small part of a decode step.
#include <vector>

#include "codegen/linear_emitters.h"
#include "llvm/IR/Intrinsics.h"

namespace dsc::codegen {

dsc_kernel_info EmitRmsNorm(KernelBuilder& kb, const LinearKernelSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  const int v = kb.lanes();
  const int64_t dim = spec.k;
  const int64_t vector_end = dim / v * v;
  const int tail = static_cast<int>(dim - vector_end);  // masked lanes

  llvm::Value* args = nullptr;
  kb.BeginFunction(spec.Name(), &args);
  // dsc_rms_norm_args: ptr x, residual, sum, weight, y; i64 rows; float eps; i32 reserved.
  auto* st = llvm::StructType::get(kb.context(),
                                   {kb.Ptr(), kb.Ptr(), kb.Ptr(), kb.Ptr(), kb.Ptr(), kb.I64(), kb.F32(), kb.I32()});
  llvm::Value* x = kb.LoadField(st, args, 0, "x");
  llvm::Value* residual = kb.LoadField(st, args, 1, "residual");
  llvm::Value* sum = kb.LoadField(st, args, 2, "sum");
  llvm::Value* weight = kb.LoadField(st, args, 3, "weight");
  llvm::Value* y = kb.LoadField(st, args, 4, "y");
  llvm::Value* rows = kb.LoadField(st, args, 5, "rows");
  llvm::Value* eps = kb.LoadField(st, args, 6, "eps");
  llvm::FixedVectorType* vf = kb.VecF();

  // Stores `valid` lanes of `value` at element `offset` of `base`.
  auto store = [&](llvm::Value* value, llvm::Value* base, llvm::Value* offset, int valid) {
    StoreLanes(kb, value, kb.Gep(kb.F32(), base, offset), valid);
  };

  auto rows_loop = [&](bool add) {
    kb.For(kb.Int(0), rows, 1, add ? "add_row" : "row", [&](llvm::Value* r) {
      llvm::Value* row = ir.CreateMul(r, kb.Int(dim));
      // The residual add, a vector at a time: sum = x + residual.
      if (add) {
        auto add_at = [&](llvm::Value* c, int valid) {
          llvm::Value* offset = ir.CreateAdd(row, c);
          llvm::Value* x_v = kb.LoadVec(vf, kb.Gep(kb.F32(), x, offset), valid, 4);
          store(ir.CreateFAdd(x_v, kb.LoadVec(vf, kb.Gep(kb.F32(), residual, offset), valid, 4)), sum, offset, valid);
        };
        kb.For(kb.Int(0), kb.Int(vector_end), v, "add", [&](llvm::Value* c) { add_at(c, v); });
        if (tail > 0) add_at(kb.Int(vector_end), tail);
      }
      // Σ s², one element at a time in increasing order, each square rounded before its add:
      // the reference's order exactly (see the top of the file).
      llvm::Value* source = add ? sum : x;
      llvm::AllocaInst* squares = kb.Var(kb.F32(), llvm::ConstantFP::get(kb.F32(), 0.0f), "squares");
      kb.For(kb.Int(0), kb.Int(dim), 1, "squares", [&](llvm::Value* c) {
        llvm::Value* e = ir.CreateLoad(kb.F32(), kb.Gep(kb.F32(), source, ir.CreateAdd(row, c)));
        ir.CreateStore(ir.CreateFAdd(ir.CreateLoad(kb.F32(), squares), ir.CreateFMul(e, e)), squares);
      });
      llvm::Value* total = ir.CreateLoad(kb.F32(), squares);
      llvm::Value* mean =
          ir.CreateFAdd(ir.CreateFDiv(total, llvm::ConstantFP::get(kb.F32(), static_cast<float>(dim))), eps);
      llvm::Value* inv_v = kb.Splat(v, RsqrtRoundedOnce(kb, mean));
      // y = (s · inv) · w; s read back (from sum when adding: those lines are in L1).
      auto scale_at = [&](llvm::Value* c, int valid) {
        llvm::Value* offset = ir.CreateAdd(row, c);
        llvm::Value* s = kb.LoadVec(vf, kb.Gep(kb.F32(), source, offset), valid, 4);
        llvm::Value* w = kb.LoadVec(vf, kb.Gep(kb.F32(), weight, c), valid, 4);
        store(ir.CreateFMul(ir.CreateFMul(s, inv_v), w), y, offset, valid);
      };
      kb.For(kb.Int(0), kb.Int(vector_end), v, "scale", [&](llvm::Value* c) { scale_at(c, v); });
      if (tail > 0) scale_at(kb.Int(vector_end), tail);
    });
  };
  kb.If(ir.CreateIsNotNull(residual), [&] { rows_loop(true); });
  kb.If(ir.CreateIsNull(residual), [&] { rows_loop(false); });
  ir.CreateRetVoid();

  return NonLinearInfo(DSC_KERNEL_RMS_NORM, dim, dim);
}

}  // namespace dsc::codegen
