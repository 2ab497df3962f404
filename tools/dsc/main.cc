// dsc: entry point. Dispatches to a subcommand (tools/dsc/commands.h).
#include <cstring>
#include <iostream>

#include "tools/dsc/commands.h"

namespace {

void PrintUsage() {
  std::cout << "usage: dsc <command> [options]     (dsc <command> --help for its options)\n\n"
               "DeepSeek V3.2 compiler and CPU runtime.\n\ncommands:\n";
  for (const auto& c : dsc::cli::AllCommands()) {
    std::string name(c.name);
    name.resize(14, ' ');
    std::cout << "  " << name << c.summary << "\n";
  }
  std::cout << "\nglobal options:\n  -h, --help    show this help\n"
               "  --version     same as `dsc version`\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage();
    return dsc::cli::kExitBadInput;
  }
  std::string cmd = argv[1];
  dsc::cli::Args rest(argv + 2, argv + argc);
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    PrintUsage();
    return dsc::cli::kExitOk;
  }
  if (cmd == "--version" || cmd == "-v") cmd = "version";
  for (const auto& c : dsc::cli::AllCommands()) {
    if (c.name == cmd) return c.run(rest);
  }
  std::cerr << "dsc: error: unknown command '" << cmd << "' (see dsc --help)\n";
  return dsc::cli::kExitBadInput;
}
