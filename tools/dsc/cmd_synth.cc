// `dsc synth`: Writes a synthetic checkpoint (random weights, real layout and names, a tokenizer). (cli.md). Not built yet: declares its flags only.
#include <string>

#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {

int RunSynth(const Args& args) {
  ArgParser parser("dsc synth", "--preset tiny|small|full-layer [--format nvfp4|fp8|bf16] [--seed S] -o DIR",
                   "Writes a synthetic checkpoint (random weights, real layout and names, a tokenizer).");
  std::string preset, format = "nvfp4", out;
  int64_t seed = 0;
  parser.AddChoice("--preset", {"tiny", "small", "full-layer"}, &preset, "model shape");
  parser.AddChoice("--format", {"nvfp4", "fp8", "bf16"}, &format, "weight format (default nvfp4)");
  parser.AddInt("--seed", "S", &seed, "random seed");
  parser.AddString("-o,--output", "DIR", &out, "output directory");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  return NotImplemented("synth");
}

}  // namespace dsc::cli
