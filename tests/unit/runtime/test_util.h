// Small helpers shared by the runtime kernel tests: seeded random inputs and error metrics.
#ifndef DSC_TESTS_UNIT_RUNTIME_TEST_UTIL_H_
#define DSC_TESTS_UNIT_RUNTIME_TEST_UTIL_H_

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace dsc::runtime::testing {

// n uniform values in [lo, hi), never all zero, reproducible from `seed`.
inline std::vector<float> RandomVector(int64_t n, uint32_t seed, float lo = -1.0f,
                                       float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// ‖actual − expected‖₂ / ‖expected‖₂ (double accumulation).
template <typename A, typename E>
double RelL2(const A& actual, const E& expected) {
  double diff = 0.0, norm = 0.0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const double d = static_cast<double>(actual[i]) - static_cast<double>(expected[i]);
    diff += d * d;
    norm += static_cast<double>(expected[i]) * static_cast<double>(expected[i]);
  }
  return std::sqrt(diff / norm);
}

}  // namespace dsc::runtime::testing

#endif  // DSC_TESTS_UNIT_RUNTIME_TEST_UTIL_H_
