// The JIT engine's kernels for the interpreter's quantized products: NVFP4 / FP8 linear layers
// compiled by codegen/ for the target CPU on first use of each shape (cached on disk, so a
// second start does no code generation) and run on a thread pool that splits weight rows.
#ifndef DSC_TOOLS_DSC_JIT_LINEAR_H_
#define DSC_TOOLS_DSC_JIT_LINEAR_H_

#include <map>
#include <memory>
#include <tuple>

#include "absl/status/statusor.h"
#include "codegen/jit.h"
#include "runtime/cpu_kernels.h"
#include "runtime/interp/fast_linear.h"
#include "runtime/thread_pool.h"

namespace dsc::cli {

class JitLinear : public runtime::FastLinear {
 public:
  static absl::StatusOr<std::unique_ptr<JitLinear>> Create(codegen::JitOptions options, int threads);

  bool Run(const runtime::QuantView& w, int64_t index, int64_t n, int64_t k, const float* x, int64_t m,
           float* y) override;

  const codegen::Jit& jit() const { return *jit_; }
  // The first compile error met (Run then falls back to the reference path).
  const absl::Status& error() const { return error_; }

 private:
  JitLinear(std::unique_ptr<codegen::Jit> jit, int threads)
      : jit_(std::move(jit)), pool_(threads), scratch_(threads) {}
  const dsc_linear_kernel* Kernel(ir::QuantFormat format, int64_t m, int64_t n, int64_t k);

  std::unique_ptr<codegen::Jit> jit_;
  runtime::ThreadPool pool_;
  runtime::KernelScratch scratch_;
  std::map<std::tuple<int, int64_t, int64_t, int64_t>, std::unique_ptr<dsc_linear_kernel>> kernels_;
  absl::Status error_;
};

}  // namespace dsc::cli

#endif  // DSC_TOOLS_DSC_JIT_LINEAR_H_
