// Streaming-sum read bandwidth over an anonymous, huge-page-backed buffer (AVX-512 loads when
// the CPU has them, AVX2 otherwise), split over a ThreadPool of the run's thread count.
#include "runtime/memory_bandwidth.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "runtime/thread_pool.h"

namespace dsc::runtime {
namespace {

using V64 = uint64_t __attribute__((vector_size(64), aligned(1)));
using V32 = uint64_t __attribute__((vector_size(32), aligned(1)));

__attribute__((target("avx512f"))) uint64_t Sum512(const uint8_t* p, size_t bytes, size_t prefetch) {
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

__attribute__((target("avx2"))) uint64_t Sum256(const uint8_t* p, size_t bytes, size_t prefetch) {
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

uint64_t StreamingSum(const uint8_t* data, size_t bytes, size_t prefetch) {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  return avx512 ? Sum512(data, bytes, prefetch) : Sum256(data, bytes, prefetch);
}

SteadyRead ReadUntilSteady(ThreadPool& pool, const std::vector<std::pair<const uint8_t*, size_t>>& regions,
                           double tolerance, double max_seconds) {
  // Pieces of <= 64 MiB (whole 256-byte steps), dealt to the threads in turn.
  constexpr size_t kPiece = size_t{64} << 20;
  std::vector<std::pair<const uint8_t*, size_t>> pieces;
  size_t total = 0;
  for (auto [data, bytes] : regions) {
    for (size_t at = 0; at + 256 <= bytes; at += kPiece) {
      const size_t n = std::min(kPiece, bytes - at) / 256 * 256;
      pieces.emplace_back(data + at, n);
      total += n;
    }
  }
  SteadyRead r;
  if (total == 0) return r;
  const int threads = pool.size();
  std::vector<uint64_t> sink(threads);
  const auto start = std::chrono::steady_clock::now();
  double previous = 0;
  while (true) {
    const auto pass_start = std::chrono::steady_clock::now();
    pool.Run([&](int t) {
      for (size_t i = t; i < pieces.size(); i += threads) sink[t] += StreamingSum(pieces[i].first, pieces[i].second, 0);
    });
    const auto now = std::chrono::steady_clock::now();
    r.last_bytes_s = static_cast<double>(total) / std::chrono::duration<double>(now - pass_start).count();
    r.seconds = std::chrono::duration<double>(now - start).count();
    ++r.passes;
    const bool steady = std::abs(r.last_bytes_s - previous) <= tolerance * previous;
    if (r.passes >= 2 && (steady || r.seconds >= max_seconds)) break;
    previous = r.last_bytes_s;
  }
  if (sink[0] == 42) std::abort();  // keeps the sums alive
  return r;
}

MemoryBandwidth MeasureMemoryBandwidth(const BandwidthOptions& options) {
  ThreadPool pool(std::max(options.threads, 1));
  const int threads = pool.size();
  const size_t part = options.bytes / threads / 4096 * 4096;
  const size_t total = part * threads;
  void* mem = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return {};
  madvise(mem, total, MADV_HUGEPAGE);
  uint8_t* data = static_cast<uint8_t*>(mem);
  // Each thread touches its own part first (real pages, not the shared zero page).
  pool.Run([&](int t) { std::memset(data + t * part, 0x5A, part); });
  std::vector<std::pair<const uint8_t*, size_t>> parts;
  for (int t = 0; t < threads; ++t) parts.emplace_back(data + t * part, part);
  ReadUntilSteady(pool, parts, 0.1, options.settle_max_seconds);
  std::vector<uint64_t> sink(threads);
  auto best_of = [&](size_t prefetch) {
    double best = 0;
    for (int pass = 0; pass < options.passes; ++pass) {
      const auto start = std::chrono::steady_clock::now();
      pool.Run([&](int t) {
        const uint8_t* p = data + t * part;
        // The last page is summed without prefetching past the part's end.
        const size_t head = prefetch == 0 ? part : part - 4096;
        sink[t] += StreamingSum(p, head, prefetch) + StreamingSum(p + head, part - head, 0);
      });
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      best = std::max(best, static_cast<double>(total) / s);
    }
    return best;
  };
  MemoryBandwidth bw;
  bw.plain_bytes_s = best_of(0);
  bw.prefetched_bytes_s = best_of(1024);  // 1 KiB ahead: the best lead measured on this machine
  bw.buffer_bytes = total;
  bw.threads = threads;
  munmap(mem, total);
  if (sink[0] == 42) std::abort();  // keeps the sums alive
  return bw;
}

}  // namespace dsc::runtime
