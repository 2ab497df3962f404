// The machine's read bandwidth, measured in-process: a streaming sum over a 1 GiB buffer on 1..T
// threads (each thread reads its own contiguous part), best of several passes, once with plain
// loads and once with software prefetch as well (on this machine that reads ~15% faster from
// one core). Benchmarks divide their achieved bytes/s by the better of the two, the strictest
// roofline we can measure, and also report the fraction of the plain streaming sum.
#ifndef DSC_BENCH_MEMBW_H_
#define DSC_BENCH_MEMBW_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "runtime/thread_pool.h"

namespace dsc::bench {

// Page-aligned anonymous memory (transparent huge pages requested), written once so every
// page is backed by real memory (an untouched page reads as the shared zero page, from cache),
// then read until it reads steadily (runtime::ReadUntilSteady).
class HugeBuffer {
 public:
  explicit HugeBuffer(size_t bytes, uint8_t fill = 0x5A);
  ~HugeBuffer();
  HugeBuffer(const HugeBuffer&) = delete;
  HugeBuffer& operator=(const HugeBuffer&) = delete;
  uint8_t* data() const { return data_; }
  size_t size() const { return bytes_; }

 private:
  uint8_t* data_ = nullptr;
  size_t bytes_ = 0;
};

// Sums `bytes` (a multiple of 256) with wide loads, optionally prefetching `prefetch` bytes
// ahead; the result only defeats dead-code removal.
uint64_t StreamSum(const uint8_t* data, size_t bytes, size_t prefetch = 0);

struct ReadBandwidth {
  double plain = 0.0;       // bytes/s, streaming sum
  double prefetched = 0.0;  // bytes/s, streaming sum with software prefetch
  double best() const { return plain > prefetched ? plain : prefetched; }
};

// Best of `passes` streaming sums of each kind over `bytes`, split over the pool's threads.
ReadBandwidth MeasureReadBandwidth(runtime::ThreadPool& pool, size_t bytes = size_t{1} << 30,
                                   int passes = 5);

// MeasureReadBandwidth on a fresh pool of `threads`, measured once per process and cached.
ReadBandwidth CachedReadBandwidth(int threads);

}  // namespace dsc::bench

#endif  // DSC_BENCH_MEMBW_H_
