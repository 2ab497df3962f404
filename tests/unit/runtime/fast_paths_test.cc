// The interpreter's fast-engine paths against its reference paths, on random ragged inputs:
// BF16 matmul weights and embedding tables read in place (FastLinear::RunDense), and
// mla_decode_attention without the per-call dequantization (eval_mla_fast.cc: W_UK's
// transposed product read in place, W_UV row ranges through FastLinear::RunRows, heads split
// over 2 threads; rank 48 takes the transposed product's scalar columns, its vector chunks are
// tested in nvfp4_transposed_test.cc).
// The FastLinear here is plain C++ (the JIT kernels are tested in tests/unit/codegen), so this
// checks the interpreter's side: what it hands to the kernels and how it combines their output.
// Also moe_decode's units run on the pool (ffn.h: all experts' W1/W3 rows split over the
// threads in one pool run, W2 in a second).
#include <atomic>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "numerics/nvfp4.h"
#include "numerics/scalar_formats.h"
#include "runtime/interp/interpreter.h"
#include "tests/unit/runtime/test_util.h"

namespace dsc::runtime {
namespace {

constexpr int64_t kPathHeads = 3, kNope = 8, kPathV = 16, kRope = 4, kRank = 48;
constexpr int64_t kRows = kPathHeads * (kNope + kPathV);
constexpr int64_t kVocab = 37, kDim = 40, kOut = 29;

const char* kPathsModule = R"(module @m {
  const @kv_b : nvfp4[72,48] {
    "kv_b.weight" in "w" at 0
    "kv_b.weight_scale" in "w" at 1
    "kv_b.weight_scale_2" in "w" at 2
  }
  const @emb : bf16[37,40] = "emb" in "w" at 3
  const @head : bf16[29,40] = "head" in "w" at 4
  func @f[S, P](%ids: i32[S], %q_nope: f32[S,3,8], %q_pe: f32[S,3,4], %kv: f32[P+S,48], %pe: f32[P+S,4], %mask: f32[S,P+S]) -> (f32[S,3,16], f32[S,29], f32[S,40]) {
    %o = mla_decode_attention %q_nope, %q_pe, %kv, %pe, @kv_b, %mask {scale = 0.3, causal = true, start = P} : f32[S,3,16]
    %h = embedding @emb, %ids : f32[S,40]
    %logits = matmul %h, @head : f32[S,29]
    return %o, %logits, %h
  }
})";

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed, int lo, int hi) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> b(n);
  for (auto& v : b) v = static_cast<uint8_t>(lo + static_cast<int>(rng() % (hi - lo + 1)));
  return b;
}

std::vector<uint8_t> RandomBf16Bytes(size_t n, uint32_t seed) {
  std::vector<float> v = testing::RandomVector(static_cast<int64_t>(n), seed, -2.0f, 2.0f);
  std::vector<uint8_t> out(2 * n);
  for (size_t j = 0; j < n; ++j) {
    uint16_t bits = numerics::FloatToBf16(v[j]);
    std::memcpy(&out[2 * j], &bits, 2);
  }
  return out;
}

// Plain C++ kernels with a different summation order than ref::Linear (double accumulation).
class CppFastLinear : public FastLinear {
 public:
  CppFastLinear() : pool_(2) {}
  bool Run(const QuantView&, int64_t, int64_t, int64_t, const float*, int64_t, float*) override { return false; }
  bool RunDense(ir::DType dtype, const uint8_t* w, int64_t n, int64_t k, const float* x, int64_t m,
                float* y) override {
    if (dtype != ir::DType::kBF16) return false;
    ++dense_calls;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) y[i * n + j] = DenseDot(w + 2 * j * k, x + i * k, k);
    }
    return true;
  }
  bool RunRows(const QuantView* quant, int64_t index, ir::DType dtype, const uint8_t* dense, int64_t n, int64_t k,
               const float* x, int64_t m, float* y, int64_t row_begin, int64_t row_end, int thread) override {
    if (thread < 0 || thread >= pool_.size() || m != 1) return false;
    if (quant == nullptr && dtype != ir::DType::kBF16) return false;
    threads_seen[thread] = true;
    ++row_calls;
    std::vector<float> row(k);
    for (int64_t j = row_begin; j < row_end; ++j) {
      if (quant != nullptr) {
        float global;
        std::memcpy(&global, quant->parts[3 * index + 2], 4);
        numerics::DequantizeNvfp4Row(quant->parts[3 * index] + j * k / 2, quant->parts[3 * index + 1] + j * k / 16,
                                     global, k, row.data());
        double sum = 0;
        for (int64_t c = 0; c < k; ++c) sum += double(row[c]) * x[c];
        y[j] = static_cast<float>(sum);
      } else {
        y[j] = DenseDot(dense + 2 * j * k, x, k);
      }
    }
    return true;
  }
  ThreadPool* pool() override { return &pool_; }

  std::atomic<int> dense_calls{0}, row_calls{0};
  bool threads_seen[2] = {false, false};

 private:
  static float DenseDot(const uint8_t* w, const float* x, int64_t k) {
    double sum = 0;
    for (int64_t c = 0; c < k; ++c) {
      uint16_t bits;
      std::memcpy(&bits, w + 2 * c, 2);
      sum += double(numerics::Bf16ToFloat(bits)) * x[c];
    }
    return static_cast<float>(sum);
  }
  ThreadPool pool_;
};

class FastPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ir::Module>> module =
        ir::ParseModule(kPathsModule, "fast_paths.ir");
    ASSERT_TRUE(module.ok()) << module.status();
    module_ = std::move(*module);
    // Codes over every nibble, finite block scales including subnormal ones, a non-power-of-2
    // global scale.
    bytes_["kv_b.weight"] = RandomBytes(kRows * kRank / 2, 1, 0, 255);
    bytes_["kv_b.weight_scale"] = RandomBytes(kRows * kRank / 16, 2, 1, 0x77);
    const float global = 0.0137f;
    bytes_["kv_b.weight_scale_2"].resize(4);
    std::memcpy(bytes_["kv_b.weight_scale_2"].data(), &global, 4);
    bytes_["emb"] = RandomBf16Bytes(kVocab * kDim, 3);
    bytes_["head"] = RandomBf16Bytes(kOut * kDim, 4);
  }

  std::unique_ptr<Interpreter> Make() {
    return std::make_unique<Interpreter>(*module_, [this](const ir::TensorRef& ref) -> absl::StatusOr<const uint8_t*> {
      return bytes_.at(ref.tensor).data();
    });
  }

  std::vector<Tensor> Args(int64_t s, int64_t p, uint32_t seed) {
    std::vector<Tensor> args;
    Tensor ids = Tensor::Int({s}, ir::DType::kI32);
    for (int64_t i = 0; i < s; ++i) ids.i[i] = (seed * 7 + i * 11) % kVocab;
    args.push_back(ids);
    auto random = [&](runtime::Dims shape, uint32_t sd) {
      Tensor t = Tensor::Float(std::move(shape));
      t.f = testing::RandomVector(t.numel(), sd);
      return t;
    };
    args.push_back(random({s, kPathHeads, kNope}, seed + 1));
    args.push_back(random({s, kPathHeads, kRope}, seed + 2));
    args.push_back(random({p + s, kRank}, seed + 3));
    args.push_back(random({p + s, kRope}, seed + 4));
    Tensor mask = random({s, p + s}, seed + 5);
    if (p > 0) mask.f[0] = -std::numeric_limits<float>::infinity();  // a key the indexer dropped
    args.push_back(mask);
    return args;
  }

  std::unique_ptr<ir::Module> module_;
  std::map<std::string, std::vector<uint8_t>> bytes_;
};

TEST_F(FastPathsTest, MatchTheReferencePaths) {
  std::unique_ptr<Interpreter> reference = Make();
  std::unique_ptr<Interpreter> fast = Make();
  CppFastLinear kernels;
  fast->set_fast_linear(&kernels);
  std::unique_ptr<SequenceState> s1 = reference->NewSequence(), s2 = fast->NewSequence();
  // Decode (S = 1) at several positions and a chunk (S = 3) at P > 0; twice each.
  for (auto [s, p] : std::vector<std::pair<int64_t, int64_t>>{{1, 0}, {1, 6}, {3, 4}, {1, 6}, {3, 4}}) {
    const uint32_t seed = static_cast<uint32_t>(10 * s + p);
    ir::SymbolBindings symbols{{"S", s}, {"P", p}};
    absl::StatusOr<std::vector<Tensor>> want = reference->Run("f", symbols, Args(s, p, seed), s1.get());
    absl::StatusOr<std::vector<Tensor>> got = fast->Run("f", symbols, Args(s, p, seed), s2.get());
    ASSERT_TRUE(want.ok()) << want.status();
    ASSERT_TRUE(got.ok()) << got.status();
    for (size_t r = 0; r < want->size(); ++r) {
      SCOPED_TRACE(absl::StrCat("S=", s, " P=", p, " result ", r));
      ASSERT_EQ((*got)[r].shape, (*want)[r].shape);
      ASSERT_EQ((*got)[r].f.size(), (*want)[r].f.size());
      double norm = 0;
      for (float v : (*want)[r].f) norm += double(v) * v;
      EXPECT_GT(norm, 1e-3);  // real values, not zeros
      EXPECT_LE(testing::RelL2((*got)[r].f, (*want)[r].f), 2e-6);
    }
    // The embedding is a plain copy of exact values: identical.
    EXPECT_EQ((*got)[2].f, (*want)[2].f);
  }
  EXPECT_EQ(kernels.dense_calls.load(), 5);  // the head matmul, once per call
  // Per call: one probe, then per (row, head) one W_UV product (W_UK's is no kernel call).
  EXPECT_EQ(kernels.row_calls.load(), 5 + (1 + 1 + 3 + 1 + 3) * kPathHeads);
  EXPECT_TRUE(kernels.threads_seen[0] && kernels.threads_seen[1]);
}

