// `dsc logits`: Writes tensor `logits` (F32, [n_tokens, vocab]); row i holds the logits after token i. (cli.md). Not built yet: declares its flags only.
#include <string>

#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {

int RunLogits(const Args& args) {
  ArgParser parser("dsc logits", "-m DIR --tokens 1,2,3 [--mode prefill|decode|chunked:K] -o OUT.safetensors",
                   "Writes tensor `logits` (F32, [n_tokens, vocab]); row i holds the logits after token i.");
  ModelFlags model;
  std::string tokens, mode = "prefill", out;
  AddModelFlags(parser, &model);
  parser.AddString("--tokens", "1,2,3", &tokens, "token ids");
  parser.AddString("--mode", "prefill|decode|chunked:K", &mode, "how the tokens are fed (default prefill)");
  parser.AddString("-o,--output", "FILE", &out, "output .safetensors");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  return NotImplemented("logits");
}

}  // namespace dsc::cli
