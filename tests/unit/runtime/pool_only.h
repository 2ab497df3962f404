// A FastLinear with threads and no kernels: the interpreter's fast paths that need only a
// thread pool (prefill attention, indexer) run, every product takes the reference path.
#ifndef DSC_TESTS_UNIT_RUNTIME_POOL_ONLY_H_
#define DSC_TESTS_UNIT_RUNTIME_POOL_ONLY_H_

#include "runtime/interp/fast_linear.h"
#include "runtime/thread_pool.h"

namespace dsc::runtime::testing {

class PoolOnly : public FastLinear {
 public:
  PoolOnly() : pool_(2) {}
  bool Run(const QuantView&, int64_t, int64_t, int64_t, const float*, int64_t, float*) override { return false; }
  ThreadPool* pool() override { return &pool_; }

 private:
  ThreadPool pool_;
};

}  // namespace dsc::runtime::testing

#endif  // DSC_TESTS_UNIT_RUNTIME_POOL_ONLY_H_
