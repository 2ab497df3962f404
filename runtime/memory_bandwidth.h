// The machine's memory read bandwidth, measured in-process for the roofline of `dsc bench`: a
// multithreaded streaming sum over a buffer far larger than the last-level cache (each thread
// reads its own contiguous part), best of several passes, with plain loads and with software
// prefetch. The roofline divides by the better of the two: the strictest bound we can measure.
#ifndef DSC_RUNTIME_MEMORY_BANDWIDTH_H_
#define DSC_RUNTIME_MEMORY_BANDWIDTH_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace dsc::runtime {

class ThreadPool;

struct BandwidthOptions {
  int threads = 1;
  // >= 4x the 480 MiB L3 of the reference machine, so the passes stream from DRAM.
  size_t bytes = size_t{2} << 30;
  int passes = 4;
  // Before the measured passes, the buffer is read until it reads steadily (ReadUntilSteady),
  // for at most this long.
  double settle_max_seconds = 15;
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

// Reads every byte of `regions` ({pointer, bytes}), split over the pool's threads, pass after
// pass, until a pass's speed is within `tolerance` of the pass before it or `max_seconds` have
// gone by (at least two passes). Why: on a virtual machine the host may back freshly written
// memory lazily. Measured on this project's Zen 5 VM, 8 GB that had just been written read at
// 5 GB/s, then 21, then 30 GB/s in passes right after each other. The same memory read at
// 27 GB/s on the first pass after 15 s. So what a benchmark measures just after a load is the
// host settling, not the decode. On a steady host this costs two passes.
struct SteadyRead {
  int passes = 0;
  double seconds = 0;
  double last_bytes_s = 0;  // the last pass's speed
};
SteadyRead ReadUntilSteady(ThreadPool& pool, const std::vector<std::pair<const uint8_t*, size_t>>& regions,
                           double tolerance = 0.1, double max_seconds = 30);

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_MEMORY_BANDWIDTH_H_
