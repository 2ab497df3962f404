// `dsc inspect`: Architecture, layer and expert counts, tensor formats, bytes by dtype, parameter counts. (cli.md). Not built yet: declares its flags only.
#include <string>

#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {

int RunInspect(const Args& args) {
  ArgParser parser("dsc inspect", "-m DIR [--json]",
                   "Architecture, layer and expert counts, tensor formats, bytes by dtype, parameter counts.");
  std::string model, config;
  bool json = false;
  parser.AddString("-m,--model", "DIR", &model, "checkpoint directory");
  parser.AddString("--config", "FILE", &config, "official inference-style config");
  parser.AddBool("--json", &json, "print JSON");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  return NotImplemented("inspect");
}

}  // namespace dsc::cli
