// ThreadPool (every task index exactly once per Run, right after construction too), SplitRows,
// and RunLinear on 2 threads giving bit-identical results to 1 thread (disjoint rows).
#include "runtime/thread_pool.h"

#include <atomic>
#include <memory>
#include <vector>

#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "gtest/gtest.h"
#include "runtime/cpu_kernels.h"
#include "tests/unit/codegen/linear_test_util.h"

namespace dsc::runtime {
namespace {

TEST(ThreadPoolTest, RunsEveryIndexOnceStartingImmediately) {
  for (int threads = 1; threads <= 4; ++threads) {
    for (int trial = 0; trial < 10; ++trial) {
      ThreadPool pool(threads);  // Run before the workers had a chance to start
      for (int round = 0; round < 50; ++round) {
        std::vector<std::atomic<int>> hits(threads);
        pool.Run([&](int i) { hits[i].fetch_add(1); });
        for (int i = 0; i < threads; ++i) ASSERT_EQ(hits[i].load(), 1) << threads << " " << i;
      }
    }
  }
}

TEST(ThreadPoolTest, WorkersWakeAfterSleeping) {
  ThreadPool pool(2);
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past the spin phase
    std::atomic<int> sum{0};
    pool.Run([&](int i) { sum += i + 1; });
    EXPECT_EQ(sum.load(), 3);
  }
}

TEST(SplitRowsTest, ContiguousAlignedAndBalanced) {
  for (int64_t n : {0, 1, 37, 48, 2048, 7168, 24576}) {
    for (int parts : {1, 2, 3, 4}) {
      for (int64_t align : {1, 16, 48}) {
        int64_t expected_begin = 0;
        for (int p = 0; p < parts; ++p) {
          auto [b, e] = SplitRows(n, parts, p, align);
          EXPECT_EQ(b, expected_begin);
          EXPECT_LE(b, e);
          if (e < n) {
            EXPECT_EQ(e % align, 0);
          }
          EXPECT_LE(e - b, (n / parts + 2 * align));
          expected_begin = e;
        }
        EXPECT_EQ(expected_begin, n);
      }
    }
  }
}

TEST(RunLinearTest, TwoThreadsMatchOneThreadBitForBit) {
  auto jit = codegen::Jit::Create({});
  ASSERT_TRUE(jit.ok()) << jit.status();
  for (codegen::LinearKernelKind kind :
       {codegen::LinearKernelKind::kNvfp4Gemv, codegen::LinearKernelKind::kNvfp4Gemm}) {
    codegen::LinearKernelSpec spec;
    spec.kind = kind;
    spec.m = kind == codegen::LinearKernelKind::kNvfp4Gemv ? 2 : 19;
    spec.n = 333;
    spec.k = 512;
    auto kernel = codegen::CompileLinearKernel(**jit, spec);
    ASSERT_TRUE(kernel.ok()) << kernel.status();
    const codegen::testing::RandomWeights w = codegen::testing::RandomNvfp4(spec.n, spec.k, 7);
    const std::vector<float> x = codegen::testing::RandomActivations(spec.m * spec.k, 8);
    std::vector<std::vector<float>> y(2, std::vector<float>(spec.m * spec.n, -1.0f));
    for (int threads = 1; threads <= 2; ++threads) {
      ThreadPool pool(threads);
      KernelScratch scratch(threads);
      dsc_linear_args args{};
      args.x = x.data();
      args.y = y[threads - 1].data();
      args.w = w.codes.data();
      args.w_scale = w.scales.data();
      args.w_global_scale = w.global_scale;
      args.m = spec.m;
      args.ldx = spec.k;
      args.ldy = spec.n;
      RunLinear(pool, scratch, *kernel, args);
    }
    EXPECT_EQ(y[0], y[1]) << spec.Name();
    const double err =
        codegen::testing::MaxRelativeError(w, x, spec.m, spec.k, y[1], spec.n, 0, spec.n);
    EXPECT_LE(err, 1e-5) << spec.Name();
  }
}

}  // namespace
}  // namespace dsc::runtime
