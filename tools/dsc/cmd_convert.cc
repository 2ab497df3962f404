// `dsc convert`: Quantizes a BF16 or FP8 checkpoint to NVFP4, streaming, with conversion_report.json. (cli.md). Not built yet: declares its flags only.
#include <string>

#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {

int RunConvert(const Args& args) {
  ArgParser parser("dsc convert", "-m DIR -o DIR [--to nvfp4]",
                   "Quantizes a BF16 or FP8 checkpoint to NVFP4, streaming, with conversion_report.json.");
  std::string model, out, to = "nvfp4";
  parser.AddString("-m,--model", "DIR", &model, "input checkpoint");
  parser.AddString("-o,--output", "DIR", &out, "output directory");
  parser.AddChoice("--to", {"nvfp4"}, &to, "target format");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  return NotImplemented("convert");
}

}  // namespace dsc::cli
