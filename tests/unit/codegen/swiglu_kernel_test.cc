// The JIT's SwiGLU kernel (codegen/emit_swiglu.cc) against ref::SwiGlu on every ISA path, bit
// for bit (both exponentiate with numerics::ExpF): ragged lengths (vectors and a masked tail),
// in place, and the gates where exp clamps, overflows or underflows, ±0, ±inf, NaN.
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <vector>

#include "codegen/jit.h"
#include "codegen/linear_kernels.h"
#include "gtest/gtest.h"
#include "runtime/interp/kernels_elementwise.h"
#include "tests/unit/codegen/linear_test_util.h"

namespace dsc::codegen {
namespace {

class SwiGluKernelTest : public testing::JitTargetTest {
 protected:
  void SetUp() override {
    testing::JitTargetTest::SetUp();
    fn_ = testing::CompileArgumentSizedKernel<dsc_swiglu_fn>(*jit_, LinearKernelKind::kSwiGlu,
                                                             DSC_KERNEL_SWIGLU);
    ASSERT_NE(fn_, nullptr);
  }

  // The kernel's y for gate and up (y[n] must keep its sentinel).
  std::vector<float> Run(const std::vector<float>& gate, const std::vector<float>& up) {
    std::vector<float> y(gate.size() + 1, testing::kSentinel);
    const dsc_swiglu_args args = {gate.data(), up.data(), y.data(), static_cast<int64_t>(gate.size())};
    fn_(&args);
    EXPECT_EQ(y.back(), testing::kSentinel);
    y.pop_back();
    return y;
  }

  // Every element the reference's bits (NaN payloads included).
  static void ExpectSame(const std::vector<float>& y, const std::vector<float>& gate, const std::vector<float>& up) {
    std::vector<float> ref(gate.size());
    runtime::ref::SwiGlu(gate.data(), up.data(), static_cast<int64_t>(gate.size()), ref.data());
    ASSERT_EQ(y.size(), ref.size());
    for (size_t i = 0; i < y.size(); ++i) {
      EXPECT_EQ(std::memcmp(&y[i], &ref[i], sizeof(float)), 0)
          << "gate " << gate[i] << " up " << up[i] << " ref " << ref[i] << " got " << y[i];
    }
  }

  dsc_swiglu_fn fn_ = nullptr;
};

TEST_P(SwiGluKernelTest, RaggedLengthsMatchTheReference) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-12.0f, 12.0f);
  for (int n : {1, 3, 4, 5, 8, 15, 16, 17, 33, 100, 1024, 1029}) {
    std::vector<float> gate(n), up(n);
    for (int i = 0; i < n; ++i) {
      gate[i] = dist(rng);
      up[i] = dist(rng);
    }
    SCOPED_TRACE(::testing::Message() << "n " << n);
    ExpectSame(Run(gate, up), gate, up);
  }
}

TEST_P(SwiGluKernelTest, InPlaceOverTheGate) {
  std::vector<float> gate = {-3.5f, -0.25f, 0.0f, 0.75f, 2.0f, 9.5f, -7.0f, 1.0f, 0.5f};
  const std::vector<float> up = {1.5f, -2.0f, 3.0f, 0.5f, -1.0f, 2.0f, 4.0f, -0.5f, 7.0f};
  const std::vector<float> original = gate;
  const dsc_swiglu_args args = {gate.data(), up.data(), gate.data(), static_cast<int64_t>(gate.size())};
  fn_(&args);
  ExpectSame(gate, original, up);
}

TEST_P(SwiGluKernelTest, ExtremeGatesMatchTheReference) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> gate = {-200.0f, -104.0f, -88.8f,  -88.72f, -88.0f, -87.0f, -86.6f, -50.0f, -1e-30f,
                                   -0.0f,   0.0f,    1e-30f,  20.0f,   50.0f,  86.4f,  86.6f,  87.5f,  88.0f,
                                   89.0f,   104.0f,  300.0f,  -inf,    inf,    NAN,    1e-3f,  -1e-3f, 0.3466f};
  const std::vector<float> up(gate.size(), 1.75f);
  ExpectSame(Run(gate, up), gate, up);
}

TEST_P(SwiGluKernelTest, ZeroLengthTouchesNothing) {
  float y = testing::kSentinel;
  const float gate = 1.0f, up = 2.0f;
  const dsc_swiglu_args args = {&gate, &up, &y, 0};
  fn_(&args);
  EXPECT_EQ(y, testing::kSentinel);
}

INSTANTIATE_TEST_SUITE_P(Isa, SwiGluKernelTest, ::testing::Values("host", "x86-64-v3", "x86-64"),
                         testing::IsaParamName);

}  // namespace
}  // namespace dsc::codegen
