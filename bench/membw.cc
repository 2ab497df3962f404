// Streaming-sum read bandwidth (AVX-512 when the CPU has it, AVX2 otherwise).
#include "bench/membw.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "runtime/memory_bandwidth.h"
#include "runtime/thread_pool.h"

namespace dsc::bench {

HugeBuffer::HugeBuffer(size_t bytes, uint8_t fill) : bytes_(bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) std::abort();
  if (std::getenv("DSC_BENCH_SMALL_PAGES") == nullptr) madvise(p, bytes, MADV_HUGEPAGE);
  data_ = static_cast<uint8_t*>(p);
  std::memset(data_, fill, bytes);
  // Read until it reads steadily (a VM host may back fresh memory lazily: the first passes
  // after the fill can run at a fraction of the later speed; runtime/memory_bandwidth.h).
  runtime::ThreadPool pool(1);
  runtime::ReadUntilSteady(pool, {{data_, bytes / 256 * 256}}, 0.1, 15);
}

HugeBuffer::~HugeBuffer() { munmap(data_, bytes_); }

uint64_t StreamSum(const uint8_t* data, size_t bytes, size_t prefetch) {
  return runtime::StreamingSum(data, bytes, prefetch);  // one streaming loop for dsc bench and here
}

ReadBandwidth MeasureReadBandwidth(runtime::ThreadPool& pool, size_t bytes, int passes) {
  const int threads = pool.size();
  const size_t part = bytes / threads / 256 * 256;
  HugeBuffer buffer(part * threads);
  std::vector<uint64_t> sink(threads);
  auto best_of = [&](size_t prefetch) {
    double best = 0.0;
    for (int pass = 0; pass < passes; ++pass) {
      const auto start = std::chrono::steady_clock::now();
      pool.Run([&](int t) {
        // The last `prefetch` bytes of a part are summed without prefetching past its end.
        const uint8_t* p = buffer.data() + t * part;
        const size_t head = prefetch == 0 ? part : part - 4096;
        sink[t] += StreamSum(p, head, prefetch) + StreamSum(p + head, part - head, 0);
      });
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      best = std::max(best, static_cast<double>(part * threads) / seconds);
    }
    return best;
  };
  ReadBandwidth bw;
  bw.plain = best_of(0);
  // 1 KiB ahead measured best among 1/2/4/8 KiB on Sapphire Rapids.
  bw.prefetched = best_of(1024);
  if (sink[0] == 42) std::abort();  // keeps the sums alive
  return bw;
}

ReadBandwidth CachedReadBandwidth(int threads) {
  static std::mutex mu;
  static std::map<int, ReadBandwidth> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(threads);
  if (it != cache.end()) return it->second;
  runtime::ThreadPool pool(threads);
  return cache[threads] = MeasureReadBandwidth(pool);
}

}  // namespace dsc::bench
