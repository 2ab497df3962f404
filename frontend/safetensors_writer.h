// Writes .safetensors files the way the reference writer does (tensors sorted by descending
// element size then name, header padded to a multiple of 8 with spaces), atomically (path.tmp.<pid> then rename), optionally
// streaming tensor bytes from callbacks so multi-GB files never sit in memory.
#ifndef DSC_FRONTEND_SAFETENSORS_WRITER_H_
#define DSC_FRONTEND_SAFETENSORS_WRITER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "frontend/safetensors.h"

namespace dsc::frontend {

class SafetensorsWriter {
 public:
  // Called once when the file is written; must append exactly `nbytes` bytes to `sink` in one
  // or more calls. Returning an error aborts the write (the temp file is removed).
  using ByteSink = std::function<absl::Status(std::span<const uint8_t> chunk)>;
  using Producer = std::function<absl::Status(const ByteSink& sink)>;

  // Adds a tensor whose bytes are copied now.
  void Add(std::string name, StDtype dtype, std::vector<int64_t> shape,
           std::span<const uint8_t> bytes);
  void Add(std::string name, StDtype dtype, std::vector<int64_t> shape, std::string bytes);
  // Adds a tensor whose bytes are produced while writing (streaming mode).
  void AddLazy(std::string name, StDtype dtype, std::vector<int64_t> shape, Producer producer);
  void SetMetadata(std::string key, std::string value);

  // The header JSON (without the 8-byte length, with padding) that WriteAtomic would write.
  // Fails on duplicate names or byte counts that do not match shape × dtype.
  absl::StatusOr<std::string> BuildHeader() const;
  // Writes `path` atomically. Errors name the path and the tensor.
  absl::Status WriteAtomic(const std::string& path) const;

 private:
  struct Entry {
    std::string name;
    StDtype dtype;
    std::vector<int64_t> shape;
    std::string bytes;  // used when producer is empty
    Producer producer;
  };
  std::vector<const Entry*> SortedEntries() const;

  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_SAFETENSORS_WRITER_H_
