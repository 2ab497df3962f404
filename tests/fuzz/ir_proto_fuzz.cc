// Fuzzes the binary protobuf loader (ir/proto_io.h): wire parsing, field validation and the
// verifier. An accepted module must serialize and load back to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"
#include "ir/printer.h"
#include "ir/proto_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto module = dsc::ir::ModuleFromBinaryProto(bytes);
  if (!module.ok()) return 0;
  const std::string printed = dsc::ir::PrintModule(**module);
  auto again = dsc::ir::ModuleFromBinaryProto(dsc::ir::SerializeModule(**module));
  if (!again.ok() || dsc::ir::PrintModule(**again) != printed) {
    std::fprintf(stderr, "proto round trip failed: %s\n%s\n",
                 again.ok() ? "text differs" : std::string(again.status().message()).c_str(),
                 printed.c_str());
    __builtin_trap();
  }
  return 0;
}
