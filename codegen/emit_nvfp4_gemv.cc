// NVFP4 GEMV / skinny GEMM for decode: y[m, n] = x[m, k] · Wᵀ, m static in 1..8.
//
// The weights stream from memory once, so the kernel is built around the cheapest possible
// decode per weight byte. A "chunk" is 4V bytes of one weight row (V = float lanes; 64 bytes,
// 128 columns, 8 blocks on AVX-512). Viewed as V dwords, dword L holds the 8 nibbles of
// columns 8L..8L+7, so
//     z_t = e2m1((chunk >> 4t) & 0xF)          t = 0..7
// is a vector whose lane L is column 8L + t: one table lookup per V weights and no shuffles of
// the weight bytes at all. For even t, chunk >> 4t is simply the chunk loaded again t/2 bytes
// later (the lookup reads only the low nibble), so only odd t cost a shift. The activations are
// re-laid out once per call (into scratch) in the same strided order, x'[t][L] = x[8L + t]. Lane L
// of every z_t belongs to block L/2, so one scale vector [s0 s0 s1 s1 ...] serves all eight z_t of
// a chunk:
//     acc += (Σ_t z_t · x'_t) · s          (float32; e2m1 · e4m3 products are exact)
// and the per-tensor scale (times kE4m3Unscale) is applied once per output. This equals
// FP32-REF up to summation order (formats.md §9, "Exact float path").
//
// Rows: the caller's row range is walked `rows_per_iteration` rows at a time so that several
// independent FMA chains are in flight and the x' loads are shared between rows; the rows of a
// group (split: from separate parts of the range), k blocks for m > 1 and the software prefetch
// are gemv_walk.h's.
#include <algorithm>
#include <vector>

#include "codegen/gemv_walk.h"
#include "codegen/linear_emitters.h"
#include "llvm/IR/Intrinsics.h"

