// `dsc chat`: Interactive multi-turn chat (/reset, /think on|off, Ctrl-D quits). (cli.md). Not built yet: declares its flags only.
#include <string>

#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {

int RunChat(const Args& args) {
  ArgParser parser("dsc chat", "[-m DIR | --artifact DIR] [options]",
                   "Interactive multi-turn chat (/reset, /think on|off, Ctrl-D quits).");
  ModelFlags model;
  SamplingFlags sampling;
  bool think = false;
  AddModelFlags(parser, &model);
  AddSamplingFlags(parser, &sampling);
  parser.AddBool("--think", &think, "start with thinking mode on");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  return NotImplemented("chat");
}

}  // namespace dsc::cli
