// The machine's read bandwidth, measured in-process: a streaming sum over a 1 GiB buffer on 1..T
// threads (each thread reads its own contiguous half), best of several passes. Benchmarks
// divide their achieved bytes/s by this number to report a fraction of the roofline.
#ifndef DSC_BENCH_MEMBW_H_
#define DSC_BENCH_MEMBW_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "runtime/thread_pool.h"

namespace dsc::bench {

// Page-aligned anonymous memory (transparent huge pages requested), written once so every
// page is backed by real memory (an untouched page reads as the shared zero page, from cache).
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

// Sums `bytes` (a multiple of 256) with wide loads; the result only defeats dead-code removal.
uint64_t StreamSum(const uint8_t* data, size_t bytes);

// Best bytes/s of `passes` streaming sums over `bytes`, split over the pool's threads.
double MeasureReadBandwidth(runtime::ThreadPool& pool, size_t bytes = size_t{1} << 30,
                            int passes = 7);

// MeasureReadBandwidth on a fresh pool of `threads`, measured once per process and cached.
double CachedReadBandwidth(int threads);

}  // namespace dsc::bench

#endif  // DSC_BENCH_MEMBW_H_
