// Maps a .safetensors file and validates it (checkpoint.md §7 rules 1–5) before handing out
// zero-copy TensorViews; every error names the file and, where there is one, the tensor.
#include "frontend/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iostream>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "frontend/huge_page_mapping.h"
#include "frontend/json_strict.h"
#include "numerics/scalar_formats.h"

namespace dsc::frontend {
namespace {

using nlohmann::json;

struct DtypeInfo {
  StDtype dtype;
  std::string_view name;
  size_t size;
};

// In enum order, which is also the reference writer's alignment order.
constexpr std::array<DtypeInfo, 15> kDtypes = {{
    {StDtype::kBool, "BOOL", 1},     {StDtype::kU8, "U8", 1},
    {StDtype::kI8, "I8", 1},         {StDtype::kF8E5M2, "F8_E5M2", 1},
    {StDtype::kF8E4M3, "F8_E4M3", 1}, {StDtype::kI16, "I16", 2},
    {StDtype::kU16, "U16", 2},       {StDtype::kF16, "F16", 2},
    {StDtype::kBF16, "BF16", 2},     {StDtype::kI32, "I32", 4},
    {StDtype::kU32, "U32", 4},       {StDtype::kF32, "F32", 4},
    {StDtype::kF64, "F64", 8},       {StDtype::kI64, "I64", 8},
    {StDtype::kU64, "U64", 8},
}};

constexpr uint64_t kMaxHeaderBytes = 100'000'000;

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ","), "]");
}

// The part of §7 rules 3 and 5 that concerns one header entry.
absl::Status ParseEntry(const std::string& where, const json& entry, TensorView& view,
                        uint64_t& begin, uint64_t& end) {
  if (!entry.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, "is not an object"));
  for (const auto& [key, unused] : entry.items()) {
    if (key != "dtype" && key != "shape" && key != "data_offsets") {
      return absl::InvalidArgumentError(absl::StrCat(where, "unknown key '", key, "'"));
    }
  }
  auto dtype_it = entry.find("dtype");
  if (dtype_it == entry.end() || !dtype_it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "missing string 'dtype'"));
  }
  std::optional<StDtype> dtype = ParseStDtype(dtype_it->get<std::string>());
  if (!dtype) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "unknown dtype '", dtype_it->get<std::string>(), "'"));
  }
  view.dtype = *dtype;
  auto shape_it = entry.find("shape");
  if (shape_it == entry.end() || !shape_it->is_array()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "missing array 'shape'"));
  }
  uint64_t numel = 1;
  for (const json& dim : *shape_it) {
    if (!dim.is_number_unsigned() ||
        dim.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "shape ", shape_it->dump(), " is not a list of non-negative integers"));
    }
    view.shape.push_back(static_cast<int64_t>(dim.get<uint64_t>()));
    if (__builtin_mul_overflow(numel, dim.get<uint64_t>(), &numel)) {
      return absl::InvalidArgumentError(absl::StrCat(where, "shape ", shape_it->dump(), " overflows"));
    }
  }
  auto offsets_it = entry.find("data_offsets");
  if (offsets_it == entry.end() || !offsets_it->is_array() || offsets_it->size() != 2 ||
      !(*offsets_it)[0].is_number_unsigned() || !(*offsets_it)[1].is_number_unsigned()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "'data_offsets' must be two non-negative integers"));
  }
  begin = (*offsets_it)[0].get<uint64_t>();
  end = (*offsets_it)[1].get<uint64_t>();
  if (begin > end) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "data_offsets [", begin, ",", end, "] have begin > end"));
  }
  uint64_t needed = 0;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(StDtypeSize(view.dtype)), &needed)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "shape ", ShapeString(view.shape), " overflows the byte count"));
  }
  if (end - begin != needed) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "data_offsets [", begin, ",", end, "] give ", end - begin, " bytes but shape ",
        ShapeString(view.shape), " ", std::string(StDtypeName(view.dtype)), " needs ", needed));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view StDtypeName(StDtype dtype) { return kDtypes[static_cast<size_t>(dtype)].name; }
