// Helpers for frontend tests: paths of the shared checkpoints, scratch directories, raw
// safetensors bytes, and copies of a real checkpoint with one thing broken.
#ifndef DSC_TESTS_UNIT_FRONTEND_TEST_CHECKPOINTS_H_
#define DSC_TESTS_UNIT_FRONTEND_TEST_CHECKPOINTS_H_

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "frontend/safetensors.h"
#include "frontend/safetensors_writer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dsc::frontend::test_util {

inline std::string SharedDir() { return DSC_SHARED_DIR; }
inline std::string TinyADir() { return SharedDir() + "/golden/tiny-a"; }
inline std::string TinycodeBf16Dir() { return SharedDir() + "/models/tinycode-bf16"; }
inline std::string TinycodeNvfp4Dir() { return SharedDir() + "/models/tinycode-nvfp4"; }

// A fresh directory under the system temp dir, removed at destruction.
class ScratchDir {
 public:
  ScratchDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("dsc_frontend_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_.string(); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A safetensors file from a header text and a data buffer (no padding, no checks).
inline std::string RawSafetensors(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return out + header + data;
}

inline nlohmann::json ReadJson(const std::string& path) {
  return nlohmann::json::parse(ReadBytes(path));
}

inline void WriteJson(const std::string& path, const nlohmann::json& j) {
  WriteBytes(path, j.dump(2));
}

// One tensor of a checkpoint being copied; the mutator may change any field.
struct MutableTensor {
  std::string name;
  StDtype dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

// Copies `src` (config.json, hf_quant_config.json, its single model.safetensors) into `dst`,
// passing every tensor through `mutate` (return false to drop it) and the config through
// `edit_config`.
inline void CopyCheckpoint(const std::string& src, const std::string& dst,
                           const std::function<bool(MutableTensor&)>& mutate = nullptr,
                           const std::function<void(nlohmann::json&)>& edit_config = nullptr) {
  nlohmann::json config = ReadJson(src + "/config.json");
  if (edit_config) edit_config(config);
  WriteJson(dst + "/config.json", config);
  if (std::filesystem::exists(src + "/hf_quant_config.json")) {
    std::filesystem::copy_file(src + "/hf_quant_config.json", dst + "/hf_quant_config.json");
  }
  auto file = SafetensorsFile::Open(src + "/model.safetensors");
  ASSERT_TRUE(file.ok()) << file.status();
  SafetensorsWriter writer;
  for (const TensorView& t : (*file)->tensors()) {
    MutableTensor m{t.name, t.dtype, t.shape,
                    std::string(reinterpret_cast<const char*>(t.data), t.nbytes)};
    if (mutate && !mutate(m)) continue;
    writer.Add(m.name, m.dtype, m.shape, m.bytes);
  }
  ASSERT_TRUE(writer.WriteAtomic(dst + "/model.safetensors").ok());
}

}  // namespace dsc::frontend::test_util

#endif  // DSC_TESTS_UNIT_FRONTEND_TEST_CHECKPOINTS_H_
