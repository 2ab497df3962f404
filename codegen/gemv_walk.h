// How a decode GEMV walks its weight rows: the k blocks that keep the activations in L1 when
// m > 1, and the software-prefetch offset. Shared by the NVFP4 GEMVs (float32 and BF16
// activations); internal to codegen/.
#ifndef DSC_CODEGEN_GEMV_WALK_H_
#define DSC_CODEGEN_GEMV_WALK_H_

#include <cstdint>
#include <functional>

#include "codegen/kernel_builder.h"
#include "codegen/linear_kernels.h"

namespace dsc::codegen {

// A row is `chunks` chunks of `chunk_cols` columns (the last one may be a masked tail).
//
// k blocks (m > 1): every row reads all of x' (m · k activations); once that outgrows L1 (m >= 2
// at k = 7168) the x' loads come from L2 and cost more than the arithmetic. So for m > 1 the
// rows are walked once per block of `block_chunks` chunks whose x' (<= spec.x_block_bytes,
// default 32 KiB) stays in L1, and each block adds its partial dot products to y. m = 1 never
// blocks: rows share each x' load in pairs, so x' from L2 keeps up, while walking the rows once
// per block reads each row in pieces far apart in time (MLA's wo, 7168 x 16384: 0.62 -> 0.73 of
// the read bandwidth with 2 threads, 0.66 -> 0.79 with 1, `nvfp4_gemv_bench
// --benchmark_filter=BM_Nvfp4Gemv/6/`).
struct GemvWalk {
  // Weight rows per row group (spec.rows_per_iteration, default 2 for m <= 2, else 1): several
  // independent accumulation chains in flight, and the x' loads shared between the rows.
  int rows = 1;
  // Split row groups (KernelBuilder::ForSplitRowGroups; spec.adjacent_rows = false): the rows of
  // a group come from `rows` separate parts of the caller's range, so each is one sequential
  // stream through memory. Adjacent rows (0.75-3.5 KiB apart at DeepSeek shapes) make
  // interleaved streams the hardware prefetcher serves badly: on Zen 5 split groups read
  // 1.05-1.26x faster from DRAM, most at the short rows (k = 1536, 2048), e.g. 24576 x 1536
  // 16.2 -> 20.4 GB/s with 1 thread, 31.3 -> 39.5 with 2 (BENCHMARKS.md, "Split row groups").
  bool split = true;
  int64_t chunks = 0;        // per row, the tail included
  int64_t full_chunks = 0;   // per row, unmasked
  int tail_blocks = 0;       // 16-column blocks of the masked last chunk (0: none)
  int full_blocks = 0;       // 16-column blocks of a full chunk
  int64_t block_chunks = 0;  // per k block, even when k is blocked; == chunks when m = 1
  int64_t mid_blocks = 0;    // blocks before the last one: full chunks with more row after them
  int64_t last_begin = 0;    // first chunk of the last block (which has the row's end)
  // Software prefetch: bytes ahead of the weight byte being read, 0 = none. Split groups of
  // whole rows (m = 1): lead / rows, the same lead in consumption order as each member's stream
  // is contiguous. Otherwise a whole number of row groups, so the prefetched line is the same
  // offset some row groups later: a fixed lead in consumption order whatever the row length.
  int64_t prefetch = 0;
};

// x_bytes_per_column: bytes of x' per column and activation row (4 float32, 2 BF16);
// default_lead: prefetch bytes when spec leaves it at -1.
GemvWalk PlanGemvWalk(const LinearKernelSpec& spec, int64_t chunk_cols, int64_t x_bytes_per_column,
                      int64_t default_lead);

// One row group: rows first + i·stride, i < count.
struct GemvRowGroup {
  llvm::Value* first = nullptr;
  llvm::Value* stride = nullptr;
  int count = 1;
  llvm::Value* Row(KernelBuilder& kb, int i) const {
    return i == 0 ? first : kb.ir().CreateAdd(first, kb.ir().CreateMul(stride, kb.Int(i)));
  }
};

// The k blocks, each over all row groups of the caller's row range:
// row_group(g, c_begin, first) emits the rows of g over chunks [c_begin, c_begin +
// block_chunks), or with c_begin null the last block (last_begin to the row's end); `first` is
// null when k is not blocked, else an i1 that is true in the first block (store y, not add).
using GemvRowGroupEmitter =
    std::function<void(const GemvRowGroup& g, llvm::Value* c_begin, llvm::Value* first)>;
void EmitGemvWalk(KernelBuilder& kb, const KernelBuilder::LinearArgs& a, const GemvWalk& walk,
                  const GemvRowGroupEmitter& row_group);

// The chunks of one k block (c_begin as in GemvRowGroupEmitter):
// chunk_body(c, span, valid_blocks, offset_loads) emits `span` (1 or 2) consecutive chunks from
// chunk c, the last with `valid_blocks` blocks. Pairs of full chunks followed by more of the row
// get offset_loads (the kernel may load its codes again a few bytes later instead of shifting);
// the row's last one or two full chunks and the masked tail do not, so no load reads past the
// row (the last row may end at the end of a mapping).
using GemvChunkEmitter =
    std::function<void(llvm::Value* c, int span, int valid_blocks, bool offset_loads)>;
void EmitGemvBlockChunks(KernelBuilder& kb, const GemvWalk& walk, llvm::Value* c_begin,
                         const GemvChunkEmitter& chunk_body);

}  // namespace dsc::codegen

#endif  // DSC_CODEGEN_GEMV_WALK_H_
