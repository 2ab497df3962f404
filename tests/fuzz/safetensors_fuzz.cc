// Fuzzes the safetensors reader (checkpoint.md §7) on whole file images: header length,
// header JSON, dtypes, shapes, data_offsets tiling. Whatever it accepts must be readable:
// every view lies inside the image and decodes to floats.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "frontend/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto file = dsc::frontend::SafetensorsFile::FromBuffer(bytes, "fuzz.safetensors");
  if (!file.ok()) return 0;
  const uint8_t* end = data + size;
  for (const dsc::frontend::TensorView& t : (*file)->tensors()) {
    if (t.nbytes > 0 && (t.data < data || t.data + t.nbytes > end)) __builtin_trap();
    if ((*file)->Find(t.name) != &t) __builtin_trap();
    if (t.nbytes <= (1 << 16)) {
      auto floats = dsc::frontend::ReadAsFloat32(t);
      if (!floats.ok()) __builtin_trap();
    }
  }
  return 0;
}
