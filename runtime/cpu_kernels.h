// Calls generated linear kernels (kernel_abi.h) on a ThreadPool: a static split of the weight
// rows into one contiguous range per thread, and per-thread scratch that is allocated once.
#ifndef DSC_RUNTIME_CPU_KERNELS_H_
#define DSC_RUNTIME_CPU_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "runtime/kernel_abi.h"
#include "runtime/thread_pool.h"

namespace dsc::runtime {

// Rows [begin, end) of part `part` of `parts` when splitting n rows: contiguous, in order,
// boundaries at multiples of `align` (the last part takes the remainder), sizes within one
// `align` of each other.
std::pair<int64_t, int64_t> SplitRows(int64_t n, int parts, int part, int64_t align);

// One 64-byte-aligned growable buffer per thread. Grows only when a larger call arrives, so a
// decode loop allocates nothing after its first step. Get(t) may be called concurrently for
// different t.
class KernelScratch {
 public:
  explicit KernelScratch(int threads) : buffers_(threads), sizes_(threads, 0) {}
  void* Get(int thread, int64_t bytes);

 private:
  struct Free {
    void operator()(void* p) const;
  };
  std::vector<std::unique_ptr<void, Free>> buffers_;
  std::vector<int64_t> sizes_;
};

// Runs `kernel` on all n rows of its weight: `args` supplies x, y, w, scales, m and strides;
// its row range and scratch are set per thread. Thread i reads only the weight rows of part i
// (SplitRows at the kernel's row_align). Allocation-free once the scratch has grown.
void RunLinear(ThreadPool& pool, KernelScratch& scratch, const dsc_linear_kernel& kernel,
               const dsc_linear_args& args);

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_CPU_KERNELS_H_
