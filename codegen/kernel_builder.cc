// KernelBuilder: the ISA choice and the per-ISA decoders; everything else is plain IR.
#include "codegen/kernel_builder.h"

#include <cstddef>

#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/IntrinsicsX86.h"
#include "runtime/kernel_abi.h"

namespace dsc::codegen {

// The LLVM struct below mirrors dsc_linear_args field by field.
static_assert(offsetof(dsc_linear_args, w_global_scale) == 32);
static_assert(offsetof(dsc_linear_args, m) == 40);
static_assert(offsetof(dsc_linear_args, scratch) == 80);
static_assert(sizeof(dsc_linear_args) == 88);

Isa SelectIsa(const TargetCpu& t) {
  if (t.Has("avx512f") && t.Has("avx512bw") && t.Has("avx512vl") && t.Has("f16c") && t.Has("fma")) {
    return Isa::kAvx512;
  }
  if (t.Has("avx2") && t.Has("fma") && t.Has("f16c")) return Isa::kAvx2;
  return Isa::kGeneric;
}

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kGeneric:
      return "generic";
  }
  return "?";
}

KernelBuilder::KernelBuilder(llvm::Module& module, const TargetCpu& target)
    : module_(module),
      target_(target),
      isa_(SelectIsa(target)),
      lanes_(isa_ == Isa::kAvx512 ? 16
             : isa_ == Isa::kAvx2 ? 8
                                  : 4),
      ir_(module.getContext()) {}

llvm::Constant* KernelBuilder::SplatF(int n, float v) {
  return llvm::ConstantVector::getSplat(llvm::ElementCount::getFixed(n),
                                        llvm::ConstantFP::get(F32(), v));
}

llvm::Constant* KernelBuilder::SplatI(llvm::Type* element, int n, uint64_t v) {
  return llvm::ConstantVector::getSplat(llvm::ElementCount::getFixed(n),
                                        llvm::ConstantInt::get(element, v));
}

llvm::Function* KernelBuilder::BeginFunction(const std::string& name, llvm::Value** args) {
  auto* fn_type = llvm::FunctionType::get(ir_.getVoidTy(), {Ptr()}, false);
  auto* fn = llvm::Function::Create(fn_type, llvm::Function::ExternalLinkage, name, module_);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  fn->addFnAttr(llvm::Attribute::NoSync);
  fn->addFnAttr(llvm::Attribute::NoFree);
  fn->addFnAttr("target-cpu", target_.cpu);
  fn->addFnAttr("target-features", target_.FeatureString());
  if (isa_ == Isa::kAvx512) {
    // Without these X86 splits 512-bit vectors in two on CPUs that "prefer" 256-bit ones.
    fn->addFnAttr("prefer-vector-width", "512");
    fn->addFnAttr("min-legal-vector-width", "512");
  }
  llvm::Argument* a = fn->getArg(0);
  a->setName("args");
  a->addAttr(llvm::Attribute::NoAlias);
  a->addAttr(llvm::Attribute::ReadOnly);
  ir_.SetInsertPoint(llvm::BasicBlock::Create(context(), "entry", fn));
  *args = a;
  return fn;
}

llvm::Value* KernelBuilder::LoadField(llvm::StructType* fields, llvm::Value* args, unsigned i,
                                      const char* name) {
  return ir_.CreateLoad(fields->getElementType(i), ir_.CreateStructGEP(fields, args, i), name);
}

llvm::Function* KernelBuilder::BeginLinearFunction(const std::string& name, LinearArgs* args) {
  llvm::Value* a = nullptr;
  llvm::Function* fn = BeginFunction(name, &a);
  // dsc_linear_args: ptr x, ptr y, ptr w, ptr w_scale, float gs, i32 reserved, i64 m, ldx,
  // ldy, row_begin, row_end, ptr scratch.
  auto* st = llvm::StructType::get(context(), {Ptr(), Ptr(), Ptr(), Ptr(), F32(), I32(), I64(),
                                               I64(), I64(), I64(), I64(), Ptr()});
  args->x = LoadField(st, a, 0, "x");
  args->y = LoadField(st, a, 1, "y");
  args->w = LoadField(st, a, 2, "w");
  args->w_scale = LoadField(st, a, 3, "w_scale");
  args->global_scale = LoadField(st, a, 4, "global_scale");
  args->m = LoadField(st, a, 6, "m");
  args->ldx = LoadField(st, a, 7, "ldx");
  args->ldy = LoadField(st, a, 8, "ldy");
  args->row_begin = LoadField(st, a, 9, "row_begin");
  args->row_end = LoadField(st, a, 10, "row_end");
  args->scratch = LoadField(st, a, 11, "scratch");
  return fn;
}

