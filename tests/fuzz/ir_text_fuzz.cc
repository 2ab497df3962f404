// Fuzzes the IR text parser (ir/parser.h). A module that parses is verified; its printed form
// must parse again and print identically (the round-trip promise of parser.h).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"
#include "ir/parser.h"
#include "ir/printer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto module = dsc::ir::ParseModule(text, "fuzz.ir");
  if (!module.ok()) return 0;
  const std::string printed = dsc::ir::PrintModule(**module);
  auto again = dsc::ir::ParseModule(printed, "printed.ir");
  if (!again.ok()) {
    std::fprintf(stderr, "printed module does not parse: %s\n%s\n",
                 std::string(again.status().message()).c_str(), printed.c_str());
    __builtin_trap();
  }
  if (dsc::ir::PrintModule(**again) != printed) {
    std::fprintf(stderr, "round trip changed the module:\n%s\n", printed.c_str());
    __builtin_trap();
  }
  return 0;
}
