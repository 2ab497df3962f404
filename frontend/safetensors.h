// Zero-copy reader for one .safetensors file: mmaps it, validates the header against
// checkpoint.md §7 and hands out TensorViews that point straight into the mapping.
#ifndef DSC_FRONTEND_SAFETENSORS_H_
#define DSC_FRONTEND_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dsc::frontend {

// The dtypes of the safetensors format (checkpoint.md §7), spelled as in the header JSON.
enum class StDtype {
  kBool, kU8, kI8, kF8E5M2, kF8E4M3, kI16, kU16, kF16, kBF16, kI32, kU32, kF32, kF64, kI64, kU64
};

// "BOOL", "U8", "F8_E4M3", "BF16", ...
std::string_view StDtypeName(StDtype dtype);
// Bytes per element.
size_t StDtypeSize(StDtype dtype);
// Inverse of StDtypeName; nullopt for names the format does not define.
std::optional<StDtype> ParseStDtype(std::string_view name);

// A tensor inside an mmapped file. Valid as long as the SafetensorsFile that made it lives.
struct TensorView {
  std::string name;
  StDtype dtype = StDtype::kU8;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  std::string file;          // path of the shard it lives in
  uint64_t file_offset = 0;  // absolute byte offset of the data in that file
  int64_t numel() const;
};

// One mmapped .safetensors file, validated on Open.
class SafetensorsFile {
 public:
  // Maps and validates `path`. Errors (InvalidArgument / DataLoss / NotFound) name the file
  // and, where there is one, the tensor.
  static absl::StatusOr<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);
  // The same validation on a whole file image already in memory (fuzzing, tests). The views
  // point into `bytes`, which must outlive the result; `source` stands for the path in errors.
  static absl::StatusOr<std::unique_ptr<SafetensorsFile>> FromBuffer(std::string_view bytes,
                                                                     const std::string& source);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  // nullptr if absent.
  const TensorView* Find(std::string_view name) const;
  // In data-offset order.
  const std::vector<TensorView>& tensors() const { return tensors_; }
  // The "__metadata__" string map (empty when absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& path() const { return path_; }
  // Size of the whole file and of the JSON header (the N of §7).
  uint64_t file_size() const { return file_size_; }
  uint64_t header_size() const { return header_size_; }
  // Maps bytes [offset, offset + bytes) of the file into this process now (MADV_POPULATE_READ:
  // reads what is not cached yet) and reads one byte of every 4 KiB page, so that first uses
  // later neither fault nor stall. (On a virtual machine the host backs freshly read page-cache
  // pages lazily: measured here, the first CPU pass over a cold-read 10 GB file ran at 1.3 GB/s,
  // later ones at 15 GB/s; touching each page once after the populate took 3.6 s and removed
  // it.) Advice: false when the kernel declines or the file is not mapped.
  bool Prefault(uint64_t offset, uint64_t bytes) const;

  // `--no-mmap`: reads the file into private anonymous memory in 2 MiB pages and puts that
  // memory in place of the file mapping, at the same address (every TensorView stays valid),
  // read-only. Costs a copy of the file in RAM and its read time; pays where page-cache pages
  // are slower to stream than anonymous ones (measured on this project's VM: BENCHMARKS.md).
  // `progress(bytes)` after each chunk read. Errors name the file; on error nothing changed.
  absl::Status ReadIntoMemory(const std::function<void(uint64_t bytes_read)>& progress = nullptr);
  bool in_memory() const { return in_memory_; }

 private:
  SafetensorsFile() = default;
  // §7 rules 1–5 on the file image at `bytes` (file_size_ bytes), filling tensors_/metadata_.
  absl::Status Parse(const uint8_t* bytes);

  std::string path_;
  void* mapping_ = nullptr;  // null for FromBuffer
  bool in_memory_ = false;   // mapping_ holds an anonymous copy (ReadIntoMemory)
  uint64_t file_size_ = 0;
  uint64_t header_size_ = 0;
  std::vector<TensorView> tensors_;
  std::map<std::string, size_t, std::less<>> index_;  // name -> position in tensors_
  std::map<std::string, std::string> metadata_;
};

// Reads a tensor as float32 for tests and tools: widens BOOL/ints/F16/BF16/F32/F64 and decodes
// F8_E4M3 / F8_E5M2 exactly. Errors name the file and the tensor.
absl::StatusOr<std::vector<float>> ReadAsFloat32(const TensorView& tensor);

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_SAFETENSORS_H_
