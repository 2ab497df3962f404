// NVFP4 GEMM for prefill: y[m, n] = x[m, k] · Wᵀ, m a runtime argument (≥ 16 is the intent).
//
// Classic GEMM blocking with the weight decode as the packing step:
//   for pc in K by KC:                  x[:, pc:pc+KC] stays in L2 for the whole n range
//     for nb in [row_begin, row_end) by NR:
//       decode W[nb:nb+NR, pc:pc+KC] -> B̃[KC][NR] float32 (scratch, L1/L2); prefetch next tile
//       for m0 in [0, m) by MR:         MR×NR register block: acc += x[m, k] (broadcast) · B̃[k]
// so every weight is decoded exactly once per call and reused m times.
//
// The decode reads the checkpoint layout (zero copy) and produces vectors over n (weight rows)
// without any float transpose: for V rows, the 4V-byte chunk of each row is V dwords of 8
// nibbles; a V×V dword transpose gives, per dword group g, a vector whose lane r is row r's
// nibbles of columns 8g..8g+7, and e2m1((T_g >> 4t) & 0xF) · scale_r is column 8g+t across the
// V rows (the GEMV trick, transposed). Scales are transposed as bytes the same way.
//
// Edge handling: activation rows past m repeat row m-1 (identical values, identical stores);
// weight rows past row_end repeat row_end-1 and their lanes are masked out of the stores;
// a k tail (k % 8V) is read with masked loads (zeros).
#include <algorithm>
#include <vector>

#include "codegen/linear_emitters.h"
#include "llvm/IR/Intrinsics.h"

