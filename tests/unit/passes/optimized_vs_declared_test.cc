// The optimized module against the declared one on the same tokens, where there is no golden:
// the fp8 and f32 KV-cache modes and both revisions, decode included. Every pass except
// absorb-mla computes exactly what it replaces (same kernels, same summation order), so without
// it the logits must be bit-identical; with it (model.md 7b vs 7a) they agree to ~1e-6.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "passes/pass_manager.h"
#include "passes/pipelines.h"
#include "tests/unit/passes/tiny_a.h"

namespace dsc::passes::testing {
namespace {

using frontend::KvCacheMode;

std::unique_ptr<TinyA> Load(KvCacheMode kv, const std::string& revision, const std::string& pipeline) {
  absl::StatusOr<std::unique_ptr<TinyA>> m = LoadTinyA(kv, revision);
  EXPECT_TRUE(m.ok()) << m.status();
  if (!m.ok()) return nullptr;
  PassManager pm;
  absl::Status s = pm.AddPipeline(pipeline);
  EXPECT_TRUE(s.ok()) << s;
  absl::StatusOr<bool> r = pm.Run(*(*m)->model.module);
  EXPECT_TRUE(r.ok()) << r.status();
  (*m)->Start();
  return std::move(*m);
}

// The default pipeline for both entry functions, without the passes in `skip`.
std::string DefaultWithout(const std::string& skip) {
  std::vector<std::string> groups;
  for (auto [fn, kind] : {std::pair{"prefill", EntryKind::kPrefill}, {"decode", EntryKind::kDecode}}) {
    std::vector<std::string> passes;
    for (const std::string& p : DefaultPassList(kind)) {
      if (p != skip) passes.push_back(p);
    }
    groups.push_back(absl::StrCat("@", fn, "(", absl::StrJoin(passes, ","), ")"));
  }
  return absl::StrJoin(groups, ",");
}

struct Mode {
  KvCacheMode kv;
  std::string revision;
  std::string name;
};

class OptimizedVsDeclared : public ::testing::TestWithParam<Mode> {};

TEST_P(OptimizedVsDeclared, ExactWithoutAbsorptionCloseWithIt) {
  const Mode& mode = GetParam();
  std::unique_ptr<TinyA> declared = Load(mode.kv, mode.revision, "");
  std::unique_ptr<TinyA> exact = Load(mode.kv, mode.revision, DefaultWithout("absorb-mla"));
  std::unique_ptr<TinyA> full = Load(mode.kv, mode.revision, DefaultWithout(""));
  ASSERT_TRUE(declared && exact && full);
  std::vector<int32_t> tokens = GoldenTokens("len17");
  for (int64_t chunk : {int64_t{17}, int64_t{1}, int64_t{5}}) {
    absl::StatusOr<std::vector<float>> want = Logits(*declared, tokens, chunk);
    absl::StatusOr<std::vector<float>> got_exact = Logits(*exact, tokens, chunk);
    absl::StatusOr<std::vector<float>> got_full = Logits(*full, tokens, chunk);
    ASSERT_TRUE(want.ok() && got_exact.ok() && got_full.ok());
    EXPECT_EQ(*got_exact, *want) << mode.name << " chunk " << chunk;
    Agreement a = Compare(*got_full, *want, declared->runner->vocab_size());
    // fp8 caches amplify the ~1e-6 difference (an E4M3 rounding flip of a later latent).
    EXPECT_LE(a.rel_l2, mode.kv == KvCacheMode::kFp8 ? 1e-3 : 1e-5) << mode.name << " chunk " << chunk;
    EXPECT_EQ(a.top1, 1.0) << mode.name << " chunk " << chunk;
  }
}

INSTANTIATE_TEST_SUITE_P(TinyA, OptimizedVsDeclared,
                         ::testing::Values(Mode{KvCacheMode::kFp8, "r2", "fp8"}, Mode{KvCacheMode::kF32, "r2", "f32"},
                                           Mode{KvCacheMode::kF32, "r1", "f32_r1"}),
                         [](const ::testing::TestParamInfo<Mode>& info) { return info.param.name; });

}  // namespace
}  // namespace dsc::passes::testing
