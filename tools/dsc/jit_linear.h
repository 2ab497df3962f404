// The JIT engine's kernels for the interpreter's quantized products: NVFP4 / FP8 linear layers
// compiled by codegen/ for the target CPU on first use of each shape (cached on disk, so a
// second start does no code generation) and run on a thread pool that splits weight rows.
#ifndef DSC_TOOLS_DSC_JIT_LINEAR_H_
#define DSC_TOOLS_DSC_JIT_LINEAR_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "ir/module.h"
#include "runtime/cpu_kernels.h"
#include "runtime/interp/fast_linear.h"
#include "runtime/thread_pool.h"

namespace dsc::cli {

class JitLinear : public runtime::FastLinear {
 public:
  // bf16_activations: the NVFP4 and BF16 GEMVs round their activations to BF16 (`--activations bf16`;
  // the target must have AVX-512 BF16, else InvalidArgument).
  static absl::StatusOr<std::unique_ptr<JitLinear>> Create(codegen::JitOptions options, int threads,
                                                           bool bf16_activations = false);

  bool Run(const runtime::QuantView& w, int64_t index, int64_t n, int64_t k, const float* x, int64_t m,
           float* y) override;
  // BF16 matrices: the BF16 GEMV (m > 8 runs in blocks of 8 rows).
  bool RunDense(ir::DType dtype, const uint8_t* w, int64_t n, int64_t k, const float* x, int64_t m,
                float* y) override;
  bool RunRows(const runtime::QuantView* quant, int64_t index, ir::DType dtype, const uint8_t* dense, int64_t n,
               int64_t k, const float* x, int64_t m, float* y, int64_t row_begin, int64_t row_end,
               int thread) override;
  // rms_norm / add_rms_norm rows through a compiled kernel for `dim` (on the calling thread:
  // a decode step's rows are a few KiB).
  bool RmsNorm(const float* x, const float* residual, float* sum, const float* weight, int64_t rows, int64_t dim,
               float eps, float* y) override;
  // layer_norm rows (the indexer's keys), likewise on the calling thread.
  bool LayerNorm(const float* x, const float* gamma, const float* beta, int64_t rows, int64_t dim,
                 float eps, float* y) override;
  bool IndexerRowScores(const float* qt, const float* wv, const float* k, const float* k_scale, int64_t heads,
                        int64_t d, float scale, int64_t begin, int64_t end, float* out) override;
  dsc_mla_attention_fn MlaAttention(int64_t rank) override;
  dsc_attention_block_fn AttentionBlock(int64_t d, int64_t dv) override;
  dsc_indexer_block_fn IndexerBlock(int64_t d) override;
  dsc_swiglu_fn SwiGlu() override;
  dsc_topk_mask_fn TopkMask() override;
  runtime::ThreadPool* pool() override { return &pool_; }
  bool bf16_activations() const override { return bf16_activations_; }

  // The kernel Run uses for a product with m activation rows, or nullopt (reference path).
  static std::optional<codegen::LinearKernelSpec> SpecFor(ir::QuantFormat format, int64_t m, int64_t n, int64_t k);
  // The kernel RmsNorm uses for rows of `dim`.
  static codegen::LinearKernelSpec NormSpecFor(int64_t dim);
  // The kernel LayerNorm uses for rows of `dim`.
  static codegen::LinearKernelSpec LayerNormSpecFor(int64_t dim);
  // The kernel IndexerRowScores uses for `heads` heads of dimension d.
  static codegen::LinearKernelSpec IndexerScoresSpec(int64_t heads, int64_t d);
  // The kernel MlaAttention uses for a latent rank.
  static codegen::LinearKernelSpec MlaAttentionSpec(int64_t rank);
  // The kernel AttentionBlock uses for head dim d and value dim dv.
  static codegen::LinearKernelSpec AttentionBlockSpec(int64_t d, int64_t dv);
  // The kernel IndexerBlock uses for head dim d.
  static codegen::LinearKernelSpec IndexerBlockSpec(int64_t d);
  // The kernel SwiGlu uses.
  static codegen::LinearKernelSpec SwiGluSpec();
  // The kernel TopkMask uses.
  static codegen::LinearKernelSpec TopkMaskSpec();
  // The kernel RunDense / RunRows use for a dense matrix (BF16 GEMV), or nullopt.
  static std::optional<codegen::LinearKernelSpec> DenseSpecFor(ir::DType dtype, int64_t m, int64_t n, int64_t k);
  // Every kernel Run / RunDense / RunRows / RmsNorm can request for `module` (each quantized
  // or dense weight an op reads, at every m; the fast MLA path's BF16 W_UKᵀ and its latent
  // attention; prefill attention; the RMS and layer norms; the indexer's decode and prefill scores;
  // the SwiGLU of every op with an FFN; the indexer's top-k mask), deduplicated, in a stable order:
  // what `dsc compile` puts in an artifact. Built from the same spec functions the kernels are
  // looked up with.
  static std::vector<codegen::LinearKernelSpec> RequiredKernels(const ir::Module& module);
  // The part of RequiredKernels one sequence's decode (m = 1) and prefill (the GEMMs) use.
  static std::vector<codegen::LinearKernelSpec> SingleSequenceKernels(const ir::Module& module);

