// Host CPU detection through LLVM's own view of the machine (the view the JIT will target).
#include "codegen/target.h"

#include <algorithm>

#include "llvm/ADT/StringMap.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/TargetParser/Host.h"

namespace dsc::codegen {

bool TargetCpu::Has(const std::string& feature) const {
  return std::binary_search(features.begin(), features.end(), feature);
}

TargetCpu DetectHostCpu() {
  TargetCpu t;
  t.cpu = llvm::sys::getHostCPUName().str();
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  for (const auto& entry : features) {
    if (entry.second) t.features.push_back(entry.first().str());
  }
  std::sort(t.features.begin(), t.features.end());
  return t;
}

std::string LlvmVersion() { return LLVM_VERSION_STRING; }

}  // namespace dsc::codegen
