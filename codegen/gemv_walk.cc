#include "codegen/gemv_walk.h"

#include <algorithm>

namespace dsc::codegen {
namespace {

// x' per k block. Measured best of 8..32 KiB on Sapphire Rapids (48 KiB L1d) and, on Zen 4
// (32 KiB L1d), as good as 16 and 24 KiB: the float32 kernel hardly cares (its FMAs bound it at
// m >= 2), the BF16-activation one at m = 4, k = 7168 goes 7.5 -> 11.3 GB/s in L2 against no
// blocks (`nvfp4_gemv_bench --benchmark_filter='Hot/[01]/[248]/0/-1/'`, BENCHMARKS.md).
constexpr int64_t kDefaultXBlockBytes = 32 * 1024;

}  // namespace

GemvWalk PlanGemvWalk(const LinearKernelSpec& spec, int64_t chunk_cols, int64_t x_bytes_per_column,
                      int64_t default_lead) {
  const int64_t k = spec.k, chunk_bytes = chunk_cols / 2;
  GemvWalk w;
  w.rows = spec.rows_per_iteration > 0 ? spec.rows_per_iteration : (spec.m <= 2 ? 2 : 1);
  w.split = !spec.adjacent_rows;
  const int rows = w.rows;
  w.full_chunks = k / chunk_cols;
  w.tail_blocks = static_cast<int>((k % chunk_cols) / 16);
  w.full_blocks = static_cast<int>(chunk_cols / 16);
  w.chunks = w.full_chunks + (k % chunk_cols != 0 ? 1 : 0);
  const int64_t x_block = spec.x_block_bytes > 0 ? spec.x_block_bytes : kDefaultXBlockBytes;
  w.block_chunks = spec.m == 1 ? w.chunks
                               : std::max<int64_t>(
                                     2, x_block / (spec.m * chunk_cols * x_bytes_per_column) / 2 * 2);
  w.mid_blocks = w.chunks > w.block_chunks ? (w.chunks - 1) / w.block_chunks : 0;
  w.last_begin = w.mid_blocks * w.block_chunks;
  const int64_t lead = spec.prefetch_distance >= 0 ? spec.prefetch_distance : default_lead;
  const int64_t group_bytes = rows * (w.mid_blocks > 0 ? w.block_chunks * chunk_bytes : k / 2);
  const int64_t groups_ahead = std::max<int64_t>(1, (lead + group_bytes - 1) / group_bytes);
  if (lead <= 0) {
    w.prefetch = 0;
  } else if (w.split && w.mid_blocks == 0) {  // each member's stream is contiguous
    w.prefetch = std::max<int64_t>(64, (lead / rows + 63) / 64 * 64);
  } else {
    w.prefetch = groups_ahead * (w.split ? 1 : rows) * (k / 2);
  }
  return w;
}

void EmitGemvWalk(KernelBuilder& kb, const KernelBuilder::LinearArgs& a, const GemvWalk& walk,
                  const GemvRowGroupEmitter& row_group) {
  llvm::IRBuilder<>& ir = kb.ir();
  auto all_rows = [&](llvm::Value* c_begin, llvm::Value* first) {
    if (walk.split) {
      kb.ForSplitRowGroups(a.row_begin, a.row_end, walk.rows,
                           [&](llvm::Value* r, llvm::Value* part, int count) {
                             row_group({r, part, count}, c_begin, first);
                           });
    } else {
      kb.ForRowGroups(a.row_begin, a.row_end, walk.rows, [&](llvm::Value* r, int count) {
        row_group({r, kb.Int(1), count}, c_begin, first);
      });
    }
  };
  if (walk.mid_blocks > 0) {
    kb.For(kb.Int(0), kb.Int(walk.mid_blocks), 1, "kblock", [&](llvm::Value* b) {
      all_rows(ir.CreateMul(b, kb.Int(walk.block_chunks)), ir.CreateICmpEQ(b, kb.Int(0)));
    });
  }
  all_rows(nullptr, walk.mid_blocks > 0 ? ir.getFalse() : nullptr);
}

void EmitGemvBlockChunks(KernelBuilder& kb, const GemvWalk& walk, llvm::Value* c_begin,
                         const GemvChunkEmitter& chunk_body) {
  llvm::IRBuilder<>& ir = kb.ir();
  auto pair = [&](llvm::Value* c) { chunk_body(c, 2, walk.full_blocks, true); };
  if (c_begin != nullptr) {  // blocks before the last: an even number of full chunks
    kb.For(c_begin, ir.CreateAdd(c_begin, kb.Int(walk.block_chunks)), 2, "chunk", pair);
    return;
  }
  const int64_t full = walk.full_chunks;
  const int64_t paired =
      std::max<int64_t>(walk.last_begin, walk.tail_blocks > 0 ? full / 2 * 2 : (full - 1) / 2 * 2);
  kb.For(kb.Int(walk.last_begin), kb.Int(paired), 2, "chunk", pair);
  if (full > paired) chunk_body(kb.Int(paired), static_cast<int>(full - paired), walk.full_blocks, false);
  if (walk.tail_blocks > 0) chunk_body(kb.Int(full), 1, walk.tail_blocks, false);
}

}  // namespace dsc::codegen
