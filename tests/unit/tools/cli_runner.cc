// CLI test helper: runs DSC_BINARY with stdout/stderr redirected to temporary files.
#include "tests/unit/tools/cli_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dsc::testing {

std::string SharedDir() { return DSC_SHARED_DIR; }

CliResult RunDsc(const std::string& args) { return RunDsc(args, CliOptions()); }

CliResult RunDsc(const std::string& args, const CliOptions& options) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("dsc_cli_" + std::to_string(getpid()) + "_" + std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  const std::string timeout =
      options.timeout_seconds > 0 ? "timeout -k 5 " + std::to_string(options.timeout_seconds) + " " : "";
  std::string cmd = timeout + std::string(DSC_BINARY) + " " + args + " >" + (dir / "out").string() +
                    " 2>" + (dir / "err").string() + " " + options.stdin_redirect;
  int status = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(dir / "out");
  r.err = slurp(dir / "err");
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace dsc::testing
