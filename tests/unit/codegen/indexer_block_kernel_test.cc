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
#include "runtime/interp/interpreter.h"
#include "tests/unit/codegen/linear_test_util.h"
#include "tests/unit/runtime/attention_cases.h"

namespace dsc::codegen {
namespace {

using runtime::testing::IndexerInputs;

class IndexerBlockKernelTest : public testing::JitTargetTest {};

TEST_P(IndexerBlockKernelTest, BitIdenticalToTheReference) {
  LinearKernelSpec spec;
  spec.kind = LinearKernelKind::kIndexerBlock;
  spec.n = spec.k = runtime::testing::kIndexerDim;
  absl::StatusOr<dsc_linear_kernel> kernel = CompileLinearKernel(*jit_, spec);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  ASSERT_EQ(kernel->info.format, DSC_KERNEL_INDEXER_BLOCK);
  testing::CompiledKernelsOnly compiled;
  compiled.indexer = reinterpret_cast<dsc_indexer_block_fn>(kernel->fn);

  absl::StatusOr<std::unique_ptr<ir::Module>> module = ir::ParseModule(runtime::testing::kIndexerModule, "indexer.ir");
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
          reference.Run(func, symbols, IndexerInputs(s, t, causal, seed), s1.get());
      const int before = compiled.requests;
      absl::StatusOr<std::vector<runtime::Tensor>> got = fast.Run(func, symbols, IndexerInputs(s, t, causal, seed), s2.get());
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
