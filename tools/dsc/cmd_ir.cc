// `dsc ir`: print, parse and convert the graph IR (cli.md "Compiler").
#include "tools/dsc/commands.h"

namespace dsc::cli {

int RunIr(const Args& args) {
  ArgParser parser("dsc ir", "-m DIR | --parse FILE [options]", "Prints the graph IR.");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  return NotImplemented("ir");
}

}  // namespace dsc::cli
