// A checkpoint directory: every model shard opened and mmapped, one name → TensorView map
// built from the shard headers, the optional index and hf_quant_config.json cross-checked
// (checkpoint.md §1, §5, §6).
#ifndef DSC_FRONTEND_CHECKPOINT_H_
#define DSC_FRONTEND_CHECKPOINT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "frontend/json_strict.h"  // ReadJsonFile, ParseJsonStrict
#include "frontend/safetensors.h"

namespace dsc::frontend {

// hf_quant_config.json (ModelOpt, checkpoint.md §5).
struct QuantizationMetadata {
  std::string path;
  std::string producer;             // "modelopt 0.37.0"
  std::string quant_algo;           // "NVFP4"
  int64_t group_size = 0;           // 16
  std::string kv_cache_quant_algo;  // "" when null
  std::vector<std::string> exclude_modules;  // glob patterns, '*' matches any substring
};

// True when `module` (an HF module path such as "model.layers.1.mlp.gate") matches one of the
// fnmatch-style `patterns`.
bool MatchesExcludePattern(std::string_view module, const std::vector<std::string>& patterns);

class Checkpoint {
 public:
  // Opens `dir`. Model shards are `model*.safetensors` files and every file the index names;
  // other *.safetensors files (e.g. golden data next to a model) are ignored with a note. When
  // no file matches, every *.safetensors is a shard. Errors name the file and the tensor.
  static absl::StatusOr<std::unique_ptr<Checkpoint>> Open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  // nullptr if absent.
  const TensorView* Find(std::string_view name) const;
  // Every tensor of every shard, sorted by name.
  const std::vector<const TensorView*>& tensors() const { return sorted_; }
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
  bool has_index() const { return has_index_; }
  const std::optional<QuantizationMetadata>& quantization() const { return quantization_; }
  // Sum of all tensor bytes.
  uint64_t total_tensor_bytes() const { return total_tensor_bytes_; }
  // Informational lines (ignored files, index total_size mismatch, ...). Not errors.
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  Checkpoint() = default;
  absl::Status CrossCheckIndex(const std::string& index_path, const nlohmann::json& index);
  absl::Status LoadQuantizationMetadata(const std::string& path);

  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorView*, std::less<>> by_name_;
  std::vector<const TensorView*> sorted_;
  bool has_index_ = false;
  std::optional<QuantizationMetadata> quantization_;
  uint64_t total_tensor_bytes_ = 0;
  std::vector<std::string> notes_;
};

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_CHECKPOINT_H_
