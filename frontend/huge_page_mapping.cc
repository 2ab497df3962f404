#include "frontend/huge_page_mapping.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace dsc::frontend {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr int kSamples = 8;

void* MapWithAdvice(int fd, size_t size) {
  void* p = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return nullptr;
  ::madvise(p, size, MADV_HUGEPAGE);  // advice only
  return p;
}

// Starts of up to kSamples 2 MiB-aligned ranges spread over the mapping whose first page is
// already in the page cache (mincore): touching them reads nothing from disk.
std::vector<const uint8_t*> CachedSamples(const uint8_t* base, size_t size) {
  std::vector<const uint8_t*> samples;
  const uintptr_t first = (reinterpret_cast<uintptr_t>(base) + kHugePage - 1) / kHugePage * kHugePage;
  const uintptr_t end = reinterpret_cast<uintptr_t>(base) + size;
  if (first + kHugePage > end) return samples;
  const size_t ranges = (end - first) / kHugePage;
  for (int i = 0; i < kSamples; ++i) {
    const auto* p = reinterpret_cast<const uint8_t*>(first + (ranges * i / kSamples) * kHugePage);
    unsigned char resident = 0;
    if (mincore(const_cast<uint8_t*>(p), 4096, &resident) == 0 && (resident & 1) != 0) {
      if (samples.empty() || samples.back() != p) samples.push_back(p);
    }
  }
  return samples;
}

void Touch(const std::vector<const uint8_t*>& pages) {
  volatile uint8_t sink = 0;
  for (const uint8_t* p : pages) sink = sink + *p;
}

}  // namespace

int64_t FilePmdMappedBytes(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  if (!smaps) return -1;
  const uintptr_t a = reinterpret_cast<uintptr_t>(address);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    // A mapping's header line is "lo-hi perms ..."; its fields follow as "Name: value kB".
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2) {
      inside = lo <= a && a < hi;
      continue;
    }
    long long kb = 0;
    if (inside && std::sscanf(line.c_str(), "FilePmdMapped: %lld kB", &kb) == 1) return kb * 1024;
  }
  return -1;
}

HugePageMapping MapPreferringHugePages(int fd, size_t size, size_t min_bytes) {
  HugePageMapping result;
  result.address = MapWithAdvice(fd, size);
  if (result.address == nullptr || size < min_bytes) return result;
  auto* base = static_cast<const uint8_t*>(result.address);
  const std::vector<const uint8_t*> samples = CachedSamples(base, size);
  if (samples.empty()) return result;  // nothing cached yet: first use reads 2 MiB folios
  Touch(samples);
  const int64_t pmd = FilePmdMappedBytes(base);
  if (pmd < 0 || pmd >= static_cast<int64_t>(samples.size() * kHugePage / 2)) return result;

  // The cached pages are small. Dropping them only helps if this kernel and file system read
  // the file in as 2 MiB folios, so probe with one sampled range first (one 2 MiB re-read).
  const off_t probe = samples[0] - base;
  munmap(result.address, size);
  ::posix_fadvise(fd, probe, kHugePage, POSIX_FADV_DONTNEED);
  result.address = MapWithAdvice(fd, size);
  if (result.address == nullptr) return result;
  base = static_cast<const uint8_t*>(result.address);
  Touch({base + probe});
  if (FilePmdMappedBytes(base) < static_cast<int64_t>(kHugePage)) return result;

  munmap(result.address, size);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  result.address = MapWithAdvice(fd, size);
  result.dropped_small_pages = result.address != nullptr;
  return result;
}

}  // namespace dsc::frontend
