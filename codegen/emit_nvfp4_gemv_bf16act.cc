// NVFP4 GEMV with the activations rounded to BF16 (opt-in reduced precision, AVX-512 BF16
// only): y[m, n] = bf16(x)[m, k] · Wᵀ, m static in 1..8.
//
// Why: on CPUs that run a 512-bit instruction as two 256-bit halves (Zen 4), the float32 GEMV
// is bound by its vector ports, not by memory: 8 vpermps + 9 FMAs + 4 shifts per 128 weights
// (BENCHMARKS.md, Zen 4 section). Here a 128-weight chunk of one row takes 4 vpermw lookups of
// 32 weights, 2 word shifts, 4 vdpbf16ps of 32 products, 1 scale FMA and half a scale decode.
//
// Layout: the chunk's 64 code bytes viewed as 32 words; word w holds the nibbles of columns
// 4w..4w+3, so z_q = e2m1_bf16((word >> 4q) & 0xF) (vpermw reads index bits [4:0], so its
// 32-entry table repeats the 16 codes) has word w = column 4w + q. vdpbf16ps adds the products
// of words 2L and 2L+1 (columns 8L + q and 8L + 4 + q) into float lane L, and every lane stays
// in one 16-column block (L/2), so the scale vector [s0 s0 s1 s1 ...] of the float32 kernel
// applies. The activations are rounded to BF16 (nearest even) once per call into scratch in
// the matching order: x'[c][q][2L + h] = bf16(x[128c + 8L + 4h + q]).
//
// Rows, k blocks for m > 1 and the software prefetch: gemv_walk.h, as in the float32 GEMV.
//
// Numerics: the E2M1 weights are exact in BF16 and a BF16 × BF16 product is exact in float32,
// so the result is the float32 product of W with bf16(x), up to summation order; the error
// against float32 activations is the rounding of x (relative 2^-9 per element).
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "codegen/gemv_walk.h"
#include "codegen/linear_emitters.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/IntrinsicsX86.h"
#include "numerics/scalar_formats.h"

namespace dsc::codegen {
namespace {

uint16_t Bf16Bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return static_cast<uint16_t>(bits >> 16);  // the E2M1 values have no low mantissa bits
}

}  // namespace

