// `dsc bench`: Prefill and decode tokens/s, TTFT, load/compile time, peak RSS, decode roofline fraction. (cli.md). Not built yet: declares its flags only.
#include <string>

#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {

int RunBench(const Args& args) {
  ArgParser parser("dsc bench", "[-m DIR | --artifact DIR] [--prompt N] [--gen N] [--json]",
                   "Prefill and decode tokens/s, TTFT, load/compile time, peak RSS, decode roofline fraction.");
  ModelFlags model;
  int64_t prompt = 128, gen = 32;
  bool json = false, breakdown = false;
  AddModelFlags(parser, &model);
  parser.AddInt("--prompt", "N", &prompt, "prompt tokens (default 128)");
  parser.AddInt("--gen", "N", &gen, "generated tokens (default 32)");
  parser.AddBool("--json", &json, "print one JSON object");
  parser.AddBool("--breakdown", &breakdown, "per-kernel-class time and bytes");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  return NotImplemented("bench");
}

}  // namespace dsc::cli