namespace dsc::codegen {
dsc_kernel_info EmitNvfp4Gemv(KernelBuilder& kb, const LinearKernelSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  const int v = kb.lanes();
  const int64_t m = spec.m, k = spec.k;
  const int64_t chunk_bytes = 4 * v, chunk_cols = 8 * v, blocks_per_chunk = v / 2;
  // Hardware prefetchers alone leave the core waiting on DRAM with this much arithmetic per
  // line (0.4 of the read bandwidth without software prefetch, 0.9+ with it, 1 thread).
  const GemvWalk walk = PlanGemvWalk(spec, chunk_cols, 4, /*default_lead=*/4096);
  const int64_t full_chunks = walk.full_chunks, chunks = walk.chunks;
  const int tail_blocks = walk.tail_blocks;
  const int64_t prefetch = walk.prefetch;

  KernelBuilder::LinearArgs a;
  kb.BeginLinearFunction(spec.Name(), &a);
  llvm::FixedVectorType* vf = kb.VecF();
  llvm::FixedVectorType* vi = kb.Vec(kb.I32(), v);

  // 1. x' = x re-laid out chunk by chunk: x'[c][t][L] = x[c·8V + 8L + t], zero past k.
  std::vector<int> transpose(chunk_cols);
  for (int t = 0; t < 8; ++t) {
    for (int lane = 0; lane < v; ++lane) transpose[t * v + lane] = 8 * lane + t;
  }
  llvm::FixedVectorType* chunk_type = kb.Vec(kb.F32(), static_cast<int>(chunk_cols));
  std::vector<llvm::Value*> xs(m);
  for (int64_t i = 0; i < m; ++i) {
    llvm::Value* x_row = kb.Gep(kb.F32(), a.x, ir.CreateMul(a.ldx, kb.Int(i)));
    xs[i] = kb.Gep(kb.F32(), a.scratch, kb.Int(i * chunks * chunk_cols));
    auto relayout = [&](llvm::Value* c, int valid) {
      llvm::Value* offset = ir.CreateMul(c, kb.Int(chunk_cols));
      llvm::Value* chunk = kb.LoadVec(chunk_type, kb.Gep(kb.F32(), x_row, offset), valid, 4);
      ir.CreateAlignedStore(ir.CreateShuffleVector(chunk, transpose),
                            kb.Gep(kb.F32(), xs[i], offset), llvm::Align(64));
    };
    kb.For(kb.Int(0), kb.Int(full_chunks), 1, "relayout",
           [&](llvm::Value* c) { relayout(c, static_cast<int>(chunk_cols)); });
    if (tail_blocks > 0) relayout(kb.Int(full_chunks), tail_blocks * 16);
  }

  // 2. Output rows.
  llvm::Value* out_scale =
      ir.CreateFMul(a.global_scale, llvm::ConstantFP::get(kb.F32(), kE4m3Unscale));

  // The rows of group g over one k block (EmitGemvWalk).
  auto row_group = [&](const GemvRowGroup& g, llvm::Value* c_begin, llvm::Value* first) {
    const int count = g.count;
    std::vector<std::vector<llvm::AllocaInst*>> acc(count, std::vector<llvm::AllocaInst*>(m));
    for (int i = 0; i < count; ++i) {
      for (int64_t j = 0; j < m; ++j) acc[i][j] = kb.Var(vf, kb.SplatF(v, 0.0f), "acc");
    }
    // `span` (1 or 2) consecutive chunks from chunk c; the last has `valid_blocks` blocks.
    // Two chunks share one scale load and conversion (V scale bytes = one binary16 vector).
    // `offset_loads`: the row continues for >= 3 bytes after these chunks, so nibble pairs 1..3
    // of every dword can be had by loading the chunk again 1, 2, 3 bytes later (free load
    // ports) instead of shifting (vector ALU ports, the bottleneck).
    auto chunk_body = [&](llvm::Value* c, int span, int valid_blocks, bool offset_loads) {
      const bool full = valid_blocks == blocks_per_chunk;
      for (int i = 0; i < count; ++i) {
        llvm::Value* row = g.Row(kb, i);
        llvm::Value* s_ptr = kb.Gep(kb.I8(), a.w_scale,
                                    ir.CreateAdd(ir.CreateMul(row, kb.Int(k / 16)),
                                                 ir.CreateMul(c, kb.Int(blocks_per_chunk))));
        if (prefetch > 0 && full) kb.Prefetch(kb.Gep(kb.I8(), s_ptr, kb.Int(prefetch / 8)), KernelBuilder::CacheLevel::kL2);
        const int scale_count = static_cast<int>(span * blocks_per_chunk);
        llvm::Value* all_scales = kb.DecodeE4m3(
            kb.LoadVec(kb.Vec(kb.I8(), scale_count), s_ptr,
                       static_cast<int>((span - 1) * blocks_per_chunk) + valid_blocks, 1));
        for (int h = 0; h < span; ++h) {
          llvm::Value* ch = ir.CreateAdd(c, kb.Int(h));
          const int valid = h + 1 < span ? static_cast<int>(blocks_per_chunk) : valid_blocks;
          llvm::Value* w_ptr = kb.Gep(kb.I8(), a.w,
                                      ir.CreateAdd(ir.CreateMul(row, kb.Int(k / 2)),
                                                   ir.CreateMul(ch, kb.Int(chunk_bytes))));
          llvm::Value* codes = ir.CreateBitCast(
              kb.LoadVec(kb.Vec(kb.I8(), static_cast<int>(chunk_bytes)), w_ptr, valid * 8, 1), vi);
          if (prefetch > 0 && full) kb.Prefetch(kb.Gep(kb.I8(), w_ptr, kb.Int(prefetch)), KernelBuilder::CacheLevel::kL2);
          std::vector<int> duplicate(v);
          for (int lane = 0; lane < v; ++lane) {
            duplicate[lane] = h * static_cast<int>(blocks_per_chunk) + lane / 2;
          }
          llvm::Value* scales = ir.CreateShuffleVector(all_scales, duplicate, "scales");
          std::vector<llvm::Value*> sum(m, nullptr);
          llvm::Value* pair = codes;  // dword L holds byte 4L + t/2 in its low byte
          for (int t = 0; t < 8; ++t) {
            if (offset_loads && t % 2 == 0 && t > 0) {
              pair =
                  ir.CreateAlignedLoad(vi, kb.Gep(kb.I8(), w_ptr, kb.Int(t / 2)), llvm::Align(1));
            }
            llvm::Value* shifted =
                offset_loads ? (t % 2 == 0 ? pair : ir.CreateLShr(pair, kb.SplatI(kb.I32(), v, 4)))
                : t == 0     ? codes
                             : ir.CreateLShr(codes, kb.SplatI(kb.I32(), v, 4 * t));
            llvm::Value* z = kb.DecodeE2m1(shifted);
            for (int64_t j = 0; j < m; ++j) {
              llvm::Value* x_ptr =
                  kb.Gep(kb.F32(), xs[j],
                         ir.CreateAdd(ir.CreateMul(ch, kb.Int(chunk_cols)), kb.Int(t * v)));
              llvm::Value* xv = ir.CreateAlignedLoad(vf, x_ptr, llvm::Align(64));
              sum[j] = t == 0 ? ir.CreateFMul(z, xv) : kb.FMulAdd(z, xv, sum[j]);
            }
          }
          for (int64_t j = 0; j < m; ++j) {
            ir.CreateStore(kb.FMulAdd(sum[j], scales, ir.CreateLoad(vf, acc[i][j])), acc[i][j]);
          }
        }
      }
    };
    EmitGemvBlockChunks(kb, walk, c_begin, chunk_body);
    StoreRowSums(kb, a, g.first, acc, out_scale, first, g.stride);
  };
  EmitGemvWalk(kb, a, walk, row_group);
  ir.CreateRetVoid();

  return GemvInfo(DSC_WEIGHT_NVFP4, spec, chunks * chunk_cols * 4);
}

}  // namespace dsc::codegen
