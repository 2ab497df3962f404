// A sequence's KV-cache buffers hold only the rows written so far (the interpreter grows them on
// cache_write), so a model with a long context does not allocate and zero its full cache per
// sequence; results do not depend on it (the logits of the goldens are checked elsewhere).
#include "gtest/gtest.h"
#include "tests/unit/passes/tiny_a.h"

namespace dsc::passes::testing {
namespace {

TEST(SequenceStateTest, BuffersHoldOnlyTheRowsWritten) {
  absl::StatusOr<std::unique_ptr<TinyA>> m = LoadTinyA();
  ASSERT_TRUE(m.ok()) << m.status();
  (*m)->Start();
  runtime::ModelRunner& runner = *(*m)->runner;
  std::unique_ptr<runtime::SequenceState> state = runner.NewSequence();
  ASSERT_FALSE(state->buffers.empty());
  for (const auto& [value, buf] : state->buffers) {
    EXPECT_EQ(buf.shape[0], runner.context());  // shaped to the capacity
    EXPECT_TRUE(buf.f.empty());                 // nothing allocated yet
  }
  ASSERT_TRUE(runner.Forward(state.get(), {5, 901, 77, 12, 8}, 0).ok());
  ASSERT_TRUE(runner.Forward(state.get(), {33}, 5).ok());
  for (const auto& [value, buf] : state->buffers) {
    const int64_t width = buf.numel() / buf.shape[0];
    EXPECT_EQ(static_cast<int64_t>(buf.f.size()), 6 * width);  // rows 0..5
    bool any_nonzero = false;
    for (float v : buf.f) any_nonzero = any_nonzero || v != 0.0f;
    EXPECT_TRUE(any_nonzero);
  }
  // The context is still the full capacity: the last position is writable.
  auto other = runner.NewSequence();
  EXPECT_TRUE(runner.Forward(other.get(), {7}, runner.context() - 1).ok());
  EXPECT_EQ(runner.Forward(other.get(), {7}, runner.context()).status().code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace dsc::passes::testing
