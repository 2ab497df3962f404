// Serializes tensors to .safetensors exactly like the reference writer (dtype-descending then
// name order, compact JSON, space padding to 8 bytes) and streams the data through a buffer.
#include "frontend/safetensors_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace dsc::frontend {
namespace {

// Number of bytes shape × dtype needs, or nullopt on overflow / negative dims.
std::optional<uint64_t> ByteCount(StDtype dtype, const std::vector<int64_t>& shape) {
  uint64_t n = StDtypeSize(dtype);
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n)) return std::nullopt;
  }
  return n;
}

// A file descriptor with a write buffer; large writes bypass the buffer.
class BufferedFile {
 public:
  explicit BufferedFile(int fd) : fd_(fd) { buffer_.reserve(kBufferBytes); }
  absl::Status Write(const uint8_t* data, size_t n) {
    if (buffer_.size() + n > kBufferBytes) {
      if (absl::Status s = Flush(); !s.ok()) return s;
    }
    if (n >= kBufferBytes) return WriteAll(data, n);
    buffer_.insert(buffer_.end(), data, data + n);
    return absl::OkStatus();
  }
  absl::Status Flush() {
    absl::Status s = WriteAll(buffer_.data(), buffer_.size());
    buffer_.clear();
    return s;
  }

 private:
  static constexpr size_t kBufferBytes = 8 << 20;
  absl::Status WriteAll(const uint8_t* data, size_t n) {
    while (n > 0) {
      ssize_t written = ::write(fd_, data, n);
      if (written < 0) {
        if (errno == EINTR) continue;
        return absl::InternalError(absl::StrCat("write failed: ", std::strerror(errno)));
      }
      data += written;
      n -= static_cast<size_t>(written);
    }
    return absl::OkStatus();
  }
  int fd_;
  std::vector<uint8_t> buffer_;
};

}  // namespace

void SafetensorsWriter::Add(std::string name, StDtype dtype, std::vector<int64_t> shape,
                            std::span<const uint8_t> bytes) {
  Add(std::move(name), dtype, std::move(shape),
      std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void SafetensorsWriter::Add(std::string name, StDtype dtype, std::vector<int64_t> shape,
                            std::string bytes) {
  entries_.push_back({std::move(name), dtype, std::move(shape), std::move(bytes), nullptr});
}

void SafetensorsWriter::AddLazy(std::string name, StDtype dtype, std::vector<int64_t> shape,
                                Producer producer) {
  entries_.push_back({std::move(name), dtype, std::move(shape), {}, std::move(producer)});
}

void SafetensorsWriter::SetMetadata(std::string key, std::string value) {
  metadata_[std::move(key)] = std::move(value);
}

std::vector<const SafetensorsWriter::Entry*> SafetensorsWriter::SortedEntries() const {
  std::vector<const Entry*> sorted;
  for (const Entry& e : entries_) sorted.push_back(&e);
  // The reference writer: descending alignment (= element size), then name; every tensor then
  // starts at a multiple of its element size once the header is padded to 8.
  // Ties (equal names) keep insertion order: entries_ is one array, so its addresses are that
  // order (std::sort with a total order rather than std::stable_sort, which libstdc++ 12
  // builds on the deprecated get_temporary_buffer).
  std::sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) {
    const size_t a_size = StDtypeSize(a->dtype), b_size = StDtypeSize(b->dtype);
    if (a_size != b_size) return a_size > b_size;
    if (a->name != b->name) return a->name < b->name;
    return std::less<const Entry*>{}(a, b);
  });
  return sorted;
}

absl::StatusOr<std::string> SafetensorsWriter::BuildHeader() const {
  auto quote = [](const std::string& s) { return nlohmann::json(s).dump(); };
  std::string header = "{";
  if (!metadata_.empty()) {
    std::vector<std::string> items;
    for (const auto& [key, value] : metadata_) items.push_back(quote(key) + ":" + quote(value));
    absl::StrAppend(&header, "\"__metadata__\":{", absl::StrJoin(items, ","), "}");
  }
  std::set<std::string_view> seen;
  uint64_t offset = 0;
  for (const Entry* e : SortedEntries()) {
    if (e->name == "__metadata__" || !seen.insert(e->name).second) {
      return absl::InvalidArgumentError(absl::StrCat("tensor '", e->name, "' added twice"));
    }
    std::optional<uint64_t> nbytes = ByteCount(e->dtype, e->shape);
    if (!nbytes) {
      return absl::InvalidArgumentError(absl::StrCat("tensor '", e->name, "': invalid shape"));
    }
    if (!e->producer && e->bytes.size() != *nbytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor '", e->name, "': ", e->bytes.size(), " bytes given but shape [",
          absl::StrJoin(e->shape, ","), "] ", std::string(StDtypeName(e->dtype)), " needs ", *nbytes));
    }
    if (header.size() > 1) header += ",";
    absl::StrAppend(&header, quote(e->name), ":{\"dtype\":\"", std::string(StDtypeName(e->dtype)),
                    "\",\"shape\":[", absl::StrJoin(e->shape, ","), "],\"data_offsets\":[",
                    offset, ",", offset + *nbytes, "]}");
    offset += *nbytes;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  return header;
}

