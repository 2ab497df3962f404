// The JIT's indexer prefill-score kernel (EmitIndexerBlock, codegen/emit_indexer_scores.cc), run
// by the interpreter's fast indexer path as the engine runs it, against the reference
// interpreter, bit for bit, on every ISA path: blocks of 2..16 rows, a head count of 19, a head
// dim of 24, causal with a cache prefix and without, FP8 keys with per-key scales and float
// keys without, dot products that are exactly zero or negative zero.
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "gtest/gtest.h"
#include "ir/parser.h"
#include "numerics/scalar_formats.h"
#include "runtime/interp/interpreter.h"
#include "tests/unit/codegen/linear_test_util.h"

namespace dsc::codegen {
namespace {

constexpr int64_t kHeads = 19, kDim = 24;

const char* kModule = R"(module @m {
  func @causal[S, P](%q: f32[S,19,24], %w: f32[S,19], %k: f8e4m3[P+S,24], %ks: f32[P+S,1]) -> (f32[S,P+S]) {
    %y = indexer_score %q, %w, %k, %ks {scale = 0.2041, causal = true, start = P} : f32[S,P+S]
    return %y
  }
  func @full[S, T](%q: f32[S,19,24], %w: f32[S,19], %k: f32[T,24]) -> (f32[S,T]) {
    %y = indexer_score %q, %w, %k {scale = 0.37, causal = false} : f32[S,T]
    return %y
  }
})";

// E4M3 values, as the indexer's quantized q and k are; every 7th one zero.
runtime::Tensor Fp8Values(runtime::Dims shape, uint32_t seed, ir::DType dtype) {
  runtime::Tensor x = runtime::Tensor::Float(std::move(shape), dtype);
  std::mt19937 rng(seed);
  for (size_t i = 0; i < x.f.size(); ++i) {
    const auto code = static_cast<uint8_t>(rng() % 0x7E + (rng() % 2 == 0 ? 0x80 : 0));
    x.f[i] = i % 7 == 0 ? 0.0f : numerics::DecodeE4m3(code);
  }
  return x;
}

std::vector<runtime::Tensor> Inputs(int64_t s, int64_t t, bool fp8_keys, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> weights(-1.5f, 1.5f), key_scales(0.01f, 2.0f);
  std::vector<runtime::Tensor> in;
  in.push_back(Fp8Values({s, kHeads, kDim}, seed, ir::DType::kF32));
  runtime::Tensor w = runtime::Tensor::Float({s, kHeads});
  for (float& v : w.f) v = weights(rng);
  in.push_back(w);
  in.push_back(Fp8Values({t, kDim}, seed + 2, fp8_keys ? ir::DType::kF8E4M3 : ir::DType::kF32));
  if (fp8_keys) {
    runtime::Tensor ks = runtime::Tensor::Float({t, 1});
    for (float& v : ks.f) v = key_scales(rng);
    in.push_back(ks);
  }
  return in;
}

class IndexerBlockKernelTest : public testing::JitTargetTest {};

TEST_P(IndexerBlockKernelTest, BitIdenticalToTheReference) {
  LinearKernelSpec spec;
  spec.kind = LinearKernelKind::kIndexerBlock;
  spec.n = spec.k = kDim;
  absl::StatusOr<dsc_linear_kernel> kernel = CompileLinearKernel(*jit_, spec);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  ASSERT_EQ(kernel->info.format, DSC_KERNEL_INDEXER_BLOCK);
  testing::CompiledKernelsOnly compiled;
  compiled.indexer = reinterpret_cast<dsc_indexer_block_fn>(kernel->fn);

  absl::StatusOr<std::unique_ptr<ir::Module>> module = ir::ParseModule(kModule, "indexer.ir");
  ASSERT_TRUE(module.ok()) << module.status();
  auto no_constants = [](const ir::TensorRef&) -> absl::StatusOr<const uint8_t*> { return nullptr; };
  runtime::Interpreter reference(**module, no_constants), fast(**module, no_constants);
  fast.set_fast_linear(&compiled);
  for (auto [s, p] : std::vector<std::pair<int64_t, int64_t>>{{2, 0}, {3, 11}, {16, 0}, {17, 4}, {45, 0}, {33, 29}}) {
    for (bool causal : {true, false}) {
      SCOPED_TRACE(::testing::Message() << "S=" << s << " P=" << p << (causal ? " causal" : " full"));
      const uint32_t seed = static_cast<uint32_t>(100 * s + p);
      const int64_t t = causal ? p + s : p + 2 * s + 3;
      const ir::SymbolBindings symbols =
          causal ? ir::SymbolBindings{{"S", s}, {"P", p}} : ir::SymbolBindings{{"S", s}, {"T", t}};
      const char* func = causal ? "causal" : "full";
      std::unique_ptr<runtime::SequenceState> s1 = reference.NewSequence(), s2 = fast.NewSequence();
      absl::StatusOr<std::vector<runtime::Tensor>> want =
          reference.Run(func, symbols, Inputs(s, t, causal, seed), s1.get());
      const int before = compiled.requests;
      absl::StatusOr<std::vector<runtime::Tensor>> got = fast.Run(func, symbols, Inputs(s, t, causal, seed), s2.get());
      ASSERT_TRUE(want.ok()) << want.status();
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(compiled.requests, before + 1);  // the compiled path ran
      const runtime::Tensor& y = (*got)[0];
      const runtime::Tensor& x = (*want)[0];
      ASSERT_EQ(y.shape, x.shape);
      EXPECT_EQ(std::memcmp(y.f.data(), x.f.data(), x.f.size() * sizeof(float)), 0);
      int positive = 0;
      for (float v : x.f) positive += v > 0.0f;
      EXPECT_GE(positive, static_cast<int>(s / 2 + 1));  // real scores, not zeros
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, IndexerBlockKernelTest, ::testing::Values("host", "x86-64-v3", "x86-64"),
                         testing::IsaParamName);

}  // namespace
}  // namespace dsc::codegen
