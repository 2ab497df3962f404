// Compares every tensor of shared/golden/tiny-a/units.safetensors with what numerics/ computes,
// and dequantizes every NVFP4 weight of the tiny-a checkpoint against an independent formula.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "frontend/safetensors.h"
#include "gtest/gtest.h"
#include "numerics/act_quant.h"
#include "numerics/fp8_block.h"
#include "numerics/hadamard.h"
#include "numerics/nvfp4.h"
#include "numerics/rope.h"
#include "numerics/scalar_formats.h"

namespace dsc::numerics {
namespace {

using frontend::SafetensorsFile;
using frontend::TensorView;

const std::string kGoldenDir = std::string(DSC_SHARED_DIR) + "/golden/tiny-a/";

// Every tensor the tests below read. ctest runs each test in its own process, so coverage is
// checked against this list (which Tensor() keeps honest) rather than against what ran.
const std::set<std::string> kTestedTensors = {
    "e2m1.codes", "e2m1.values", "e4m3.codes", "e4m3.values",
    "nvfp4.input", "nvfp4.weight", "nvfp4.weight_scale", "nvfp4.weight_scale_2", "nvfp4.dequant",
    "fp8.input", "fp8.weight", "fp8.weight_scale_inv", "fp8.dequant",
    "act_quant.input", "act_quant.ue8m0.values", "act_quant.ue8m0.scales",
    "act_quant.plain.values", "act_quant.plain.scales",
    "hadamard.input", "hadamard.output",
    "rope.cos", "rope.sin", "rope.input", "rope.positions", "rope.interleaved", "rope.half_split"};

class UnitsGoldenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto file = SafetensorsFile::Open(kGoldenDir + "units.safetensors");
    ASSERT_TRUE(file.ok()) << file.status();
    units_ = file->release();
    std::printf("units.safetensors holds %zu tensors:", units_->tensors().size());
    for (const TensorView& t : units_->tensors()) std::printf(" %s", t.name.c_str());
    std::printf("\n");
  }
  static void TearDownTestSuite() {
    delete units_;
    units_ = nullptr;
  }

  // The tensor; fails the test if it is absent or missing from kTestedTensors.
  static const TensorView& Tensor(const std::string& name) {
    EXPECT_TRUE(kTestedTensors.count(name)) << name << " must be listed in kTestedTensors";
    const TensorView* view = units_->Find(name);
    EXPECT_NE(view, nullptr) << name;
    static const TensorView kEmpty;
    return view ? *view : kEmpty;
  }
  static std::vector<float> Floats(const std::string& name) {
    auto values = frontend::ReadAsFloat32(Tensor(name));
    EXPECT_TRUE(values.ok()) << values.status();
    return values.ok() ? *values : std::vector<float>{};
  }
  static std::vector<uint8_t> Bytes(const std::string& name) {
    const TensorView& view = Tensor(name);
    return std::vector<uint8_t>(view.data, view.data + view.nbytes);
  }

  static SafetensorsFile* units_;
};

SafetensorsFile* UnitsGoldenTest::units_ = nullptr;

// |got − want| ≤ 1e-6·|want| element-wise, or relative to the tensor's magnitude `scale` where
// cancellation makes the element itself small (Hadamard, RoPE outputs).
void ExpectClose(const std::vector<float>& got, const std::vector<float>& want,
                 const std::string& what, double scale = 0.0) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int mismatches = 0;
  size_t identical = 0;
  double worst = 0;  // largest |got − want| / max(|want|, scale)
  for (size_t i = 0; i < got.size(); ++i) {
    const double reference = std::max(std::fabs(static_cast<double>(want[i])), scale);
    const double difference = std::fabs(static_cast<double>(got[i]) - want[i]);
    identical += got[i] == want[i];
    if (reference > 0) worst = std::max(worst, difference / reference);
    if (!(difference <= 1e-6 * reference) && mismatches++ < 10) {
      ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << " want " << want[i];
    }
  }
  std::printf("%s: %zu of %zu bit-identical, max relative difference %.3g\n", what.c_str(),
              identical, got.size(), worst);
}

