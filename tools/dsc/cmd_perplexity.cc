// `dsc perplexity`: llama-perplexity style: non-overlapping windows, each one prefill at position 0. (cli.md). Not built yet: declares its flags only.
#include <string>

#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {

int RunPerplexity(const Args& args) {
  ArgParser parser("dsc perplexity", "-m DIR (--file TEXT | --ids FILE.json) [--ctx N] [--max-tokens N] [--bos] [--json]",
                   "llama-perplexity style: non-overlapping windows, each one prefill at position 0.");
  ModelFlags model;
  std::string file, ids;
  int64_t ctx = 512, max_tokens = 0;
  bool bos = false, json = false;
  AddModelFlags(parser, &model);
  parser.AddString("--file", "TEXT", &file, "text file to score");
  parser.AddString("--ids", "FILE.json", &ids, "JSON array of token ids to score");
  parser.AddInt("--ctx", "N", &ctx, "window length (default 512)");
  parser.AddInt("--max-tokens", "N", &max_tokens, "use only the first N ids");
  parser.AddBool("--bos", &bos, "prepend BOS to each window");
  parser.AddBool("--json", &json, "print JSON");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  return NotImplemented("perplexity");
}

}  // namespace dsc::cli
