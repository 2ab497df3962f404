// Runs the dsc binary in tests: captures stdout, stderr and the exit code.
#ifndef DSC_TESTS_UNIT_TOOLS_CLI_RUNNER_H_
#define DSC_TESTS_UNIT_TOOLS_CLI_RUNNER_H_

#include <string>

namespace dsc::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

struct CliOptions {
  // Shell redirection for stdin: "</dev/null" (EOF at once) or "<&-" (closed).
  std::string stdin_redirect = "</dev/null";
  // > 0: kill the run after this many seconds (exit code 124, as coreutils `timeout`), so a
  // hang (e.g. blocking on a FIFO) fails the test instead of stalling the suite.
  int timeout_seconds = 0;
};

// `args` is appended to the dsc binary path and run through /bin/sh.
CliResult RunDsc(const std::string& args);
CliResult RunDsc(const std::string& args, const CliOptions& options);

std::string SharedDir();
inline std::string TinyA() { return SharedDir() + "/golden/tiny-a"; }
inline std::string Models() { return SharedDir() + "/models"; }

}  // namespace dsc::testing

#endif  // DSC_TESTS_UNIT_TOOLS_CLI_RUNNER_H_
