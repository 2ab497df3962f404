// Batched decode (Interpreter::RunBatch through ModelRunner::DecodeBatch) on the optimized
// tiny-a: three sequences at different positions stepped together give exactly the logits of
// stepping each alone (the reference engine computes every row the same way whatever the row
// count), while each weight op and each moe_decode runs once per step for the whole batch.
#include <map>

#include "gtest/gtest.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"
#include "runtime/generator.h"
#include "runtime/interp/op_observer.h"
#include "tests/unit/passes/tiny_a.h"

namespace dsc::passes::testing {
namespace {

// Counts op evaluations by op name.
class OpCounter : public runtime::OpObserver {
 public:
  void BeforeOp(const ir::Function&, const ir::Operation& op, const std::vector<const runtime::Tensor*>&,
                const ir::SymbolBindings&) override {
    ++counts[std::string(op.name())];
  }
  void AfterOp(const ir::Function&, const ir::Operation&) override {}
  std::map<std::string, int> counts;
};

TEST(BatchedDecodeTest, SameLogitsAsSeparateStepsWithWeightsReadOncePerStep) {
  std::unique_ptr<TinyA> m = OptimizedTinyA();
  ASSERT_NE(m, nullptr);
  runtime::ModelRunner& runner = *m->runner;
  const int64_t vocab = runner.vocab_size();
  // Ragged prompts (different positions per sequence), ids spread over the vocabulary.
  const std::vector<std::vector<int32_t>> prompts = {{5, 901, 77}, {1200, 3, 44, 1999, 610}, {17}};
  const size_t n = prompts.size();
  std::vector<std::unique_ptr<runtime::SequenceState>> alone, together;
  std::vector<int64_t> positions;
  for (const auto& p : prompts) {
    for (auto* states : {&alone, &together}) {
      states->push_back(runner.NewSequence());
      ASSERT_TRUE(runner.Forward(states->back().get(), p, 0).ok());
    }
    positions.push_back(static_cast<int64_t>(p.size()));
  }
  std::vector<int32_t> next = {11, 1500, 300};
  for (int step = 0; step < 4; ++step) {
    std::vector<std::vector<float>> expected;
    OpCounter single;
    for (size_t b = 0; b < n; ++b) {
      m->interpreter->set_observer(b == 0 ? &single : nullptr);
      absl::StatusOr<runtime::Tensor> logits = runner.Forward(alone[b].get(), {next[b]}, positions[b]);
      ASSERT_TRUE(logits.ok()) << logits.status();
      expected.push_back(logits->f.ToVector());
    }
    OpCounter batched;
    m->interpreter->set_observer(&batched);
    std::vector<runtime::SequenceState*> states;
    for (auto& s : together) states.push_back(s.get());
    absl::StatusOr<std::vector<runtime::Tensor>> logits = runner.DecodeBatch(states, next, positions);
    m->interpreter->set_observer(nullptr);
    ASSERT_TRUE(logits.ok()) << logits.status();
    ASSERT_EQ(logits->size(), n);
    for (size_t b = 0; b < n; ++b) {
      ASSERT_EQ((*logits)[b].shape, (runtime::Dims{1, vocab}));
      EXPECT_EQ((*logits)[b].f, expected[b]) << "sequence " << b << " step " << step;
    }
    // Weight ops once per step for the batch; per-sequence ops once per sequence.
    for (const char* shared : {"quantized_matmul", "matmul", "moe_decode", "gate_up_swiglu"}) {
      EXPECT_GT(single.counts[shared], 0) << shared;
      EXPECT_EQ(batched.counts[shared], single.counts[shared]) << shared;
    }
    for (const char* per_sequence : {"mla_decode_attention", "cache_write", "indexer_score", "rms_norm"}) {
      EXPECT_GT(single.counts[per_sequence], 0) << per_sequence;
      EXPECT_EQ(batched.counts[per_sequence], static_cast<int>(n) * single.counts[per_sequence]) << per_sequence;
    }
    // Greedy continuation, different per sequence.
    for (size_t b = 0; b < n; ++b) {
      const std::vector<float>& row = expected[b];
      next[b] = static_cast<int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
      ++positions[b];
    }
  }
}

// The generator steps the live sequences together; one that stops early (its callback says
// so, as a stop string would) leaves the batch and the others go on with the same tokens as
// when generated alone. Sampled (temperature 0.9, seeded per sequence) so the streams differ.
TEST(BatchedDecodeTest, GeneratorBatchWithAnEarlyStopEqualsSeparateRuns) {
  std::unique_ptr<TinyA> m = OptimizedTinyA();
  ASSERT_NE(m, nullptr);
  const std::vector<std::vector<int32_t>> prompts = {{5, 901, 77}, {1200, 3, 44, 1999, 610}, {17}, {8, 8, 8, 8}};
  runtime::GenerationParams params;
  params.sampling.temperature = 0.9;
  params.sampling.seed = 42;
  params.max_new_tokens = 9;
  const int stops_early = 1, stop_after = 3;
  int calls_for_early = 0;
  auto stop_one = [&](int index, int32_t) { return index != stops_early || ++calls_for_early < stop_after; };
  absl::StatusOr<std::vector<std::vector<int32_t>>> together =
      runtime::Generate(*m->runner, prompts, params, stop_one, nullptr);
  ASSERT_TRUE(together.ok()) << together.status();
  ASSERT_EQ(together->size(), prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    // Alone: the same sampler stream (Generate seeds sequence i with seed + i).
    runtime::GenerationParams one = params;
    one.sampling.seed = params.sampling.seed + i;
    int calls = 0;
    auto stop = [&](int, int32_t) { return static_cast<int>(i) != stops_early || ++calls < stop_after; };
    absl::StatusOr<std::vector<std::vector<int32_t>>> alone = runtime::Generate(*m->runner, {prompts[i]}, one, stop, nullptr);
    ASSERT_TRUE(alone.ok()) << alone.status();
    EXPECT_EQ((*together)[i], (*alone)[0]) << "sequence " << i;
    EXPECT_EQ((*together)[i].size(), static_cast<int>(i) == stops_early ? static_cast<size_t>(stop_after) : 9u);
  }
}

TEST(BatchedDecodeTest, MismatchedInputsAndOverflowAreErrors) {
  std::unique_ptr<TinyA> m = OptimizedTinyA();
  ASSERT_NE(m, nullptr);
  runtime::ModelRunner& runner = *m->runner;
  auto a = runner.NewSequence(), b = runner.NewSequence();
  std::vector<runtime::SequenceState*> states = {a.get(), b.get()};
  const std::vector<int32_t> one_token = {3};
  const std::vector<int64_t> two_positions = {0, 0};
  EXPECT_EQ(runner.DecodeBatch(states, one_token, two_positions).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<int32_t> tokens = {3, 4};
  const std::vector<int64_t> past_end = {0, runner.context()};
  absl::Status overflow = runner.DecodeBatch(states, tokens, past_end).status();
  EXPECT_EQ(overflow.code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(overflow.message().find("context overflow"), std::string::npos) << overflow;
}

}  // namespace
}  // namespace dsc::passes::testing
