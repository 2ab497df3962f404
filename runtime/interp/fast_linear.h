// An optional accelerator for the interpreter's products: an engine that has compiled kernels
// for some (format, m, n, k) supplies them here (the JIT does, through the C ABI of
// runtime/kernel_abi.h); everything else stays on the reference path.
#ifndef DSC_RUNTIME_INTERP_FAST_LINEAR_H_
#define DSC_RUNTIME_INTERP_FAST_LINEAR_H_

#include <cstdint>

#include "absl/status/status.h"
#include "ir/dtype.h"
#include "runtime/kernel_abi.h"
#include "runtime/interp/kernels_elementwise.h"
#include "runtime/interp/tensor.h"
#include "runtime/thread_pool.h"

namespace dsc::runtime {

class FastLinear {
 public:
  virtual ~FastLinear() = default;
  // y[m, n] = x[m, k] · W[index]ᵀ for matrix `index` of the quantized weight `w` [..., n, k].
  // Returns false (touching nothing) when no kernel fits; the caller then uses the reference.
  virtual bool Run(const QuantView& w, int64_t index, int64_t n, int64_t k, const float* x, int64_t m,
                   float* y) = 0;

  // The same for a dense row-major matrix W [n, k] of `dtype` read in place at `w` (BF16 weights
  // straight from the mmapped checkpoint: half the bytes of a widened float32 copy).
  virtual bool RunDense(ir::DType dtype, const uint8_t* w, int64_t n, int64_t k, const float* x, int64_t m,
                        float* y) {
    return false;
  }

  // For callers that split their own work over pool(): only outputs j in [row_begin, row_end)
  // of y[m, n] (row i at y + i·n), computed on the calling thread, which is pool() task
  // `thread`. The weight is matrix `index` of `quant` when quant != nullptr, else the dense
  // `dtype` matrix at `dense`. Returns false (touching nothing) when no kernel fits.
  virtual bool RunRows(const QuantView* quant, int64_t index, ir::DType dtype, const uint8_t* dense, int64_t n,
                       int64_t k, const float* x, int64_t m, float* y, int64_t row_begin, int64_t row_end,
                       int thread) {
    return false;
  }

  // Not a product, but compiled the same way: y = rms_norm(s) · weight per row of `dim`, where
  // s = x + residual is also stored to `sum` (add_rms_norm), or s = x with residual and sum
  // null (rms_norm). Returns false (touching nothing) when no kernel fits.
  virtual bool RmsNorm(const float* x, const float* residual, float* sum, const float* weight, int64_t rows,
                       int64_t dim, float eps, float* y) {
    return false;
  }

  // y = layer_norm(x) · gamma + beta per row of `dim`, bit-identical to ref::LayerNorm.
  // Returns false (touching nothing) when no kernel fits.
  virtual bool LayerNorm(const float* x, const float* gamma, const float* beta, int64_t rows,
                         int64_t dim, float eps, float* y) {
    return false;
  }

  // The lightning indexer's scores of one query row for keys [begin, end), the query laid out
  // with its heads in lanes (dsc_indexer_scores_args in runtime/kernel_abi.h has the layout and
  // the formula), bit-identical to the reference. Callable from the pool's threads (begin ==
  // end only finds or compiles the kernel). Returns false when there is none.
  virtual bool IndexerRowScores(const float* qt, const float* wv, const float* k, const float* k_scale,
                                int64_t heads, int64_t d, float scale, int64_t begin, int64_t end, float* out) {
    return false;
  }

  // MLA's latent attention of one decode query row for a latent `rank`
  // (dsc_mla_attention_args in runtime/kernel_abi.h), bit-identical to the reference; nullptr when
  // there is none. Found or compiled on the calling thread; the function may then be called from
  // any thread.
  virtual dsc_mla_attention_fn MlaAttention(int64_t rank) { return nullptr; }
  // The same for one task of prefill attention with head dim d and value dim dv
  // (dsc_attention_block_args).
  virtual dsc_attention_block_fn AttentionBlock(int64_t d, int64_t dv) { return nullptr; }
  // The same for one head's term of the indexer's prefill scores, head dim d
  // (dsc_indexer_block_args).
  virtual dsc_indexer_block_fn IndexerBlock(int64_t d) { return nullptr; }
  // The same for SwiGLU of any length (dsc_swiglu_args).
  virtual dsc_swiglu_fn SwiGlu() { return nullptr; }
  // The same for the indexer's top-k mask of any row length and k (dsc_topk_mask_args).
  virtual dsc_topk_mask_fn TopkMask() { return nullptr; }

  // The engine's threads (nullptr: run everything on the calling thread).
  virtual ThreadPool* pool() { return nullptr; }

  // The opt-in reduced precision (`--activations bf16`): activations rounded to BF16 in the
  // products, MLA's latent attention included (latent_attention_fast.h).
  virtual bool bf16_activations() const { return false; }
};

// SwiGLU through `compiled` (FastLinear::SwiGlu), or the reference's loop when it is null: the
// same bits either way.
inline void SwiGluWith(dsc_swiglu_fn compiled, const float* gate, const float* up, int64_t n, float* y) {
  if (compiled == nullptr) {
    ref::SwiGlu(gate, up, n, y);
    return;
  }
  const dsc_swiglu_args args = {gate, up, y, n};
  if (n > 0) compiled(&args);
}

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_INTERP_FAST_LINEAR_H_
