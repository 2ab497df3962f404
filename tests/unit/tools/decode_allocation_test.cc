// The executor's arena: in a steady decode step of the JIT engine every intermediate lives in
// the memory plan's arena, so the only tensor storage allocated is the logits handed to the
// caller. Tensor storage is counted by Buffer's own counter; this binary also counts every
// operator new (armed only around the steps measured) to compare the engines' totals.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <new>

#include "gtest/gtest.h"
#include "runtime/interp/buffer.h"
#include "tests/unit/tools/cli_runner.h"
#include "tools/dsc/engine.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_calls{0}, g_bytes{0};
}  // namespace

// A counting replacement of the global allocation functions (malloc/free underneath, so the
// pair matches; GCC cannot see that through the replacement).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_calls.fetch_add(1, std::memory_order_relaxed);
    g_bytes.fetch_add(static_cast<int64_t>(n), std::memory_order_relaxed);
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace dsc::testing {
namespace {

struct StepAllocations {
  double tensor_buffers = 0;  // Buffer heap allocations per step (float and int64)
  double calls = 0, bytes = 0;  // every operator new per step
};

int64_t TensorBufferAllocations() {
  return runtime::Buffer<float>::allocations() + runtime::Buffer<int64_t>::allocations();
}

// Greedy decode steps after a short prompt; the allocations of the last `measured` steps. The
// caches grow geometrically from the prompt's 6 rows (12, 24, 48): positions 25-29 grow none.
StepAllocations MeasureDecode(const std::string& engine_name, int threads) {
  constexpr int kWarmup = 19, kMeasured = 5;
  cli::ModelFlags flags;
  flags.model_dir = SharedDir() + "/golden/tiny-a";
  flags.engine = engine_name;
  flags.threads = threads;
  flags.kv_cache = "f32";
  absl::StatusOr<std::unique_ptr<cli::Engine>> engine = cli::OpenEngine(flags);
  EXPECT_TRUE(engine.ok()) << engine.status();
  if (!engine.ok()) return {};
  runtime::ModelRunner& runner = *(*engine)->runner;
  std::unique_ptr<runtime::SequenceState> state = runner.NewSequence();
  const std::vector<int32_t> prompt = {5, 17, 301, 42, 7, 99};
  absl::StatusOr<runtime::Tensor> logits = runner.Forward(state.get(), prompt, 0, runtime::ModelRunner::Rows::kLast);
  EXPECT_TRUE(logits.ok()) << logits.status();
  int64_t position = static_cast<int64_t>(prompt.size());
  StepAllocations total;
  for (int step = 0; step < kWarmup + kMeasured && logits.ok(); ++step) {
    const int32_t next = static_cast<int32_t>(std::max_element(logits->f.begin(), logits->f.end()) - logits->f.begin());
    logits = absl::StatusOr<runtime::Tensor>();  // freed before the step
    const bool measured = step >= kWarmup;
    g_calls = g_bytes = 0;
    const int64_t buffers_before = TensorBufferAllocations();
    g_counting = measured;
    logits = runner.Forward(state.get(), {next}, position++);
    g_counting = false;
    EXPECT_TRUE(logits.ok()) << logits.status();
    if (measured) {
      total.tensor_buffers += static_cast<double>(TensorBufferAllocations() - buffers_before) / kMeasured;
      total.calls += static_cast<double>(g_calls) / kMeasured;
      total.bytes += static_cast<double>(g_bytes) / kMeasured;
    }
  }
  std::cout << engine_name << " -t " << threads << ", per decode step: " << total.tensor_buffers
            << " tensor buffers allocated, " << total.calls << " operator new calls, " << total.bytes << " bytes\n";
  return total;
}

TEST(DecodeAllocationTest, JitDecodeStepsKeepEveryIntermediateInTheArena) {
  const StepAllocations reference = MeasureDecode("interp", 1);
  ASSERT_FALSE(HasFatalFailure());
  for (int threads : {1, 2}) {
    const StepAllocations jit = MeasureDecode("jit", threads);
    ASSERT_FALSE(HasFatalFailure());
    // Two buffers: the token id the caller passes in and the logits the step returns (the
    // caller's). Every other tensor of the step is in the arena.
    EXPECT_EQ(jit.tensor_buffers, 2.0) << threads << " threads";
    // The reference interpreter (declared graph, no arena) allocates every intermediate.
    EXPECT_GT(reference.tensor_buffers, 20.0);
    EXPECT_LT(jit.bytes * 20, reference.bytes) << threads << " threads";
  }
}

}  // namespace
}  // namespace dsc::testing
