// Golden tests of the reference kernels: the tiny-a checkpoint run through the kernel chain
// (golden_chain.h) against every debug.safetensors intermediate and the cases.safetensors logits
// for prefill, token-by-token decode, chunked prefill, the FP8 KV cache and the R1 indexer.
#include "tests/unit/runtime/golden_chain.h"

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "frontend/safetensors.h"
#include "gtest/gtest.h"

namespace dsc::runtime::testing {
namespace {

using frontend::SafetensorsFile;

const std::string kGoldenDir = std::string(DSC_SHARED_DIR) + "/golden/tiny-a";

// Logits must match to rel-L2 <= 1e-3 with every row's argmax equal (stricter than the
// golden's own 2e-2 / 0.95, which judges whole implementations).
constexpr double kLogitsRelL2 = 1e-3;

// The checkpoint and golden files, loaded once for every test suite of this file and freed at
// exit.
struct Goldens {
  absl::Status status;
  std::unique_ptr<TinyModel> model;
  std::unique_ptr<SafetensorsFile> cases, debug;
};

const Goldens& SharedGoldens() {
  static const Goldens goldens = [] {
    Goldens g;
    absl::StatusOr<std::unique_ptr<TinyModel>> model = TinyModel::Load(kGoldenDir);
    auto cases = SafetensorsFile::Open(kGoldenDir + "/cases.safetensors");
    auto debug = SafetensorsFile::Open(kGoldenDir + "/debug.safetensors");
    for (const absl::Status& s : {model.status(), cases.status(), debug.status()}) {
      if (!s.ok() && g.status.ok()) g.status = s;
    }
    if (g.status.ok()) {
      g.model = *std::move(model);
      g.cases = *std::move(cases);
      g.debug = *std::move(debug);
    }
    return g;
  }();
  return goldens;
}

class GoldenChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Goldens& g = SharedGoldens();
    ASSERT_TRUE(g.status.ok()) << g.status;
    model_ = g.model.get();
    cases_ = g.cases.get();
    debug_ = g.debug.get();
  }

  static std::vector<float> Read(const SafetensorsFile& file, const std::string& name) {
    const frontend::TensorView* view = file.Find(name);
    EXPECT_NE(view, nullptr) << "golden tensor " << name << " missing";
    if (view == nullptr) return {};
    absl::StatusOr<std::vector<float>> values = frontend::ReadAsFloat32(*view);
    EXPECT_TRUE(values.ok()) << values.status();
    return values.ok() ? *values : std::vector<float>{};
  }
  static std::vector<int32_t> Tokens(const std::string& name) {
    const std::vector<float> t = Read(*cases_, name);
    return std::vector<int32_t>(t.begin(), t.end());
  }

  static KvCache NewCache(KvCacheDtype dtype) {
    absl::StatusOr<KvCache> cache = model_->NewCache(dtype);
    EXPECT_TRUE(cache.ok()) << cache.status();
    return *std::move(cache);
  }

  // Feeds `tokens` in consecutive chunks of `chunk` (chunk >= n: one prefill; 1: decode) into
  // fresh caches; returns every row's logits.
  static std::vector<float> RunChunked(const std::vector<int32_t>& tokens, int64_t chunk,
                                       const ChainOptions& options) {
    KvCache cache = NewCache(options.kv_cache);
    std::vector<float> logits;
    for (size_t begin = 0; begin < tokens.size(); begin += chunk) {
      const size_t end = std::min(tokens.size(), begin + chunk);
      absl::StatusOr<std::vector<float>> out =
          model_->Forward(std::vector<int32_t>(tokens.begin() + begin, tokens.begin() + end), begin,
                          cache, options);
      EXPECT_TRUE(out.ok()) << out.status();
      if (!out.ok()) return {};
      logits.insert(logits.end(), out->begin(), out->end());
    }
    return logits;
  }

  // Compares logits to cases.safetensors[name] and prints the measured values.
  static void ExpectLogits(const std::vector<float>& logits, const std::string& name) {
    const std::vector<float> expected = Read(*cases_, name);
    ASSERT_EQ(logits.size(), expected.size()) << name;
    const double rel = RelL2Finite(logits, expected);
    const double top1 = Top1Agreement(logits, expected, model_->config().vocab_size);
    std::printf("[golden] %-28s rel-L2 %.3e  top-1 %.4f\n", name.c_str(), rel, top1);
    EXPECT_LE(rel, kLogitsRelL2) << name;
    EXPECT_EQ(top1, 1.0) << name;
  }

