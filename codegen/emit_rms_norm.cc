// RMS normalization of rows of a compiled-in length (a dsc_rms_norm_fn, runtime/kernel_abi.h):
// the rms_norm op, and the add_rms_norm that passes/fuse_elementwise.cc makes of a residual add
// and the norm after it. Per row:
//     s = x + residual          stored to `sum` (the new residual stream); s = x without one
//     ss = Σ s²                 four vector accumulators
//     inv = rsqrt(ss / dim + eps)   in double, rounded once (as ref::RmsNorm)
//     y = (s · inv) · w
// Why: the reference sums the squares one element at a time, a chain of `dim` dependent adds
// (~4 cycles each: ~2 µs a row at dim = 2048, 81 norms per decode step of `small`). Here the
// chain is dim / (4 · lanes) long. Only the order of that sum differs from the reference.
#include <vector>

#include "codegen/linear_emitters.h"
#include "llvm/IR/Intrinsics.h"

namespace dsc::codegen {

dsc_kernel_info EmitRmsNorm(KernelBuilder& kb, const LinearKernelSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  const int v = kb.lanes();
  const int64_t dim = spec.k;
  constexpr int kAccumulators = 4;
  const int64_t group_end = dim / (kAccumulators * v) * (kAccumulators * v);
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
    llvm::Value* ptr = kb.Gep(kb.F32(), base, offset);
    if (valid == v) {
      ir.CreateAlignedStore(value, ptr, llvm::Align(4));
    } else {
      kb.StoreVecPrefix(value, ptr, kb.Int(valid), 4);
    }
  };

  auto rows_loop = [&](bool add) {
    kb.For(kb.Int(0), rows, 1, add ? "add_row" : "row", [&](llvm::Value* r) {
      llvm::Value* row = ir.CreateMul(r, kb.Int(dim));
      // s at column c of this row, `valid` lanes (zero past them); stored to sum when adding.
      auto s_at = [&](llvm::Value* c, int valid) {
        llvm::Value* offset = ir.CreateAdd(row, c);
        llvm::Value* s = kb.LoadVec(vf, kb.Gep(kb.F32(), x, offset), valid, 4);
        if (add) {
          s = ir.CreateFAdd(s, kb.LoadVec(vf, kb.Gep(kb.F32(), residual, offset), valid, 4));
          store(s, sum, offset, valid);
        }
        return s;
      };
      std::vector<llvm::AllocaInst*> acc(kAccumulators);
      for (llvm::AllocaInst*& a : acc) a = kb.Var(vf, kb.SplatF(v, 0.0f), "squares");
      auto add_square = [&](llvm::AllocaInst* a, llvm::Value* s) {
        ir.CreateStore(kb.FMulAdd(s, s, ir.CreateLoad(vf, a)), a);
      };
      kb.For(kb.Int(0), kb.Int(group_end), kAccumulators * v, "squares", [&](llvm::Value* c) {
        for (int u = 0; u < kAccumulators; ++u) add_square(acc[u], s_at(ir.CreateAdd(c, kb.Int(u * v)), v));
      });
      kb.For(kb.Int(group_end), kb.Int(vector_end), v, "squares1",
             [&](llvm::Value* c) { add_square(acc[0], s_at(c, v)); });
      if (tail > 0) add_square(acc[1], s_at(kb.Int(vector_end), tail));
      llvm::Value* total = ir.CreateFAdd(ir.CreateFAdd(ir.CreateLoad(vf, acc[0]), ir.CreateLoad(vf, acc[1])),
                                         ir.CreateFAdd(ir.CreateLoad(vf, acc[2]), ir.CreateLoad(vf, acc[3])));
      llvm::Value* mean = ir.CreateFAdd(
          ir.CreateFDiv(kb.HorizontalSum(total), llvm::ConstantFP::get(kb.F32(), static_cast<float>(dim))), eps);
      llvm::Value* root = ir.CreateIntrinsic(llvm::Intrinsic::sqrt, {ir.getDoubleTy()},
                                             {ir.CreateFPExt(mean, ir.getDoubleTy())});
      llvm::Value* inv = ir.CreateFPTrunc(ir.CreateFDiv(llvm::ConstantFP::get(ir.getDoubleTy(), 1.0), root), kb.F32());
      llvm::Value* inv_v = kb.Splat(v, inv);
      // y = (s · inv) · w; s read back (from sum when adding: those lines are in L1).
      llvm::Value* source = add ? sum : x;
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

  dsc_kernel_info info{};
  info.abi_version = DSC_KERNEL_ABI_VERSION;
  info.format = DSC_KERNEL_RMS_NORM;
  info.n = dim;
  info.k = dim;
  info.m_static = 1;
  info.row_align = 1;
  info.scratch_m_align = 1;  // no scratch
  return info;
}

}  // namespace dsc::codegen
