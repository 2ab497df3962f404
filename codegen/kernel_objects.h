// Ahead-of-time linear kernels: compile a kernel to a relocatable object file (for `dsc compile`
// artifacts) and load such an object back into a Jit with no code generation (`--artifact`).
#ifndef DSC_CODEGEN_KERNEL_OBJECTS_H_
#define DSC_CODEGEN_KERNEL_OBJECTS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "codegen/target.h"
#include "runtime/kernel_abi.h"

namespace dsc::codegen {

struct LinearKernelObject {
  std::string symbol;   // spec.Name(): the function the object defines
  dsc_kernel_info info;  // what the runtime needs to call it (not recoverable from the object)
  std::string object;   // ELF relocatable object for the Jit's target
};

// Emits `spec` into its own module named spec.Name() (as CompileLinearKernel does, so both share
// object-cache entries) and compiles it for the Jit's target without adding it to the Jit.
absl::StatusOr<LinearKernelObject> EmitLinearKernelObject(Jit& jit, const LinearKernelSpec& spec);

// Links `object` (bytes of a LinearKernelObject) into `jit` and looks up `symbol`: no IR, no
// optimization, no code generation. `name` (e.g. the object's path) is used in errors, which
// are InvalidArgument/DataLoss (bad input), never a crash.
absl::StatusOr<dsc_linear_kernel> LoadLinearKernelObject(Jit& jit, std::string object, const std::string& symbol,
                                                         const dsc_kernel_info& info, const std::string& name);

// The features `target` enables that this CPU lacks, as LLVM's host detection sees it. Features
// the detection does not report but every x86-64 CPU has (x87) count as present; any other
// unreported name (e.g. a misspelt one) counts as missing.
std::vector<std::string> MissingHostFeatures(const TargetCpu& target);

// Lower-case hex SHA-256 (artifact manifests, checkpoint fingerprints).
std::string Sha256Hex(std::string_view bytes);

}  // namespace dsc::codegen

#endif  // DSC_CODEGEN_KERNEL_OBJECTS_H_
