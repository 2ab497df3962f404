// SwiGLU, the epilogue of the gate/up products (a dsc_swiglu_fn, runtime/kernel_abi.h):
//     y = gate / (1 + exp(-gate)) · up          in the reference's order of operations
// over a run-time length, a vector at a time and a masked tail.
//
// The exp is computed here (kernels call no libm): Cody–Waite reduction x = n·ln2 + r with the
// round-to-nearest n taken from the bits of x·log2(e) + 1.5·2^23 (no float-to-int conversion,
// so a NaN input stays a NaN), Cephes' degree-6 polynomial for e^r on [-ln2/2, ln2/2], and 2^n
// applied as 2^(n-1) · 2 so that n = 128 still overflows to infinity as it should. Inputs are
// clamped to [-86.5, 88.72283935546875]: below, e^x (< 2.6e-38) leaves 1 + e^x = 1 exactly as a
// smaller one would; above, the result is +inf (silu = -0, as the reference's).
#include <cmath>

#include "codegen/linear_emitters.h"

namespace dsc::codegen {
namespace {

llvm::Value* Exp(KernelBuilder& kb, llvm::Value* x) {
  llvm::IRBuilder<>& ir = kb.ir();
  const int v = kb.lanes();
  auto c = [&](float value) { return kb.SplatF(v, value); };
  constexpr float kMax = 88.72283935546875f, kMin = -86.5f, kShift = 12582912.0f;  // 1.5 · 2^23
  // Clamp with compares (minnum / maxnum would turn a NaN into a bound).
  llvm::Value* xc = ir.CreateSelect(ir.CreateFCmpOLT(x, c(kMin)), c(kMin), x);
  xc = ir.CreateSelect(ir.CreateFCmpOGT(xc, c(kMax)), c(kMax), xc);
  llvm::Value* t = ir.CreateFAdd(ir.CreateFMul(xc, c(1.44269504088896341f)), c(kShift));
  llvm::Value* n = ir.CreateFSub(t, c(kShift));  // round(x · log2 e), exact
  llvm::Value* r = ir.CreateFSub(xc, ir.CreateFMul(n, c(0.693359375f)));
  r = ir.CreateFSub(r, ir.CreateFMul(n, c(-2.12194440e-4f)));
  llvm::Value* p = c(1.9875691500e-4f);
  for (float coefficient : {1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f}) {
    p = kb.FMulAdd(p, r, c(coefficient));
  }
  llvm::Value* e = ir.CreateFAdd(kb.FMulAdd(ir.CreateFMul(p, r), r, r), c(1.0f));
  // 2^(n-1): t's low mantissa bits hold n + 2^22 (t = 1.5 · 2^23 + n).
  llvm::FixedVectorType* vi = kb.Vec(kb.I32(), v);
  llvm::Value* n_int = ir.CreateSub(ir.CreateBitCast(t, vi), kb.SplatI(kb.I32(), v, 0x4B400000));
  llvm::Value* half_scale =
      ir.CreateBitCast(ir.CreateShl(ir.CreateAdd(n_int, kb.SplatI(kb.I32(), v, 126)), kb.SplatI(kb.I32(), v, 23)),
                       kb.VecF());
  e = ir.CreateFMul(ir.CreateFMul(e, half_scale), c(2.0f));
  return ir.CreateSelect(ir.CreateFCmpOGT(x, c(kMax)), c(INFINITY), e);
}

}  // namespace

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
    llvm::Value* denominator = ir.CreateFAdd(kb.SplatF(v, 1.0f), Exp(kb, ir.CreateFNeg(g)));
    return ir.CreateFMul(ir.CreateFDiv(g, denominator), u);
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

  dsc_kernel_info info{};
  info.abi_version = DSC_KERNEL_ABI_VERSION;
  info.format = DSC_KERNEL_SWIGLU;
  info.n = 1;
  info.k = 1;
  info.m_static = 1;
  info.row_align = 1;
  info.scratch_m_align = 1;  // no scratch
  return info;
}

}  // namespace dsc::codegen
