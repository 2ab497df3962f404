// A tiny persistent thread pool for kernels: `Run(fn)` calls fn(0..size-1), task i always on
// thread i (the caller runs task 0), so a static split of weight rows gives every thread the
// same disjoint rows on every call (and the same cache/NUMA affinity).
#ifndef DSC_RUNTIME_THREAD_POOL_H_
#define DSC_RUNTIME_THREAD_POOL_H_

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/functional/function_ref.h"

namespace dsc::runtime {

class ThreadPool {
 public:
  // `threads` >= 1 (clamped): threads - 1 workers plus the calling thread.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(i) for every i in [0, size()) and returns when all have finished. Not reentrant:
  // one Run at a time, from one thread. A decode step calls this once per kernel, so waking
  // must be cheap: idle workers spin briefly before they sleep on a futex.
  void Run(absl::FunctionRef<void(int)> fn);

 private:
  void WorkerLoop(int index);

  std::vector<std::thread> workers_;
  // Bumped once per Run; workers wait for it to change. Odd/even has no meaning.
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> sleepers_{0};  // workers blocked (or about to block) in generation_.wait
  std::atomic<bool> stop_{false};
  const absl::FunctionRef<void(int)>* task_ = nullptr;  // valid while pending_ > 0
};

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_THREAD_POOL_H_
