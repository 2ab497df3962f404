// Issue 4: the interpreter on other weight formats of one model. A BF16 model and its exact
// FP8 block-128 re-encoding give the same logits (to float32 rounding: E4M3 × power-of-two scale
// is exact in BF16); an NVFP4 model made by `dsc convert` from a BF16 model stays close to it
// (far closer than a differently seeded model).
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "frontend/safetensors.h"
#include "frontend/safetensors_writer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "numerics/fp8_block.h"
#include "numerics/scalar_formats.h"
#include "tests/unit/tools/cli_runner.h"

namespace dsc::testing {
namespace {

namespace fs = std::filesystem;

fs::path TempDir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("dsc_variants_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(p);
  return p;
}

std::vector<float> Logits(const fs::path& model, const std::string& tokens) {
  fs::path out = model.string() + ".logits.safetensors";
  CliResult r = RunDsc("logits -m " + model.string() + " --engine interp --kv-cache f32 --tokens " + tokens +
                       " -o " + out.string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<float> logits;
  {
    auto file = frontend::SafetensorsFile::Open(out.string());
    EXPECT_TRUE(file.ok()) << file.status();
    if (file.ok()) logits = frontend::ReadAsFloat32(*(*file)->Find("logits")).value_or(std::vector<float>{});
  }
  fs::remove(out);  // the file is closed (and unmapped) above
  return logits;
}

double RelL2(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return std::sqrt(num / den);
}

// Writes a BF16 copy of an FP8 block-128 checkpoint: every FP8 weight dequantized (exactly).
void ReencodeFp8AsBf16(const fs::path& in, const fs::path& out) {
  fs::create_directories(out);
  auto file = frontend::SafetensorsFile::Open((in / "model.safetensors").string());
  ASSERT_TRUE(file.ok()) << file.status();
  frontend::SafetensorsWriter writer;
  int reencoded = 0;
  for (const frontend::TensorView& t : (*file)->tensors()) {
    if (t.name.ends_with(".weight_scale_inv")) continue;
    const frontend::TensorView* scale = (*file)->Find(t.name + "_scale_inv");
    if (t.dtype != frontend::StDtype::kF8E4M3 || scale == nullptr) {
      writer.Add(t.name, t.dtype, t.shape, std::span<const uint8_t>(t.data, t.nbytes));
      continue;
    }
    std::vector<float> scales = frontend::ReadAsFloat32(*scale).value();
    std::vector<float> w(static_cast<size_t>(t.numel()));
    ASSERT_TRUE(numerics::DequantizeFp8Block(t.data, scales.data(), t.shape[0], t.shape[1], w.data()).ok());
    std::string bytes(w.size() * 2, '\0');
    for (size_t i = 0; i < w.size(); ++i) {
      uint16_t b = numerics::FloatToBf16(w[i]);
      ASSERT_EQ(numerics::Bf16ToFloat(b), w[i]) << t.name << " is not exact in BF16";
      std::memcpy(bytes.data() + 2 * i, &b, 2);
    }
    writer.Add(t.name, frontend::StDtype::kBF16, t.shape, std::move(bytes));
    ++reencoded;
  }
  EXPECT_GT(reencoded, 50);
  ASSERT_TRUE(writer.WriteAtomic((out / "model.safetensors").string()).ok());
  std::ifstream cfg_in(in / "config.json");
  nlohmann::json config = nlohmann::json::parse(cfg_in);
  config.erase("quantization_config");
  std::ofstream(out / "config.json") << config.dump(2);
}

const std::string kTokens = "7,1999,42,1024,5,77,300,1500,9,2040,64,128,256,3,511,1000,17,900,1200,8";

TEST(VariantsTest, Bf16AndItsExactFp8EncodingAgree) {
  fs::path fp8 = TempDir("fp8"), bf16 = TempDir("fp8_as_bf16");
  CliResult r = RunDsc("synth --preset tiny --format fp8 --seed 5 -o " + fp8.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ReencodeFp8AsBf16(fp8, bf16);
  std::vector<float> a = Logits(fp8, kTokens), b = Logits(bf16, kTokens);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  double rel = RelL2(a, b);
  std::cout << "fp8 vs its bf16 re-encoding: rel-L2 " << rel << "\n";
  EXPECT_LE(rel, 1e-3);
  fs::remove_all(fp8);
  fs::remove_all(bf16);
}

TEST(VariantsTest, ConvertedNvfp4StaysCloseToItsBf16Source) {
  fs::path bf16 = TempDir("bf16"), nvfp4 = TempDir("nvfp4"), other = TempDir("other");
  ASSERT_EQ(RunDsc("synth --preset tiny --format bf16 --seed 3 -o " + bf16.string()).exit_code, 0);
  ASSERT_EQ(RunDsc("synth --preset tiny --format bf16 --seed 4 -o " + other.string()).exit_code, 0);
  CliResult r = RunDsc("convert -m " + bf16.string() + " -o " + nvfp4.string() + " --to nvfp4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<float> ref = Logits(bf16, kTokens), quant = Logits(nvfp4, kTokens), unrelated = Logits(other, kTokens);
  ASSERT_FALSE(ref.empty());
  double close = RelL2(quant, ref), far = RelL2(unrelated, ref);
  std::cout << "converted nvfp4 vs bf16: rel-L2 " << close << "; another seed: " << far << "\n";
  // ~8 % relative weight error per matrix (numerics/README.md) compounds through the layers.
  EXPECT_LE(close, 0.4);
  EXPECT_LE(close, far / 3);
  for (const fs::path& p : {bf16, nvfp4, other}) fs::remove_all(p);
}

}  // namespace
}  // namespace dsc::testing
