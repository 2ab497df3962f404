// numerics::ExpF re-emitted as IR, lane by lane (linear_emitters.h): attention softmaxes in
// compiled kernels must give the bits the reference's numerics/exp.cc gives. The same
// operations in the same order, in double precision, with no fused multiply-add; the 16-entry
// table is looked up lane by lane from a constant vector (LLVM lowers it per ISA).
#include <cstring>
#include <limits>
#include <vector>

#include "codegen/linear_emitters.h"
#include "numerics/exp_constants.h"

namespace dsc::codegen {

llvm::Value* EmitExpShifted(KernelBuilder& kb, llvm::Value* in, llvm::Value* shift) {
  using namespace numerics::exp_constants;  // NOLINT: ExpF's constants, bit for bit
  llvm::IRBuilder<>& ir = kb.ir();
  const int lanes = static_cast<int>(llvm::cast<llvm::FixedVectorType>(in->getType())->getNumElements());
  llvm::FixedVectorType* vf = kb.Vec(kb.F32(), lanes);
  llvm::Type* f64 = ir.getDoubleTy();
  llvm::FixedVectorType* vd = kb.Vec(f64, lanes);
  llvm::FixedVectorType* vi = kb.Vec(kb.I64(), lanes);
  auto d = [&](double v) {
    return llvm::ConstantVector::getSplat(llvm::ElementCount::getFixed(lanes), llvm::ConstantFP::get(f64, v));
  };
  auto i = [&](int64_t v) { return kb.SplatI(kb.I64(), lanes, static_cast<uint64_t>(v)); };
  llvm::Value* x = ir.CreateFSub(in, shift);
  llvm::Value* xd = ir.CreateFPExt(x, vd);
  xd = ir.CreateSelect(ir.CreateFCmpOLT(xd, d(kLow)), d(kLow), xd);  // NaN lanes stay NaN
  xd = ir.CreateSelect(ir.CreateFCmpOGT(xd, d(kHigh)), d(kHigh), xd);
  llvm::Value* zz = ir.CreateFMul(xd, d(kInvLn2Times16));
  llvm::Value* shifted = ir.CreateFAdd(zz, d(kRoundShift));
  llvm::Value* kd = ir.CreateFSub(shifted, d(kRoundShift));
  llvm::Value* r = ir.CreateFSub(zz, kd);
  llvm::Value* poly = ir.CreateFAdd(d(kC3), ir.CreateFMul(r, d(kC4)));
  poly = ir.CreateFAdd(d(kC2), ir.CreateFMul(r, poly));
  poly = ir.CreateFAdd(d(kC1), ir.CreateFMul(r, poly));
  poly = ir.CreateFAdd(d(1.0), ir.CreateFMul(r, poly));
  llvm::Value* k = ir.CreateSub(ir.CreateBitCast(shifted, vi), i(kRoundShiftBits));
  llvm::Value* index = ir.CreateAnd(k, i(15));
  std::vector<llvm::Constant*> table(16);
  for (int j = 0; j < 16; ++j) {
    int64_t bits = 0;
    std::memcpy(&bits, &kTable[j], sizeof(bits));
    table[j] = llvm::ConstantInt::get(kb.I64(), static_cast<uint64_t>(bits));
  }
  llvm::Constant* table_vector = llvm::ConstantVector::get(table);
  llvm::Value* looked_up = llvm::PoisonValue::get(vi);
  for (int lane = 0; lane < lanes; ++lane) {
    llvm::Value* entry = ir.CreateExtractElement(table_vector, ir.CreateExtractElement(index, lane));
    looked_up = ir.CreateInsertElement(looked_up, entry, lane);
  }
  llvm::Value* bits = ir.CreateAdd(looked_up, ir.CreateShl(ir.CreateAShr(k, i(4)), i(52)));
  llvm::Value* out = ir.CreateFPTrunc(ir.CreateFMul(ir.CreateBitCast(bits, vd), poly), vf);
  out = ir.CreateSelect(ir.CreateFCmpUNE(x, x), x, out);
  const float inf = std::numeric_limits<float>::infinity();
  return ir.CreateSelect(ir.CreateFCmpOEQ(in, kb.SplatF(lanes, -inf)), kb.SplatF(lanes, 0.0f), out);
}


}  // namespace dsc::codegen
