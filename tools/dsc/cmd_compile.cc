// `dsc compile`: Ahead-of-time compilation: optimized IR, native code and a manifest. (cli.md). Not built yet: declares its flags only.
#include <string>

#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {

int RunCompile(const Args& args) {
  ArgParser parser("dsc compile", "-m DIR -o ARTIFACT_DIR [--target-cpu NAME] [--target-features +a,-b]",
                   "Ahead-of-time compilation: optimized IR, native code and a manifest.");
  ModelFlags model;
  std::string out;
  AddModelFlags(parser, &model, /*with_artifact=*/false);
  parser.AddString("-o,--output", "DIR", &out, "artifact directory");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  return NotImplemented("compile");
}

}  // namespace dsc::cli
