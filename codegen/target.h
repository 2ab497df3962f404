// Describes the CPU that code is generated for: the host by default, or an override
// (--target-cpu / --target-features) so every ISA path can be exercised on one machine.
#ifndef DSC_CODEGEN_TARGET_H_
#define DSC_CODEGEN_TARGET_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dsc::codegen {

struct TargetCpu {
  std::string cpu;                    // LLVM CPU name, e.g. "sapphirerapids", "x86-64-v3"
  std::vector<std::string> features;  // enabled features without '+', sorted, e.g. "avx512f"
  bool Has(const std::string& feature) const;
  // "+avx2,+fma,..." for llvm::TargetMachine.
  std::string FeatureString() const;
  // "cpu:feature,feature,..." (cache keys, logs).
  std::string ToString() const;
};

// The machine dsc runs on, as LLVM sees it.
TargetCpu DetectHostCpu();

// `cpu` = "host" (or empty) or an LLVM x86 CPU name ("x86-64", "x86-64-v3", "skylake-avx512");
// `features` = comma-separated "+f"/"-f" edits applied on top of the CPU's own features.
// InvalidArgument for an unknown CPU name or a malformed feature.
absl::StatusOr<TargetCpu> MakeTargetCpu(const std::string& cpu, const std::string& features = "");

// "19.1.7"
std::string LlvmVersion();

}  // namespace dsc::codegen

#endif  // DSC_CODEGEN_TARGET_H_
