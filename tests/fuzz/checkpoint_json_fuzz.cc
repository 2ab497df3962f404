// Fuzzes the JSON side files of a checkpoint directory through Checkpoint::Open:
// model.safetensors.index.json (shard names, cross-check against the shard headers) and
// hf_quant_config.json (ModelOpt metadata). The first input byte picks the file (even: the
// index, odd: the quant config); the rest is its content. The shards are two small fixed
// safetensors files written once into a private temporary directory.
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "frontend/checkpoint.h"

namespace {

namespace fs = std::filesystem;

// A one-tensor safetensors image: `name` BF16 [2, 2].
std::string TinyShard(const std::string& name) {
  const std::string header =
      "{\"" + name + "\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,8]}}";
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return bytes + header + std::string("\x80\x3f\x00\x40\x40\x40\x80\x40", 8);
}

void WriteFile(const fs::path& path, const char* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data, static_cast<std::streamsize>(size));
}

fs::path& Dir() {
  static fs::path dir;
  return dir;
}

void RemoveDir() {
  std::error_code ec;
  fs::remove_all(Dir(), ec);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string templ = (fs::temp_directory_path() / "dsc_fuzz_ckpt_XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  Dir() = templ;
  std::atexit(RemoveDir);
  const std::string a = TinyShard("model.embed_tokens.weight"), b = TinyShard("lm_head.weight");
  WriteFile(Dir() / "model-00001-of-00002.safetensors", a.data(), a.size());
  WriteFile(Dir() / "model-00002-of-00002.safetensors", b.data(), b.size());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool quant = data[0] & 1;
  const fs::path written = Dir() / (quant ? "hf_quant_config.json" : "model.safetensors.index.json");
  const fs::path other = Dir() / (quant ? "model.safetensors.index.json" : "hf_quant_config.json");
  std::error_code ec;
  fs::remove(other, ec);
  WriteFile(written, reinterpret_cast<const char*>(data + 1), size - 1);
  auto ckpt = dsc::frontend::Checkpoint::Open(Dir().string());
  if (ckpt.ok()) {
    // Accepted: the tensor map must be the two shard tensors, whatever the side files say.
    if ((*ckpt)->tensors().size() != 2 || (*ckpt)->Find("lm_head.weight") == nullptr) {
      __builtin_trap();
    }
    if (const auto& q = (*ckpt)->quantization(); q.has_value()) {
      dsc::frontend::MatchesExcludePattern("model.layers.0.mlp.gate", q->exclude_modules);
    }
  }
  return 0;
}
