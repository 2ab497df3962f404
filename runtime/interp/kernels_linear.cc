// Reference dense linear layer: a plain loop over output elements, each a float32 dot product.
//
// Why not oneDNN: its OpenMP thread team made the golden tests ~20× slower whenever the machine
// was oversubscribed (other builds, parallel ctest), and an oracle's result should not depend on
// the thread count. The 8 partial sums let the compiler vectorize the dot product without
// -ffast-math while keeping the order fixed. Speed is the JIT's job.
#include "runtime/interp/kernels_linear.h"

#include <algorithm>
#include <thread>
#include <vector>

namespace dsc::runtime::ref {

float DotF32(const float* a, const float* b, int64_t n) {
  constexpr int kLanes = 8;
  float lane[kLanes] = {};
  int64_t c = 0;
  for (; c + kLanes <= n; c += kLanes) {
    for (int l = 0; l < kLanes; ++l) lane[l] += a[c + l] * b[c + l];
  }
  for (int l = 0; c < n; ++c, ++l) lane[l] += a[c] * b[c];
  return ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
}

void Linear(const float* x, const float* w, int64_t m, int64_t k, int64_t n, float* y) {
  // Weight rows outermost: each is streamed once and reused for all m input rows from cache.
  auto rows_of_w = [&](int64_t j_begin, int64_t j_end) {
    for (int64_t j = j_begin; j < j_end; ++j) {
      for (int64_t i = 0; i < m; ++i) y[i * n + j] = DotF32(x + i * k, w + j * k, k);
    }
  };
  // Large products (the real model's weights) split the weight rows across threads. Every output
  // element is still one DotF32, so the result does not depend on the thread count.
  constexpr int64_t kMinWorkPerThread = int64_t{1} << 22;  // multiply-adds
  const int64_t threads = std::min<int64_t>(
      {static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency())),
       m * n * k / kMinWorkPerThread, n});
  if (threads <= 1) {
    rows_of_w(0, n);
    return;
  }
  std::vector<std::thread> workers;
  for (int64_t t = 0; t < threads; ++t) {
    workers.emplace_back(rows_of_w, n * t / threads, n * (t + 1) / threads);
  }
  for (std::thread& worker : workers) worker.join();
}

}  // namespace dsc::runtime::ref
