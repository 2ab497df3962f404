// Internal to codegen/: one emitter per linear kernel family. Each appends a function named
// spec.Name() with the dsc_linear_fn signature and returns its dsc_kernel_info.
#ifndef DSC_CODEGEN_LINEAR_EMITTERS_H_
#define DSC_CODEGEN_LINEAR_EMITTERS_H_

#include "codegen/kernel_builder.h"
#include "codegen/linear_kernels.h"

namespace dsc::codegen {

dsc_kernel_info EmitNvfp4Gemv(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitFp8Gemv(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitNvfp4Gemm(KernelBuilder& kb, const LinearKernelSpec& spec);
dsc_kernel_info EmitBf16Gemv(KernelBuilder& kb, const LinearKernelSpec& spec);

}  // namespace dsc::codegen

#endif  // DSC_CODEGEN_LINEAR_EMITTERS_H_
