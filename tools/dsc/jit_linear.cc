// JitLinear: lazily compiled linear kernels behind the interpreter's FastLinear hook.
#include "tools/dsc/jit_linear.h"

#include <cstring>

#include "codegen/linear_kernels.h"

namespace dsc::cli {

absl::StatusOr<std::unique_ptr<JitLinear>> JitLinear::Create(codegen::JitOptions options, int threads) {
  absl::StatusOr<std::unique_ptr<codegen::Jit>> jit = codegen::Jit::Create(std::move(options));
  if (!jit.ok()) return jit.status();
  return std::unique_ptr<JitLinear>(new JitLinear(std::move(*jit), threads < 1 ? 1 : threads));
}

// GEMV kernels are specialized to m <= 8 rows (decode, small batches); larger m uses the NVFP4
// prefill GEMM. FP8 has no GEMM kernel yet: those products stay on the reference path.
const dsc_linear_kernel* JitLinear::Kernel(ir::QuantFormat format, int64_t m, int64_t n, int64_t k) {
  codegen::LinearKernelSpec spec;
  spec.n = n;
  spec.k = k;
  if (m <= 8) {
    spec.kind = format == ir::QuantFormat::kNvfp4 ? codegen::LinearKernelKind::kNvfp4Gemv
                                                  : codegen::LinearKernelKind::kFp8Gemv;
    spec.m = m;
  } else if (format == ir::QuantFormat::kNvfp4) {
    spec.kind = codegen::LinearKernelKind::kNvfp4Gemm;
  } else {
    return nullptr;
  }
  auto key = std::make_tuple(static_cast<int>(spec.kind), spec.kind == codegen::LinearKernelKind::kNvfp4Gemm ? 0 : m, n, k);
  auto it = kernels_.find(key);
  if (it != kernels_.end()) return it->second.get();
  std::unique_ptr<dsc_linear_kernel> kernel;
  if (codegen::ValidateSpec(spec).ok()) {
    absl::StatusOr<dsc_linear_kernel> compiled = codegen::CompileLinearKernel(*jit_, spec);
    if (compiled.ok()) {
      kernel = std::make_unique<dsc_linear_kernel>(*compiled);
    } else if (error_.ok()) {
      error_ = compiled.status();
    }
  }
  return (kernels_[key] = std::move(kernel)).get();
}

bool JitLinear::Run(const runtime::QuantView& w, int64_t index, int64_t n, int64_t k, const float* x, int64_t m,
                    float* y) {
  if (m <= 0) return false;
  const dsc_linear_kernel* kernel = Kernel(w.format, m, n, k);
  if (kernel == nullptr) return false;
  dsc_linear_args args = {};
  args.x = x;
  args.y = y;
  args.m = m;
  args.ldx = k;
  args.ldy = n;
  if (w.format == ir::QuantFormat::kNvfp4) {
    const uint8_t* const* p = &w.parts[3 * index];
    args.w = p[0];
    args.w_scale = p[1];
    std::memcpy(&args.w_global_scale, p[2], sizeof(float));
  } else {
    const uint8_t* const* p = &w.parts[2 * index];
    args.w = p[0];
    args.w_scale = p[1];
  }
  runtime::RunLinear(pool_, scratch_, *kernel, args);
  return true;
}

}  // namespace dsc::cli
