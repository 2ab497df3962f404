// SwiGLU, the epilogue of the gate and up products (a dsc_swiglu_fn, runtime/kernel_abi.h):
//     y = gate / (1 + exp(−gate)) · up          in the reference's order of operations
// over a run-time length, a vector at a time and a masked tail. The exp is numerics::ExpF, the
// reference's since it too moved off glibc's expf (EmitExpShifted, emit_exp.cc), so the kernel
// is bit-identical to ref::SwiGlu. (An earlier kernel with its own exp was within 2 ulps of
// glibc's and flipped a greedy token of `small` against the interpreter at step 146.)
#include "codegen/linear_emitters.h"

namespace dsc::codegen {

dsc_kernel_info EmitSwiGlu(KernelBuilder& kb, const LinearKernelSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  const int v = kb.lanes();
  llvm::Value* args = nullptr;
  kb.BeginFunction(spec.Name(), &args);
  // dsc_swiglu_args: ptr gate, up, y; i64 n.
  auto* st = llvm::StructType::get(kb.context(), {kb.Ptr(), kb.Ptr(), kb.Ptr(), kb.I64()});
  llvm::Value* gate = kb.LoadField(st, args, 0, "gate");
  llvm::Value* up = kb.LoadField(st, args, 1, "up");
  llvm::Value* y = kb.LoadField(st, args, 2, "y");
  llvm::Value* n = kb.LoadField(st, args, 3, "n");
  llvm::FixedVectorType* vf = kb.VecF();

  auto swiglu = [&](llvm::Value* g, llvm::Value* u) {
    llvm::Value* e = EmitExpShifted(kb, ir.CreateFNeg(g), kb.SplatF(v, 0.0f));  // ExpF(−g)
    return ir.CreateFMul(ir.CreateFDiv(g, ir.CreateFAdd(kb.SplatF(v, 1.0f), e)), u);
  };
  llvm::Value* vector_end = ir.CreateAnd(n, kb.Int(-static_cast<int64_t>(v)));
  kb.For(kb.Int(0), vector_end, v, "swiglu", [&](llvm::Value* i) {
    llvm::Value* g = ir.CreateAlignedLoad(vf, kb.Gep(kb.F32(), gate, i), llvm::Align(4));
    llvm::Value* u = ir.CreateAlignedLoad(vf, kb.Gep(kb.F32(), up, i), llvm::Align(4));
    ir.CreateAlignedStore(swiglu(g, u), kb.Gep(kb.F32(), y, i), llvm::Align(4));
  });
  llvm::Value* tail = ir.CreateSub(n, vector_end);
  kb.If(ir.CreateICmpSGT(tail, kb.Int(0)), [&] {
    llvm::Value* g = kb.LoadVecPrefix(vf, kb.Gep(kb.F32(), gate, vector_end), tail, 4);
    llvm::Value* u = kb.LoadVecPrefix(vf, kb.Gep(kb.F32(), up, vector_end), tail, 4);
    kb.StoreVecPrefix(swiglu(g, u), kb.Gep(kb.F32(), y, vector_end), tail, 4);
  });
  ir.CreateRetVoid();
  return NonLinearInfo(DSC_KERNEL_SWIGLU, 1, 1);
}

}  // namespace dsc::codegen
