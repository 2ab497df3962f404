// `dsc detokenize`: Prints the text of token ids. (cli.md). Not built yet: declares its flags only.
#include <string>

#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {

int RunDetokenize(const Args& args) {
  ArgParser parser("dsc detokenize", "--tokenizer PATH --ids 1,2,3",
                   "Prints the text of token ids.");
  std::string tokenizer, ids;
  parser.AddString("--tokenizer", "PATH", &tokenizer, "tokenizer.json or a directory holding one");
  parser.AddString("--ids", "1,2,3", &ids, "token ids");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  return NotImplemented("detokenize");
}

}  // namespace dsc::cli
