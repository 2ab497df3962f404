// The JIT's prefill-attention kernel (codegen/emit_attention_block.cc), run by the interpreter's
// fast attention path as the engine runs it, against the reference interpreter, bit for bit, on
// every ISA path: 16-row blocks with 1..16 rows, a head dim that fills no vector (19), a value
// dim of two 16-column tiles and a tail (37), causal with a cache prefix and without, an
// additive mask with dropped (−inf) keys, a row with every key dropped (NaN), and an infinite
// value (the reference's skipped p == 0 terms).
#include <cmath>
#include <cstring>
#include <limits>
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

using runtime::testing::kAttentionQk;
using runtime::testing::kAttentionV;
using runtime::testing::AttentionInputs;

class AttentionBlockKernelTest : public testing::JitTargetTest {
 protected:
  void SetUp() override {
    testing::JitTargetTest::SetUp();
    LinearKernelSpec spec;
    spec.kind = LinearKernelKind::kAttentionBlock;
    spec.n = kAttentionV;
    spec.k = kAttentionQk;
    absl::StatusOr<dsc_linear_kernel> kernel = CompileLinearKernel(*jit_, spec);
    ASSERT_TRUE(kernel.ok()) << kernel.status();
    ASSERT_EQ(kernel->info.format, DSC_KERNEL_ATTENTION_BLOCK);
    compiled_ = std::make_unique<testing::CompiledKernelsOnly>();
    compiled_->attention = reinterpret_cast<dsc_attention_block_fn>(kernel->fn);
    absl::StatusOr<std::unique_ptr<ir::Module>> module = ir::ParseModule(runtime::testing::kAttentionModule, "attention.ir");
    ASSERT_TRUE(module.ok()) << module.status();
    module_ = std::move(*module);
    auto no_constants = [](const ir::TensorRef&) -> absl::StatusOr<const uint8_t*> { return nullptr; };
    reference_ = std::make_unique<runtime::Interpreter>(*module_, no_constants);
    fast_ = std::make_unique<runtime::Interpreter>(*module_, no_constants);
    fast_->set_fast_linear(compiled_.get());
  }

  void ExpectReferenceBits(const std::string& func, const ir::SymbolBindings& symbols,
                           const std::vector<runtime::Tensor>& in, bool all_finite = true) {
    std::unique_ptr<runtime::SequenceState> s1 = reference_->NewSequence(), s2 = fast_->NewSequence();
    absl::StatusOr<std::vector<runtime::Tensor>> want = reference_->Run(func, symbols, in, s1.get());
    const int before = compiled_->requests;
    absl::StatusOr<std::vector<runtime::Tensor>> got = fast_->Run(func, symbols, in, s2.get());
    ASSERT_TRUE(want.ok()) << want.status();
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(compiled_->requests, before + 2);  // both attention ops took the compiled path
    for (int i = 0; i < 2; ++i) {
      const auto& w = (*want)[i].f;
      ASSERT_EQ((*got)[i].f.size(), w.size());
      EXPECT_EQ(std::memcmp((*got)[i].f.data(), w.data(), w.size() * sizeof(float)), 0) << "result " << i;
      int finite_nonzero = 0;
      for (float x : w) finite_nonzero += std::isfinite(x) && x != 0.0f;
      // Real values in every row but the one whose keys the mask all dropped (NaN).
      const int rows = static_cast<int>(w.size() / (runtime::testing::kAttentionHeads * kAttentionV));
      if (all_finite) {
        EXPECT_GE(finite_nonzero, (rows - 1) * runtime::testing::kAttentionHeads * kAttentionV);
      } else {
        EXPECT_LT(finite_nonzero, static_cast<int>(w.size()));  // the infinity got through
      }
    }
  }

  std::unique_ptr<testing::CompiledKernelsOnly> compiled_;
  std::unique_ptr<ir::Module> module_;
  std::unique_ptr<runtime::Interpreter> reference_, fast_;
};

TEST_P(AttentionBlockKernelTest, BitIdenticalToTheReference) {
  for (auto [s, p] : std::vector<std::pair<int64_t, int64_t>>{{1, 0}, {2, 9}, {16, 0}, {17, 5}, {37, 0}, {50, 23}}) {
    for (const char* func : {"causal", "full"}) {
      SCOPED_TRACE(::testing::Message() << "S=" << s << " P=" << p << " " << func);
      const bool causal = std::string(func) == "causal";
      const int64_t t = causal ? p + s : p + 2 * s + 1;
      const ir::SymbolBindings symbols =
          causal ? ir::SymbolBindings{{"S", s}, {"P", p}} : ir::SymbolBindings{{"S", s}, {"T", t}};
      ExpectReferenceBits(func, symbols, AttentionInputs(s, t, static_cast<uint32_t>(100 * s + p)));
      if (HasFatalFailure()) return;
    }
  }
}

TEST_P(AttentionBlockKernelTest, InfiniteValuesGiveTheReferenceBits) {
  const int64_t s = 33, p = 4, t = p + s;
  std::vector<runtime::Tensor> in = AttentionInputs(s, t, 7);
  in[2].f[(20 * runtime::testing::kAttentionHeads + 1) * kAttentionV + 17] = std::numeric_limits<float>::infinity();  // key 20, head 1
  ExpectReferenceBits("causal", {{"S", s}, {"P", p}}, in, /*all_finite=*/false);
}

INSTANTIATE_TEST_SUITE_P(Isa, AttentionBlockKernelTest, ::testing::Values("host", "x86-64-v3", "x86-64"),
                         testing::IsaParamName);

}  // namespace
}  // namespace dsc::codegen
