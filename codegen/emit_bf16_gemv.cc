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
//
// With spec.bf16_activations (opt-in `--activations bf16`, AVX-512 BF16 only) the activations
// are rounded to BF16 (nearest even) once per call into scratch, and vdpbf16ps multiplies 32
// weights of a row, as the checkpoint stores them, by the 32 matching activations and adds
// adjacent pairs into 16 float lanes: one instruction per 64 weight bytes instead of two
// widenings, two shifts and two FMAs. A BF16 × BF16 product is exact in float32, so the result
// is W · bf16(x) up to summation order.
#include <algorithm>
#include <vector>

#include "codegen/linear_emitters.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/IntrinsicsX86.h"

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

// Short rows stream best one at a time without software prefetch: the hardware prefetchers
// follow a single sequential stream, and these kernels do little arithmetic per line. Measured
// at m = 1 on Zen 4 (BM_Bf16GemvAlternate, BENCHMARKS.md), 32768 x 2048 (the small preset's
// lm_head): float32 activations 1.05-1.28x, BF16 activations 1.12-1.25x as fast as four rows
// with prefetch, 1 and 2 threads. At k = 7168 (DeepSeek's lm_head) one row was 0.52-0.69x
// (float32) and 0.94-1.14x (BF16) as fast, so longer rows keep the row groups. Only when the
// spec leaves both knobs at their defaults.
bool OneRowWithoutPrefetch(const LinearKernelSpec& spec) {
  return spec.m == 1 && spec.k <= 2048 && spec.rows_per_iteration == 0 && spec.prefetch_distance < 0;
}

// Prefetch bytes ahead in consumption order: a whole number of row groups >= the lead.
int64_t PrefetchBytes(const LinearKernelSpec& spec, int rows) {
  const int64_t lead = spec.prefetch_distance >= 0 ? spec.prefetch_distance : 4096;
  const int64_t group_bytes = rows * spec.k * 2;
  const int64_t groups_ahead = std::max<int64_t>(1, (lead + group_bytes - 1) / group_bytes);
  return lead > 0 ? groups_ahead * group_bytes : 0;
}

