// ReadUntilSteady's stopping rules and the bandwidth measurement on small buffers.
#include "runtime/memory_bandwidth.h"

#include <vector>

#include "gtest/gtest.h"
#include "runtime/thread_pool.h"

namespace dsc::runtime {
namespace {

std::vector<uint8_t> Bytes(size_t n) {
  std::vector<uint8_t> b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 131 + 7);
  return b;
}

TEST(ReadUntilSteadyTest, AtLeastTwoPassesEvenWithNoTimeLeft) {
  ThreadPool pool(2);
  const std::vector<uint8_t> a = Bytes(3 << 20), b = Bytes(777 * 256 + 100);
  const SteadyRead r = ReadUntilSteady(pool, {{a.data(), a.size()}, {b.data(), b.size()}}, 0.1, 0.0);
  EXPECT_EQ(r.passes, 2);
  EXPECT_GT(r.seconds, 0.0);
  EXPECT_GT(r.last_bytes_s, 0.0);
}

TEST(ReadUntilSteadyTest, StopsAtTheFirstPassWithinTolerance) {
  ThreadPool pool(1);
  const std::vector<uint8_t> a = Bytes(1 << 20);
  // Any two passes are within a factor of 1000 of each other.
  EXPECT_EQ(ReadUntilSteady(pool, {{a.data(), a.size()}}, 1000.0, 60.0).passes, 2);
}

TEST(ReadUntilSteadyTest, NothingToReadIsNoPass) {
  ThreadPool pool(2);
  const std::vector<uint8_t> tiny = Bytes(255);  // under one 256-byte step
  EXPECT_EQ(ReadUntilSteady(pool, {}, 0.1, 60.0).passes, 0);
  EXPECT_EQ(ReadUntilSteady(pool, {{tiny.data(), tiny.size()}}, 0.1, 60.0).passes, 0);
}

TEST(MemoryBandwidthTest, SmallBufferOnTwoThreads) {
  BandwidthOptions options;
  options.threads = 2;
  options.bytes = size_t{8} << 20;
  options.passes = 2;
  options.settle_max_seconds = 1;
  const MemoryBandwidth bw = MeasureMemoryBandwidth(options);
  EXPECT_EQ(bw.threads, 2);
  EXPECT_EQ(bw.buffer_bytes, size_t{8} << 20);
  EXPECT_GT(bw.plain_bytes_s, 1e8);
  EXPECT_GT(bw.prefetched_bytes_s, 1e8);
}

}  // namespace
}  // namespace dsc::runtime