  // Not owned (SharedGoldens keeps them).
  static const TinyModel* model_;
  static const SafetensorsFile* cases_;
  static const SafetensorsFile* debug_;
};

const TinyModel* GoldenChainTest::model_ = nullptr;
const SafetensorsFile* GoldenChainTest::cases_ = nullptr;
const SafetensorsFile* GoldenChainTest::debug_ = nullptr;

TEST_F(GoldenChainTest, Len17PrefillMatchesEveryDebugIntermediate) {
  KvCache cache = NewCache(KvCacheDtype::kF32);
  ForwardTrace trace;
  absl::StatusOr<std::vector<float>> logits =
      model_->Forward(Tokens("len17.tokens"), 0, cache, ChainOptions{}, &trace);
  ASSERT_TRUE(logits.ok()) << logits.status();
  const int64_t k_top = model_->config().index_topk, k_exp = model_->config().n_activated_experts;
  auto expect_close = [&](const std::vector<float>& actual, const std::string& name, double tol) {
    const double rel = RelL2Finite(actual, Read(*debug_, name));
    std::printf("[golden] debug %-22s rel-L2 %.3e\n", name.c_str(), rel);
    EXPECT_LE(rel, tol) << name;
  };
  for (int64_t l = 0; l < model_->config().n_layers; ++l) {
    const LayerTrace& t = trace.layers[l];
    const std::string p = absl::StrCat(l, ".");
    expect_close(t.h_in, p + "h_in", 1e-5);
    expect_close(t.attn_out, p + "attn_out", 1e-5);
    expect_close(t.ffn_out, p + "ffn_out", 1e-5);
    expect_close(t.kv_latent, p + "kv_latent", 1e-5);
    expect_close(t.k_pe, p + "k_pe", 1e-5);
    expect_close(t.index_k_scale, p + "index_k_scale", 0.0);  // powers of two: exact
    // −inf pattern must match; 1e-4 leaves room for a flipped key code (counted below).
    expect_close(t.index_score, p + "index_score", 1e-4);
    // E4M3 codes of the keys: a float32-level difference may flip one rounding; count flips.
    const std::vector<float> k8 = Read(*debug_, p + "index_k_fp8");
    int flips = 0;
    for (size_t i = 0; i < k8.size(); ++i) flips += t.index_k_fp8[i] != k8[i] ? 1 : 0;
    std::printf("[golden] debug %-22s %d of %zu E4M3 codes differ\n", (p + "index_k_fp8").c_str(),
                flips, k8.size());
    EXPECT_LE(flips, 2) << p << "index_k_fp8";
    // Selected positions as sets (the kernel lists them ascending, −1 padded, like the golden).
    const std::vector<float> topk = Read(*debug_, p + "index_topk");
    for (size_t r = 0; r * k_top < topk.size(); ++r) {
      std::set<int> want(topk.begin() + r * k_top, topk.begin() + (r + 1) * k_top);
      std::set<int> got(t.index_topk.begin() + r * k_top, t.index_topk.begin() + (r + 1) * k_top);
      EXPECT_EQ(got, want) << p << "index_topk row " << r;
    }
    if (model_->config().IsMoeLayer(l)) {
      const std::vector<float> experts = Read(*debug_, p + "experts");
      EXPECT_EQ(std::vector<float>(t.experts.begin(), t.experts.end()), experts) << p;
      expect_close(t.expert_weights, p + "expert_weights", 1e-5);
      ASSERT_EQ(t.experts.size(), 17u * k_exp);
    }
  }
  expect_close(trace.final_hidden, "final_hidden", 1e-5);
  ExpectLogits(*logits, "len17.logits_prefill");
}

// No golden exists for the bf16 cache (an approximation mode): it must stay within the golden's
// own tolerance (rel-L2 2e-2, top-1 0.95) in prefill and in decode.
TEST_F(GoldenChainTest, Bf16KvCacheStaysWithinGoldenTolerance) {
  const ChainOptions bf16{.kv_cache = KvCacheDtype::kBF16};
  const std::vector<int32_t> tokens = Tokens("len5.tokens");
  for (int64_t chunk : {int64_t{5}, int64_t{1}}) {
    const std::vector<float> logits = RunChunked(tokens, chunk, bf16);
    const std::vector<float> expected =
        Read(*cases_, chunk == 1 ? "len5.logits_decode" : "len5.logits_prefill");
    const double rel = RelL2Finite(logits, expected);
    const double top1 = Top1Agreement(logits, expected, model_->config().vocab_size);
    std::printf("[golden] bf16 KV cache, chunk %-2d    rel-L2 %.3e  top-1 %.4f\n",
                static_cast<int>(chunk), rel, top1);
    EXPECT_LE(rel, 2e-2);
    EXPECT_GE(top1, 0.95);
  }
}

