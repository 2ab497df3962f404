// The `dsc inspect` report: what a checkpoint directory holds (architecture, layer and expert
// counts, formats per module kind, bytes by dtype, total and active parameters, missing and
// unexpected tensors), computed by the library and rendered as text or JSON (cli.md).
#ifndef DSC_FRONTEND_INSPECT_H_
#define DSC_FRONTEND_INSPECT_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "frontend/model_config.h"
#include "nlohmann/json.hpp"

namespace dsc::frontend {

struct InspectReport {
  std::string dir;
  std::string config_path;
  ModelConfig config;
  std::string naming;  // "HF" or "official"
  int64_t shard_count = 0;
  int64_t tensor_count = 0;
  std::string quantization;  // one line: what config.json / hf_quant_config.json declare
  // Module kind ("attn.wq_a", "ffn.experts.w1", ...) → format name → modules, in model order.
  std::vector<std::pair<std::string, std::map<std::string, int64_t>>> formats_by_kind;
  std::map<std::string, uint64_t> bytes_by_dtype;  // every tensor of every shard
  uint64_t total_bytes = 0;
  int64_t total_params = 0;   // main model (MTP excluded)
  int64_t active_params = 0;  // non-expert + n_activated_experts routed experts per MoE layer
  std::vector<std::string> missing;     // required tensors that are absent
  std::vector<std::string> unexpected;  // tensors no module uses
  std::vector<std::string> notes;       // MTP exclusion, ignored files, index remarks, ...
};

// Opens and validates the checkpoint in `dir` (config.json, or `official_config` when not
// empty). Missing tensors are reported in the result, not as an error; every other problem
// (bad file, bad config, wrong shape, bad scale) is an error naming file, tensor or field.
absl::StatusOr<InspectReport> InspectCheckpoint(const std::string& dir,
                                                const std::string& official_config = "");

std::string InspectReportText(const InspectReport& report);
nlohmann::ordered_json InspectReportJson(const InspectReport& report);

}  // namespace dsc::frontend

#endif  // DSC_FRONTEND_INSPECT_H_
