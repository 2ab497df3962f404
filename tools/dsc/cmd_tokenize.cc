// `dsc tokenize`: Prints token ids as JSON arrays (Hugging Face encode(text, add_special_tokens=False)). (cli.md). Not built yet: declares its flags only.
#include <string>

#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {

int RunTokenize(const Args& args) {
  ArgParser parser("dsc tokenize", "--tokenizer PATH (--text TEXT | --jsonl FILE) [--bos]",
                   "Prints token ids as JSON arrays (Hugging Face encode(text, add_special_tokens=False)).");
  std::string tokenizer, text, jsonl, file;
  bool bos = false;
  parser.AddString("--tokenizer", "PATH", &tokenizer, "tokenizer.json or a directory holding one");
  parser.AddString("--text", "TEXT", &text, "text to tokenize");
  parser.AddString("--file", "FILE", &file, "tokenize the contents of FILE");
  parser.AddString("--jsonl", "FILE", &jsonl, "objects with a \"text\" field, one per line");
  parser.AddBool("--bos", &bos, "prepend BOS");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  return NotImplemented("tokenize");
}

}  // namespace dsc::cli