absl::Status SafetensorsWriter::WriteAtomic(const std::string& path) const {
  absl::StatusOr<std::string> header = BuildHeader();
  if (!header.ok()) return absl::Status(header.status().code(),
                                        absl::StrCat(path, ": ", header.status().message()));
  struct stat target {};
  const bool exists = ::stat(path.c_str(), &target) == 0;
  // The rename at the end would fail only after all the work: refuse a directory up front.
  if (exists && S_ISDIR(target.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, not a file"));
  }
  // A device or FIFO (`-o /dev/null`, a pipe) is written in place: renaming a file over it
  // would replace the device node itself (as root, /dev/null became a regular file).
  const bool special = exists && !S_ISREG(target.st_mode);
  const std::string temp = special ? path : absl::StrCat(path, ".tmp.", ::getpid());
  int fd = ::open(temp.c_str(), special ? (O_WRONLY | O_CLOEXEC) : (O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC), 0644);
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(temp, ": cannot create: ", std::strerror(errno)));
  }
  BufferedFile out(fd);
  auto write_everything = [&]() -> absl::Status {
    uint8_t length[8];
    for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(header->size() >> (8 * i));
    if (absl::Status s = out.Write(length, 8); !s.ok()) return s;
    if (absl::Status s = out.Write(reinterpret_cast<const uint8_t*>(header->data()),
                                   header->size());
        !s.ok()) {
      return s;
    }
    for (const Entry* e : SortedEntries()) {
      const uint64_t expected = *ByteCount(e->dtype, e->shape);
      if (!e->producer) {
        absl::Status s =
            out.Write(reinterpret_cast<const uint8_t*>(e->bytes.data()), e->bytes.size());
        if (!s.ok()) return s;
        continue;
      }
      uint64_t produced = 0;
      ByteSink sink = [&](std::span<const uint8_t> chunk) -> absl::Status {
        produced += chunk.size();
        if (produced > expected) {
          return absl::InvalidArgumentError(absl::StrCat("tensor '", e->name,
                                                         "': producer wrote more than ",
                                                         expected, " bytes"));
        }
        return out.Write(chunk.data(), chunk.size());
      };
      if (absl::Status s = e->producer(sink); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat("tensor '", e->name, "': ", s.message()));
      }
      if (produced != expected) {
        return absl::InvalidArgumentError(absl::StrCat(
            "tensor '", e->name, "': producer wrote ", produced, " bytes, expected ", expected));
      }
    }
    if (absl::Status s = out.Flush(); !s.ok()) return s;
    if (::fsync(fd) != 0 && errno != EINVAL) {
      return absl::InternalError(absl::StrCat("fsync failed: ", std::strerror(errno)));
    }
    // Drop the written (clean, small-folio) pages from the page cache: the engines map
    // checkpoints with MADV_HUGEPAGE, and only pages they read in themselves come as 2 MiB
    // folios; reusing the writer's 4 KiB pages made decode ~30% slower (BENCHMARKS.md).
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    return absl::OkStatus();
  };
  absl::Status status = write_everything();
  if (::close(fd) != 0 && status.ok()) {
    status = absl::InternalError(absl::StrCat("close failed: ", std::strerror(errno)));
  }
  if (status.ok() && !special && std::rename(temp.c_str(), path.c_str()) != 0) {
    status = absl::InternalError(absl::StrCat("rename to ", path, " failed: ",
                                              std::strerror(errno)));
  }
  if (!status.ok()) {
    if (!special) ::unlink(temp.c_str());
    return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
  }
  return absl::OkStatus();
}

}  // namespace dsc::frontend
