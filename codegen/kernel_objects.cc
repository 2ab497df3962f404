// Linear kernels as object files: emit + compile without the JIT, and link-only loading.
#include "codegen/kernel_objects.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/SHA256.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

namespace dsc::codegen {

absl::StatusOr<LinearKernelObject> EmitLinearKernelObject(Jit& jit, const LinearKernelSpec& spec) {
  llvm::LLVMContext context;
  llvm::Module module(spec.Name(), context);
  jit.ConfigureModule(module);
  absl::StatusOr<dsc_kernel_info> info = EmitLinearKernel(spec, jit.target(), module);
  if (!info.ok()) return info.status();
  absl::StatusOr<std::string> object = jit.EmitObject(module);
  if (!object.ok()) return object.status();
  return LinearKernelObject{spec.Name(), *info, std::move(*object)};
}

absl::StatusOr<dsc_linear_kernel> LoadLinearKernelObject(Jit& jit, std::string object, const std::string& symbol,
                                                         const dsc_kernel_info& info, const std::string& name) {
  if (info.abi_version != DSC_KERNEL_ABI_VERSION) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": kernel ABI version ", info.abi_version,
                                                   ", this build calls version ", DSC_KERNEL_ABI_VERSION));
  }
  if (absl::Status s = jit.AddObject(std::move(object), name); !s.ok()) return s;
  absl::StatusOr<void*> address = jit.Lookup(symbol);
  if (!address.ok()) {
    return absl::DataLossError(absl::StrCat(name, ": does not define a loadable '", symbol, "': ",
                                            address.status().message()));
  }
  dsc_linear_kernel kernel;
  kernel.fn = reinterpret_cast<dsc_linear_fn>(*address);
  kernel.info = info;
  return kernel;
}

std::vector<std::string> MissingHostFeatures(const TargetCpu& target) {
  const llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  llvm::SmallVector<llvm::StringRef, 64> baseline;
  llvm::X86::getFeaturesForCPU("x86-64", baseline, /*NeedPlus=*/false);
  std::vector<std::string> missing;
  for (const std::string& f : target.features) {
    auto it = host.find(f);
    const bool present = it != host.end() ? it->second : llvm::is_contained(baseline, llvm::StringRef(f));
    if (!present) missing.push_back(f);
  }
  return missing;
}

std::string Sha256Hex(std::string_view bytes) {
  llvm::SHA256 sha;
  sha.update(llvm::StringRef(bytes.data(), bytes.size()));
  return llvm::toHex(sha.final(), /*LowerCase=*/true);
}

}  // namespace dsc::codegen