void KernelBuilder::For(llvm::Value* begin, llvm::Value* end, llvm::Value* step,
                        const std::string& name, const std::function<void(llvm::Value*)>& body) {
  llvm::Function* fn = ir_.GetInsertBlock()->getParent();
  llvm::BasicBlock* pre = ir_.GetInsertBlock();
  auto* head = llvm::BasicBlock::Create(context(), name + ".head", fn);
  auto* loop = llvm::BasicBlock::Create(context(), name + ".body", fn);
  auto* exit = llvm::BasicBlock::Create(context(), name + ".exit", fn);
  ir_.CreateBr(head);
  ir_.SetInsertPoint(head);
  llvm::PHINode* iv = ir_.CreatePHI(I64(), 2, name);
  iv->addIncoming(begin, pre);
  ir_.CreateCondBr(ir_.CreateICmpSLT(iv, end), loop, exit);
  ir_.SetInsertPoint(loop);
  body(iv);
  llvm::Value* next = ir_.CreateAdd(iv, step, name + ".next", true, true);
  iv->addIncoming(next, ir_.GetInsertBlock());
  ir_.CreateBr(head);
  ir_.SetInsertPoint(exit);
}

void KernelBuilder::ForRowGroups(llvm::Value* begin, llvm::Value* end, int rows,
                                 const std::function<void(llvm::Value* r, int count)>& body) {
  llvm::Value* count = ir_.CreateSub(end, begin);
  llvm::Value* main_end = ir_.CreateAdd(begin, ir_.CreateMul(ir_.CreateSDiv(count, Int(rows)), Int(rows)));
  For(begin, main_end, rows, "rows", [&](llvm::Value* r) { body(r, rows); });
  if (rows > 1) For(main_end, end, 1, "rows_tail", [&](llvm::Value* r) { body(r, 1); });
}

void KernelBuilder::ForSplitRowGroups(
    llvm::Value* begin, llvm::Value* end, int rows,
    const std::function<void(llvm::Value* r, llvm::Value* part, int count)>& body) {
  llvm::Value* part = ir_.CreateSDiv(ir_.CreateSub(end, begin), Int(rows));
  For(begin, ir_.CreateAdd(begin, part), 1, "rows", [&](llvm::Value* r) { body(r, part, rows); });
  if (rows > 1) {
    For(ir_.CreateAdd(begin, ir_.CreateMul(part, Int(rows))), end, 1, "rows_tail",
        [&](llvm::Value* r) { body(r, part, 1); });
  }
}

void KernelBuilder::Prefetch(llvm::Value* ptr, CacheLevel level) {
  const int locality = level == CacheLevel::kL1 ? 3 : 2;  // llvm.prefetch: 3 = t0, 2 = t1
  ir_.CreateIntrinsic(llvm::Intrinsic::prefetch, {Ptr()},
                      {ptr, ir_.getInt32(0), ir_.getInt32(locality), ir_.getInt32(1)});
}

void KernelBuilder::If(llvm::Value* condition, const std::function<void()>& then) {
  llvm::Function* fn = ir_.GetInsertBlock()->getParent();
  auto* yes = llvm::BasicBlock::Create(context(), "then", fn);
  auto* done = llvm::BasicBlock::Create(context(), "endif", fn);
  ir_.CreateCondBr(condition, yes, done);
  ir_.SetInsertPoint(yes);
  then();
  ir_.CreateBr(done);
  ir_.SetInsertPoint(done);
}

