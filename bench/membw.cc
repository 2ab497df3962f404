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

namespace dsc::bench {

HugeBuffer::HugeBuffer(size_t bytes, uint8_t fill) : bytes_(bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) std::abort();
  madvise(p, bytes, MADV_HUGEPAGE);
  data_ = static_cast<uint8_t*>(p);
  std::memset(data_, fill, bytes);
}

HugeBuffer::~HugeBuffer() { munmap(data_, bytes_); }

namespace {

using V64 = uint64_t __attribute__((vector_size(64), aligned(1)));
using V32 = uint64_t __attribute__((vector_size(32), aligned(1)));

__attribute__((target("avx512f"))) uint64_t SumAvx512(const uint8_t* p, size_t bytes,
                                                      size_t prefetch) {
  V64 a0{}, a1{}, a2{}, a3{};
  for (size_t i = 0; i < bytes; i += 256) {
    if (prefetch != 0) {
      for (size_t line = 0; line < 256; line += 64) __builtin_prefetch(p + i + prefetch + line);
    }
    a0 += *reinterpret_cast<const V64*>(p + i);
    a1 += *reinterpret_cast<const V64*>(p + i + 64);
    a2 += *reinterpret_cast<const V64*>(p + i + 128);
    a3 += *reinterpret_cast<const V64*>(p + i + 192);
  }
  V64 s = (a0 + a1) + (a2 + a3);
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r += s[i];
  return r;
}

__attribute__((target("avx2"))) uint64_t SumAvx2(const uint8_t* p, size_t bytes, size_t prefetch) {
  V32 a0{}, a1{}, a2{}, a3{};
  for (size_t i = 0; i < bytes; i += 128) {
    if (prefetch != 0) {
      for (size_t line = 0; line < 128; line += 64) __builtin_prefetch(p + i + prefetch + line);
    }
    a0 += *reinterpret_cast<const V32*>(p + i);
    a1 += *reinterpret_cast<const V32*>(p + i + 32);
    a2 += *reinterpret_cast<const V32*>(p + i + 64);
    a3 += *reinterpret_cast<const V32*>(p + i + 96);
  }
  V32 s = (a0 + a1) + (a2 + a3);
  return s[0] + s[1] + s[2] + s[3];
}

}  // namespace

uint64_t StreamSum(const uint8_t* data, size_t bytes, size_t prefetch) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  return avx512 ? SumAvx512(data, bytes, prefetch) : SumAvx2(data, bytes, prefetch);
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