TEST_F(UnitsGoldenTest, E2m1Table) {
  const std::vector<uint8_t> codes = Bytes("e2m1.codes");
  const std::vector<float> values = Floats("e2m1.values");
  ASSERT_EQ(codes.size(), 16u);
  for (size_t i = 0; i < codes.size(); ++i) EXPECT_EQ(DecodeE2m1(codes[i]), values[i]) << i;
}

TEST_F(UnitsGoldenTest, E4m3Table) {
  const std::vector<uint8_t> codes = Bytes("e4m3.codes");
  const std::vector<float> values = Floats("e4m3.values");
  ASSERT_EQ(codes.size(), 256u);
  for (size_t i = 0; i < codes.size(); ++i) {
    if (std::isnan(values[i])) {
      EXPECT_TRUE(std::isnan(DecodeE4m3(codes[i]))) << i;
    } else {
      EXPECT_EQ(DecodeE4m3(codes[i]), values[i]) << i;
      EXPECT_EQ(EncodeE4m3(values[i]), codes[i] == 0x80 ? 0x80 : codes[i]) << i;
    }
  }
}

TEST_F(UnitsGoldenTest, Nvfp4ReferenceQuantizerReproducesTheFile) {
  const std::vector<float> input = Floats("nvfp4.input");
  const TensorView& weight = Tensor("nvfp4.weight");
  ASSERT_EQ(weight.shape.size(), 2u);
  const int64_t rows = weight.shape[0], cols = 2 * weight.shape[1];
  auto quantized = QuantizeNvfp4(input.data(), rows, cols, {.recipe = Nvfp4Recipe::kReference});
  ASSERT_TRUE(quantized.ok()) << quantized.status();
  EXPECT_EQ(quantized->packed, Bytes("nvfp4.weight"));
  EXPECT_EQ(quantized->block_scales, Bytes("nvfp4.weight_scale"));
  EXPECT_EQ(quantized->global_scale, Floats("nvfp4.weight_scale_2").at(0));

  // Dequantize the file's own encoding, independently of the quantizer above.
  std::vector<float> dequantized(rows * cols);
  ASSERT_TRUE(DequantizeNvfp4(weight.data, Tensor("nvfp4.weight_scale").data,
                              Floats("nvfp4.weight_scale_2").at(0), rows, cols,
                              dequantized.data())
                  .ok());
  ExpectClose(dequantized, Floats("nvfp4.dequant"), "nvfp4.dequant");
}

TEST_F(UnitsGoldenTest, Fp8BlockQuantizerReproducesTheFile) {
  const std::vector<float> input = Floats("fp8.input");
  const TensorView& weight = Tensor("fp8.weight");
  ASSERT_EQ(weight.shape.size(), 2u);
  const int64_t rows = weight.shape[0], cols = weight.shape[1];
  auto quantized = QuantizeFp8Block(input.data(), rows, cols, Fp8ScaleFormat::kUe8m0);
  ASSERT_TRUE(quantized.ok()) << quantized.status();
  EXPECT_EQ(quantized->codes, Bytes("fp8.weight"));
  EXPECT_EQ(quantized->scale_inv, Floats("fp8.weight_scale_inv"));

  const std::vector<float> file_scales = Floats("fp8.weight_scale_inv");
  std::vector<float> dequantized(rows * cols);
  ASSERT_TRUE(
      DequantizeFp8Block(weight.data, file_scales.data(), rows, cols, dequantized.data()).ok());
  ExpectClose(dequantized, Floats("fp8.dequant"), "fp8.dequant");
}

