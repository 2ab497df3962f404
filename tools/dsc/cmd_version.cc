// `dsc version` / `dsc --version`: dsc version, LLVM version, host CPU name and features.
#include <iostream>

#include "absl/strings/str_join.h"
#include "codegen/target.h"
#include "tools/dsc/commands.h"

namespace dsc::cli {

int RunVersion(const Args& args) {
  ArgParser parser("dsc version", "", "Prints the dsc version, the LLVM version it was built "
                                      "with, and the host CPU with its features.");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  codegen::TargetCpu host = codegen::DetectHostCpu();
  std::cout << "dsc " << DSC_VERSION << "\n"
            << "LLVM " << codegen::LlvmVersion() << "\n"
            << "host CPU: " << host.cpu << "\n"
            << "host features: " << absl::StrJoin(host.features, " ") << "\n";
  return kExitOk;
}

}  // namespace dsc::cli