// One golden logits tensor and how to produce it.
struct LogitsCase {
  std::string tokens;
  std::string logits;
  int64_t chunk;  // 0 = whole sequence at once
  ChainOptions options;
};

class GoldenLogitsTest : public GoldenChainTest,
                         public ::testing::WithParamInterface<LogitsCase> {};

TEST_P(GoldenLogitsTest, MatchesGoldenLogits) {
  const LogitsCase& c = GetParam();
  const std::vector<int32_t> tokens = Tokens(c.tokens);
  ExpectLogits(RunChunked(tokens, c.chunk > 0 ? c.chunk : tokens.size(), c.options), c.logits);
}

constexpr ChainOptions kFp8Kv{.kv_cache = KvCacheDtype::kFP8};
constexpr ChainOptions kR1{.indexer_rope_interleaved = true};

INSTANTIATE_TEST_SUITE_P(
    TinyA, GoldenLogitsTest,
    ::testing::Values(LogitsCase{"len1.tokens", "len1.logits_prefill", 0, {}},
                      LogitsCase{"len5.tokens", "len5.logits_prefill", 0, {}},
                      LogitsCase{"len17.tokens", "len17.logits_prefill", 0, {}},
                      LogitsCase{"len40.tokens", "len40.logits_prefill", 0, {}},
                      LogitsCase{"len100.tokens", "len100.logits_prefill", 0, {}},
                      LogitsCase{"len1.tokens", "len1.logits_decode", 1, {}},
                      LogitsCase{"len5.tokens", "len5.logits_decode", 1, {}},
                      LogitsCase{"len17.tokens", "len17.logits_decode", 1, {}},
                      LogitsCase{"len40.tokens", "len40.logits_decode", 1, {}},
                      LogitsCase{"len100.tokens", "len100.logits_decode", 1, {}},
                      LogitsCase{"len40.tokens", "len40.logits_chunked16", 16, {}},
                      LogitsCase{"split.tokens", "split.logits_chunked", 10, {}},
                      LogitsCase{"len5.tokens", "len5.logits_prefill_kvsim", 0, kFp8Kv},
                      LogitsCase{"len17.tokens", "len17.logits_prefill_kvsim", 0, kFp8Kv},
                      LogitsCase{"len40.tokens", "len40.logits_prefill_r1", 0, kR1}),
    [](const ::testing::TestParamInfo<LogitsCase>& info) {
      std::string name = info.param.logits;
      for (char& ch : name) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return name;
    });

// greedy_tokens: prefill, then 16 argmax decode steps (cases.json "greedy_tokens").
class GoldenGreedyTest : public GoldenChainTest,
                         public ::testing::WithParamInterface<std::string> {};

TEST_P(GoldenGreedyTest, ReproducesGreedyTokens) {
  const std::string name = GetParam();
  std::vector<int32_t> tokens = Tokens(name + ".tokens");
  const std::vector<float> expected = Read(*cases_, name + ".greedy_tokens");
  const int64_t vocab = model_->config().vocab_size;
  KvCache cache = NewCache(KvCacheDtype::kF32);
  absl::StatusOr<std::vector<float>> logits = model_->Forward(tokens, 0, cache, ChainOptions{});
  std::vector<int32_t> generated;
  for (size_t step = 0; step < expected.size(); ++step) {
    ASSERT_TRUE(logits.ok()) << logits.status();
    const auto last = logits->end() - vocab;
    const int32_t next = static_cast<int32_t>(std::max_element(last, logits->end()) - last);
    generated.push_back(next);
    logits = model_->Forward({next}, static_cast<int64_t>(tokens.size()), cache, ChainOptions{});
    tokens.push_back(next);
  }
  EXPECT_EQ(std::vector<float>(generated.begin(), generated.end()), expected) << name;
}

INSTANTIATE_TEST_SUITE_P(TinyA, GoldenGreedyTest,
                         ::testing::Values("len1", "len5", "len17", "len40", "len100"));

}  // namespace
}  // namespace dsc::runtime::testing