dsc_kernel_info EmitNvfp4GemvBf16Act(KernelBuilder& kb, const LinearKernelSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  const int64_t m = spec.m, k = spec.k;
  constexpr int64_t kChunkBytes = 64, kChunkCols = 128;
  // Twice the float32 GEMV's lead in bytes: this kernel consumes a row about twice as fast, so
  // the same lead in time (k = 2048 and 1536 rows: 0.62 -> 0.72 of the read bandwidth, 1 thread;
  // the k = 7168 shapes already prefetched one 7 KiB row group ahead and do not change).
  const GemvWalk walk = PlanGemvWalk(spec, kChunkCols, 2, /*default_lead=*/8192);
  const int64_t full_chunks = walk.full_chunks, chunks = walk.chunks;
  const int tail_blocks = walk.tail_blocks;
  const int64_t prefetch = walk.prefetch;

  KernelBuilder::LinearArgs a;
  kb.BeginLinearFunction(spec.Name(), &a);
  llvm::FixedVectorType* vf = kb.VecF();
  llvm::FixedVectorType* vw = kb.Vec(kb.I16(), 32);
  llvm::Function* dot = llvm::Intrinsic::getDeclaration(
      ir.GetInsertBlock()->getModule(), llvm::Intrinsic::x86_avx512bf16_dpbf16ps_512);
  llvm::Type* dot_operand = dot->getFunctionType()->getParamType(1);  // <32 x bfloat>

  // 1. x' = bf16(x) re-laid out chunk by chunk (zeros past k).
  std::vector<int> order(kChunkCols);
  for (int q = 0; q < 4; ++q) {
    for (int lane = 0; lane < 16; ++lane) {
      for (int h = 0; h < 2; ++h) order[q * 32 + 2 * lane + h] = 8 * lane + 4 * h + q;
    }
  }
  llvm::FixedVectorType* chunk_type = kb.Vec(kb.F32(), kChunkCols);
  llvm::FixedVectorType* chunk_bf16 = llvm::FixedVectorType::get(ir.getBFloatTy(), kChunkCols);
  std::vector<llvm::Value*> xs(m);
  for (int64_t j = 0; j < m; ++j) {
    llvm::Value* x_row = kb.Gep(kb.F32(), a.x, ir.CreateMul(a.ldx, kb.Int(j)));
    xs[j] = kb.Gep(kb.I16(), a.scratch, kb.Int(j * chunks * kChunkCols));
    auto relayout = [&](llvm::Value* c, int valid) {
      llvm::Value* offset = ir.CreateMul(c, kb.Int(kChunkCols));
      llvm::Value* chunk = kb.LoadVec(chunk_type, kb.Gep(kb.F32(), x_row, offset), valid, 4);
      llvm::Value* rounded = ir.CreateFPTrunc(ir.CreateShuffleVector(chunk, order), chunk_bf16);
      ir.CreateAlignedStore(rounded, kb.Gep(kb.I16(), xs[j], offset), llvm::Align(64));
    };
    kb.For(kb.Int(0), kb.Int(full_chunks), 1, "relayout",
           [&](llvm::Value* c) { relayout(c, static_cast<int>(kChunkCols)); });
    if (tail_blocks > 0) relayout(kb.Int(full_chunks), tail_blocks * 16);
  }

  // 2. Output rows.
  std::vector<llvm::Constant*> table(32);
  for (int i = 0; i < 32; ++i) {
    table[i] = llvm::ConstantInt::get(kb.I16(), Bf16Bits(numerics::DecodeE2m1(static_cast<uint8_t>(i & 15))));
  }
  llvm::Constant* e2m1_table = llvm::ConstantVector::get(table);
  llvm::Value* out_scale =
      ir.CreateFMul(a.global_scale, llvm::ConstantFP::get(kb.F32(), kE4m3Unscale));

  // The rows of group g over one k block (EmitGemvWalk).
  auto row_group = [&](const GemvRowGroup& g, llvm::Value* c_begin, llvm::Value* first) {
    const int count = g.count;
    std::vector<std::vector<llvm::AllocaInst*>> acc(count, std::vector<llvm::AllocaInst*>(m));
    for (int i = 0; i < count; ++i) {
      for (int64_t j = 0; j < m; ++j) acc[i][j] = kb.Var(vf, kb.SplatF(16, 0.0f), "acc");
    }
    // `span` (1 or 2) consecutive chunks from chunk c, the last with `valid_blocks` blocks; two
    // chunks share one scale load and conversion. `offset_loads`: more of the row follows these
    // chunks, so the codes loaded again one byte later have nibbles 2 and 3 of every word in
    // bits 0..7 (a load port instead of the vector ALUs this kernel is bound by: one shift less).
    auto chunk_body = [&](llvm::Value* c, int span, int valid_blocks, bool offset_loads) {
      const bool full = valid_blocks == 8;
      for (int i = 0; i < count; ++i) {
        llvm::Value* row = g.Row(kb, i);
        llvm::Value* s_ptr = kb.Gep(kb.I8(), a.w_scale,
                                    ir.CreateAdd(ir.CreateMul(row, kb.Int(k / 16)),
                                                 ir.CreateMul(c, kb.Int(8))));
        if (prefetch > 0 && full) {
          kb.Prefetch(kb.Gep(kb.I8(), s_ptr, kb.Int(prefetch / 8)), KernelBuilder::CacheLevel::kL2);
        }
        llvm::Value* all_scales = kb.DecodeE4m3(
            kb.LoadVec(kb.Vec(kb.I8(), 8 * span), s_ptr, 8 * (span - 1) + valid_blocks, 1));
        for (int h = 0; h < span; ++h) {
          const int valid = h + 1 < span ? 8 : valid_blocks;
          llvm::Value* w_ptr = kb.Gep(kb.I8(), a.w,
                                      ir.CreateAdd(ir.CreateMul(row, kb.Int(k / 2)),
                                                   ir.CreateMul(ir.CreateAdd(c, kb.Int(h)),
                                                                kb.Int(kChunkBytes))));
          if (prefetch > 0 && full) {
            kb.Prefetch(kb.Gep(kb.I8(), w_ptr, kb.Int(prefetch)), KernelBuilder::CacheLevel::kL2);
          }
          std::vector<int> duplicate(16);
          for (int lane = 0; lane < 16; ++lane) duplicate[lane] = 8 * h + lane / 2;
          llvm::Value* scales = ir.CreateShuffleVector(all_scales, duplicate, "scales");
          llvm::Value* codes = ir.CreateBitCast(
              kb.LoadVec(kb.Vec(kb.I8(), kChunkBytes), w_ptr, valid * 8, 1), vw);
          llvm::Value* high = offset_loads ? ir.CreateAlignedLoad(vw, kb.Gep(kb.I8(), w_ptr, kb.Int(1)),
                                                                  llvm::Align(1))
                                           : ir.CreateLShr(codes, kb.SplatI(kb.I16(), 32, 8));
          const std::array<llvm::Value*, 4> index = {
              codes, ir.CreateLShr(codes, kb.SplatI(kb.I16(), 32, 4)), high,
              ir.CreateLShr(high, kb.SplatI(kb.I16(), 32, 4))};
          std::vector<llvm::Value*> z(4);
          for (int q = 0; q < 4; ++q) {
            z[q] = ir.CreateBitCast(ir.CreateIntrinsic(llvm::Intrinsic::x86_avx512_permvar_hi_512, {},
                                                       {e2m1_table, index[q]}),
                                    dot_operand);
          }
          llvm::Value* x_offset = ir.CreateMul(ir.CreateAdd(c, kb.Int(h)), kb.Int(kChunkCols));
          for (int64_t j = 0; j < m; ++j) {
            llvm::Value* sum = kb.SplatF(16, 0.0f);
            for (int q = 0; q < 4; ++q) {
              llvm::Value* x_ptr = kb.Gep(kb.I16(), xs[j], ir.CreateAdd(x_offset, kb.Int(32 * q)));
              llvm::Value* xv = ir.CreateAlignedLoad(dot_operand, x_ptr, llvm::Align(64));
              sum = ir.CreateCall(dot, {sum, z[q], xv});
            }
            ir.CreateStore(kb.FMulAdd(sum, scales, ir.CreateLoad(vf, acc[i][j])), acc[i][j]);
          }
        }
      }
    };
    EmitGemvBlockChunks(kb, walk, c_begin, chunk_body);
    StoreRowSums(kb, a, g.first, acc, out_scale, first, g.stride);
  };
  EmitGemvWalk(kb, a, walk, row_group);
  ir.CreateRetVoid();

  return GemvInfo(DSC_WEIGHT_NVFP4, spec, chunks * kChunkCols * 2);
}

}  // namespace dsc::codegen
