// sparse_topk_mask against a plain stable sort: 0 on the k largest scores of each row (ties go
// to the earlier position), -inf elsewhere; rows full of ties and -inf scores, k below, at and
// above the row length.
#include <algorithm>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "runtime/interp/interpreter.h"

namespace dsc::runtime {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::vector<float> Expected(const std::vector<float>& x, int64_t s, int64_t t, int64_t k) {
  std::vector<float> y(s * t, kNegInf);
  for (int64_t i = 0; i < s; ++i) {
    std::vector<int64_t> order(t);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t p, int64_t q) { return x[i * t + p] > x[i * t + q]; });
    for (int64_t j = 0; j < std::min(k, t); ++j) y[i * t + order[j]] = 0.0f;
  }
  return y;
}

TEST(SparseTopkMaskTest, KeepsTheKLargestWithTiesToEarlierPositions) {
  for (int64_t k : {1, 3, 7, 19, 40}) {
    const std::string text = absl::StrCat(R"(module @m {
  func @f[S, T](%x: f32[S,T]) -> (f32[S,T]) {
    %y = sparse_topk_mask %x {k = )", k, R"(} : f32[S,T]
    return %y
  }
})");
    absl::StatusOr<std::unique_ptr<ir::Module>> module = ir::ParseModule(text, "topk.ir");
    ASSERT_TRUE(module.ok()) << module.status();
    Interpreter interp(**module, [](const ir::TensorRef&) -> absl::StatusOr<const uint8_t*> { return nullptr; });
    for (int64_t t : {1, 7, 19, 33}) {
      SCOPED_TRACE(absl::StrCat("k=", k, " T=", t));
      const int64_t s = 6;
      Tensor x = Tensor::Float({s, t});
      std::mt19937 rng(static_cast<uint32_t>(k * 100 + t));
      for (float& v : x.f) {
        const uint32_t r = rng() % 8;
        v = r == 0 ? kNegInf : static_cast<float>(r % 4) * 0.5f - 0.75f;  // few values: many ties
      }
      const std::vector<float> want = Expected(x.f.ToVector(), s, t, k);
      std::vector<Tensor> args;
      args.push_back(std::move(x));
      std::unique_ptr<SequenceState> state = interp.NewSequence();
      absl::StatusOr<std::vector<Tensor>> got = interp.Run("f", {{"S", s}, {"T", t}}, std::move(args), state.get());
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ((*got)[0].f, want);
    }
  }
}

}  // namespace
}  // namespace dsc::runtime
