// Host CPU detection through LLVM's own view of the machine (the view the JIT will target).
#include "codegen/target.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

namespace dsc::codegen {

bool TargetCpu::Has(const std::string& feature) const {
  return std::binary_search(features.begin(), features.end(), feature);
}

std::string TargetCpu::FeatureString() const {
  std::string out;
  for (const std::string& f : features) absl::StrAppend(&out, out.empty() ? "+" : ",+", f);
  return out;
}

std::string TargetCpu::ToString() const {
  return absl::StrCat(cpu, ":", absl::StrJoin(features, ","));
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

absl::StatusOr<TargetCpu> MakeTargetCpu(const std::string& cpu, const std::string& features) {
  TargetCpu t;
  if (cpu.empty() || cpu == "host") {
    t = DetectHostCpu();
  } else {
    if (llvm::X86::parseArchX86(cpu, /*Only64Bit=*/true) == llvm::X86::CK_None) {
      return absl::InvalidArgumentError(absl::StrCat("unknown x86-64 target cpu '", cpu, "'"));
    }
    t.cpu = cpu;
    llvm::SmallVector<llvm::StringRef, 64> list;
    llvm::X86::getFeaturesForCPU(cpu, list, /*NeedPlus=*/false);
    for (llvm::StringRef f : list) t.features.push_back(f.str());
  }
  for (absl::string_view edit : absl::StrSplit(features, ',', absl::SkipWhitespace())) {
    if (edit.size() < 2 || (edit[0] != '+' && edit[0] != '-')) {
      return absl::InvalidArgumentError(
          absl::StrCat("target feature '", std::string(edit), "' must start with + or -"));
    }
    const std::string name(edit.substr(1));
    t.features.erase(std::remove(t.features.begin(), t.features.end(), name), t.features.end());
    if (edit[0] == '+') t.features.push_back(name);
  }
  std::sort(t.features.begin(), t.features.end());
  t.features.erase(std::unique(t.features.begin(), t.features.end()), t.features.end());
  return t;
}

std::string LlvmVersion() { return LLVM_VERSION_STRING; }

}  // namespace dsc::codegen
