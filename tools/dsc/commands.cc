// The subcommand table and shared error handling.
#include "tools/dsc/commands.h"

#include <cstdio>
#include <iostream>

#include "absl/strings/str_cat.h"

namespace dsc::cli {

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> kCommands = {
      {"run", "generate text from a prompt", RunRun},
      {"chat", "interactive multi-turn chat", RunChat},
      {"logits", "write the logits of a token sequence (verification)", RunLogits},
      {"tokenize", "text to token ids", RunTokenize},
      {"detokenize", "token ids to text", RunDetokenize},
      {"ir", "print, parse and convert the graph IR", RunIr},
      {"compile", "ahead-of-time compile a model to an artifact", RunCompile},
      {"inspect", "describe a checkpoint", RunInspect},
      {"synth", "write a synthetic checkpoint", RunSynth},
      {"convert", "quantize a checkpoint to NVFP4", RunConvert},
      {"perplexity", "perplexity of a text", RunPerplexity},
      {"bench", "prefill/decode speed and roofline fraction", RunBench},
      {"version", "version, LLVM version and host CPU", RunVersion},
  };
  return kCommands;
}

int ReportError(std::string_view command, const absl::Status& status) {
  std::cerr << "dsc " << command << ": error: " << status.message() << "\n";
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kAlreadyExists:
      return kExitBadInput;
    default:
      return kExitFailure;
  }
}

int ParseOrExit(ArgParser& parser, const Args& args) {
  absl::Status s = parser.Parse(args);
  if (parser.help_requested()) {
    std::cout << parser.Help();
    return kExitOk;
  }
  if (!s.ok()) {
    std::cerr << "dsc: error: " << s.message() << "\n";
    return kExitBadInput;
  }
  return -1;
}

int NotImplemented(std::string_view command) {
  std::cerr << "dsc " << command << ": not implemented yet in this build\n";
  return kExitBadInput;
}

}  // namespace dsc::cli
