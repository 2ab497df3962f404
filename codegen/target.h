// Describes the CPU that code is generated for: the host by default, or an override
// (--target-cpu / --target-features) so every ISA path can be exercised on one machine.
#ifndef DSC_CODEGEN_TARGET_H_
#define DSC_CODEGEN_TARGET_H_

#include <string>
#include <vector>

namespace dsc::codegen {

struct TargetCpu {
  std::string cpu;                    // LLVM CPU name, e.g. "sapphirerapids", "x86-64-v3"
  std::vector<std::string> features;  // enabled features without '+', sorted, e.g. "avx512f"
  bool Has(const std::string& feature) const;
};

// The machine dsc runs on, as LLVM sees it.
TargetCpu DetectHostCpu();

// "19.1.7"
std::string LlvmVersion();

}  // namespace dsc::codegen

#endif  // DSC_CODEGEN_TARGET_H_