namespace dsc::codegen {
namespace {

// In-register transpose of n vectors of n lanes (Eklundh: swap off-diagonal blocks of size
// s = n/2, n/4, ..., 1); n·log2(n) two-source shuffles.
std::vector<llvm::Value*> Transpose(llvm::IRBuilder<>& ir, std::vector<llvm::Value*> rows) {
  const int n = static_cast<int>(rows.size());
  for (int s = n / 2; s >= 1; s /= 2) {
    std::vector<int> lo(n), hi(n);
    for (int c = 0; c < n; ++c) {
      lo[c] = (c & s) == 0 ? c : n + c - s;
      hi[c] = (c & s) == 0 ? c + s : n + c;
    }
    for (int i = 0; i < n; ++i) {
      if ((i & s) != 0) continue;
      llvm::Value* a = rows[i];
      llvm::Value* b = rows[i + s];
      rows[i] = ir.CreateShuffleVector(a, b, lo);
      rows[i + s] = ir.CreateShuffleVector(a, b, hi);
    }
  }
  return rows;
}

}  // namespace

dsc_kernel_info EmitNvfp4Gemm(KernelBuilder& kb, const LinearKernelSpec& spec) {
  llvm::IRBuilder<>& ir = kb.ir();
  const int v = kb.lanes();
  const int64_t k = spec.k;
  const bool wide = kb.isa() == Isa::kAvx512;  // 32 vector registers
  const int mr = spec.gemm_mr > 0 ? spec.gemm_mr : (wide ? 8 : 6);
  const int nv = spec.gemm_nr_vectors > 0 ? spec.gemm_nr_vectors : (wide ? 3 : 2);
  const int64_t nr = int64_t{nv} * v;
  const int64_t chunk_bytes = 4 * v, chunk_cols = 8 * v, blocks_per_chunk = v / 2;
  // Deep k tiles amortize the per-tile work (output load/store, row setup) over more FMAs;
  // 2048 measured best at m = 128 and 512 on Sapphire Rapids (B̃ = 384 KiB sits in L2; the
  // broadcast activations stream through L1 fine).
  const int64_t k_padded = (k + chunk_cols - 1) / chunk_cols * chunk_cols;
  const int64_t kc = std::min<int64_t>(
      k_padded,
      std::max<int64_t>(chunk_cols, spec.gemm_kc > 0 ? spec.gemm_kc : (wide ? 2048 : 1024)) /
          chunk_cols * chunk_cols);
  const int64_t full_chunks = k / chunk_cols;
  const int tail_blocks = static_cast<int>((k % chunk_cols) / 16);

  KernelBuilder::LinearArgs a;
  kb.BeginLinearFunction(spec.Name(), &a);
  llvm::FixedVectorType* vf = kb.VecF();
  llvm::FixedVectorType* vi = kb.Vec(kb.I32(), v);
  llvm::Value* panel = a.scratch;  // B̃ [kc][nr] float32
  llvm::Value* out_scale =
      ir.CreateFMul(a.global_scale, llvm::ConstantFP::get(kb.F32(), kE4m3Unscale));
  llvm::Value* last_row = ir.CreateSub(a.row_end, kb.Int(1));
  llvm::Value* last_m = ir.CreateSub(a.m, kb.Int(1));

  // Decodes chunk `c` (global chunk index) of rows nb.. into B̃ rows (c - c0)·8V...
  auto decode_chunk = [&](llvm::Value* nb, llvm::Value* c, llvm::Value* c0, int valid_blocks) {
    for (int j = 0; j < nv; ++j) {
      std::vector<llvm::Value*> codes(v), scales(v);
      for (int r = 0; r < v; ++r) {
        llvm::Value* row = ir.CreateBinaryIntrinsic(llvm::Intrinsic::smin,
                                                    ir.CreateAdd(nb, kb.Int(j * v + r)), last_row);
        llvm::Value* w_ptr = kb.Gep(
            kb.I8(), a.w,
            ir.CreateAdd(ir.CreateMul(row, kb.Int(k / 2)), ir.CreateMul(c, kb.Int(chunk_bytes))));
        codes[r] = ir.CreateBitCast(
            kb.LoadVec(kb.Vec(kb.I8(), static_cast<int>(chunk_bytes)), w_ptr, valid_blocks * 8, 1),
            vi);
        llvm::Value* s_ptr = kb.Gep(kb.I8(), a.w_scale,
                                    ir.CreateAdd(ir.CreateMul(row, kb.Int(k / 16)),
                                                 ir.CreateMul(c, kb.Int(blocks_per_chunk))));
        scales[r] =
            kb.LoadVec(kb.Vec(kb.I8(), static_cast<int>(blocks_per_chunk)), s_ptr, valid_blocks, 1);
        // The same bytes of the next tile (rows + nr): they arrive while this tile computes.
        for (llvm::Value* p : {w_ptr, s_ptr}) {
          kb.Prefetch(kb.Gep(kb.I8(), p, ir.CreateMul(kb.Int(nr), p == w_ptr ? kb.Int(k / 2) : kb.Int(k / 16))),
                      KernelBuilder::CacheLevel::kL1);
        }
      }
      std::vector<llvm::Value*> groups = Transpose(ir, codes);
      // Scale bytes: [v rows][v/2 blocks] -> [v/2 blocks][v rows].
      while (scales.size() > 1) {
        std::vector<llvm::Value*> joined;
        for (size_t i = 0; i < scales.size(); i += 2) {
          const int width = static_cast<int>(
              llvm::cast<llvm::FixedVectorType>(scales[i]->getType())->getNumElements());
          std::vector<int> concat(2 * width);
          for (int e = 0; e < 2 * width; ++e) concat[e] = e;
          joined.push_back(ir.CreateShuffleVector(scales[i], scales[i + 1], concat));
        }
        scales = joined;
      }
      std::vector<llvm::Value*> block_scales(blocks_per_chunk);
      for (int b = 0; b < blocks_per_chunk; ++b) {
        std::vector<int> pick(v);
        for (int r = 0; r < v; ++r) pick[r] = r * static_cast<int>(blocks_per_chunk) + b;
        block_scales[b] = kb.DecodeE4m3(ir.CreateShuffleVector(scales[0], pick));
      }
      llvm::Value* base = ir.CreateMul(ir.CreateSub(c, c0), kb.Int(chunk_cols));
      for (int g = 0; g < 2 * valid_blocks; ++g) {
        for (int t = 0; t < 8; ++t) {
          llvm::Value* shifted =
              t == 0 ? groups[g] : ir.CreateLShr(groups[g], kb.SplatI(kb.I32(), v, 4 * t));
          llvm::Value* w = ir.CreateFMul(kb.DecodeE2m1(shifted), block_scales[g / 2]);
          llvm::Value* kk = ir.CreateAdd(base, kb.Int(8 * g + t));
          llvm::Value* dst =
              kb.Gep(kb.F32(), panel, ir.CreateAdd(ir.CreateMul(kk, kb.Int(nr)), kb.Int(j * v)));
          ir.CreateAlignedStore(w, dst, llvm::Align(64));
        }
      }
    }
  };

  // acc[MR][nv] += x[m0.., pc + kk] · B̃[kk] for kk < cols; first: start from 0, else from y;
  // last: scale by the global scale. Stores only the n_valid lanes of the tile.
  auto micro = [&](llvm::Value* m0, llvm::Value* nb, llvm::Value* pc, llvm::Value* cols,
                   llvm::Value* first, llvm::Value* last, llvm::Value* n_valid) {
    std::vector<llvm::Value*> x_rows(mr), y_rows(mr), valid(nv);
    for (int i = 0; i < mr; ++i) {
      llvm::Value* row =
          ir.CreateBinaryIntrinsic(llvm::Intrinsic::smin, ir.CreateAdd(m0, kb.Int(i)), last_m);
      x_rows[i] = kb.Gep(kb.F32(), a.x, ir.CreateAdd(ir.CreateMul(row, a.ldx), pc));
      y_rows[i] = kb.Gep(kb.F32(), a.y, ir.CreateAdd(ir.CreateMul(row, a.ldy), nb));
    }
    for (int j = 0; j < nv; ++j) valid[j] = ir.CreateSub(n_valid, kb.Int(j * v));
    // The output tile of the next block of rows is read-modify-written next; with m = 512 the
    // outputs live in L3, so fetch them (for writing) while this block computes.
    for (int i = 0; i < mr; ++i) {
      llvm::Value* row =
          ir.CreateBinaryIntrinsic(llvm::Intrinsic::smin, ir.CreateAdd(m0, kb.Int(mr + i)), last_m);
      llvm::Value* next = kb.Gep(kb.F32(), a.y, ir.CreateAdd(ir.CreateMul(row, a.ldy), nb));
      for (int64_t byte = 0; byte < nr * 4 + 63; byte += 64) {
        ir.CreateIntrinsic(
            llvm::Intrinsic::prefetch, {kb.Ptr()},
            {kb.Gep(kb.I8(), next, kb.Int(byte)), ir.getInt32(1), ir.getInt32(3), ir.getInt32(1)});
      }
    }
    std::vector<std::vector<llvm::AllocaInst*>> acc(mr, std::vector<llvm::AllocaInst*>(nv));
    for (int i = 0; i < mr; ++i) {
      for (int j = 0; j < nv; ++j) {
        llvm::Value* old =
            kb.LoadVecPrefix(vf, kb.Gep(kb.F32(), y_rows[i], kb.Int(j * v)), valid[j], 4);
        acc[i][j] = kb.Var(vf, ir.CreateSelect(first, kb.SplatF(v, 0.0f), old), "acc");
      }
    }
    kb.For(kb.Int(0), cols, 1, "kk", [&](llvm::Value* kk) {
      std::vector<llvm::Value*> b(nv);
      for (int j = 0; j < nv; ++j) {
        b[j] = ir.CreateAlignedLoad(
            vf, kb.Gep(kb.F32(), panel, ir.CreateAdd(ir.CreateMul(kk, kb.Int(nr)), kb.Int(j * v))),
            llvm::Align(64));
      }
      for (int i = 0; i < mr; ++i) {
        llvm::Value* xs = kb.Splat(v, ir.CreateLoad(kb.F32(), kb.Gep(kb.F32(), x_rows[i], kk)));
        for (int j = 0; j < nv; ++j) {
          ir.CreateStore(kb.FMulAdd(xs, b[j], ir.CreateLoad(vf, acc[i][j])), acc[i][j]);
        }
      }
    });
    llvm::Value* scale =
        kb.Splat(v, ir.CreateSelect(last, out_scale, llvm::ConstantFP::get(kb.F32(), 1.0f)));
    for (int i = 0; i < mr; ++i) {
      for (int j = 0; j < nv; ++j) {
        kb.StoreVecPrefix(ir.CreateFMul(ir.CreateLoad(vf, acc[i][j]), scale),
                          kb.Gep(kb.F32(), y_rows[i], kb.Int(j * v)), valid[j], 4);
      }
    }
  };

  // Rows are taken in slices whose outputs y[:, slice] (~256 KiB) stay in L2 across all pc:
  // otherwise, with m = 512, every pc re-reads and re-writes all outputs from L3.
  llvm::Value* slice = ir.CreateMul(
      ir.CreateBinaryIntrinsic(llvm::Intrinsic::smax, kb.Int(1),
                               ir.CreateSDiv(ir.CreateSDiv(kb.Int(65536), a.m), kb.Int(nr))),
      kb.Int(nr));
  kb.For(a.row_begin, a.row_end, slice, "slice", [&](llvm::Value* s0) {
    llvm::Value* s1 =
        ir.CreateBinaryIntrinsic(llvm::Intrinsic::smin, ir.CreateAdd(s0, slice), a.row_end);
    kb.For(kb.Int(0), kb.Int(k), kc, "pc", [&](llvm::Value* pc) {
      llvm::Value* cols =
          ir.CreateBinaryIntrinsic(llvm::Intrinsic::smin, kb.Int(kc), ir.CreateSub(kb.Int(k), pc));
      llvm::Value* first = ir.CreateICmpEQ(pc, kb.Int(0));
      llvm::Value* last = ir.CreateICmpSGE(ir.CreateAdd(pc, kb.Int(kc)), kb.Int(k));
      llvm::Value* c0 = ir.CreateSDiv(pc, kb.Int(chunk_cols));
      llvm::Value* c_end = ir.CreateBinaryIntrinsic(
          llvm::Intrinsic::smin, ir.CreateAdd(c0, kb.Int(kc / chunk_cols)), kb.Int(full_chunks));
      kb.For(s0, s1, nr, "nb", [&](llvm::Value* nb) {
        kb.For(c0, c_end, 1, "decode", [&](llvm::Value* c) {
          decode_chunk(nb, c, c0, static_cast<int>(blocks_per_chunk));
        });
        if (tail_blocks > 0) {
          kb.If(last, [&] { decode_chunk(nb, kb.Int(full_chunks), c0, tail_blocks); });
        }
        llvm::Value* n_valid = ir.CreateSub(a.row_end, nb);
        kb.For(kb.Int(0), a.m, mr, "m0",
               [&](llvm::Value* m0) { micro(m0, nb, pc, cols, first, last, n_valid); });
      });
    });
  });
  ir.CreateRetVoid();

  dsc_kernel_info info{};
  info.abi_version = DSC_KERNEL_ABI_VERSION;
  info.format = DSC_WEIGHT_NVFP4;
  info.n = spec.n;
  info.k = spec.k;
  info.m_static = 0;
  info.row_align = nr;
  info.scratch_base = kc * nr * 4;
  info.scratch_per_m = 0;
  info.scratch_m_align = 1;
  return info;
}

}  // namespace dsc::codegen
