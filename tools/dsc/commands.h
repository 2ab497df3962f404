// The table of dsc subcommands and the helpers every subcommand shares (exit codes,
// error reporting). Contract: shared/spec/cli.md.
#ifndef DSC_TOOLS_DSC_COMMANDS_H_
#define DSC_TOOLS_DSC_COMMANDS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "tools/dsc/args.h"

namespace dsc::cli {

// Exit codes (cli.md): 0 success, 2 bad usage or bad input, 1 any other failure.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

using Args = std::vector<std::string>;

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(const Args& args);
};

// Every subcommand, in the order `dsc --help` lists them.
const std::vector<Command>& AllCommands();

// Prints "dsc <cmd>: error: <message>" to stderr and returns the exit code for the status:
// bad input (InvalidArgument, NotFound, OutOfRange, FailedPrecondition, DataLoss) -> 2, else 1.
int ReportError(std::string_view command, const absl::Status& status);

// Parses args; on --help prints help and returns kExitOk; on error reports and returns 2.
// Returns -1 when the command should go on running.
int ParseOrExit(ArgParser& parser, const Args& args);

// For subcommands that are specified in cli.md but not built yet: says so, exits 2.
int NotImplemented(std::string_view command);

// The subcommands (one file each: cmd_<name>.cc).
int RunRun(const Args& args);
int RunChat(const Args& args);
int RunLogits(const Args& args);
int RunTokenize(const Args& args);
int RunDetokenize(const Args& args);
int RunIr(const Args& args);
int RunCompile(const Args& args);
int RunInspect(const Args& args);
int RunSynth(const Args& args);
int RunConvert(const Args& args);
int RunPerplexity(const Args& args);
int RunBench(const Args& args);
int RunVersion(const Args& args);

}  // namespace dsc::cli

#endif  // DSC_TOOLS_DSC_COMMANDS_H_
