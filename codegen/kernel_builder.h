// IRBuilder helpers shared by the kernel emitters: the ISA a target gets, the dsc_linear_args
// view, loops, masked loads, and the in-register decoders of E2M1 codes and E4M3 scales — the
// only ISA-specific pieces of the linear kernels.
#ifndef DSC_CODEGEN_KERNEL_BUILDER_H_
#define DSC_CODEGEN_KERNEL_BUILDER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "codegen/target.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

namespace dsc::codegen {

// Instruction-set paths of the emitters.
//   kAvx512:  512-bit vectors, E2M1 lookup by vpermps (16-entry float table in one register).
//   kAvx2:    256-bit vectors, vpermps on the 8 magnitudes + sign bit by xor; F16C, FMA.
//   kGeneric: 128-bit vector IR without intrinsics (x86-64 baseline, SSE2); LLVM lowers it.
enum class Isa { kAvx512, kAvx2, kGeneric };
Isa SelectIsa(const TargetCpu& target);
const char* IsaName(Isa isa);

// Every E4M3 value decoded in registers is e4m3 · 2^-8 (the F16 bit trick: the four exponent
// bits land in a binary16 exponent with bias 15 instead of 7); kernels multiply their result
// by this once (exact: a power of two).
inline constexpr float kE4m3Unscale = 256.0f;

class KernelBuilder {
 public:
  KernelBuilder(llvm::Module& module, const TargetCpu& target);

  Isa isa() const { return isa_; }
  int lanes() const { return lanes_; }  // float32 lanes of one vector register
  llvm::IRBuilder<>& ir() { return ir_; }
  llvm::LLVMContext& context() { return module_.getContext(); }

  llvm::Type* I8() { return ir_.getInt8Ty(); }
  llvm::Type* I16() { return ir_.getInt16Ty(); }
  llvm::Type* I32() { return ir_.getInt32Ty(); }
  llvm::Type* I64() { return ir_.getInt64Ty(); }
  llvm::Type* F32() { return ir_.getFloatTy(); }
  llvm::Type* Ptr() { return ir_.getPtrTy(); }
  llvm::FixedVectorType* Vec(llvm::Type* element, int n) {
    return llvm::FixedVectorType::get(element, n);
  }
  llvm::FixedVectorType* VecF() { return Vec(F32(), lanes_); }

  llvm::ConstantInt* Int(int64_t v) { return ir_.getInt64(v); }
  llvm::Constant* SplatF(int n, float v);
  llvm::Constant* SplatI(llvm::Type* element, int n, uint64_t v);

  // The fields of dsc_linear_args, loaded in the entry block.
  struct LinearArgs {
    llvm::Value *x, *y, *w, *w_scale, *global_scale, *m, *ldx, *ldy, *row_begin, *row_end, *scratch;
  };
  // Starts `void name(const dsc_linear_args*)` with target attributes; the insertion point is
  // its entry block afterwards.
  llvm::Function* BeginLinearFunction(const std::string& name, LinearArgs* args);
  // Starts `void name(const T* args)` the same way for any argument struct T; *args is the
  // pointer argument.
  llvm::Function* BeginFunction(const std::string& name, llvm::Value** args);
  // Loads field i of the struct `fields` (T, mirrored field by field) that `args` points to.
  llvm::Value* LoadField(llvm::StructType* fields, llvm::Value* args, unsigned i, const char* name);

  // for (iv = begin; iv < end; iv += step) body(iv), signed i64; nothing if begin >= end.
  void For(llvm::Value* begin, llvm::Value* end, int64_t step, const std::string& name,
           const std::function<void(llvm::Value*)>& body) {
    For(begin, end, Int(step), name, body);
  }
  void For(llvm::Value* begin, llvm::Value* end, llvm::Value* step, const std::string& name,
           const std::function<void(llvm::Value*)>& body);
  void If(llvm::Value* condition, const std::function<void()>& then);
  // The GEMVs' row walk: rows [begin, end) in groups of `rows` (body(r, rows)), then the
  // remainder one row at a time (body(r, 1)).
  void ForRowGroups(llvm::Value* begin, llvm::Value* end, int rows,
                    const std::function<void(llvm::Value* r, int count)>& body);
  // The same rows as groups of `rows` rows that are `part` = (end - begin) / rows apart:
  // body(r, part, rows) for r in [begin, begin + part) (rows r, r + part, ...), then the
  // remainder one row at a time (body(r, part, 1)). Each member of a group walks its own
  // contiguous part of the weight in order: one sequential stream per member.
  void ForSplitRowGroups(llvm::Value* begin, llvm::Value* end, int rows,
                         const std::function<void(llvm::Value* r, llvm::Value* part, int count)>& body);
  // A read prefetch: kL1 (prefetcht0) for data used within a few iterations, kL2 (prefetcht1)
  // for weight streams prefetched a row group ahead. A GEMV's lead is >= one group of rows
  // (16-57 KiB of lines in flight at DeepSeek shapes): into a 32 KiB L1 (Zen 4) those lines
  // were evicted before use, and into L2 the same kernels read 1.2-1.4x faster
  // (BENCHMARKS.md, "Prefetching into L2").
  enum class CacheLevel { kL1, kL2 };
  void Prefetch(llvm::Value* ptr, CacheLevel level);

  // A mutable local (stack slot in the entry block; SROA turns it into SSA registers).
  llvm::AllocaInst* Var(llvm::Type* type, llvm::Value* init, const std::string& name);

  // base + index elements of `element`.
  llvm::Value* Gep(llvm::Type* element, llvm::Value* base, llvm::Value* index);
  // Loads a vector; lanes >= `valid` read as zero and are not touched in memory.
  llvm::Value* LoadVec(llvm::FixedVectorType* type, llvm::Value* ptr, int valid, unsigned align);
  // Stores only lanes < `valid` (a runtime i64) of `value`.
  void StoreVecPrefix(llvm::Value* value, llvm::Value* ptr, llvm::Value* valid, unsigned align);
  llvm::Value* LoadVecPrefix(llvm::FixedVectorType* type, llvm::Value* ptr, llvm::Value* valid,
                             unsigned align);

  // e2m1(lane & 0xF) for <V x i32> (bits above the low nibble are ignored) -> <V x float>.
  llvm::Value* DecodeE2m1(llvm::Value* codes);
  // <n x i8> E4M3 codes -> <n x float> = e4m3 · 2^-8, exact (see kE4m3Unscale). NaN codes
  // decode to finite values (not valid in weights or scales).
  llvm::Value* DecodeE4m3(llvm::Value* bytes);

  llvm::Value* FMulAdd(llvm::Value* a, llvm::Value* b, llvm::Value* c);
  llvm::Value* HorizontalSum(llvm::Value* v);
  llvm::Value* Splat(int n, llvm::Value* scalar) { return ir_.CreateVectorSplat(n, scalar); }

 private:
  llvm::Module& module_;
  TargetCpu target_;
  Isa isa_;
  int lanes_;
  llvm::IRBuilder<> ir_;
};

}  // namespace dsc::codegen

#endif  // DSC_CODEGEN_KERNEL_BUILDER_H_
