// Tests of the rotary-embedding kernel (model.md §5) against the golden unit vectors of the
// tiny-a model and an explicit per-pair formula over tokens × heads.
#include "runtime/interp/kernels_rope.h"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "frontend/safetensors.h"
#include "gtest/gtest.h"
#include "numerics/rope.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime::ref {
namespace {

using testing::RandomVector;

// tiny-a: qk_rope_head_dim 16, θ 10000, factor 40 over 64 original positions, N_max 256.
std::vector<float> TinyFrequencies() {
  absl::StatusOr<std::vector<float>> freqs =
      numerics::YarnFrequencies(16, 10000.0, 40.0, 64, 32.0, 1.0, 256);
  EXPECT_TRUE(freqs.ok()) << freqs.status();
  return *freqs;
}

std::vector<float> ReadUnit(const frontend::SafetensorsFile& file, const std::string& name) {
  const frontend::TensorView* view = file.Find(name);
  EXPECT_NE(view, nullptr) << name;
  if (view == nullptr) return {};
  absl::StatusOr<std::vector<float>> values = frontend::ReadAsFloat32(*view);
  EXPECT_TRUE(values.ok()) << values.status();
  return values.ok() ? *values : std::vector<float>{};
}

TEST(RopeKernelTest, MatchesGoldenUnitVectorsInBothLayouts) {
  auto file = frontend::SafetensorsFile::Open(std::string(DSC_SHARED_DIR) +
                                              "/golden/tiny-a/units.safetensors");
  ASSERT_TRUE(file.ok()) << file.status();
  const std::vector<float> input = ReadUnit(**file, "rope.input");
  const std::vector<float> positions_f = ReadUnit(**file, "rope.positions");
  const std::vector<float> freqs = TinyFrequencies();
  std::vector<int64_t> positions(positions_f.begin(), positions_f.end());
  for (auto [layout, name] : {std::pair{RopeLayout::kInterleaved, "rope.interleaved"},
                              std::pair{RopeLayout::kHalfSplit, "rope.half_split"}}) {
    std::vector<float> x = input;  // 4 tokens × 1 head × 16 dims
    ApplyRope(x.data(), 4, 1, 16, 0, 16, positions.data(), freqs.data(), layout);
    const std::vector<float> expected = ReadUnit(**file, name);
    EXPECT_LT(testing::RelL2(x, expected), 1e-6) << name;
  }
}

// The interpreter's rotary op computes cos/sin once per row and applies them to every head
// (eval_model.cc); numerics::ApplyRope computes them per call. Same bits, both layouts.
TEST(RopeKernelTest, CosSinOncePerRowGivesTheSameBitsAsPerVector) {
  const int64_t rows = 5, heads = 7, dim = 12;
  const std::vector<float> freqs = RandomVector(dim / 2, 601, 0.001f, 1.0f);
  const std::vector<float> input = RandomVector(rows * heads * dim, 602, -3.0f, 3.0f);
  for (bool interleaved : {true, false}) {
    std::vector<float> per_vector = input, per_row = input, cos_values(dim / 2), sin_values(dim / 2);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t pos = 13 * r + 1000 * (r % 2);
      numerics::RopeCosSin(pos, freqs.data(), dim / 2, cos_values.data(), sin_values.data());
      for (int64_t h = 0; h < heads; ++h) {
        numerics::ApplyRope(per_vector.data() + (r * heads + h) * dim, dim, pos, freqs.data(), interleaved);
        numerics::ApplyRopeWithCosSin(per_row.data() + (r * heads + h) * dim, dim, cos_values.data(),
                                      sin_values.data(), interleaved);
      }
    }
    EXPECT_EQ(per_row, per_vector) << (interleaved ? "interleaved" : "half split");
    EXPECT_NE(per_row, input);
  }
}

TEST(RopeKernelTest, RotatesOnlyTheRopeSliceOfEveryHead) {
  const int64_t tokens = 3, heads = 2, head_dim = 10, offset = 4, rope_dim = 6;
  const std::vector<float> freqs = {1.0f, 0.3f, 0.01f};
  const std::vector<int64_t> positions = {0, 7, 200};
  const std::vector<float> input = RandomVector(tokens * heads * head_dim, 600);
  for (RopeLayout layout : {RopeLayout::kInterleaved, RopeLayout::kHalfSplit}) {
    std::vector<float> x = input;
    ApplyRope(x.data(), tokens, heads, head_dim, offset, rope_dim, positions.data(), freqs.data(),
              layout);
    for (int64_t t = 0; t < tokens; ++t) {
      for (int64_t h = 0; h < heads; ++h) {
        const float* in = &input[(t * heads + h) * head_dim];
        const float* out = &x[(t * heads + h) * head_dim];
        for (int64_t j = 0; j < offset; ++j) EXPECT_EQ(out[j], in[j]);
        for (int64_t i = 0; i < rope_dim / 2; ++i) {
          const int64_t a = offset + (layout == RopeLayout::kInterleaved ? 2 * i : i);
          const int64_t b =
              offset + (layout == RopeLayout::kInterleaved ? 2 * i + 1 : i + rope_dim / 2);
          const double phi = static_cast<float>(positions[t]) * freqs[i];
          EXPECT_NEAR(out[a], in[a] * std::cos(phi) - in[b] * std::sin(phi), 1e-6);
          EXPECT_NEAR(out[b], in[a] * std::sin(phi) + in[b] * std::cos(phi), 1e-6);
        }
      }
    }
  }
}

}  // namespace
}  // namespace dsc::runtime::ref
