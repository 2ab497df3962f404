// BF16 GEMV for decode: y[m, n] = x[m, k] · Wᵀ with W the checkpoint's BF16 matrix read in
// place (lm_head, router, indexer weights_proj), m static in 1..8.
//
// bf16 → f32 is exact (the 16 bits become the high half of the float: zero-extend, shift left
// 16), so the kernel reads 2 bytes per weight instead of the 4 of a widened f32 copy and
// accumulates in float32; the result equals FP32-REF up to summation order.
//
// A "chunk" is U vectors (U·V columns, 64 bytes of a weight row on AVX-512 and AVX2) of R rows
// at once: R·m·U independent FMA chains (sized to the register file), the x loads shared by the
// R rows. Columns past the last full chunk are done V at a time with masked loads (never past
// the row). Software prefetch runs a fixed lead ahead in consumption order, as in the NVFP4 GEMV.
#include <algorithm>
#include <vector>

#include "codegen/linear_emitters.h"
#include "llvm/IR/Intrinsics.h"

namespace dsc::codegen {
namespace {

struct Blocking {
  int unroll;  // U: vectors per row per chunk
  int rows;    // R: weight rows per iteration
};

Blocking ChooseBlocking(Isa isa, int64_t m, int rows_override) {
  // Accumulator budget in vector registers (AVX-512 has 32, AVX2 / SSE 16; leave room for the
  // weights and x).
  const int budget = isa == Isa::kAvx512 ? 16 : 8;
  const int max_unroll = isa == Isa::kAvx512 ? 2 : 4;
  Blocking b;
  b.unroll = static_cast<int>(std::clamp<int64_t>(budget / m, 1, max_unroll));
  b.rows = static_cast<int>(std::clamp<int64_t>(budget / (m * b.unroll), 1, 4));
  if (rows_override > 0) b.rows = rows_override;
  return b;
}

}  // namespace

dsc_kernel_info EmitBf16Gemv(KernelBuilder& kb, const LinearKernelSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  const int v = kb.lanes();
  const int64_t m = spec.m, k = spec.k;
  const Blocking blocking = ChooseBlocking(kb.isa(), m, spec.rows_per_iteration);
  const int u = blocking.unroll, rows = blocking.rows;
  const int64_t chunk_cols = static_cast<int64_t>(u) * v;
  const int64_t full_chunks = k / chunk_cols, tail_cols = k % chunk_cols;
  const int64_t lead = spec.prefetch_distance >= 0 ? spec.prefetch_distance : 4096;
  const int64_t group_bytes = rows * k * 2;
  const int64_t groups_ahead = std::max<int64_t>(1, (lead + group_bytes - 1) / group_bytes);
  const int64_t prefetch = lead > 0 ? groups_ahead * group_bytes : 0;

  KernelBuilder::LinearArgs a;
  kb.BeginLinearFunction(spec.Name(), &a);
  llvm::FixedVectorType* vf = kb.VecF();
  llvm::FixedVectorType* vi = kb.Vec(kb.I32(), v);
  llvm::FixedVectorType* vh = kb.Vec(kb.I16(), v);

  // <V x i16> bf16 bits -> <V x float>, exact.
  auto widen = [&](llvm::Value* bits) {
    return ir.CreateBitCast(ir.CreateShl(ir.CreateZExt(bits, vi), kb.SplatI(kb.I32(), v, 16)), vf);
  };

  auto row_group = [&](llvm::Value* r, int count) {
    // acc[i][j][q]: row i, activation row j, unrolled vector q.
    std::vector<llvm::AllocaInst*> acc(count * m * u);
    auto at = [&](int i, int64_t j, int q) -> llvm::AllocaInst*& { return acc[(i * m + j) * u + q]; };
    for (int i = 0; i < count; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        for (int q = 0; q < u; ++q) at(i, j, q) = kb.Var(vf, kb.SplatF(v, 0.0f), "acc");
      }
    }
    std::vector<llvm::Value*> w_rows(count), x_rows(m);
    for (int i = 0; i < count; ++i) {
      w_rows[i] = kb.Gep(kb.I16(), a.w, ir.CreateMul(ir.CreateAdd(r, kb.Int(i)), kb.Int(k)));
    }
    for (int64_t j = 0; j < m; ++j) x_rows[j] = kb.Gep(kb.F32(), a.x, ir.CreateMul(a.ldx, kb.Int(j)));
    // Columns [col, col + pieces·V) of every row of the group; piece q has valid[q] lanes.
    auto columns = [&](llvm::Value* col, const std::vector<int>& valid, bool do_prefetch) {
      for (int i = 0; i < count; ++i) {
        llvm::Value* w_ptr = kb.Gep(kb.I16(), w_rows[i], col);
        if (do_prefetch) {
          kb.Prefetch(kb.Gep(kb.I8(), w_ptr, kb.Int(prefetch)), KernelBuilder::CacheLevel::kL2);
        }
        for (size_t q = 0; q < valid.size(); ++q) {
          llvm::Value* w = widen(
              kb.LoadVec(vh, kb.Gep(kb.I16(), w_ptr, kb.Int(static_cast<int64_t>(q) * v)), valid[q], 2));
          for (int64_t j = 0; j < m; ++j) {
            llvm::Value* x_ptr =
                kb.Gep(kb.F32(), x_rows[j], ir.CreateAdd(col, kb.Int(static_cast<int64_t>(q) * v)));
            llvm::Value* xv = kb.LoadVec(vf, x_ptr, valid[q], 4);
            llvm::AllocaInst* slot = at(i, j, static_cast<int>(q));
            ir.CreateStore(kb.FMulAdd(w, xv, ir.CreateLoad(vf, slot)), slot);
          }
        }
      }
    };
    kb.For(kb.Int(0), kb.Int(full_chunks), 1, "chunk", [&](llvm::Value* c) {
      columns(ir.CreateMul(c, kb.Int(chunk_cols)), std::vector<int>(u, v), prefetch > 0);
    });
    if (tail_cols > 0) {
      std::vector<int> valid;
      for (int64_t c = 0; c < tail_cols; c += v) valid.push_back(static_cast<int>(std::min<int64_t>(v, tail_cols - c)));
      columns(kb.Int(full_chunks * chunk_cols), valid, false);
    }
    for (int i = 0; i < count; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        llvm::Value* sum = ir.CreateLoad(vf, at(i, j, 0));
        for (int q = 1; q < u; ++q) sum = ir.CreateFAdd(sum, ir.CreateLoad(vf, at(i, j, q)));
        llvm::Value* index = ir.CreateAdd(ir.CreateMul(a.ldy, kb.Int(j)), ir.CreateAdd(r, kb.Int(i)));
        ir.CreateStore(kb.HorizontalSum(sum), kb.Gep(kb.F32(), a.y, index));
      }
    }
  };

  kb.ForRowGroups(a.row_begin, a.row_end, rows, row_group);
  ir.CreateRetVoid();

  return GemvInfo(DSC_WEIGHT_BF16, spec, 0);
}

}  // namespace dsc::codegen