dsc_kernel_info EmitBf16GemvBf16Act(KernelBuilder& kb, const LinearKernelSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  constexpr int kWords = 32;  // BF16 values per vector: one 64-byte line of a weight row
  const int64_t m = spec.m, k = spec.k;
  // Rows of a group advance one line at a time, as the float32 path's do: two lines per row
  // and step read 0.83-0.99x as fast (BM_Bf16GemvAlternate, 32768 x 2048).
  const bool one_row = OneRowWithoutPrefetch(spec);
  const int rows = one_row                       ? 1
                   : spec.rows_per_iteration > 0 ? spec.rows_per_iteration
                                                 : static_cast<int>(std::clamp<int64_t>(16 / m, 1, 4));
  const int64_t prefetch = one_row ? 0 : PrefetchBytes(spec, rows);
  const int64_t full_vectors = k / kWords, tail_cols = k % kWords;
  const int64_t padded_k = (full_vectors + (tail_cols > 0)) * kWords;  // x' rows stay 64-byte aligned

  KernelBuilder::LinearArgs a;
  kb.BeginLinearFunction(spec.Name(), &a);
  llvm::FixedVectorType* vf = kb.VecF();
  llvm::FixedVectorType* words = kb.Vec(kb.I16(), kWords);
  llvm::Function* dot = llvm::Intrinsic::getDeclaration(ir.GetInsertBlock()->getModule(),
                                                        llvm::Intrinsic::x86_avx512bf16_dpbf16ps_512);
  auto* vbf = llvm::cast<llvm::FixedVectorType>(dot->getFunctionType()->getParamType(1));  // <32 x bfloat>

  // 1. x' = bf16(x), zeros from k to padded_k (they meet the masked weight loads' zeros).
  std::vector<llvm::Value*> xs(m);
  for (int64_t j = 0; j < m; ++j) {
    llvm::Value* x_row = kb.Gep(kb.F32(), a.x, ir.CreateMul(a.ldx, kb.Int(j)));
    xs[j] = kb.Gep(kb.I16(), a.scratch, kb.Int(j * padded_k));
    auto round = [&](llvm::Value* col, int valid) {
      llvm::Value* values = kb.LoadVec(kb.Vec(kb.F32(), kWords), kb.Gep(kb.F32(), x_row, col), valid, 4);
      ir.CreateAlignedStore(ir.CreateFPTrunc(values, vbf), kb.Gep(kb.I16(), xs[j], col), llvm::Align(64));
    };
    kb.For(kb.Int(0), kb.Int(full_vectors), 1, "round",
           [&](llvm::Value* c) { round(ir.CreateMul(c, kb.Int(kWords)), kWords); });
    if (tail_cols > 0) round(kb.Int(full_vectors * kWords), static_cast<int>(tail_cols));
  }

  // 2. Output rows, `count` at a time; acc[i][j]: weight row r + i, activation row j.
  auto row_group = [&](llvm::Value* r, int count) {
    std::vector<std::vector<llvm::AllocaInst*>> acc(count, std::vector<llvm::AllocaInst*>(m));
    for (auto& row : acc) {
      for (llvm::AllocaInst*& slot : row) slot = kb.Var(vf, kb.SplatF(16, 0.0f), "acc");
    }
    // Columns [col, col + valid) of every row of the group.
    auto columns = [&](llvm::Value* col, int valid) {
      for (int i = 0; i < count; ++i) {
        llvm::Value* row = ir.CreateMul(ir.CreateAdd(r, kb.Int(i)), kb.Int(k));
        llvm::Value* w_ptr = kb.Gep(kb.I16(), a.w, ir.CreateAdd(row, col));
        if (prefetch > 0 && valid == kWords) {
          kb.Prefetch(kb.Gep(kb.I8(), w_ptr, kb.Int(prefetch)), KernelBuilder::CacheLevel::kL2);
        }
        llvm::Value* w = ir.CreateBitCast(kb.LoadVec(words, w_ptr, valid, 2), vbf);
        for (int64_t j = 0; j < m; ++j) {
          llvm::Value* xv = ir.CreateAlignedLoad(vbf, kb.Gep(kb.I16(), xs[j], col), llvm::Align(64));
          ir.CreateStore(ir.CreateCall(dot, {ir.CreateLoad(vf, acc[i][j]), w, xv}), acc[i][j]);
        }
      }
    };
    kb.For(kb.Int(0), kb.Int(full_vectors), 1, "vector",
           [&](llvm::Value* c) { columns(ir.CreateMul(c, kb.Int(kWords)), kWords); });
    if (tail_cols > 0) columns(kb.Int(full_vectors * kWords), static_cast<int>(tail_cols));
    StoreRowSums(kb, a, r, acc, llvm::ConstantFP::get(kb.F32(), 1.0f));
  };

  kb.ForRowGroups(a.row_begin, a.row_end, rows, row_group);
  ir.CreateRetVoid();
  return GemvInfo(DSC_WEIGHT_BF16, spec, padded_k * 2);
}

}  // namespace

dsc_kernel_info EmitBf16Gemv(KernelBuilder& kb, const LinearKernelSpec& spec) {
  if (spec.bf16_activations) return EmitBf16GemvBf16Act(kb, spec);
  llvm::IRBuilder<>& ir = kb.ir();
  const int v = kb.lanes();
  const int64_t m = spec.m, k = spec.k;
  const bool one_row = kb.isa() == Isa::kAvx512 && OneRowWithoutPrefetch(spec);  // measured there
  const Blocking blocking = ChooseBlocking(kb.isa(), m, one_row ? 1 : spec.rows_per_iteration);
  const int u = blocking.unroll, rows = blocking.rows;
  const int64_t chunk_cols = static_cast<int64_t>(u) * v;
  const int64_t full_chunks = k / chunk_cols, tail_cols = k % chunk_cols;
  const int64_t prefetch = one_row ? 0 : PrefetchBytes(spec, rows);

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