TEST_F(FastPathsTest, LongContextSharesEachKeyAmongTheHeads) {
  // Enough cached keys for the three-phase latent attention (keys, heads and columns split over
  // the threads) rather than each thread taking its heads through all of it.
  std::unique_ptr<Interpreter> reference = Make();
  std::unique_ptr<Interpreter> fast = Make();
  CppFastLinear kernels;
  fast->set_fast_linear(&kernels);
  std::unique_ptr<SequenceState> s1 = reference->NewSequence(), s2 = fast->NewSequence();
  const int64_t s = 1, p = 14000;
  ir::SymbolBindings symbols{{"S", s}, {"P", p}};
  absl::StatusOr<std::vector<Tensor>> want = reference->Run("f", symbols, Args(s, p, 5), s1.get());
  absl::StatusOr<std::vector<Tensor>> got = fast->Run("f", symbols, Args(s, p, 5), s2.get());
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_TRUE(got.ok()) << got.status();
  double norm = 0;
  for (float v : (*want)[0].f) norm += double(v) * v;
  EXPECT_GT(norm, 1e-6);
  EXPECT_LE(testing::RelL2((*got)[0].f, (*want)[0].f), 2e-6);
  EXPECT_TRUE(kernels.threads_seen[0] && kernels.threads_seen[1]);
}

TEST_F(FastPathsTest, WithoutKernelsTheFastEngineFallsBackToTheReference) {
  // A FastLinear with no kernels at all: BF16 constants are still read in place (widened per
  // call) and attention takes the reference path; results equal the reference exactly.
  class NoKernels : public FastLinear {
   public:
    bool Run(const QuantView&, int64_t, int64_t, int64_t, const float*, int64_t, float*) override { return false; }
  } none;
  std::unique_ptr<Interpreter> reference = Make();
  std::unique_ptr<Interpreter> fast = Make();
  fast->set_fast_linear(&none);
  std::unique_ptr<SequenceState> s1 = reference->NewSequence(), s2 = fast->NewSequence();
  ir::SymbolBindings symbols{{"S", 2}, {"P", 3}};
  absl::StatusOr<std::vector<Tensor>> want = reference->Run("f", symbols, Args(2, 3, 99), s1.get());
  absl::StatusOr<std::vector<Tensor>> got = fast->Run("f", symbols, Args(2, 3, 99), s2.get());
  ASSERT_TRUE(want.ok()) << want.status();
  ASSERT_TRUE(got.ok()) << got.status();
  for (size_t r = 0; r < want->size(); ++r) EXPECT_EQ((*got)[r].f, (*want)[r].f) << "result " << r;
}


// moe_decode over NVFP4 experts [E, hidden, dim] and a 2-D shared expert.
constexpr int64_t kExperts = 5, kHidden = 32, kModel = 48, kTopK = 3;

std::string MoeModule() {
  std::string text = "module @moe {\n";
  auto weight = [&](const std::string& name, int64_t count, const std::string& shape) {
    text += "  const @" + name + " : nvfp4[" + shape + "] {\n";
    for (int64_t e = 0; e < count; ++e) {
      const std::string t = name + "." + std::to_string(e);
      text += "    \"" + t + ".weight\" in \"w\" at 0\n";
      text += "    \"" + t + ".weight_scale\" in \"w\" at 0\n";
      text += "    \"" + t + ".weight_scale_2\" in \"w\" at 0\n";
    }
    text += "  }\n";
  };
  const std::string stacked_up = absl::StrCat(kExperts, ",", kHidden, ",", kModel);
  const std::string stacked_down = absl::StrCat(kExperts, ",", kModel, ",", kHidden);
  weight("w1", kExperts, stacked_up);
  weight("w2", kExperts, stacked_down);
  weight("w3", kExperts, stacked_up);
  weight("s1", 1, absl::StrCat(kHidden, ",", kModel));
  weight("s2", 1, absl::StrCat(kModel, ",", kHidden));
  weight("s3", 1, absl::StrCat(kHidden, ",", kModel));
  text += absl::StrCat("  func @f[S](%x: f32[S,", kModel, "], %g: f32[S,", kTopK, "], %e: i32[S,", kTopK,
                       "]) -> (f32[S,", kModel, "]) {\n    %y = moe_decode %x, %g, %e, @w1, @w2, @w3, @s1, @s2, @s3 : f32[S,",
                       kModel, "]\n    return %y\n  }\n}\n");
  return text;
}