llvm::AllocaInst* KernelBuilder::Var(llvm::Type* type, llvm::Value* init, const std::string& name) {
  llvm::Function* fn = ir_.GetInsertBlock()->getParent();
  llvm::IRBuilder<> entry(&fn->getEntryBlock(), fn->getEntryBlock().begin());
  llvm::AllocaInst* slot = entry.CreateAlloca(type, nullptr, name);
  if (init != nullptr) ir_.CreateStore(init, slot);
  return slot;
}

llvm::Value* KernelBuilder::Gep(llvm::Type* element, llvm::Value* base, llvm::Value* index) {
  return ir_.CreateInBoundsGEP(element, base, index);
}

llvm::Value* KernelBuilder::LoadVec(llvm::FixedVectorType* type, llvm::Value* ptr, int valid,
                                    unsigned align) {
  const int n = static_cast<int>(type->getNumElements());
  if (valid >= n) return ir_.CreateAlignedLoad(type, ptr, llvm::Align(align));
  std::vector<llvm::Constant*> mask(n);
  for (int i = 0; i < n; ++i) mask[i] = ir_.getInt1(i < valid);
  return ir_.CreateMaskedLoad(type, ptr, llvm::Align(align), llvm::ConstantVector::get(mask),
                              llvm::Constant::getNullValue(type));
}

namespace {
llvm::Value* PrefixMask(llvm::IRBuilder<>& ir, int n, llvm::Value* valid) {
  std::vector<llvm::Constant*> lanes(n);
  for (int i = 0; i < n; ++i) lanes[i] = ir.getInt64(i);
  return ir.CreateICmpSLT(llvm::ConstantVector::get(lanes), ir.CreateVectorSplat(n, valid));
}
}  // namespace

void KernelBuilder::StoreVecPrefix(llvm::Value* value, llvm::Value* ptr, llvm::Value* valid,
                                   unsigned align) {
  auto* type = llvm::cast<llvm::FixedVectorType>(value->getType());
  ir_.CreateMaskedStore(value, ptr, llvm::Align(align),
                        PrefixMask(ir_, static_cast<int>(type->getNumElements()), valid));
}

llvm::Value* KernelBuilder::LoadVecPrefix(llvm::FixedVectorType* type, llvm::Value* ptr,
                                          llvm::Value* valid, unsigned align) {
  return ir_.CreateMaskedLoad(type, ptr, llvm::Align(align),
                              PrefixMask(ir_, static_cast<int>(type->getNumElements()), valid),
                              llvm::Constant::getNullValue(type));
}

