// Internal to codegen/: one emitter per kernel family. Each appends a function named
// spec.Name() with the dsc_linear_fn signature (the elementwise ones: their own) and returns its
// dsc_kernel_info.
#ifndef DSC_CODEGEN_LINEAR_EMITTERS_H_
#define DSC_CODEGEN_LINEAR_EMITTERS_H_

#include <vector>

#include "codegen/kernel_builder.h"
#include "codegen/linear_kernels.h"
#include "llvm/IR/Intrinsics.h"

namespace dsc::codegen {

// The dsc_kernel_info of a GEMV specialized to spec.m rows (16-row alignment, scratch per m).
inline dsc_kernel_info GemvInfo(dsc_weight_format format, const LinearKernelSpec& spec, int64_t scratch_per_m) {
  dsc_kernel_info info{};
  info.abi_version = DSC_KERNEL_ABI_VERSION;
  info.format = format;
  info.n = spec.n;
  info.k = spec.k;
  info.m_static = spec.m;
  info.row_align = 16;
  info.scratch_base = 0;
  info.scratch_per_m = scratch_per_m;
  info.scratch_m_align = 1;
  return info;
}

// The norms' 1 / sqrt(v) of a float32 v: computed in double and rounded once, as the reference's
// Rsqrt (runtime/interp/kernels_norm.cc) does, so the norm kernels stay bit-identical to it.
inline llvm::Value* RsqrtRoundedOnce(KernelBuilder& kb, llvm::Value* v) {
  llvm::IRBuilder<>& ir = kb.ir();
  llvm::Value* root = ir.CreateIntrinsic(llvm::Intrinsic::sqrt, {ir.getDoubleTy()},
                                         {ir.CreateFPExt(v, ir.getDoubleTy())});
  return ir.CreateFPTrunc(ir.CreateFDiv(llvm::ConstantFP::get(ir.getDoubleTy(), 1.0), root),
                          kb.F32());
}

// Stores the first `valid` lanes of float vector `value` at `ptr` (all of them: a plain store).
inline void StoreLanes(KernelBuilder& kb, llvm::Value* value, llvm::Value* ptr, int valid) {
  if (valid == kb.lanes()) {
    kb.ir().CreateAlignedStore(value, ptr, llvm::Align(4));
  } else {
    kb.StoreVecPrefix(value, ptr, kb.Int(valid), 4);
  }
}

// The dsc_kernel_info of a kernel that is not a product (format DSC_KERNEL_*): shape (n, k),
// one call per use, no scratch.
inline dsc_kernel_info NonLinearInfo(int32_t format, int64_t n, int64_t k) {
  dsc_kernel_info info{};
  info.abi_version = DSC_KERNEL_ABI_VERSION;
  info.format = format;
  info.n = n;
  info.k = k;
  info.m_static = 1;
  info.row_align = 1;
  info.scratch_m_align = 1;
  return info;
}

// y[j, r + i·row_stride] = Σ lanes of acc[i][j] · scale for the rows of one row group (GEMV
// epilogue; row_stride null: 1).
// With `first` (an i1, k blocks of gemv_walk.h), y = that + (first ? 0 : y): later blocks add
// to the earlier ones' sum (y is the call's own output range).
inline void StoreRowSums(KernelBuilder& kb, const KernelBuilder::LinearArgs& a, llvm::Value* r,
                         const std::vector<std::vector<llvm::AllocaInst*>>& acc, llvm::Value* scale,
                         llvm::Value* first = nullptr, llvm::Value* row_stride = nullptr) {
  llvm::IRBuilder<>& ir = kb.ir();
  for (size_t i = 0; i < acc.size(); ++i) {
    for (size_t j = 0; j < acc[i].size(); ++j) {
      llvm::Value* sum = ir.CreateLoad(acc[i][j]->getAllocatedType(), acc[i][j]);
      llvm::Value* y = ir.CreateFMul(kb.HorizontalSum(sum), scale);
      llvm::Value* index = ir.CreateAdd(ir.CreateMul(a.ldy, kb.Int(static_cast<int64_t>(j))),
                                        ir.CreateAdd(r, row_stride == nullptr
                                                            ? kb.Int(static_cast<int64_t>(i))
                                                            : ir.CreateMul(row_stride, kb.Int(static_cast<int64_t>(i)))));
      llvm::Value* y_ptr = kb.Gep(kb.F32(), a.y, index);
      if (first != nullptr) {
        llvm::Value* old = ir.CreateLoad(kb.F32(), y_ptr);
        y = ir.CreateFAdd(ir.CreateSelect(first, llvm::ConstantFP::get(kb.F32(), 0.0), old), y);
      }
      ir.CreateStore(y, y_ptr);
    }
  }
}

dsc_kernel_info EmitNvfp4Gemv(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitNvfp4GemvBf16Act(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitFp8Gemv(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitNvfp4Gemm(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitBf16Gemv(KernelBuilder& kb, const LinearKernelSpec& spec);
// Not linear kernels: a dsc_rms_norm_fn (emit_rms_norm.cc), a dsc_indexer_scores_fn
// (emit_indexer_scores.cc), a dsc_mla_attention_fn (emit_mla_attention.cc), a
// dsc_attention_block_fn (emit_attention_block.cc), a dsc_indexer_block_fn
// (emit_indexer_scores.cc), a dsc_swiglu_fn (emit_swiglu.cc), a dsc_layer_norm_fn
// (emit_layer_norm.cc), a dsc_topk_mask_fn (emit_topk_mask.cc).
dsc_kernel_info EmitRmsNorm(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitLayerNorm(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitIndexerScores(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitMlaAttention(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitAttentionBlock(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitIndexerBlock(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitSwiGlu(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitTopkMask(KernelBuilder& kb, const LinearKernelSpec& spec);

// (in == −inf) ? 0 : numerics::ExpF(in − shift) per lane of float vectors `in` and `shift`,
// bit-identical to numerics/exp.cc (emit_exp.cc): the attention kernels' softmax.
llvm::Value* EmitExpShifted(KernelBuilder& kb, llvm::Value* in, llvm::Value* shift);

}  // namespace dsc::codegen

#endif  // DSC_CODEGEN_LINEAR_EMITTERS_H_
