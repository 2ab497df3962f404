// dsc: entry point. Dispatches to a subcommand (tools/dsc/commands.h).
#include <malloc.h>

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
#ifdef __GLIBC__
  // A long prefill's activations are tens of MB per op. glibc serves blocks over 32 MB with a
  // fresh mmap each time (page faults and zeroing per op) and trims the heap top after each
  // free; keeping such blocks in the heap for reuse made a 4000-token prompt's time to first
  // token 10% shorter at the same peak RSS (BENCHMARKS.md).
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
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
