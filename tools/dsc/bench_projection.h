// Full-model projection from the full-layer preset (one dense and one MoE layer at the 671B
// shapes): per-layer decode and prefill times from the profiled run, scaled to DeepSeek V3.2's
// 3 dense + 58 MoE layers plus embedding and lm_head, next to the bytes-per-token bound.
#ifndef DSC_TOOLS_DSC_BENCH_PROJECTION_H_
#define DSC_TOOLS_DSC_BENCH_PROJECTION_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "frontend/model_config.h"
#include "nlohmann/json.hpp"
#include "tools/dsc/bench_measure.h"

namespace dsc::cli {

// Layers of the full DeepSeek V3 / V3.2 671B model.
inline constexpr int64_t kFullDenseLayers = 3;
inline constexpr int64_t kFullMoeLayers = 58;

struct LayerCost {
  double seconds = 0;  // per token (decode) or per prompt (prefill)
  double bytes = 0;    // read per decode token
};

struct Projection {
  bool full_shapes = false;  // the checkpoint has the 671B widths (dim 7168, 256 experts)
  int64_t prompt = 0;
  LayerCost decode_prelude, decode_dense, decode_moe, decode_head;
  LayerCost prefill_prelude, prefill_dense, prefill_moe, prefill_head;
  double bandwidth = 0;

  double decode_s() const {
    return decode_prelude.seconds + kFullDenseLayers * decode_dense.seconds + kFullMoeLayers * decode_moe.seconds +
           decode_head.seconds;
  }
  double decode_bytes() const {
    return decode_prelude.bytes + kFullDenseLayers * decode_dense.bytes + kFullMoeLayers * decode_moe.bytes +
           decode_head.bytes;
  }
  double bound_s() const { return bandwidth > 0 ? decode_bytes() / bandwidth : 0; }
  double prefill_s() const {
    return prefill_prelude.seconds + kFullDenseLayers * prefill_dense.seconds +
           kFullMoeLayers * prefill_moe.seconds + prefill_head.seconds;
  }
};

// Needs layer 0 dense and layer 1 MoE (the full-layer preset); InvalidArgument otherwise.
absl::StatusOr<Projection> ProjectFullModel(const BenchResult& r, const frontend::ModelConfig& config);

nlohmann::json ProjectionJson(const Projection& p);
std::string ProjectionTable(const Projection& p);

}  // namespace dsc::cli

#endif  // DSC_TOOLS_DSC_BENCH_PROJECTION_H_