TEST(FastMoeTest, UnitsOnThePoolMatchTheReference) {
  absl::StatusOr<std::unique_ptr<ir::Module>> module = ir::ParseModule(MoeModule(), "moe.ir");
  ASSERT_TRUE(module.ok()) << module.status();
  // Every matrix its own random codes, scales (subnormal ones included) and global scale.
  std::map<std::string, std::vector<uint8_t>> bytes;
  uint32_t seed = 100;
  for (const auto& c : (*module)->constants()) {
    for (const ir::TensorRef& ref : c->parts()) {
      const int64_t n = c->type().shape().at(-2).offset(), k = c->type().shape().at(-1).offset();
      if (ref.tensor.ends_with(".weight")) {
        bytes[ref.tensor] = RandomBytes(n * k / 2, ++seed, 0, 255);
      } else if (ref.tensor.ends_with(".weight_scale")) {
        bytes[ref.tensor] = RandomBytes(n * k / 16, ++seed, 1, 0x70);
      } else {
        const float global = 0.011f + 0.001f * static_cast<float>(++seed % 7);
        bytes[ref.tensor].resize(4);
        std::memcpy(bytes[ref.tensor].data(), &global, 4);
      }
    }
  }
  auto make = [&] {
    return std::make_unique<Interpreter>(**module, [&bytes](const ir::TensorRef& ref) -> absl::StatusOr<const uint8_t*> {
      return bytes.at(ref.tensor).data();
    });
  };
  std::unique_ptr<Interpreter> reference = make(), fast = make();
  CppFastLinear kernels;
  fast->set_fast_linear(&kernels);
  for (int64_t s : {1, 2}) {
    std::vector<Tensor> args;
    Tensor x = Tensor::Float({s, kModel});
    x.f = testing::RandomVector(s * kModel, 7 + static_cast<uint32_t>(s));
    Tensor g = Tensor::Float({s, kTopK});
    g.f = testing::RandomVector(s * kTopK, 9, 0.1f, 1.0f);
    Tensor e = Tensor::Int({s, kTopK}, ir::DType::kI32);
    const int64_t picks[2][kTopK] = {{4, 0, 2}, {2, 3, 1}};  // expert 2 shared by both rows
    for (int64_t r = 0; r < s; ++r) {
      for (int64_t j = 0; j < kTopK; ++j) e.i[r * kTopK + j] = picks[r][j];
    }
    args = {x, g, e};
    std::unique_ptr<SequenceState> s1 = reference->NewSequence(), s2 = fast->NewSequence();
    const int before = kernels.row_calls.load();
    absl::StatusOr<std::vector<Tensor>> want = reference->Run("f", {{"S", s}}, args, s1.get());
    absl::StatusOr<std::vector<Tensor>> got = fast->Run("f", {{"S", s}}, args, s2.get());
    ASSERT_TRUE(want.ok()) << want.status();
    ASSERT_TRUE(got.ok()) << got.status();
    double norm = 0;
    for (float v : (*want)[0].f) norm += double(v) * v;
    EXPECT_GT(norm, 1e-3);
    if (s == 1) {
      // 4 units (3 routed + shared) x 3 matrices: one probe each, then per thread W1 and W3
      // (phase 1) and W2 (phase 2).
      EXPECT_EQ(kernels.row_calls.load() - before, 4 * 3 + 4 * 3 * 2);
      EXPECT_TRUE(kernels.threads_seen[0] && kernels.threads_seen[1]);
      EXPECT_LE(testing::RelL2((*got)[0].f, (*want)[0].f), 2e-6);
    } else {
      // Expert 2 has two rows: these kernels take one row only, so the probe refuses and the
      // units run one by one on the reference path: exactly the reference.
      EXPECT_EQ((*got)[0].f, (*want)[0].f);
    }
  }
}

}  // namespace
}  // namespace dsc::runtime
