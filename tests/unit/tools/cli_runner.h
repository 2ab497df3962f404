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

// `args` is appended to the dsc binary path and run through /bin/sh.
CliResult RunDsc(const std::string& args);

std::string SharedDir();

}  // namespace dsc::testing

#endif  // DSC_TESTS_UNIT_TOOLS_CLI_RUNNER_H_
