// Scales the profiled per-layer costs of the full-layer preset to the 671B model.
#include "tools/dsc/bench_projection.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace dsc::cli {

absl::StatusOr<Projection> ProjectFullModel(const BenchResult& r, const frontend::ModelConfig& config) {
  if (config.n_layers < 2 || config.IsMoeLayer(0) || !config.IsMoeLayer(1)) {
    return absl::InvalidArgumentError(
        "--projection needs layer 0 dense and layer 1 MoE: a checkpoint from `dsc synth --preset full-layer`");
  }
  Projection p;
  p.full_shapes = config.dim == 7168 && config.n_routed_experts == 256 && config.moe_inter_dim == 2048 &&
                  config.inter_dim == 18432 && config.vocab_size == 129280;
  p.prompt = r.prompt;
  p.bandwidth = r.bandwidth.best();
  const double steps = static_cast<double>(r.profiler->CountPhases("decode"));
  auto cost = [](const std::map<int, runtime::ProfileTotals>& by, int layer, double per) {
    auto it = by.find(layer);
    if (it == by.end() || per <= 0) return LayerCost{};
    return LayerCost{it->second.seconds / per, static_cast<double>(it->second.bytes) / per};
  };
  const auto decode = r.profiler->ByLayer("decode");
  p.decode_prelude = cost(decode, runtime::kPreludeLayer, steps);
  p.decode_dense = cost(decode, 0, steps);
  p.decode_moe = cost(decode, 1, steps);
  p.decode_head = cost(decode, runtime::kHeadLayer, steps);
  const auto prefill = r.profiler->ByLayer("prefill");
  p.prefill_prelude = cost(prefill, runtime::kPreludeLayer, 1);
  p.prefill_dense = cost(prefill, 0, 1);
  p.prefill_moe = cost(prefill, 1, 1);
  p.prefill_head = cost(prefill, runtime::kHeadLayer, 1);
  return p;
}

nlohmann::json ProjectionJson(const Projection& p) {
  auto layer = [](const LayerCost& d, const LayerCost& f) {
    return nlohmann::json{{"decode_s_per_token", d.seconds}, {"decode_bytes_per_token", d.bytes}, {"prefill_s", f.seconds}};
  };
  const double decode_s = p.decode_s(), bound_s = p.bound_s(), prefill_s = p.prefill_s();
  return nlohmann::json{
      {"full_shapes", p.full_shapes},
      {"dense_layers", kFullDenseLayers},
      {"moe_layers", kFullMoeLayers},
      {"prefill_tokens", p.prompt},
      {"bandwidth_bytes_s", p.bandwidth},
      {"embedding", layer(p.decode_prelude, p.prefill_prelude)},
      {"dense_layer", layer(p.decode_dense, p.prefill_dense)},
      {"moe_layer", layer(p.decode_moe, p.prefill_moe)},
      {"head", layer(p.decode_head, p.prefill_head)},
      {"decode_s_per_token", decode_s},
      {"decode_tok_s", decode_s > 0 ? 1 / decode_s : 0},
      {"decode_bytes_per_token", p.decode_bytes()},
      {"bound_s_per_token", bound_s},
      {"bound_tok_s", bound_s > 0 ? 1 / bound_s : 0},
      {"decode_over_bound", bound_s > 0 ? decode_s / bound_s : 0},
      {"prefill_s", prefill_s},
      {"prefill_tok_s", prefill_s > 0 ? p.prompt / prefill_s : 0},
  };
}

std::string ProjectionTable(const Projection& p) {
  std::string out = absl::StrFormat(
      "Full-model projection (DeepSeek V3.2 671B: %d dense + %d MoE layers)%s\n", kFullDenseLayers, kFullMoeLayers,
      p.full_shapes ? "" : "  [WARNING: the checkpoint does not have the 671B widths]");
  out += absl::StrFormat("%-22s %8s %14s %14s %12s %14s\n", "part", "count", "decode ms/tok", "decode MB/tok",
                         "decode GB/s", "prefill s");
  auto row = [&](const char* name, int64_t count, const LayerCost& d, const LayerCost& f) {
    out += absl::StrFormat("%-22s %8d %14.3f %14.2f %12.2f %14.3f\n", name, count, d.seconds * 1e3, d.bytes / 1e6,
                           d.seconds > 0 ? d.bytes / d.seconds / 1e9 : 0.0, f.seconds);
  };
  row("embedding", 1, p.decode_prelude, p.prefill_prelude);
  row("dense layer (layer 0)", kFullDenseLayers, p.decode_dense, p.prefill_dense);
  row("MoE layer (layer 1)", kFullMoeLayers, p.decode_moe, p.prefill_moe);
  row("final norm + lm_head", 1, p.decode_head, p.prefill_head);
  const double decode_s = p.decode_s(), bound_s = p.bound_s(), prefill_s = p.prefill_s();
  out += absl::StrFormat("projected decode:  %.3f s/token = %.3f tok/s\n", decode_s, decode_s > 0 ? 1 / decode_s : 0);
  out += absl::StrFormat("bytes-per-token bound: %.2f GB/token / %.2f GB/s = %.3f s/token = %.3f tok/s\n",
                         p.decode_bytes() / 1e9, p.bandwidth / 1e9, bound_s, bound_s > 0 ? 1 / bound_s : 0);
  out += absl::StrFormat("projected / bound: %.3fx\n", bound_s > 0 ? decode_s / bound_s : 0);
  out += absl::StrFormat("projected prefill (%d tokens): %.1f s = %.2f tok/s\n", p.prompt, prefill_s,
                         prefill_s > 0 ? p.prompt / prefill_s : 0);
  return out;
}

}  // namespace dsc::cli