size_t StDtypeSize(StDtype dtype) { return kDtypes[static_cast<size_t>(dtype)].size; }

std::optional<StDtype> ParseStDtype(std::string_view name) {
  for (const DtypeInfo& info : kDtypes) {
    if (info.name == name) return info.dtype;
  }
  return std::nullopt;
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ != nullptr) munmap(mapping_, file_size_);
}

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::string& path) {
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  file->file_size_ = static_cast<uint64_t>(st.st_size);
  // §7 rule 1.
  if (file->file_size_ < 8) {
    ::close(fd);
    return absl::DataLossError(absl::StrCat(path, ": file is ", file->file_size_,
                                            " bytes, too short for the 8-byte header length"));
  }
  // Huge pages for the weights where the kernel can map the page cache that way (a 4 KiB TLB
  // entry per page costs the decode GEMVs ~25% of their read bandwidth).
  const HugePageMapping huge = MapPreferringHugePages(fd, file->file_size_);
  const int map_errno = errno;
  ::close(fd);
  if (huge.address == nullptr) {
    return absl::InternalError(absl::StrCat(path, ": mmap failed: ", std::strerror(map_errno)));
  }
  if (huge.dropped_small_pages) {
    std::cerr << "[dsc] " << path
              << ": the page cache held it in 4 KiB pages; dropped them so that it maps as "
                 "2 MiB pages (read from disk again, once)\n";
  }
  void* mapping = huge.address;
  file->mapping_ = mapping;
  if (absl::Status s = file->Parse(static_cast<const uint8_t*>(mapping)); !s.ok()) return s;
  return file;
}

bool SafetensorsFile::Prefault(uint64_t offset, uint64_t bytes) const {
  if (mapping_ == nullptr || offset >= file_size_) return false;
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t begin = offset / page * page, end = std::min(file_size_, offset + bytes);
  const uint8_t* bytes_at = static_cast<const uint8_t*>(mapping_);
  if (::madvise(const_cast<uint8_t*>(bytes_at) + begin, end - begin, MADV_POPULATE_READ) != 0) return false;
  constexpr uint64_t kTouchStride = 4096;  // the host's page size, whatever ours is
  for (uint64_t at = begin; at < end; at += kTouchStride) {
    (void)*static_cast<const volatile uint8_t*>(bytes_at + at);  // volatile: the read happens
  }
  return true;
}

