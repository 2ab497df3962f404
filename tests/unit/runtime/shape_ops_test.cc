// The interpreter's data-movement ops (eval_shape.cc: broadcast, concat, split, slice; and the
// reshape that takes the buffer of a value dying at it, interpreter.cc) against index
// arithmetic written out here, on random values at ragged sizes: broadcasts that add leading
// dimensions, stretch a middle or the last dimension, or copy integer tensors; concat, split
// and slice along a middle axis; a reshape of a value that lives on (copied) next to one that
// dies at it (moved).
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "ir/parser.h"
#include "runtime/interp/interpreter.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime {
namespace {

const char* kShapeModule = R"(module @m {
  func @f[S](%x: f32[S,1,5], %y: f32[S,3,5], %v: f32[S,1], %ids: i32[S,2]) -> (f32[2,S,3,5], f32[S,4], i32[3,S,2], f32[S,7,5], f32[S,2,5], f32[S,7,3], f32[S,25], f32[S,10]) {
    %b1 = broadcast %x {shape = [2,S,3,5]} : f32[2,S,3,5]
    %b2 = broadcast %v {shape = [S,4]} : f32[S,4]
    %b3 = broadcast %ids {shape = [3,S,2]} : i32[3,S,2]
    %c = concat %y, %x, %y {axis = 1} : f32[S,7,5]
    %lo, %hi = split %c {axis = 1, sizes = [2, 5]} : f32[S,2,5], f32[S,5,5]
    %s = slice %c {axis = 2, start = 1, end = 4} : f32[S,7,3]
    %r = reshape %hi {shape = [S,25]} : f32[S,25]
    %r2 = reshape %lo {shape = [S,10]} : f32[S,10]
    return %b1, %b2, %b3, %c, %lo, %s, %r, %r2
  }
})";

TEST(ShapeOpsTest, MatchIndexArithmetic) {
  absl::StatusOr<std::unique_ptr<ir::Module>> module =
      ir::ParseModule(kShapeModule, "shape_ops.ir");
  ASSERT_TRUE(module.ok()) << module.status();
  Interpreter interp(**module, [](const ir::TensorRef&) -> absl::StatusOr<const uint8_t*> {
    return absl::NotFoundError("no constants");
  });
  const int64_t s = 3;
  Tensor x = Tensor::Float({s, 1, 5}), y = Tensor::Float({s, 3, 5}), v = Tensor::Float({s, 1});
  Tensor ids = Tensor::Int({s, 2}, ir::DType::kI32);
  x.f = testing::RandomVector(x.numel(), 1);
  y.f = testing::RandomVector(y.numel(), 2);
  v.f = testing::RandomVector(v.numel(), 3);
  for (int64_t j = 0; j < ids.numel(); ++j) ids.i[j] = 100 + 7 * j;
  std::unique_ptr<SequenceState> state = interp.NewSequence();
  absl::StatusOr<std::vector<Tensor>> got = interp.Run("f", {{"S", s}}, {x, y, v, ids}, state.get());
  ASSERT_TRUE(got.ok()) << got.status();
  const std::vector<Tensor>& out = *got;

  auto X = [&](int64_t i, int64_t k) { return x.f[i * 5 + k]; };
  auto Y = [&](int64_t i, int64_t j, int64_t k) { return y.f[(i * 3 + j) * 5 + k]; };
  auto C = [&](int64_t i, int64_t j, int64_t k) { return j < 3 ? Y(i, j, k) : j == 3 ? X(i, k) : Y(i, j - 4, k); };
  ASSERT_EQ(out[0].shape, (Dims{2, s, 3, 5}));
  for (int64_t a = 0; a < 2; ++a) {
    for (int64_t i = 0; i < s; ++i) {
      for (int64_t j = 0; j < 3; ++j) {
        for (int64_t k = 0; k < 5; ++k) EXPECT_EQ(out[0].f[((a * s + i) * 3 + j) * 5 + k], X(i, k));
      }
    }
  }
  for (int64_t i = 0; i < s; ++i) {
    for (int64_t j = 0; j < 4; ++j) EXPECT_EQ(out[1].f[i * 4 + j], v.f[i]);
  }
  ASSERT_EQ(out[2].i.size(), static_cast<size_t>(3 * s * 2));
  for (int64_t a = 0; a < 3; ++a) {
    for (int64_t j = 0; j < s * 2; ++j) EXPECT_EQ(out[2].i[a * s * 2 + j], ids.i[j]);
  }
  for (int64_t i = 0; i < s; ++i) {
    for (int64_t j = 0; j < 7; ++j) {
      for (int64_t k = 0; k < 5; ++k) {
        EXPECT_EQ(out[3].f[(i * 7 + j) * 5 + k], C(i, j, k));
        if (j < 2) {
          EXPECT_EQ(out[4].f[(i * 2 + j) * 5 + k], C(i, j, k));  // %lo
          EXPECT_EQ(out[7].f[i * 10 + j * 5 + k], C(i, j, k));   // %lo reshaped (copied: %lo lives on)
        } else {
          EXPECT_EQ(out[6].f[i * 25 + (j - 2) * 5 + k], C(i, j, k));  // %hi reshaped (moved)
        }
        if (k >= 1 && k < 4) {
          EXPECT_EQ(out[5].f[(i * 7 + j) * 3 + k - 1], C(i, j, k));  // %s
        }
      }
    }
  }
  EXPECT_EQ(out[6].shape, (Dims{s, 25}));
  EXPECT_EQ(out[7].shape, (Dims{s, 10}));
}

}  // namespace
}  // namespace dsc::runtime
