// The executor's arena: with the JIT engine a steady decode step keeps every intermediate in
// the memory plan's arena, writes the logits into the previous step's buffer and samples with
// reused scratch, so the generation loop allocates nothing. This binary counts every operator
// new (armed only around what is measured) and Buffer's own heap allocations.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <new>

#include "gtest/gtest.h"
#include "runtime/generator.h"
#include "runtime/interp/buffer.h"
#include "tests/unit/tools/cli_runner.h"
#include "tools/dsc/engine.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_calls{0}, g_bytes{0};
}  // namespace

// A counting replacement of the global allocation functions, every unaligned form (malloc/free
// underneath, so each pair matches — also under ASan; GCC cannot see that through the
// replacement).
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
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  try {
    return operator new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t n, const std::nothrow_t& tag) noexcept { return operator new(n, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace dsc::testing {
namespace {

// Storage that depends on the context grows geometrically: the KV caches from the prompt's 6
// rows (at 12, 24, 48, 96 rows) and the attention's scratch (at 33, 65, ... keys). Steps that
// feed positions 49..63 grow neither, so they are the ones measured.
const std::vector<int32_t> kPrompt = {5, 17, 301, 42, 7, 99};
constexpr int64_t kFirstMeasured = 49, kLastMeasured = 63;

std::unique_ptr<cli::Engine> Open(const std::string& engine_name, int threads) {
  cli::ModelFlags flags;
  flags.model_dir = SharedDir() + "/golden/tiny-a";
  flags.engine = engine_name;
  flags.threads = threads;
  flags.kv_cache = "f32";
  absl::StatusOr<std::unique_ptr<cli::Engine>> engine = cli::OpenEngine(flags);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

int64_t TensorBufferAllocations() {
  return runtime::Buffer<float>::allocations() + runtime::Buffer<int64_t>::allocations();
}

struct Counts {
  double calls = 0, bytes = 0, tensor_buffers = 0;  // per step
};

// ModelRunner::Decode steps, greedy; the allocations of the measured ones.
Counts MeasureDecodeSteps(const std::string& engine_name, int threads) {
  std::unique_ptr<cli::Engine> engine = Open(engine_name, threads);
  if (engine == nullptr) return {};
  runtime::ModelRunner& runner = *engine->runner;
  std::unique_ptr<runtime::SequenceState> state = runner.NewSequence();
  absl::StatusOr<runtime::Tensor> first = runner.Forward(state.get(), kPrompt, 0, runtime::ModelRunner::Rows::kLast);
  EXPECT_TRUE(first.ok()) << first.status();
  if (!first.ok()) return {};
  int32_t next = static_cast<int32_t>(std::max_element(first->f.begin(), first->f.end()) - first->f.begin());
  Counts c;
  const int64_t measured = kLastMeasured - kFirstMeasured + 1;
  for (int64_t position = static_cast<int64_t>(kPrompt.size()); position <= kLastMeasured; ++position) {
    const bool count = position >= kFirstMeasured;
    g_calls = g_bytes = 0;
    const int64_t buffers = TensorBufferAllocations();
    g_counting = count;
    absl::StatusOr<const runtime::Tensor*> logits = runner.Decode(state.get(), next, position);
    g_counting = false;
    EXPECT_TRUE(logits.ok()) << logits.status();
    if (!logits.ok()) return {};
    const runtime::Buffer<float>& f = (*logits)->f;
    next = static_cast<int32_t>(std::max_element(f.begin(), f.end()) - f.begin());
    if (count) {
      c.calls += static_cast<double>(g_calls) / measured;
      c.bytes += static_cast<double>(g_bytes) / measured;
      c.tensor_buffers += static_cast<double>(TensorBufferAllocations() - buffers) / measured;
    }
  }
  std::cout << engine_name << " -t " << threads << ", per decode step: " << c.calls << " operator new calls, "
            << c.bytes << " bytes, " << c.tensor_buffers << " tensor buffers\n";
  return c;
}

TEST(DecodeAllocationTest, JitDecodeStepsAllocateNothing) {
  for (int threads : {1, 2}) {
    const Counts jit = MeasureDecodeSteps("jit", threads);
    ASSERT_FALSE(HasFatalFailure());
    EXPECT_EQ(jit.calls, 0.0) << threads << " threads";
    EXPECT_EQ(jit.tensor_buffers, 0.0) << threads << " threads";
  }
  // For scale: the reference engine (declared graph, weights dequantized per use) allocates
  // megabytes per step.
  const Counts reference = MeasureDecodeSteps("interp", 1);
  EXPECT_GT(reference.bytes, 1e6);
}

// The generation loop itself (runtime::Generate: decode, sample, stop checks), greedy and
// sampled: nothing is allocated between one token's callback and the next.
TEST(DecodeAllocationTest, GenerationLoopAllocatesNothing) {
  std::unique_ptr<cli::Engine> engine = Open("jit", 2);
  ASSERT_NE(engine, nullptr);
  for (double temperature : {0.0, 0.8}) {
    runtime::GenerationParams params;
    params.sampling.temperature = temperature;
    params.sampling.top_k = 40;
    params.sampling.top_p = 0.9;
    params.sampling.seed = 3;
    params.max_new_tokens = kLastMeasured - static_cast<int64_t>(kPrompt.size()) + 2;
    int64_t produced = 0, calls = 0, intervals = 0;
    bool open = false;
    auto on_token = [&](int, int32_t) {
      g_counting = false;
      if (open) {
        calls += g_calls;
        ++intervals;
      }
      // The step after this callback feeds the token just sampled at this position.
      const int64_t next_position = static_cast<int64_t>(kPrompt.size()) + produced++;
      open = next_position >= kFirstMeasured && next_position <= kLastMeasured;
      g_calls = 0;
      g_counting = open;
      return true;
    };
    absl::StatusOr<std::vector<std::vector<int32_t>>> out =
        runtime::Generate(*engine->runner, {kPrompt}, params, on_token, nullptr);
    g_counting = false;
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(intervals, kLastMeasured - kFirstMeasured + 1);
    EXPECT_EQ(calls, 0) << "temperature " << temperature;
  }
}

}  // namespace
}  // namespace dsc::testing