TEST_F(UnitsGoldenTest, ActQuantBothScaleFormats) {
  const std::vector<float> input = Floats("act_quant.input");
  for (const auto& [name, format] : {std::pair{"ue8m0", ActScaleFormat::kUe8m0},
                                     std::pair{"plain", ActScaleFormat::kPlain}}) {
    const std::string prefix = std::string("act_quant.") + name;
    std::vector<uint8_t> codes(input.size());
    std::vector<float> scales(input.size() / kActQuantBlockSize);
    ASSERT_TRUE(ActQuant(input.data(), static_cast<int64_t>(input.size()), kActQuantBlockSize,
                         format, codes.data(), scales.data())
                    .ok());
    std::vector<float> values(codes.size());
    for (size_t i = 0; i < codes.size(); ++i) values[i] = DecodeE4m3(codes[i]);
    EXPECT_EQ(values, Floats(prefix + ".values")) << prefix;
    EXPECT_EQ(scales, Floats(prefix + ".scales")) << prefix;

    std::vector<float> round_trip = input;
    ASSERT_TRUE(ActQuantRoundTrip(round_trip.data(), static_cast<int64_t>(round_trip.size()),
                                  kActQuantBlockSize, format)
                    .ok());
    for (size_t i = 0; i < round_trip.size(); ++i) {
      ASSERT_EQ(round_trip[i], values[i] * scales[i / kActQuantBlockSize]) << prefix << " " << i;
    }
  }
}

TEST_F(UnitsGoldenTest, Hadamard128) {
  std::vector<float> values = Floats("hadamard.input");
  const std::vector<float> expected = Floats("hadamard.output");
  ASSERT_EQ(values.size() % 128, 0u);
  for (size_t row = 0; row < values.size() / 128; ++row) {
    Hadamard128(values.data() + row * 128);
    double max_abs = 0;
    for (size_t i = row * 128; i < row * 128 + 128; ++i) {
      max_abs = std::max(max_abs, std::fabs(static_cast<double>(expected[i])));
    }
    ExpectClose(std::vector<float>(values.begin() + row * 128, values.begin() + row * 128 + 128),
                std::vector<float>(expected.begin() + row * 128, expected.begin() + row * 128 + 128),
                "hadamard.output row " + std::to_string(row), max_abs);
  }
}

// tiny-a: qk_rope_head_dim 16, θ 1e4, factor 40 over 64 original positions, 256 positions.
std::vector<float> TinyAFrequencies() {
  auto freqs = YarnFrequencies(16, 10000.0, 40.0, 64, 32.0, 1.0, 256);
  EXPECT_TRUE(freqs.ok());
  return *freqs;
}

TEST_F(UnitsGoldenTest, RopeCosSinTable) {
  const std::vector<float> freqs = TinyAFrequencies();
  const std::vector<float> cos_table = Floats("rope.cos");
  const std::vector<float> sin_table = Floats("rope.sin");
  ASSERT_EQ(cos_table.size(), 256u * 8u);
  std::vector<float> cos_values(cos_table.size()), sin_values(sin_table.size());
  for (int64_t pos = 0; pos < 256; ++pos) {
    RopeCosSin(pos, freqs.data(), 8, cos_values.data() + pos * 8, sin_values.data() + pos * 8);
  }
  int exact = 0;
  for (size_t i = 0; i < cos_table.size(); ++i) {
    exact += cos_values[i] == cos_table[i] && sin_values[i] == sin_table[i];
  }
  std::printf("rope.cos/sin: %d of %zu (cos, sin) pairs bit-identical\n", exact, cos_table.size());
  // Elements near a zero of cos/sin are compared relative to 1 (the magnitude of the table).
  ExpectClose(cos_values, cos_table, "rope.cos", 1.0);
  ExpectClose(sin_values, sin_table, "rope.sin", 1.0);
}

