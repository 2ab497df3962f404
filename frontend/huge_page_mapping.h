// Read-only file mappings that the kernel backs with 2 MiB pages where it can.
#ifndef DSC_FRONTEND_HUGE_PAGE_MAPPING_H_
#define DSC_FRONTEND_HUGE_PAGE_MAPPING_H_

#include <cstddef>
#include <cstdint>

namespace dsc::frontend {

struct HugePageMapping {
  void* address = nullptr;  // nullptr when mmap failed (errno set)
  // The file's cached pages were 4 KiB pages, so they were dropped from the page cache to be
  // read in again as 2 MiB pages on first use.
  bool dropped_small_pages = false;
};

// Maps `size` bytes of `fd` (PROT_READ, MAP_SHARED) with MADV_HUGEPAGE. Only pages the kernel
// reads in for a VM_HUGEPAGE mapping come as 2 MiB folios; pages already cached by an earlier
// write, copy or read() stay 4 KiB and cost the decode GEMVs ~25% of their bandwidth (a TLB
// miss per 4 KiB; BENCHMARKS.md). So for files of at least `min_bytes`, a few cached 2 MiB
// ranges are sampled; when they do not map as huge pages and one dropped range does come back
// as a 2 MiB page (so this kernel and file system can), the file's cached pages are dropped
// (posix_fadvise DONTNEED: clean pages, nothing is lost; pages other processes map stay) and
// the file remapped.
HugePageMapping MapPreferringHugePages(int fd, size_t size, size_t min_bytes = size_t{256} << 20);

// Bytes of the mapping that contains `address` mapped by PMD (2 MiB) entries, from
// /proc/self/smaps; -1 when it cannot be read.
int64_t FilePmdMappedBytes(const void* address);

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_HUGE_PAGE_MAPPING_H_