absl::Status SafetensorsFile::ReadIntoMemory(const std::function<void(uint64_t bytes_read)>& progress) {
  if (mapping_ == nullptr || in_memory_) return absl::OkStatus();
  // Unmap the pages loading touched (clean page cache; they fault back in on a later read) so
  // that this process does not count them and the copy at once.
  ::madvise(mapping_, file_size_, MADV_DONTNEED);
  // An extra 2 MiB so the copy can start on a 2 MiB boundary, as the file mapping does: the
  // pages then move over as whole huge pages.
  constexpr uint64_t kHuge = uint64_t{2} << 20;
  const uint64_t size = file_size_, reserved = size + kHuge;
  void* raw = mmap(nullptr, reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    return absl::ResourceExhaustedError(absl::StrCat(path_, ": cannot allocate ", size,
                                                     " bytes to read it into memory (--mmap maps it instead): ",
                                                     std::strerror(errno)));
  }
  auto* base = static_cast<uint8_t*>(raw);
  uint8_t* copy = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(base) + kHuge - 1) / kHuge * kHuge);
  if (copy > base) munmap(base, copy - base);
  if (base + reserved > copy + size) munmap(copy + size, base + reserved - (copy + size));
  ::madvise(copy, size, MADV_HUGEPAGE);  // advice only

  absl::Status status = absl::OkStatus();
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) status = absl::InvalidArgumentError(absl::StrCat(path_, ": cannot open: ", std::strerror(errno)));
  constexpr uint64_t kChunk = uint64_t{64} << 20;
  for (uint64_t done = 0; status.ok() && done < size;) {
    const ssize_t got = ::pread(fd, copy + done, std::min(kChunk, size - done), static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      status = absl::DataLossError(absl::StrCat(path_, ": read failed at byte ", done, ": ", std::strerror(errno)));
    } else if (got == 0) {
      status = absl::DataLossError(absl::StrCat(path_, ": file shrank to ", done, " bytes while being read (was ",
                                                size, ")"));
    } else {
      done += static_cast<uint64_t>(got);
      if (progress) progress(done);
    }
  }
  if (fd >= 0) ::close(fd);
  // The header was validated on the mapping; the copy must be of the same file.
  if (status.ok() && std::memcmp(copy, mapping_, 8 + header_size_) != 0) {
    status = absl::DataLossError(absl::StrCat(path_, ": the file changed while being read"));
  }
  if (status.ok() && ::mprotect(copy, size, PROT_READ) != 0) {
    status = absl::InternalError(absl::StrCat(path_, ": mprotect: ", std::strerror(errno)));
  }
  if (status.ok() && ::mremap(copy, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, mapping_) == MAP_FAILED) {
    status = absl::InternalError(absl::StrCat(path_, ": mremap: ", std::strerror(errno)));
  }
  if (!status.ok()) {
    munmap(copy, size);
    return status;
  }
  in_memory_ = true;  // the file mapping was replaced by mremap; the destructor unmaps the copy
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::FromBuffer(
    std::string_view bytes, const std::string& source) {
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = source;
  file->file_size_ = bytes.size();
  if (file->file_size_ < 8) {
    return absl::DataLossError(absl::StrCat(source, ": file is ", file->file_size_,
                                            " bytes, too short for the 8-byte header length"));
  }
  if (absl::Status s = file->Parse(reinterpret_cast<const uint8_t*>(bytes.data())); !s.ok()) {
    return s;
  }
  return file;
}

absl::Status SafetensorsFile::Parse(const uint8_t* bytes) {
  const std::string& path = path_;
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | bytes[i];
  if (header_size > kMaxHeaderBytes) {
    return absl::DataLossError(absl::StrCat(path, ": header length ", header_size,
                                            " exceeds the limit of ", kMaxHeaderBytes));
  }
  if (8 + header_size > file_size_) {
    return absl::DataLossError(absl::StrCat(path, ": header length ", header_size,
                                            " runs past the end of the ", file_size_,
                                            "-byte file (truncated?)"));
  }
  header_size_ = header_size;
  // §7 rule 2.
  std::string_view header_text(reinterpret_cast<const char*>(bytes + 8), header_size);
  size_t first = header_text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || header_text[first] != '{') {
    return absl::InvalidArgumentError(absl::StrCat(path, ": header is not a JSON object"));
  }
  absl::StatusOr<json> header = ParseJsonStrict(header_text, absl::StrCat(path, ": header"));
  if (!header.ok()) return header.status();

  const uint64_t data_size = file_size_ - 8 - header_size;
  const uint8_t* data = bytes + 8 + header_size;
  struct Range {
    uint64_t begin, end;
    size_t index;
  };
  std::vector<Range> ranges;
  for (const auto& [name, entry] : header->items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": __metadata__ is not an object"));
      }
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ": __metadata__ value of '", key, "' is not a string"));
        }
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    TensorView view;
    view.name = name;
    view.file = path;
    uint64_t begin = 0, end = 0;
    std::string where = absl::StrCat(path, ": tensor '", name, "': ");
    if (absl::Status s = ParseEntry(where, entry, view, begin, end); !s.ok()) return s;
    view.file_offset = 8 + header_size + begin;
    view.nbytes = end - begin;
    ranges.push_back({begin, end, tensors_.size()});
    tensors_.push_back(std::move(view));
  }
  // §7 rule 4: sorted by begin, the entries tile the data buffer exactly.
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected_begin = 0;
  const std::string* previous = nullptr;
  for (const Range& r : ranges) {
    const std::string& name = tensors_[r.index].name;
    if (r.begin != expected_begin) {
      std::string what;
      if (previous == nullptr) {
        what = "leave a gap at the start of the data buffer";
      } else {
        what = absl::StrCat(r.begin > expected_begin ? "leave a gap after" : "overlap",
                            " tensor '", *previous, "', which ends at ", expected_begin);
      }
      return absl::InvalidArgumentError(absl::StrCat(path, ": tensor '", name, "': data_offsets [",
                                                     r.begin, ",", r.end, "] ", what));
    }
    if (r.end > data_size) {
      return absl::DataLossError(absl::StrCat(path, ": tensor '", name, "': data_offsets [",
                                              r.begin, ",", r.end, "] run past the ", data_size,
                                              "-byte data buffer (truncated file?)"));
    }
    expected_begin = r.end;
    previous = &name;
  }
  if (expected_begin != data_size) {
    return absl::DataLossError(absl::StrCat(path, ": tensors cover ", expected_begin,
                                            " bytes but the data buffer holds ", data_size,
                                            " (trailing bytes)"));
  }
  // Reorder tensors_ by offset and point the views into the mapping.
  std::vector<TensorView> ordered;
  ordered.reserve(ranges.size());
  for (const Range& r : ranges) {
    TensorView& view = tensors_[r.index];
    view.data = data + r.begin;
    ordered.push_back(std::move(view));
  }
  tensors_ = std::move(ordered);
  for (size_t i = 0; i < tensors_.size(); ++i) index_[tensors_[i].name] = i;
  return absl::OkStatus();
}