  // Compiles (or loads from the object cache) every kernel of `specs` now rather than at the
  // first product that needs it, calling progress(done, total) after each, so the time is
  // visible (a progress bar) instead of hidden in the first forward pass.
  void Prepare(const std::vector<codegen::LinearKernelSpec>& specs,
               const std::function<void(int64_t done, int64_t total)>& progress);

  // Artifacts: installs a kernel loaded from an object file for `spec`.
  void Preload(const codegen::LinearKernelSpec& spec, const dsc_linear_kernel& kernel);
  // Artifacts: never generate code; a product with no preloaded kernel takes the reference
  // path (counted in missing_kernels(), named once on stderr).
  void DisableCodegen() { codegen_enabled_ = false; }
  int missing_kernels() const { return missing_kernels_; }

  codegen::Jit& jit() { return *jit_; }
  const codegen::Jit& jit() const { return *jit_; }
  // The first compile error met (Run then falls back to the reference path).
  const absl::Status& error() const { return error_; }

 private:
  JitLinear(std::unique_ptr<codegen::Jit> jit, int threads, bool bf16_activations)
      : jit_(std::move(jit)), bf16_activations_(bf16_activations), pool_(threads), scratch_(threads) {}
  const dsc_linear_kernel* Kernel(ir::QuantFormat format, int64_t m, int64_t n, int64_t k);
  const dsc_linear_kernel* DenseKernel(ir::DType dtype, int64_t m, int64_t n, int64_t k);
  // Compiles (or finds) the kernel of `spec`; nullptr when it cannot be had.
  const dsc_linear_kernel* KernelFor(const codegen::LinearKernelSpec& spec);
  // Fills the weight fields of `args` for a quantized or dense matrix.
  // Arguments for y[m, n] = x[m, k] · Wᵀ over all rows (row range and scratch left to the caller).
  static dsc_linear_args Args(const runtime::QuantView* quant, int64_t index, const uint8_t* dense, int64_t n,
                              int64_t k, const float* x, int64_t m, float* y);
  static void SetWeight(const runtime::QuantView* quant, int64_t index, const uint8_t* dense, dsc_linear_args* args);
  static std::tuple<int, int64_t, int64_t, int64_t> Key(const codegen::LinearKernelSpec& spec);

  std::unique_ptr<codegen::Jit> jit_;
  bool bf16_activations_ = false;
  runtime::ThreadPool pool_;
  runtime::KernelScratch scratch_;
  std::map<std::tuple<int, int64_t, int64_t, int64_t>, std::unique_ptr<dsc_linear_kernel>> kernels_;
  absl::Status error_;
  bool codegen_enabled_ = true;
  int missing_kernels_ = 0;
  std::mutex mu_;  // kernels_: RunRows may look kernels up from pool threads
};

}  // namespace dsc::cli

#endif  // DSC_TOOLS_DSC_JIT_LINEAR_H_
