// Writing a Hugging Face checkpoint directory (checkpoint.md §1, §5, §6) all-or-nothing: a
// staging directory renamed into place at the end, streamed shard files with their index, JSON
// side files and the ModelOpt NVFP4 metadata. Shared by `dsc synth` and `dsc convert`.
#ifndef DSC_FRONTEND_CHECKPOINT_OUTPUT_H_
#define DSC_FRONTEND_CHECKPOINT_OUTPUT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "frontend/safetensors.h"
#include "frontend/safetensors_writer.h"
#include "nlohmann/json.hpp"

namespace dsc::frontend {

// `OUT.tmp.<pid>` until Commit() renames it to OUT; removed (with everything in it) if never
// committed, so a failure leaves nothing behind.
class StagingDir {
 public:
  // AlreadyExists when `out` exists and is not an empty directory; InvalidArgument when the
  // staging directory cannot be created (missing parent directories are created).
  static absl::StatusOr<std::unique_ptr<StagingDir>> Create(const std::string& out);
  ~StagingDir();
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const;
  // Renames the staging directory to the final name (replacing an empty directory there).
  absl::Status Commit();

 private:
  StagingDir(std::string out, std::string path) : out_(std::move(out)), path_(std::move(path)) {}
  std::string out_, path_;
  bool committed_ = false;
};

// One tensor to write; `producer` streams exactly nbytes() bytes (see SafetensorsWriter).
struct OutputTensor {
  std::string name;
  StDtype dtype = StDtype::kU8;
  std::vector<int64_t> shape;
  SafetensorsWriter::Producer producer;
  // Tensors with the same group (e.g. a weight and its scales) go into the same shard.
  std::string group;
  uint64_t nbytes() const;
};

struct OutputShard {
  std::string file_name;  // "model.safetensors", "model-00002-of-00003.safetensors"
  std::vector<OutputTensor> tensors;
};

// "model.safetensors" for count == 1, else "model-0000k-of-0000n.safetensors" (k is 1-based).
std::string ShardFileName(int index, int count);

// Splits `tensors` (kept in order, groups never split) into at most `count` shards of about
// equal size, named by ShardFileName. Empty shards are dropped and the rest renumbered.
std::vector<OutputShard> SplitIntoShards(std::vector<OutputTensor> tensors, int count);

struct WrittenFiles {
  std::vector<std::string> files;  // base names, in writing order
  uint64_t tensor_bytes = 0;       // sum of all tensor data bytes
  uint64_t file_bytes = 0;         // sum of the shard file sizes
};

// Writes every shard into `dir` (each file atomically, metadata {"format": "pt"}), and
// model.safetensors.index.json when `write_index` (sorted weight_map, total_size).
// `progress`, if set, is called with (tensor bytes written so far, total tensor bytes) as the
// producers stream (the CLI draws a bar with it).
absl::StatusOr<WrittenFiles> WriteShards(const std::string& dir, std::vector<OutputShard> shards,
                                         bool write_index,
                                         const std::function<void(int64_t done, int64_t total)>& progress = nullptr);

// Writes `json` (2-space indent, trailing newline) to `path` via a temporary name.
absl::Status WriteJsonFile(const std::string& path, const nlohmann::ordered_json& json);
absl::Status WriteJsonFile(const std::string& path, const nlohmann::json& json);
// Copies a file byte for byte via a temporary name.
absl::Status CopyFile(const std::string& from, const std::string& to);

// hf_quant_config.json of an NVFP4 checkpoint whose unquantized linear modules are `exclude`
// (HF module paths, written sorted), in ModelOpt's key order.
nlohmann::ordered_json HfQuantConfigJson(std::vector<std::string> exclude);
// config.json's `quantization_config` for the same checkpoint, in the compressed-tensors-like
// form ModelOpt writes (as in the golden tiny-a checkpoint).
nlohmann::json ModeloptQuantizationConfig(std::vector<std::string> exclude);
// config.json's `quantization_config` of the official FP8 release (block 128, ue8m0 scales).
nlohmann::json Fp8QuantizationConfig();

// Drops the resident pages of [data, data + size) from this process's mapping of a read-only
// file (the page cache keeps them), so that streaming a large mmapped checkpoint does not grow
// the resident set. A no-op on failure.
void ReleaseMappedPages(const void* data, size_t size);

// Runs fn(begin, end) on `threads` contiguous slices of [0, n) (one slice per thread, the
// calling thread takes the first). threads <= 0 means all cores.
void ParallelFor(int64_t n, int threads, const std::function<void(int64_t, int64_t)>& fn);
int ResolveThreads(int threads);

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_CHECKPOINT_OUTPUT_H_
