// attention on a fast engine (eval_attention_fast.cc: 16-row blocks, vectorized, split over the
// pool's threads) against the reference attention, bit for bit: ragged sizes (blocks with 1..16
// rows, a head width that fills no vector, value width 37 = two 16-column tiles and a tail), causal with a cache prefix (start = P) and
// without, an additive mask with dropped (-inf) keys and a row with every key dropped.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "runtime/interp/interpreter.h"
#include "tests/unit/runtime/attention_cases.h"
#include "tests/unit/runtime/pool_only.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime {
namespace {

constexpr int64_t kHeads = testing::kAttentionHeads, kV = testing::kAttentionV;

std::vector<Tensor> Inputs(int64_t s, int64_t t, uint32_t seed) { return testing::AttentionInputs(s, t, seed); }

void ExpectSameBits(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.shape, want.shape);
  ASSERT_EQ(got.f.size(), want.f.size());
  EXPECT_EQ(std::memcmp(got.f.data(), want.f.data(), want.f.size() * sizeof(float)), 0);
  int finite_nonzero = 0;
  for (float x : want.f) finite_nonzero += std::isfinite(x) && x != 0.0f;
  // Real values, not zeros, in every row but the one whose keys were all dropped (NaN).
  EXPECT_GE(finite_nonzero, (want.shape[0] - 1) * kHeads * kV);
}

// The reference interpreter and a fast one (the pool, no compiled kernels) on
// testing::kAttentionModule.
class FastAttentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ir::Module>> module =
        ir::ParseModule(testing::kAttentionModule, "attention.ir");
    ASSERT_TRUE(module.ok()) << module.status();
    module_ = std::move(*module);
    auto no_constants = [](const ir::TensorRef&) -> absl::StatusOr<const uint8_t*> { return nullptr; };
    reference_ = std::make_unique<Interpreter>(*module_, no_constants);
    fast_ = std::make_unique<Interpreter>(*module_, no_constants);
    fast_->set_fast_linear(&threads_);
  }

  // `func` on both interpreters: the reference's results in *want, the fast one's in *got.
  void RunBoth(const std::string& func, const ir::SymbolBindings& symbols, const std::vector<Tensor>& in,
               std::vector<Tensor>* want, std::vector<Tensor>* got) {
    std::unique_ptr<SequenceState> s1 = reference_->NewSequence(), s2 = fast_->NewSequence();
    absl::StatusOr<std::vector<Tensor>> w = reference_->Run(func, symbols, in, s1.get());
    absl::StatusOr<std::vector<Tensor>> g = fast_->Run(func, symbols, in, s2.get());
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE(g.ok()) << g.status();
    ASSERT_EQ(g->size(), 2u);
    *want = std::move(*w);
    *got = std::move(*g);
  }

  std::unique_ptr<ir::Module> module_;
  testing::PoolOnly threads_;
  std::unique_ptr<Interpreter> reference_, fast_;
};

TEST_F(FastAttentionTest, BitIdenticalToTheReference) {
  for (auto [s, p] : std::vector<std::pair<int64_t, int64_t>>{{1, 0}, {2, 9}, {16, 0}, {17, 5}, {37, 0}, {50, 23}}) {
    SCOPED_TRACE(absl::StrCat("S=", s, " P=", p));
    const uint32_t seed = static_cast<uint32_t>(100 * s + p);
    for (const char* func : {"causal", "full"}) {
      SCOPED_TRACE(func);
      const bool causal = std::string(func) == "causal";
      const int64_t t = causal ? p + s : p + 2 * s + 1;  // full: more keys than rows
      ir::SymbolBindings symbols = causal ? ir::SymbolBindings{{"S", s}, {"P", p}} : ir::SymbolBindings{{"S", s}, {"T", t}};
      std::vector<Tensor> want, got;
      RunBoth(func, symbols, Inputs(s, t, seed), &want, &got);
      ASSERT_FALSE(HasFatalFailure());
      ExpectSameBits(got[0], want[0]);
      ExpectSameBits(got[1], want[1]);
    }
  }
}

// An infinite value (a model that overflowed): rows whose weight p on that key is 0 must not
// turn NaN (0·inf), as in the reference, which skips p == 0 terms; the same bits either way.
TEST_F(FastAttentionTest, InfiniteValuesGiveTheReferenceBits) {
  const int64_t s = 33, p = 4, t = p + s;
  std::vector<Tensor> in = Inputs(s, t, 7);
  in[2].f[(20 * kHeads + 1) * kV + 17] = std::numeric_limits<float>::infinity();  // key 20, head 1
  std::vector<Tensor> want, got;
  RunBoth("causal", {{"S", s}, {"P", p}}, in, &want, &got);
  ASSERT_FALSE(HasFatalFailure());
  for (int i = 0; i < 2; ++i) {
    const Buffer<float>& w = want[i].f;
    ASSERT_EQ(got[i].f.size(), w.size());
    EXPECT_EQ(std::memcmp(got[i].f.data(), w.data(), w.size() * sizeof(float)), 0) << i;
    // Rows before key 20 never see it (causal): head 1 stays finite there.
    EXPECT_TRUE(std::isfinite(w[(3 * kHeads + 1) * kV + 17]));
    int nonfinite = 0;
    for (float x : w) nonfinite += !std::isfinite(x);
    EXPECT_GT(nonfinite, 0);
  }
}

}  // namespace
}  // namespace dsc::runtime
