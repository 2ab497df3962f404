// Differential tests: the tiny-a goldens through the reference interpreter on the OPTIMIZED
// module (the default pipeline), in prefill, decode and chunked modes, with the tolerance of
// the unoptimized graph (relative L2 <= 1e-3, top-1 100%); then each pass alone on fewer
// cases, to localize an error to one pass.
#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"

#include "gtest/gtest.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"
#include "tests/unit/passes/tiny_a.h"

namespace dsc::passes::testing {
namespace {

using frontend::KvCacheMode;

struct GoldenRun {
  std::string tensor;  // in cases.safetensors
  std::string case_name;
  int64_t chunk;       // 0: the whole sequence at once
  KvCacheMode kv = KvCacheMode::kF32;
  std::string revision = "r2";
  int64_t first_row = 0;
};

// Optimizes a fresh tiny-a with `pipeline` ("" = the default module pipeline).
std::unique_ptr<TinyA> Optimized(const std::string& pipeline, KvCacheMode kv, const std::string& revision) {
  absl::StatusOr<std::unique_ptr<TinyA>> m = LoadTinyA(kv, revision);
  EXPECT_TRUE(m.ok()) << m.status();
  if (!m.ok()) return nullptr;
  PassManager pm;
  absl::Status s = pm.AddPipeline(pipeline.empty() ? DefaultPipeline(*(*m)->model.module) : pipeline);
  EXPECT_TRUE(s.ok()) << s;
  absl::StatusOr<bool> changed = pm.Run(*(*m)->model.module);
  EXPECT_TRUE(changed.ok()) << changed.status();
  if (!changed.ok()) return nullptr;
  (*m)->Start();
  return std::move(*m);
}

void ExpectMatchesGolden(TinyA& m, const GoldenRun& run, const std::string& label) {
  std::vector<int32_t> tokens = GoldenTokens(run.case_name);
  ASSERT_FALSE(tokens.empty()) << run.case_name;
  int64_t n = static_cast<int64_t>(tokens.size());
  absl::StatusOr<std::vector<float>> logits = Logits(m, tokens, run.chunk == 0 ? n : run.chunk);
  ASSERT_TRUE(logits.ok()) << logits.status();
  int64_t vocab = m.runner->vocab_size();
  std::vector<float> actual(logits->begin() + run.first_row * vocab, logits->end());
  Agreement a = Compare(actual, GoldenFloats(run.tensor), vocab);
  std::cout << label << " " << run.tensor << ": rel_l2 " << a.rel_l2 << " top1 " << a.top1 << "\n";
  EXPECT_LE(a.rel_l2, 1e-3) << label << " " << run.tensor;
  EXPECT_EQ(a.top1, 1.0) << label << " " << run.tensor;
}

// Every golden logits tensor of the manifest's main cases.
std::vector<GoldenRun> AllRuns() {
  std::vector<GoldenRun> runs;
  for (const char* c : {"len1", "len5", "len17", "len40", "len100"}) {
    runs.push_back({absl::StrCat(c, ".logits_prefill"), c, 0});
    runs.push_back({absl::StrCat(c, ".logits_decode"), c, 1});
  }
  runs.push_back({"len40.logits_chunked16", "len40", 16});
  runs.push_back({"split.logits_chunked", "split", 10});
  runs.push_back({"split.logits_chunk2", "split", 10, KvCacheMode::kF32, "r2", 10});
  runs.push_back({"len5.logits_prefill_kvsim", "len5", 0, KvCacheMode::kFp8});
  runs.push_back({"len17.logits_prefill_kvsim", "len17", 0, KvCacheMode::kFp8});
  runs.push_back({"len40.logits_prefill_r1", "len40", 0, KvCacheMode::kF32, "r1"});
  return runs;
}

class DefaultPipelineGolden : public ::testing::TestWithParam<GoldenRun> {};

TEST_P(DefaultPipelineGolden, MatchesGolden) {
  const GoldenRun& run = GetParam();
  std::unique_ptr<TinyA> m = Optimized("", run.kv, run.revision);
  ASSERT_NE(m, nullptr);
  ExpectMatchesGolden(*m, run, "default");
}

std::string RunName(const ::testing::TestParamInfo<GoldenRun>& info) {
  std::string name = info.param.tensor;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(TinyA, DefaultPipelineGolden, ::testing::ValuesIn(AllRuns()), RunName);

// Greedy continuation on the optimized module: prefill, then decode steps.
TEST(DefaultPipeline, GreedyTokensMatch) {
  std::unique_ptr<TinyA> m = Optimized("", KvCacheMode::kF32, "r2");
  ASSERT_NE(m, nullptr);
  std::vector<int32_t> prompt = GoldenTokens("len17");
  std::vector<float> expected_f = GoldenFloats("len17.greedy_tokens");
  std::unique_ptr<runtime::SequenceState> state = m->runner->NewSequence();
  int64_t vocab = m->runner->vocab_size(), pos = static_cast<int64_t>(prompt.size());
  absl::StatusOr<runtime::Tensor> logits = m->runner->Forward(state.get(), prompt, 0);
  std::vector<int32_t> got;
  while (logits.ok() && got.size() < expected_f.size()) {
    const float* last = logits->f.data() + (logits->shape[0] - 1) * vocab;
    got.push_back(static_cast<int32_t>(std::max_element(last, last + vocab) - last));
    logits = m->runner->Forward(state.get(), {got.back()}, pos++);
  }
  ASSERT_TRUE(logits.ok()) << logits.status();
  std::vector<int32_t> expected(expected_f.begin(), expected_f.end());
  EXPECT_EQ(got, expected);
}

// What the acceptance criteria ask of the optimized graph's shape.
TEST(DefaultPipeline, OptimizedGraphHasTheSpecializedForms) {
  std::unique_ptr<TinyA> m = Optimized("", KvCacheMode::kF32, "r2");
  ASSERT_NE(m, nullptr);
  const ir::Module& module = *m->model.module;
  ASSERT_TRUE(ir::Verify(module).ok());
  for (const auto& f : module.functions()) {
    EXPECT_EQ(CountOps(module, f->name(), ir::OpCode::kDequantize), 0) << "@" << f->name();
    EXPECT_EQ(CountOps(module, f->name(), ir::OpCode::kMoeExperts), 0) << "@" << f->name();
    EXPECT_EQ(CountOps(module, f->name(), ir::OpCode::kRopeFreqs), 0) << "@" << f->name();
  }
  EXPECT_EQ(module.functions().size(), 3u) << "prefill, decode, prefill_last: the expert body is gone once every MoE "
                                               "is specialized";
  EXPECT_GT(CountOps(module, "decode", ir::OpCode::kQuantizedMatmul), 0);
  EXPECT_EQ(CountOps(module, "decode", ir::OpCode::kMoeDecode), 2);            // layers 1, 2
  EXPECT_EQ(CountOps(module, "decode", ir::OpCode::kMlaDecodeAttention), 3);   // every layer
  EXPECT_EQ(CountOps(module, "decode", ir::OpCode::kAttention), 0);
  EXPECT_EQ(CountOps(module, "prefill", ir::OpCode::kMoeGrouped), 2);
  EXPECT_EQ(CountOps(module, "prefill", ir::OpCode::kMlaDecodeAttention), 0);
  // prefill_last: the last layer's MoE runs on the one row whose logits are wanted.
  EXPECT_EQ(CountOps(module, "prefill_last", ir::OpCode::kMoeGrouped), 1);
  EXPECT_EQ(CountOps(module, "prefill_last", ir::OpCode::kMoeDecode), 1);
  EXPECT_EQ(CountOps(module, "prefill_last", ir::OpCode::kGather), 1);
  EXPECT_GT(CountOps(module, "decode", ir::OpCode::kAddRmsNorm), 0);
  EXPECT_GT(CountOps(module, "decode", ir::OpCode::kGateUpSwiglu), 0);
  EXPECT_TRUE(module.metadata().contains("plan.decode"));
  EXPECT_TRUE(module.metadata().contains("plan.prefill"));
}

// Each pass of the default pipelines alone, on a prefill, a decode and a chunked case.
class SinglePassGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(SinglePassGolden, MatchesGolden) {
  std::unique_ptr<TinyA> m = Optimized(GetParam(), KvCacheMode::kF32, "r2");
  ASSERT_NE(m, nullptr);
  for (const GoldenRun& run : {GoldenRun{"len17.logits_prefill", "len17", 0}, GoldenRun{"len17.logits_decode", "len17", 1},
                               GoldenRun{"split.logits_chunked", "split", 10}}) {
    ExpectMatchesGolden(*m, run, GetParam());
  }
}

INSTANTIATE_TEST_SUITE_P(TinyA, SinglePassGolden, ::testing::ValuesIn(DefaultPassList(EntryKind::kDecode)),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace dsc::passes::testing