llvm::Value* KernelBuilder::DecodeE2m1(llvm::Value* codes) {
  const int n =
      static_cast<int>(llvm::cast<llvm::FixedVectorType>(codes->getType())->getNumElements());
  static constexpr float kMagnitudes[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
  if (isa_ == Isa::kAvx512 && n == 16) {
    // vpermps reads index bits [3:0]: the whole signed code, 16 floats in one register.
    std::vector<llvm::Constant*> table(16);
    for (int i = 0; i < 16; ++i) {
      table[i] = llvm::ConstantFP::get(F32(), i < 8 ? kMagnitudes[i] : -kMagnitudes[i - 8]);
    }
    return ir_.CreateIntrinsic(llvm::Intrinsic::x86_avx512_permvar_sf_512, {},
                               {llvm::ConstantVector::get(table), codes}, nullptr, "e2m1");
  }
  if (isa_ == Isa::kAvx2 && n == 8) {
    // vpermps reads index bits [2:0]: the magnitude; bit 3 (the sign) moves to bit 31.
    std::vector<llvm::Constant*> table(8);
    for (int i = 0; i < 8; ++i) table[i] = llvm::ConstantFP::get(F32(), kMagnitudes[i]);
    llvm::Value* magnitude = ir_.CreateIntrinsic(llvm::Intrinsic::x86_avx2_permps, {},
                                                 {llvm::ConstantVector::get(table), codes});
    llvm::Value* sign =
        ir_.CreateAnd(ir_.CreateShl(codes, SplatI(I32(), n, 28)), SplatI(I32(), n, 0x80000000u));
    return ir_.CreateBitCast(ir_.CreateXor(ir_.CreateBitCast(magnitude, Vec(I32(), n)), sign),
                             Vec(F32(), n), "e2m1");
  }
  // Arithmetic decode: magnitude code c = 2e + m; for c >= 2 the float bits are (c + 252) << 22
  // (exponent e - 1 + 127, mantissa bit m); c = 1 is 0.5 and c = 0 is 0.
  llvm::Type* vi = Vec(I32(), n);
  llvm::Value* c = ir_.CreateAnd(codes, SplatI(I32(), n, 7));
  llvm::Value* normal =
      ir_.CreateShl(ir_.CreateAdd(c, SplatI(I32(), n, 252)), SplatI(I32(), n, 22));
  llvm::Value* small =
      ir_.CreateSelect(ir_.CreateICmpEQ(c, SplatI(I32(), n, 1)), SplatI(I32(), n, 0x3F000000u),
                       llvm::Constant::getNullValue(vi));
  llvm::Value* bits = ir_.CreateSelect(ir_.CreateICmpUGE(c, SplatI(I32(), n, 2)), normal, small);
  llvm::Value* sign =
      ir_.CreateShl(ir_.CreateAnd(codes, SplatI(I32(), n, 8)), SplatI(I32(), n, 28));
  return ir_.CreateBitCast(ir_.CreateOr(bits, sign), Vec(F32(), n), "e2m1");
}

llvm::Value* KernelBuilder::DecodeE4m3(llvm::Value* bytes) {
  const int n =
      static_cast<int>(llvm::cast<llvm::FixedVectorType>(bytes->getType())->getNumElements());
  if (isa_ != Isa::kGeneric) {
    // binary16 bits = sign << 15 | (code & 0x7F) << 7: (sext(code) << 7) has the sign in bits
    // 15 and 14; clearing bit 14 leaves exactly that. vcvtph2ps converts subnormals exactly.
    llvm::Value* w = ir_.CreateShl(ir_.CreateSExt(bytes, Vec(I16(), n)), SplatI(I16(), n, 7));
    w = ir_.CreateAnd(w, SplatI(I16(), n, 0xBF80));
    return ir_.CreateFPExt(ir_.CreateBitCast(w, Vec(ir_.getHalfTy(), n)), Vec(F32(), n), "e4m3");
  }
  // Without F16C: normal codes are float bits ((code & 0x7F) << 20) + (112 << 23) (exponent
  // bias 7 -> 127, minus the 8 of kE4m3Unscale); subnormals are m · 2^-9 · 2^-8.
  llvm::Type* vi = Vec(I32(), n);
  llvm::Value* c = ir_.CreateZExt(bytes, vi);
  llvm::Value* magnitude = ir_.CreateAnd(c, SplatI(I32(), n, 0x7F));
  llvm::Value* normal = ir_.CreateBitCast(
      ir_.CreateAdd(ir_.CreateShl(magnitude, SplatI(I32(), n, 20)), SplatI(I32(), n, 112u << 23)),
      Vec(F32(), n));
  llvm::Value* subnormal =
      ir_.CreateFMul(ir_.CreateUIToFP(magnitude, Vec(F32(), n)), SplatF(n, 1.0f / 131072.0f));
  llvm::Value* is_sub = ir_.CreateICmpULT(magnitude, SplatI(I32(), n, 8));
  llvm::Value* value = ir_.CreateBitCast(ir_.CreateSelect(is_sub, subnormal, normal), vi);
  llvm::Value* sign = ir_.CreateShl(ir_.CreateAnd(c, SplatI(I32(), n, 0x80)), SplatI(I32(), n, 24));
  return ir_.CreateBitCast(ir_.CreateOr(value, sign), Vec(F32(), n), "e4m3");
}

llvm::Value* KernelBuilder::FMulAdd(llvm::Value* a, llvm::Value* b, llvm::Value* c) {
  return ir_.CreateIntrinsic(llvm::Intrinsic::fmuladd, {a->getType()}, {a, b, c});
}

llvm::Value* KernelBuilder::HorizontalSum(llvm::Value* v) {
  llvm::CallInst* sum = ir_.CreateFAddReduce(llvm::ConstantFP::get(F32(), -0.0), v);
  llvm::FastMathFlags flags;
  flags.setAllowReassoc();
  sum->setFastMathFlags(flags);
  return sum;
}

}  // namespace dsc::codegen