const TensorView* SafetensorsFile::Find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}


namespace {

template <typename T>
T LoadUnaligned(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

float DecodeElement(StDtype dtype, const uint8_t* p) {
  switch (dtype) {
    case StDtype::kBool: return *p ? 1.0f : 0.0f;
    case StDtype::kU8: return *p;
    case StDtype::kI8: return static_cast<int8_t>(*p);
    case StDtype::kF8E5M2: return numerics::F16ToFloat(static_cast<uint16_t>(*p) << 8);
    case StDtype::kF8E4M3: return numerics::DecodeE4m3(*p);
    case StDtype::kI16: return LoadUnaligned<int16_t>(p);
    case StDtype::kU16: return LoadUnaligned<uint16_t>(p);
    case StDtype::kF16: return numerics::F16ToFloat(LoadUnaligned<uint16_t>(p));
    case StDtype::kBF16: return numerics::Bf16ToFloat(LoadUnaligned<uint16_t>(p));
    case StDtype::kI32: return static_cast<float>(LoadUnaligned<int32_t>(p));
    case StDtype::kU32: return static_cast<float>(LoadUnaligned<uint32_t>(p));
    case StDtype::kF32: return LoadUnaligned<float>(p);
    case StDtype::kF64: return static_cast<float>(LoadUnaligned<double>(p));
    case StDtype::kI64: return static_cast<float>(LoadUnaligned<int64_t>(p));
    case StDtype::kU64: return static_cast<float>(LoadUnaligned<uint64_t>(p));
  }
  return 0.0f;
}

}  // namespace

absl::StatusOr<std::vector<float>> ReadAsFloat32(const TensorView& tensor) {
  const size_t size = StDtypeSize(tensor.dtype);
  const int64_t numel = tensor.numel();
  if (numel < 0 || static_cast<uint64_t>(numel) * size != tensor.nbytes ||
      (tensor.data == nullptr && tensor.nbytes != 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        tensor.file, ": tensor '", tensor.name, "': view holds ", tensor.nbytes,
        " bytes but shape ", ShapeString(tensor.shape), " ", std::string(StDtypeName(tensor.dtype)), " needs ",
        static_cast<uint64_t>(numel) * size));
  }
  std::vector<float> out(static_cast<size_t>(numel));
  for (size_t i = 0; i < out.size(); ++i) out[i] = DecodeElement(tensor.dtype, tensor.data + i * size);
  return out;
}

}  // namespace dsc::frontend
