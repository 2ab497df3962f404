// prefill_last (ModelRunner::Rows::kLast) on the optimized tiny-a: the logits of a chunk's last
// row equal that row of the full prefill exactly (the reference engine computes each row alike
// whatever the row count), the KV caches it leaves give the same next decode steps, and its LM
// head multiplies one row.
#include <map>

#include "gtest/gtest.h"
#include "runtime/interp/op_observer.h"
#include "tests/unit/passes/tiny_a.h"

namespace dsc::passes::testing {
namespace {

// Rows of the first operand of every matmul by @lm_head.
class HeadRows : public runtime::OpObserver {
 public:
  void BeforeOp(const ir::Function&, const ir::Operation& op, const std::vector<const runtime::Tensor*>& in,
                const ir::SymbolBindings&) override {
    if (op.num_operands() == 2 && op.operand(1)->name() == "lm_head") rows.push_back(in[0]->shape[0]);
  }
  void AfterOp(const ir::Function&, const ir::Operation&) override {}
  std::vector<int64_t> rows;
};

TEST(LastRowLogitsTest, EqualTheFullPrefillsLastRowAndLeaveTheSameCaches) {
  std::unique_ptr<TinyA> m = OptimizedTinyA();
  ASSERT_NE(m, nullptr);
  runtime::ModelRunner& runner = *m->runner;
  const int64_t vocab = runner.vocab_size();
  std::unique_ptr<runtime::SequenceState> all = runner.NewSequence(), last = runner.NewSequence();
  HeadRows head;
  m->interpreter->set_observer(&head);
  // Two chunks of ragged lengths (the second continues at P = 7), then two decode steps.
  const std::vector<std::vector<int32_t>> chunks = {{5, 901, 77, 1200, 3, 44, 1999}, {610, 17, 88, 1020, 2047}};
  int64_t position = 0;
  for (const auto& chunk : chunks) {
    absl::StatusOr<runtime::Tensor> want = runner.Forward(all.get(), chunk, position);
    head.rows.clear();
    absl::StatusOr<runtime::Tensor> got = runner.Forward(last.get(), chunk, position, runtime::ModelRunner::Rows::kLast);
    ASSERT_TRUE(want.ok()) << want.status();
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(head.rows, std::vector<int64_t>{1});
    ASSERT_EQ(got->shape, (runtime::Dims{1, vocab}));
    const std::vector<float> want_last(want->f.end() - vocab, want->f.end());
    EXPECT_EQ(got->f, want_last);
    position += static_cast<int64_t>(chunk.size());
  }
  for (int32_t token : {300, 1500}) {
    absl::StatusOr<runtime::Tensor> want = runner.Forward(all.get(), std::vector<int32_t>{token}, position);
    absl::StatusOr<runtime::Tensor> got = runner.Forward(last.get(), std::vector<int32_t>{token}, position);
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(got->f, want->f);
    ++position;
  }
}

}  // namespace
}  // namespace dsc::passes::testing
