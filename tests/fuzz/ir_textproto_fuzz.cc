// Fuzzes the textproto loader (ir/proto_io.h): protobuf TextFormat parsing with FILE:LINE:COL
// errors, then the same field validation as the binary form. An accepted module must print
// as textproto and load back to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"
#include "ir/printer.h"
#include "ir/proto_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto module = dsc::ir::ModuleFromTextProto(text, "fuzz.textproto");
  if (!module.ok()) return 0;
  const std::string printed = dsc::ir::PrintModule(**module);
  auto again = dsc::ir::ModuleFromTextProto(dsc::ir::ModuleToTextProto(**module), "again");
  if (!again.ok() || dsc::ir::PrintModule(**again) != printed) {
    std::fprintf(stderr, "textproto round trip failed: %s\n%s\n",
                 again.ok() ? "text differs" : std::string(again.status().message()).c_str(),
                 printed.c_str());
    __builtin_trap();
  }
  return 0;
}
