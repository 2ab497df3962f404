// Row splitting and scratch for generated kernels.
#include "runtime/cpu_kernels.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <tuple>

#include "ir/check.h"

namespace dsc::runtime {

std::pair<int64_t, int64_t> SplitRows(int64_t n, int parts, int part, int64_t align) {
  DSC_CHECK(parts >= 1 && part >= 0 && part < parts && n >= 0, "bad row split");
  align = std::max<int64_t>(align, 1);
  const int64_t units = (n + align - 1) / align;
  const int64_t base = units / parts, extra = units % parts;
  const int64_t begin_unit = part * base + std::min<int64_t>(part, extra);
  const int64_t end_unit = begin_unit + base + (part < extra ? 1 : 0);
  return {std::min(n, begin_unit * align), std::min(n, end_unit * align)};
}

void KernelScratch::Free::operator()(void* p) const { std::free(p); }

void* KernelScratch::Get(int thread, int64_t bytes) {
  DSC_CHECK(thread >= 0 && thread < static_cast<int>(buffers_.size()), "bad thread index");
  if (bytes > sizes_[thread] || !buffers_[thread]) {
    const int64_t rounded = std::max<int64_t>((bytes + 4095) / 4096 * 4096, 4096);
    void* p = std::aligned_alloc(64, static_cast<size_t>(rounded));
    DSC_CHECK(p != nullptr, "out of memory for kernel scratch");
    buffers_[thread].reset(p);
    sizes_[thread] = rounded;
  }
  return buffers_[thread].get();
}

void RunLinear(ThreadPool& pool, KernelScratch& scratch, const dsc_linear_kernel& kernel,
               const dsc_linear_args& args) {
  const int threads = pool.size();
  const int64_t bytes = dsc_kernel_scratch_bytes(&kernel.info, args.m);
  pool.Run([&](int t) {
    dsc_linear_args a = args;
    std::tie(a.row_begin, a.row_end) = SplitRows(kernel.info.n, threads, t, kernel.info.row_align);
    // Each thread touches only its own slot (first use allocates, on the thread that uses it).
    a.scratch = scratch.Get(t, bytes);
    if (a.row_begin < a.row_end) kernel.fn(&a);
  });
}

}  // namespace dsc::runtime
