// FP8 block-128 GEMV: y[m, n] = x[m, k] · Wᵀ with W = e4m3(codes) · scale_inv[n/128, k/128]
// (formats.md §7), m static in 1..8.
//
// The codes are decoded V at a time through binary16 (KernelBuilder::DecodeE4m3: sign-extend,
// shift, mask, vcvtph2ps), in column order, so x is read in place. Each 128-column block sums
// e4m3 · x in float32 and is then scaled once by its scale_inv; the result differs from
// FP32-REF (which rounds every e4m3 · scale_inv product) only by summation order and those
// per-weight roundings (2^-24 relative).
#include <algorithm>
#include <vector>

#include "codegen/linear_emitters.h"
#include "llvm/IR/Intrinsics.h"

namespace dsc::codegen {

constexpr int64_t kPrefetchBytes = 6144;

dsc_kernel_info EmitFp8Gemv(KernelBuilder& kb, const LinearKernelSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  const int v = kb.lanes();
  const int64_t m = spec.m, k = spec.k;
  const int64_t full_blocks = k / 128, tail_cols = k % 128;
  const int64_t k_blocks = (k + 127) / 128;
  const int rows = spec.rows_per_iteration > 0 ? spec.rows_per_iteration : (m <= 2 ? 2 : 1);

  KernelBuilder::LinearArgs a;
  kb.BeginLinearFunction(spec.Name(), &a);
  llvm::FixedVectorType* vf = kb.VecF();
  llvm::FixedVectorType* vb = kb.Vec(kb.I8(), v);
  llvm::Value* out_scale = llvm::ConstantFP::get(kb.F32(), kE4m3Unscale);

  auto row_group = [&](llvm::Value* r, int count) {
    std::vector<std::vector<llvm::AllocaInst*>> acc(count, std::vector<llvm::AllocaInst*>(m));
    for (int i = 0; i < count; ++i) {
      for (int64_t j = 0; j < m; ++j) acc[i][j] = kb.Var(vf, kb.SplatF(v, 0.0f), "acc");
    }
    auto block_body = [&](llvm::Value* b, int64_t cols) {
      llvm::Value* col0 = ir.CreateMul(b, kb.Int(128));
      for (int i = 0; i < count; ++i) {
        llvm::Value* row = ir.CreateAdd(r, kb.Int(i));
        llvm::Value* scale_index =
            ir.CreateAdd(ir.CreateMul(ir.CreateSDiv(row, kb.Int(128)), kb.Int(k_blocks)), b);
        llvm::Value* scale = ir.CreateLoad(kb.F32(), kb.Gep(kb.F32(), a.w_scale, scale_index));
        llvm::Value* w_row = kb.Gep(kb.I8(), a.w, ir.CreateAdd(ir.CreateMul(row, kb.Int(k)), col0));
        std::vector<llvm::Value*> sum(m, nullptr);
        for (int64_t c = 0; c < cols; c += v) {
          const int valid = static_cast<int>(std::min<int64_t>(v, cols - c));
          llvm::Value* w_ptr = kb.Gep(kb.I8(), w_row, kb.Int(c));
          if (c % 64 == 0 && cols == 128) {
            // As in the NVFP4 GEMV: hardware prefetch alone leaves the core waiting on DRAM.
            kb.Prefetch(kb.Gep(kb.I8(), w_ptr, kb.Int(kPrefetchBytes)), KernelBuilder::CacheLevel::kL2);
          }
          llvm::Value* w = kb.DecodeE4m3(kb.LoadVec(vb, w_ptr, valid, 1));
          for (int64_t j = 0; j < m; ++j) {
            llvm::Value* x_ptr =
                kb.Gep(kb.F32(), a.x,
                       ir.CreateAdd(ir.CreateMul(a.ldx, kb.Int(j)), ir.CreateAdd(col0, kb.Int(c))));
            llvm::Value* xv = kb.LoadVec(vf, x_ptr, valid, 4);
            sum[j] = c == 0 ? ir.CreateFMul(w, xv) : kb.FMulAdd(w, xv, sum[j]);
          }
        }
        for (int64_t j = 0; j < m; ++j) {
          ir.CreateStore(kb.FMulAdd(sum[j], kb.Splat(v, scale), ir.CreateLoad(vf, acc[i][j])),
                         acc[i][j]);
        }
      }
    };
    kb.For(kb.Int(0), kb.Int(full_blocks), 1, "block", [&](llvm::Value* b) { block_body(b, 128); });
    if (tail_cols > 0) block_body(kb.Int(full_blocks), tail_cols);
    StoreRowSums(kb, a, r, acc, out_scale);
  };

  kb.ForRowGroups(a.row_begin, a.row_end, rows, row_group);
  ir.CreateRetVoid();

  return GemvInfo(DSC_WEIGHT_FP8_BLOCK128, spec, 0);
}

}  // namespace dsc::codegen
