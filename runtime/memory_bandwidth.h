// The machine's memory read bandwidth, measured in-process for the roofline of `dsc bench`: a
// multithreaded streaming sum over a buffer far larger than the last-level cache (each thread
// reads its own contiguous part), best of several passes, with plain loads and with software
// prefetch. The roofline divides by the better of the two: the strictest bound we can measure.
#ifndef DSC_RUNTIME_MEMORY_BANDWIDTH_H_
#define DSC_RUNTIME_MEMORY_BANDWIDTH_H_

#include <cstddef>
#include <cstdint>

namespace dsc::runtime {

struct BandwidthOptions {
  int threads = 1;
  // >= 4x the 480 MiB L3 of the reference machine, so the passes stream from DRAM.
  size_t bytes = size_t{2} << 30;
  int passes = 4;
};

struct MemoryBandwidth {
  double plain_bytes_s = 0;       // streaming sum, wide loads
  double prefetched_bytes_s = 0;  // the same with software prefetch ahead
  size_t buffer_bytes = 0;
  int threads = 0;
  double best() const { return plain_bytes_s > prefetched_bytes_s ? plain_bytes_s : prefetched_bytes_s; }
};

// Allocates (and frees) the buffer; the caller's memory use rises by `bytes` meanwhile.
MemoryBandwidth MeasureMemoryBandwidth(const BandwidthOptions& options);

// Streaming sum of `bytes` (multiple of 256) prefetching `prefetch` bytes ahead (0: none).
uint64_t StreamingSum(const uint8_t* data, size_t bytes, size_t prefetch);

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_MEMORY_BANDWIDTH_H_