TEST_F(UnitsGoldenTest, RopeBothLayouts) {
  const std::vector<float> freqs = TinyAFrequencies();
  const std::vector<float> input = Floats("rope.input");
  const TensorView& positions = Tensor("rope.positions");
  ASSERT_EQ(positions.nbytes, 4u * 4u);
  for (const auto& [name, interleaved] : {std::pair{"rope.interleaved", true},
                                          std::pair{"rope.half_split", false}}) {
    std::vector<float> got = input;
    for (int row = 0; row < 4; ++row) {
      int32_t pos;
      std::memcpy(&pos, positions.data + 4 * row, 4);
      ApplyRope(got.data() + row * 16, 16, pos, freqs.data(), interleaved);
    }
    double max_abs = 0;
    for (float v : input) max_abs = std::max(max_abs, std::fabs(static_cast<double>(v)));
    ExpectClose(got, Floats(name), name, max_abs);
  }
}

TEST_F(UnitsGoldenTest, EveryTensorOfTheFileIsTested) {
  for (const TensorView& t : units_->tensors()) {
    EXPECT_TRUE(kTestedTensors.count(t.name)) << "units.safetensors tensor not tested: " << t.name;
  }
  EXPECT_EQ(units_->tensors().size(), kTestedTensors.size());
}

// Every NVFP4 weight of the tiny-a checkpoint, dequantized by the library and by the formula
// e2m1(code) · e4m3(scale) · s2 written out from the bit fields here (product in double, which
// is exact for e2m1·e4m3, then rounded to float32 once).
TEST(TinyACheckpointTest, Nvfp4DequantizationMatchesAnIndependentFormula) {
  auto file = SafetensorsFile::Open(kGoldenDir + "model.safetensors");
  ASSERT_TRUE(file.ok()) << file.status();
  int checked_tensors = 0;
  for (const TensorView& scale : (*file)->tensors()) {
    const std::string suffix = ".weight_scale";
    if (scale.name.size() < suffix.size() ||
        scale.name.compare(scale.name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string prefix = scale.name.substr(0, scale.name.size() - suffix.size());
    const TensorView* weight = (*file)->Find(prefix + ".weight");
    const TensorView* scale_2 = (*file)->Find(prefix + ".weight_scale_2");
    ASSERT_NE(weight, nullptr) << prefix;
    ASSERT_NE(scale_2, nullptr) << prefix;
    const int64_t rows = weight->shape[0], cols = 2 * weight->shape[1];
    ASSERT_EQ(scale.shape, (std::vector<int64_t>{rows, cols / 16})) << prefix;
    float s2;
    std::memcpy(&s2, scale_2->data, 4);
    std::vector<float> got(rows * cols);
    ASSERT_TRUE(DequantizeNvfp4(weight->data, scale.data, s2, rows, cols, got.data()).ok());
    int64_t nonzero = 0;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < cols; ++c) {
        const int code = (weight->data[r * (cols / 2) + c / 2] >> (4 * (c % 2))) & 0xF;
        const int e = (code >> 1) & 3, m = code & 1;
        const double e2m1 = (code & 8 ? -1.0 : 1.0) * (e == 0 ? 0.5 * m : (1 + 0.5 * m) * std::ldexp(1.0, e - 1));
        const int sc = scale.data[r * (cols / 16) + c / 16];
        ASSERT_NE(sc & 0x7F, 0x7F) << prefix << ": NaN block scale";
        const int se = (sc >> 3) & 0xF, sm = sc & 7;
        const double e4m3 = (sc & 0x80 ? -1.0 : 1.0) *
                            (se == 0 ? sm * std::ldexp(1.0, -9) : (1 + sm / 8.0) * std::ldexp(1.0, se - 7));
        const float expected = static_cast<float>(e2m1 * e4m3 * static_cast<double>(s2));
        ASSERT_EQ(got[r * cols + c], expected) << prefix << " [" << r << ", " << c << "]";
        nonzero += expected != 0.0f;
      }
    }
    EXPECT_GT(nonzero, rows * cols / 2) << prefix;
    ++checked_tensors;
  }
  std::printf("checked %d NVFP4 tensors of model.safetensors element-wise\n", checked_tensors);
  EXPECT_GT(checked_tensors, 10);
}

}  // namespace
}  // namespace dsc::numerics
