// MapPreferringHugePages on a file whose pages were just copied (cached as 4 KiB pages on
// ext4): the mapping always reads the file's bytes, and it drops the cached pages
// exactly when the kernel then maps the file with 2 MiB pages.
#include "frontend/huge_page_mapping.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "test_checkpoints.h"

namespace dsc::frontend {
namespace {

using test_util::ScratchDir;

constexpr size_t kMiB = size_t{1} << 20;

std::string Pattern(size_t bytes) {
  std::string s(bytes, '\0');
  uint32_t x = 12345;
  for (char& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

// Bytes of the file at `path` mapped with 2 MiB pages once every page is touched, after its
// cached pages were dropped: whether this kernel and file system can map it that way at all.
int64_t PmdBytesWhenReadFresh(const std::string& path, size_t size) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  void* p = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::madvise(p, size, MADV_HUGEPAGE);
  volatile uint8_t sink = 0;
  for (size_t i = 0; i < size; i += 4096) sink = sink + static_cast<const uint8_t*>(p)[i];
  const int64_t pmd = FilePmdMappedBytes(p);
  munmap(p, size);
  ::close(fd);
  return pmd;
}

TEST(HugePageMapping, PmdBytesAreFoundForMappingsOnly) {
  const std::string data = Pattern(4 * kMiB);
  ScratchDir dir;
  test_util::WriteBytes(dir.File("f"), data);
  const int fd = ::open(dir.File("f").c_str(), O_RDONLY);
  void* p = mmap(nullptr, data.size(), PROT_READ, MAP_SHARED, fd, 0);
  EXPECT_GE(FilePmdMappedBytes(p), 0);
  EXPECT_GE(FilePmdMappedBytes(static_cast<char*>(p) + data.size() - 1), 0);
  EXPECT_EQ(FilePmdMappedBytes(nullptr), -1);  // page 0 is never mapped
  munmap(p, data.size());
  ::close(fd);
}

TEST(HugePageMapping, SmallFilesAreMappedAsTheyAre) {
  const std::string data = Pattern(6 * kMiB + 123);
  ScratchDir dir;
  test_util::WriteBytes(dir.File("f"), data);
  const int fd = ::open(dir.File("f").c_str(), O_RDONLY);
  const HugePageMapping m = MapPreferringHugePages(fd, data.size(), 64 * kMiB);
  ::close(fd);
  ASSERT_NE(m.address, nullptr);
  EXPECT_FALSE(m.dropped_small_pages);
  EXPECT_EQ(std::memcmp(m.address, data.data(), data.size()), 0);
  munmap(m.address, data.size());
}

// Copies `from` to `to` with copy_file_range, which (through splice on ext4) leaves the copy's
// page cache in 4 KiB pages, like `cp` does.
void CopyFile(const std::string& from, const std::string& to, size_t size) {
  const int in = ::open(from.c_str(), O_RDONLY);
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = copy_file_range(in, nullptr, out, nullptr, size - done, 0);
    ASSERT_GT(n, 0);
    done += static_cast<size_t>(n);
  }
  ::fsync(out);  // written back: clean pages, as a checkpoint's are (dirty ones cannot be dropped)
  ::close(in);
  ::close(out);
}

TEST(HugePageMapping, DropsCopiedPagesExactlyWhenHugePagesAreThere) {
  const std::string data = Pattern(24 * kMiB + 4097);  // ragged end
  ScratchDir dir;
  test_util::WriteBytes(dir.File("source"), data);
  CopyFile(dir.File("source"), dir.File("f"), data.size());
  const int fd = ::open(dir.File("f").c_str(), O_RDONLY);
  const HugePageMapping m = MapPreferringHugePages(fd, data.size(), 8 * kMiB);
  ::close(fd);
  ASSERT_NE(m.address, nullptr);
  // The bytes are the file's whatever happened (read again from disk after a drop).
  EXPECT_EQ(std::memcmp(m.address, data.data(), data.size()), 0);
  const int64_t pmd_now = FilePmdMappedBytes(m.address);
  munmap(m.address, data.size());
  const int64_t pmd_possible = PmdBytesWhenReadFresh(dir.File("f"), data.size());
  if (m.dropped_small_pages) {
    // Everything was touched by the memcmp: mapped with 2 MiB pages as a fresh read would be.
    EXPECT_GE(pmd_now, 8 * static_cast<int64_t>(kMiB));
    EXPECT_GE(pmd_possible, 8 * static_cast<int64_t>(kMiB));
  } else {
    // Kept: either already mapped with 2 MiB pages, or this kernel/file system cannot.
    EXPECT_TRUE(pmd_now >= 8 * static_cast<int64_t>(kMiB) || pmd_possible == 0)
        << "pmd_now " << pmd_now << " pmd_possible " << pmd_possible;
  }
}

}  // namespace
}  // namespace dsc::frontend
