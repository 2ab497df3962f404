// Persistent workers that spin, then sleep on std::atomic::wait (a futex on Linux).
#include "runtime/thread_pool.h"

#include <algorithm>
#include <chrono>

namespace dsc::runtime {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// How long an idle worker polls before sleeping. A decode step launches a kernel every
// ~0.1-1 ms; waking from a futex costs tens of microseconds, polling costs one core.
constexpr auto kSpinTime = std::chrono::microseconds(200);
// Pause instructions Run spins for before it yields while waiting for workers (~10-40 µs).
constexpr int kRunSpinPolls = 1 << 12;

}  // namespace

ThreadPool::ThreadPool(int threads) {
  const int n = std::max(threads, 1);
  workers_.reserve(n - 1);
  for (int i = 1; i < n; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::Run(absl::FunctionRef<void(int)> fn) {
  if (workers_.empty()) {
    fn(0);
    return;
  }
  task_ = &fn;
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_seq_cst);
  // The futex wake is a system call: skip it while every worker is still spinning. A worker
  // counts itself as sleeping before it waits, and its wait returns at once if the generation
  // moved in between (seq_cst on both sides: either we see its count or it sees our bump).
  if (sleepers_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
  fn(0);
  // Workers normally finish within microseconds of us. If one is not running (more runnable
  // threads than cores), spinning would only delay it: after a short spin, give the core away.
  for (int polls = 0; pending_.load(std::memory_order_acquire) != 0; ++polls) {
    if (polls < kRunSpinPolls) {
      CpuRelax();
    } else {
      std::this_thread::yield();
    }
  }
  task_ = nullptr;
}

void ThreadPool::WorkerLoop(int index) {
  // Not generation_.load(): Run may already have bumped it before this thread got here.
  uint64_t seen = 0;
  while (true) {
    const auto spin_until = std::chrono::steady_clock::now() + kSpinTime;
    uint64_t now_gen;
    int polls = 0;
    while ((now_gen = generation_.load(std::memory_order_acquire)) == seen) {
      CpuRelax();
      // Check the clock only now and then: it costs more than a pause.
      if (++polls % 256 == 0 && std::chrono::steady_clock::now() > spin_until) {
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        generation_.wait(seen, std::memory_order_seq_cst);
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    seen = now_gen;
    if (stop_.load(std::memory_order_acquire)) return;
    (*task_)(index);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace dsc::runtime
