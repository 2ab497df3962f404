// Baselines for `dsc bench --baselines`, on the same weights as the measured decode step of
// one dense and one MoE layer (its NVFP4 products: attention projections, the dense MLP or the
// top-k routed experts plus the shared expert): the seed's method (every call dequantizes each
// NVFP4 matrix to BF16, then a oneDNN BF16 matmul) and oneDNN's BF16 matmul on weights
// dequantized beforehand. Both at M = 1 (decode) on the run's thread count.
#ifndef DSC_TOOLS_DSC_BENCH_BASELINES_H_
#define DSC_TOOLS_DSC_BENCH_BASELINES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tools/dsc/bench_measure.h"

namespace dsc::cli {

struct LayerBaseline {
  int layer = 0;
  bool moe = false;
  int64_t matrices = 0;
  double weight_bytes = 0;     // NVFP4 bytes of those matrices
  double ours_layer_s = 0;     // the whole layer, per decode token (profiled run)
  double ours_products_s = 0;  // its ops that read those matrices
  double seed_s = 0;           // dequantize to BF16 per call + oneDNN BF16 matmul
  double onednn_bf16_s = 0;    // oneDNN BF16 matmul on pre-dequantized weights
};

// The first dense and the first MoE layer of the model (those it has).
absl::StatusOr<std::vector<LayerBaseline>> MeasureLayerBaselines(const BenchResult& r, int threads);

nlohmann::json BaselinesJson(const std::vector<LayerBaseline>& b);
std::string BaselinesTable(const std::vector<LayerBaseline>& b);

}  // namespace dsc::cli

#endif  // DSC_TOOLS_DSC_BENCH_BASELINES_H_
