// `dsc run`: Streams the continuation of a prompt to stdout, then a stats line on stderr. (cli.md). Not built yet: declares its flags only.
#include <string>

#include "tools/dsc/commands.h"
#include "tools/dsc/common_flags.h"

namespace dsc::cli {

int RunRun(const Args& args) {
  ArgParser parser("dsc run", "[-m DIR | --artifact DIR] -p TEXT [options]",
                   "Streams the continuation of a prompt to stdout, then a stats line on stderr.\nWith no -m/--artifact it uses the embedded default model.");
  ModelFlags model;
  SamplingFlags sampling;
  std::string prompt, prompt_ids, batch_file;
  bool chat = false, think = false, print_ids = false;
  AddModelFlags(parser, &model);
  AddSamplingFlags(parser, &sampling);
  parser.AddString("-p,--prompt", "TEXT", &prompt, "the prompt");
  parser.AddString("--prompt-ids", "1,2,3", &prompt_ids, "the prompt as token ids");
  parser.AddBool("--print-ids", &print_ids, "print generated ids as one JSON array");
  parser.AddBool("--chat", &chat, "wrap the prompt with the chat encoding");
  parser.AddBool("--think", &think, "thinking mode (with --chat)");
  parser.AddString("--batch-file", "FILE", &batch_file, "one prompt per line, generated as a batch");
  if (int rc = ParseOrExit(parser, args); rc >= 0) return rc;
  return NotImplemented("run");
}

}  // namespace dsc::cli
