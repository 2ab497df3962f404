// Entry points of the linear-layer code generator: describe a kernel (format, m, n, k), emit
// it as LLVM IR for a target, or JIT-compile it to a dsc_linear_kernel the runtime can call.
//
// Kernels (all float32 activations, float32 accumulation, weights decoded in registers from
// the checkpoint's layout, see runtime/kernel_abi.h for the calling convention):
//   kNvfp4Gemv  y[m, n] = x[m, k] · Wᵀ for a static m in 1..8 (decode, small batch).
//   kFp8Gemv    the same for DeepSeek FP8 block-128 weights.
//   kBf16Gemv   the same for dense BF16 weights (lm_head, router, indexer weights_proj).
//   kNvfp4Gemm  prefill (m is a runtime argument, any m >= 1; built for m >= 16): weights
//               decoded tile by tile into cache, then a register-blocked FMA microkernel.
//   kRmsNorm    not a product: rms_norm and the fused add_rms_norm of rows of n == k
//               columns (m = 1; a dsc_rms_norm_fn, runtime/kernel_abi.h), compiled, cached
//               and put in artifacts by the same path as the products.
//   kIndexerScores  the indexer's scores of one decode query row: n = heads, k = head dim
//               (m = 1; a dsc_indexer_scores_fn), bit-identical to the reference.
//   kMlaAttention  MLA's latent attention of one decode query row, all heads: n = k = the
//               latent rank (m = 1; a dsc_mla_attention_fn), bit-identical to the reference.
//   kIndexerBlock  one head's term of the indexer's prefill scores for 16 query rows: n = k = the
//               head dim (m = 1; a dsc_indexer_block_fn), bit-identical to the reference.
//   kSwiGlu     SwiGLU of the gate and up products over any length (n = k = 1, m = 1; a
//               dsc_swiglu_fn), bit-identical to the reference.
//   kLayerNorm  not a product: layer_norm of rows of n == k columns (m = 1; a
//               dsc_layer_norm_fn), bit-identical to the reference.
//   kTopkMask   not a product: the indexer's top-k mask, any row length and k as arguments
//               (n = k = 1, m = 1; a dsc_topk_mask_fn), the reference's set exactly.
//   kAttentionBlock  one head × 16 query rows of prefill attention: k = the head dim, n = the
//               value dim (m = 1; a dsc_attention_block_fn), bit-identical to the reference.
#ifndef DSC_CODEGEN_LINEAR_KERNELS_H_
#define DSC_CODEGEN_LINEAR_KERNELS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "codegen/jit.h"
#include "codegen/target.h"
#include "runtime/kernel_abi.h"

namespace llvm {
class Module;
}  // namespace llvm

namespace dsc::codegen {

enum class LinearKernelKind {
  kNvfp4Gemv,
  kFp8Gemv,
  kNvfp4Gemm,
  kBf16Gemv,
  kRmsNorm,
  kIndexerScores,
  kMlaAttention,
  kAttentionBlock,
  kIndexerBlock,
  kSwiGlu,
  kLayerNorm,
  kTopkMask
};

struct LinearKernelSpec {
  LinearKernelKind kind = LinearKernelKind::kNvfp4Gemv;
  int64_t m = 1;  // GEMV: the static number of activation rows, 1..8; GEMM: ignored
  int64_t n = 0;  // weight rows = output features
  int64_t k = 0;  // weight columns = input features (NVFP4: a multiple of 16)
  // Tuning knobs; 0 / -1 = the emitter's default for the ISA. Benchmarks sweep them.
  int rows_per_iteration = 0;  // GEMV: weight rows decoded together
  int prefetch_distance = -1;  // GEMV: software prefetch, bytes ahead in each row; 0 = none
  int x_block_bytes = 0;       // NVFP4 GEMV, m > 1: activation bytes per k block (gemv_walk.h)
  bool adjacent_rows = false;  // NVFP4 GEMV: row groups of adjacent rows, not split (gemv_walk.h)
  int gemm_mr = 0;             // GEMM: activation rows of the register block
  int gemm_nr_vectors = 0;     // GEMM: weight rows of the register block, in vectors
  int gemm_kc = 0;             // GEMM: columns decoded per tile (a multiple of 8·lanes)
  // NVFP4 and BF16 GEMVs, opt-in reduced precision: the activations are rounded to BF16 and
  // the products summed with vdpbf16ps (needs AVX-512 BF16; emit_nvfp4_gemv_bf16act.cc,
  // emit_bf16_gemv.cc).
  bool bf16_activations = false;

  // Unique symbol name, e.g. "dsc_nvfp4_gemv_m1_n2048_k7168" (+ tuning suffixes if set).
  std::string Name() const;
};

absl::Status ValidateSpec(const LinearKernelSpec& spec);

// Emits function spec.Name() into `module` for `target`; returns what the runtime needs.
absl::StatusOr<dsc_kernel_info> EmitLinearKernel(const LinearKernelSpec& spec,
                                                 const TargetCpu& target, llvm::Module& module);

// Emits `specs` into one module (one object-cache entry), compiles it for the Jit's target and
// returns the kernels in the order of `specs`. Each symbol may be compiled once per Jit.
absl::StatusOr<std::vector<dsc_linear_kernel>> CompileLinearKernels(
    Jit& jit, const std::vector<LinearKernelSpec>& specs,
    const std::string& module_name = "dsc_linear_kernels");
absl::StatusOr<dsc_linear_kernel> CompileLinearKernel(Jit& jit, const LinearKernelSpec& spec);

// The unoptimized IR text of one kernel (snapshots, debugging: pipe it to llc).
absl::StatusOr<std::string> LinearKernelIr(const LinearKernelSpec& spec, const TargetCpu& target);

}  // namespace dsc::codegen

#endif  // DSC_CODEGEN_LINEAR_KERNELS_H_
