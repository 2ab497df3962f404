// The interpreter against every golden tensor of shared/golden/tiny-a, driven by its
// cases.json manifest (so a golden set with other shapes runs unchanged). Issue 4 tolerance:
// relative L2 <= 1e-3 and top-1 agreement 100% for logits; greedy tokens exactly.
#include <regex>

#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "tests/unit/golden/golden_harness.h"

namespace dsc::golden {
namespace {

struct GoldenTensor {
  std::string case_name;
  std::string key;     // "logits_prefill", "logits_decode", "greedy_tokens", "logits_chunked16", ...
  std::string tensor;  // name in cases.safetensors
};

std::vector<GoldenTensor> AllGoldenTensors() {
  std::vector<GoldenTensor> out;
  for (const auto& c : Manifest()["cases"]) {
    for (const auto& [key, tensor] : c["tensors"].items()) {
      if (key != "tokens") out.push_back({c["name"], key, tensor});
    }
  }
  return out;
}

const nlohmann::json& CaseOf(const std::string& name) {
  for (const auto& c : Manifest()["cases"]) {
    if (c["name"] == name) return c;
  }
  static const nlohmann::json kNull;
  return kNull;
}

// How a golden tensor is produced (cases.json "procedures"): the chunk length, the switches,
// and which rows of the result it holds.
struct Procedure {
  int64_t chunk = 0;  // 0: the whole sequence in one chunk
  std::string revision = "r2";
  frontend::KvCacheMode kv = frontend::KvCacheMode::kF32;
  int64_t first_row = 0;
  bool greedy = false;
};

Procedure ProcedureFor(const GoldenTensor& g, int64_t n) {
  Procedure p;
  std::smatch m;
  const nlohmann::json& c = CaseOf(g.case_name);
  if (g.key == "logits_prefill") {
    p.chunk = n;
  } else if (g.key == "logits_decode") {
    p.chunk = 1;
  } else if (g.key == "greedy_tokens") {
    p.greedy = true;
  } else if (g.key == "logits_prefill_r1") {
    p.chunk = n;
    p.revision = "r1";
  } else if (g.key == "logits_prefill_kvsim") {
    p.chunk = n;
    p.kv = frontend::KvCacheMode::kFp8;
  } else if (std::regex_match(g.key, m, std::regex("logits_chunked(\\d+)"))) {
    p.chunk = std::stoll(m[1]);
  } else if (g.key == "logits_chunked" || g.key == "logits_chunk2") {
    const auto& chunks = c["chunks"];
    p.chunk = chunks[0][1].get<int64_t>() - chunks[0][0].get<int64_t>();
    if (g.key == "logits_chunk2") p.first_row = chunks[1][0].get<int64_t>();
  } else {
    ADD_FAILURE() << "golden tensor kind this test does not know: " << g.key;
  }
  return p;
}

class GoldenTest : public ::testing::TestWithParam<GoldenTensor> {};

TEST_P(GoldenTest, InterpreterMatches) {
  const GoldenTensor& g = GetParam();
  std::vector<int32_t> tokens = GoldenInts(CaseOf(g.case_name)["tensors"]["tokens"]);
  ASSERT_FALSE(tokens.empty());
  const int64_t n = static_cast<int64_t>(tokens.size());
  Procedure p = ProcedureFor(g, n);
  LoadedEngine& engine = Engine(p.revision, p.kv);
  if (p.greedy) {
    std::vector<int32_t> expected = GoldenInts(g.tensor);
    EXPECT_EQ(Greedy(*engine.runner, tokens, static_cast<int>(expected.size())), expected);
    return;
  }
  absl::StatusOr<runtime::Tensor> logits = runtime::LogitsInChunks(*engine.runner, tokens, p.chunk);
  ASSERT_TRUE(logits.ok()) << logits.status();
  const int64_t vocab = engine.runner->vocab_size();
  std::vector<float> actual(logits->f.begin() + p.first_row * vocab, logits->f.end());
  Agreement a = Compare(actual, GoldenFloats(g.tensor), vocab);
  RecordProperty("rel_l2", std::to_string(a.rel_l2));
  std::cout << g.tensor << ": rel_l2 " << a.rel_l2 << " top1 " << a.top1 << "\n";
  EXPECT_LE(a.rel_l2, 1e-3) << g.tensor;
  EXPECT_EQ(a.top1, 1.0) << g.tensor;
}

INSTANTIATE_TEST_SUITE_P(TinyA, GoldenTest, ::testing::ValuesIn(AllGoldenTensors()),
                         [](const ::testing::TestParamInfo<GoldenTensor>& info) {
                           std::string name = info.param.case_name + "_" + info.param.key;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

// Prefill, decode and chunked feeding of the same tokens agree with each other.
TEST(GoldenConsistency, PrefillDecodeAndChunkedAgree) {
  std::vector<int32_t> tokens = GoldenInts("len40.tokens");
  ASSERT_EQ(tokens.size(), 40u);
  LoadedEngine& engine = Engine("r2", frontend::KvCacheMode::kF32);
  auto prefill = runtime::LogitsInChunks(*engine.runner, tokens, 40);
  ASSERT_TRUE(prefill.ok()) << prefill.status();
  for (int64_t chunk : {1, 3, 7, 16}) {
    auto other = runtime::LogitsInChunks(*engine.runner, tokens, chunk);
    ASSERT_TRUE(other.ok()) << other.status();
    Agreement a = Compare(other->f.ToVector(), prefill->f.ToVector(), engine.runner->vocab_size());
    EXPECT_LE(a.rel_l2, 1e-3) << "chunk " << chunk;
    EXPECT_EQ(a.top1, 1.0) << "chunk " << chunk;
  }
}

// Independent sequences keep independent caches.
TEST(GoldenConsistency, SequencesDoNotShareState) {
  LoadedEngine& engine = Engine("r2", frontend::KvCacheMode::kF32);
  std::vector<int32_t> a = GoldenInts("len5.tokens"), b = GoldenInts("len17.tokens");
  auto first = runtime::LogitsInChunks(*engine.runner, a, 5);
  auto other = runtime::LogitsInChunks(*engine.runner, b, 17);
  auto again = runtime::LogitsInChunks(*engine.runner, a, 5);
  ASSERT_TRUE(first.ok() && other.ok() && again.ok());
  EXPECT_EQ(first->f, again->f);
}

// Tokens beyond the cache capacity are a clear error, not a crash.
TEST(GoldenConsistency, ContextOverflowIsAnError) {
  LoadedEngine& engine = Engine("r2", frontend::KvCacheMode::kF32, /*context=*/8);
  std::vector<int32_t> tokens = GoldenInts("len17.tokens");
  auto logits = runtime::LogitsInChunks(*engine.runner, tokens, 4);
  ASSERT_FALSE(logits.ok());
  EXPECT_EQ(logits.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_NE(std::string(logits.status().message()).find("context overflow"), std::string::npos)
      << logits.status();
}

}  // namespace
}  // namespace dsc::golden
