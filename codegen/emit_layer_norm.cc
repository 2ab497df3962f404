// Layer normalization of rows of a compiled-in length (a dsc_layer_norm_fn, runtime/kernel_abi.h):
// the layer_norm op (the indexer's key norm, model.md §8). Per row:
//     mean = (Σ x) / dim                 one element at a time, in increasing order
//     ss = Σ (x − mean)²                 the same, each difference and square rounded
//     inv = rsqrt(ss / dim + eps)        in double, rounded once
//     y = ((x − mean) · inv) · γ + β     a vector at a time, every operation rounded (no FMA)
// Bit-identical to ref::LayerNorm: the two sums keep its serial order for the reason
// emit_rms_norm.cc gives (a reordered sum moves the output by an ulp, and the normed keys feed
// the indexer's FP8 rounding and top-k).
#include "codegen/linear_emitters.h"

namespace dsc::codegen {

dsc_kernel_info EmitLayerNorm(KernelBuilder& kb, const LinearKernelSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  const int v = kb.lanes();
  const int64_t dim = spec.k;
  const int64_t vector_end = dim / v * v;
  const int tail = static_cast<int>(dim - vector_end);  // masked lanes

  llvm::Value* args = nullptr;
  kb.BeginFunction(spec.Name(), &args);
  // dsc_layer_norm_args: ptr x, gamma, beta, y; i64 rows; float eps; i32 reserved.
  auto* st = llvm::StructType::get(
      kb.context(), {kb.Ptr(), kb.Ptr(), kb.Ptr(), kb.Ptr(), kb.I64(), kb.F32(), kb.I32()});
  llvm::Value* x = kb.LoadField(st, args, 0, "x");
  llvm::Value* gamma = kb.LoadField(st, args, 1, "gamma");
  llvm::Value* beta = kb.LoadField(st, args, 2, "beta");
  llvm::Value* y = kb.LoadField(st, args, 3, "y");
  llvm::Value* rows = kb.LoadField(st, args, 4, "rows");
  llvm::Value* eps = kb.LoadField(st, args, 5, "eps");
  llvm::FixedVectorType* vf = kb.VecF();
  llvm::Value* dim_f = llvm::ConstantFP::get(kb.F32(), static_cast<float>(dim));

  kb.For(kb.Int(0), rows, 1, "row", [&](llvm::Value* r) {
    llvm::Value* row = ir.CreateMul(r, kb.Int(dim));
    auto element = [&](llvm::Value* c) {
      return ir.CreateLoad(kb.F32(), kb.Gep(kb.F32(), x, ir.CreateAdd(row, c)));
    };
    // Σ x, then Σ (x − mean)², each in increasing order (the reference's order exactly).
    llvm::AllocaInst* total = kb.Var(kb.F32(), llvm::ConstantFP::get(kb.F32(), 0.0f), "total");
    kb.For(kb.Int(0), kb.Int(dim), 1, "sum", [&](llvm::Value* c) {
      ir.CreateStore(ir.CreateFAdd(ir.CreateLoad(kb.F32(), total), element(c)), total);
    });
    llvm::Value* mean = ir.CreateFDiv(ir.CreateLoad(kb.F32(), total), dim_f, "mean");
    llvm::AllocaInst* squares = kb.Var(kb.F32(), llvm::ConstantFP::get(kb.F32(), 0.0f), "squares");
    kb.For(kb.Int(0), kb.Int(dim), 1, "squares", [&](llvm::Value* c) {
      llvm::Value* d = ir.CreateFSub(element(c), mean);
      ir.CreateStore(ir.CreateFAdd(ir.CreateLoad(kb.F32(), squares), ir.CreateFMul(d, d)), squares);
    });
    llvm::Value* variance =
        ir.CreateFAdd(ir.CreateFDiv(ir.CreateLoad(kb.F32(), squares), dim_f), eps);
    llvm::Value* inv_v = kb.Splat(v, RsqrtRoundedOnce(kb, variance));
    llvm::Value* mean_v = kb.Splat(v, mean);
    // y = ((x − mean) · inv) · γ + β, `valid` lanes at column c.
    auto normalize_at = [&](llvm::Value* c, int valid) {
      llvm::Value* offset = ir.CreateAdd(row, c);
      llvm::Value* xv = kb.LoadVec(vf, kb.Gep(kb.F32(), x, offset), valid, 4);
      llvm::Value* g = kb.LoadVec(vf, kb.Gep(kb.F32(), gamma, c), valid, 4);
      llvm::Value* b = kb.LoadVec(vf, kb.Gep(kb.F32(), beta, c), valid, 4);
      llvm::Value* out =
          ir.CreateFAdd(ir.CreateFMul(ir.CreateFMul(ir.CreateFSub(xv, mean_v), inv_v), g), b);
      StoreLanes(kb, out, kb.Gep(kb.F32(), y, offset), valid);
    };
    kb.For(kb.Int(0), kb.Int(vector_end), v, "normalize",
           [&](llvm::Value* c) { normalize_at(c, v); });
    if (tail > 0) normalize_at(kb.Int(vector_end), tail);
  });
  ir.CreateRetVoid();

  return NonLinearInfo(DSC_KERNEL_LAYER_NORM, dim, dim);
}

}  // namespace dsc::codegen
