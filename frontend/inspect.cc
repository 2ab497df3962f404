// Builds the `dsc inspect` report from Checkpoint + ModelConfig + ModelWeights and renders it
// as aligned text or JSON.
#include "frontend/inspect.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "frontend/checkpoint.h"
#include "frontend/model_weights.h"

namespace dsc::frontend {
namespace {

// "1,234,567".
std::string Grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string HumanBytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(n);
  int unit = 0;
  while (value >= 1024 && unit < 4) value /= 1024, ++unit;
  return unit == 0 ? absl::StrCat(n, " B") : absl::StrFormat("%.2f %s", value, units[unit]);
}

// What config.json and hf_quant_config.json declare, and whether the tensors agree with the
// exclude list (the tensors are authoritative, §5: a disagreement is only a note).
std::string DescribeQuantization(const Checkpoint& ckpt, const ModelConfig& config,
                                 const ModelWeights& weights, std::vector<std::string>& notes) {
  std::string line = config.quant_method.empty()
                         ? std::string("config: none")
                         : absl::StrCat("config: ", config.quant_method, " (", config.dtype, ")");
  if (!config.scale_fmt.empty()) absl::StrAppend(&line, ", scale_fmt ", config.scale_fmt);
  const auto& meta = ckpt.quantization();
  if (!meta) return line;
  absl::StrAppend(&line, "; hf_quant_config.json: ", meta->quant_algo, " group ",
                  meta->group_size, " (", meta->producer, ")");
  int64_t disagreements = 0;
  std::string example;
  for (const ModuleWeights& m : weights.modules()) {
    if (!m.is_linear) continue;
    std::optional<std::string> hf = OfficialToHfName(m.name + ".weight");
    if (!hf) continue;
    const std::string module = hf->substr(0, hf->size() - 7);  // drop ".weight"
    const bool excluded = MatchesExcludePattern(module, meta->exclude_modules);
    if (excluded == (m.format == WeightFormat::kNvfp4)) {
      if (disagreements++ == 0) {
        example = absl::StrCat(module, " is ", std::string(WeightFormatName(m.format)),
                               excluded ? " but excluded" : " but not excluded");
      }
    }
  }
  if (disagreements > 0) {
    notes.push_back(absl::StrCat(disagreements, " module(s) disagree with ", meta->path,
                                 " exclude_modules (tensors win), e.g. ", example));
  }
  return line;
}

}  // namespace

absl::StatusOr<InspectReport> InspectCheckpoint(const std::string& dir,
                                                const std::string& official_config) {
  absl::StatusOr<std::unique_ptr<Checkpoint>> ckpt = Checkpoint::Open(dir);
  if (!ckpt.ok()) return ckpt.status();
  InspectReport r;
  r.dir = dir;
  r.config_path = official_config.empty()
                      ? (std::filesystem::path(dir) / "config.json").string()
                      : official_config;
  absl::StatusOr<ModelConfig> config = official_config.empty()
                                           ? LoadHfConfig(r.config_path)
                                           : LoadOfficialConfig(r.config_path);
  if (!config.ok()) return config.status();
  r.config = *config;
  WeightCheckOptions options;
  options.allow_missing = true;
  absl::StatusOr<ModelWeights> weights = ModelWeights::Build(**ckpt, r.config, options);
  if (!weights.ok()) return weights.status();

  r.naming = weights->naming() == NamingStyle::kHf ? "HF" : "official";
  r.shard_count = static_cast<int64_t>((*ckpt)->files().size());
  r.tensor_count = static_cast<int64_t>((*ckpt)->tensors().size());
  for (const TensorView* t : (*ckpt)->tensors()) {
    r.bytes_by_dtype[std::string(StDtypeName(t->dtype))] += t->nbytes;
    r.total_bytes += t->nbytes;
  }
  for (const ModuleWeights& m : weights->modules()) {
    auto it = std::find_if(r.formats_by_kind.begin(), r.formats_by_kind.end(),
                           [&](const auto& entry) { return entry.first == m.kind; });
    if (it == r.formats_by_kind.end()) {
      r.formats_by_kind.emplace_back(m.kind, std::map<std::string, int64_t>());
      it = std::prev(r.formats_by_kind.end());
    }
    it->second[std::string(WeightFormatName(m.format))]++;
  }
  r.total_params = weights->total_params();
  r.active_params = weights->active_params();
  r.missing = weights->missing_tensors();
  r.unexpected = weights->unexpected_tensors();
  r.notes = (*ckpt)->notes();
  r.notes.insert(r.notes.end(), weights->notes().begin(), weights->notes().end());
  for (const std::string& key : r.config.ignored_keys) {
    r.notes.push_back(absl::StrCat(r.config_path, ": key '", key, "' is not a ModelArgs field"));
  }
  r.quantization = DescribeQuantization(**ckpt, r.config, *weights, r.notes);
  return r;
}

std::string InspectReportText(const InspectReport& r) {
  const ModelConfig& c = r.config;
  std::string out;
  auto row = [&](std::string_view label, const std::string& value) {
    absl::StrAppendFormat(&out, "%-18s %s\n", std::string(label), value);
  };
  row("checkpoint", absl::StrCat(r.dir, " (", r.shard_count, " shard(s), ", r.tensor_count,
                                 " tensors, ", r.naming, " names)"));
  row("architecture", absl::StrCat(c.architecture, c.model_type.empty() ? "" : " (",
                                   c.model_type, c.model_type.empty() ? "" : ")"));
  row("layers", absl::StrCat(c.n_layers, " (", c.n_dense_layers, " dense, ", c.n_moe_layers(),
                             " MoE)", c.num_nextn_predict_layers > 0
                                          ? absl::StrCat(" + ", c.num_nextn_predict_layers, " MTP")
                                          : ""));
  row("dims", absl::StrCat("hidden ", c.dim, ", vocab ", c.vocab_size, ", heads ", c.n_heads,
                           ", q_lora ", c.q_lora_rank, ", kv_lora ", c.kv_lora_rank,
                           ", qk ", c.qk_nope_head_dim, "+", c.qk_rope_head_dim, ", v ",
                           c.v_head_dim));
  row("experts", absl::StrCat(c.n_routed_experts, " routed (top-", c.n_activated_experts, ", ",
                              c.n_expert_groups, " groups / ", c.n_limited_groups, " kept), ",
                              c.n_shared_experts, " shared, hidden ", c.moe_inter_dim));
  if (c.has_indexer()) {
    row("indexer", absl::StrCat(c.index_n_heads, " heads x ", c.index_head_dim, ", top-k ",
                                c.index_topk));
  }
  row("quantization", r.quantization);
  row("parameters", absl::StrCat("total ", Grouped(r.total_params), ", active per token ",
                                 Grouped(r.active_params)));
  std::vector<std::string> bytes;
  for (const auto& [dtype, n] : r.bytes_by_dtype) {
    bytes.push_back(absl::StrCat(dtype, " ", HumanBytes(n)));
  }
  row("bytes by dtype", absl::StrCat(absl::StrJoin(bytes, ", "), "; total ",
                                     HumanBytes(r.total_bytes), " (", Grouped(r.total_bytes), ")"));
  out += "formats by module kind\n";
  for (const auto& [kind, formats] : r.formats_by_kind) {
    std::vector<std::string> parts;
    for (const auto& [format, n] : formats) parts.push_back(absl::StrCat(format, " x", n));
    absl::StrAppendFormat(&out, "  %-28s %s\n", kind, absl::StrJoin(parts, ", "));
  }
  auto list = [&](std::string_view label, const std::vector<std::string>& names) {
    row(label, names.empty() ? std::string("none") : absl::StrCat(names.size()));
    for (size_t i = 0; i < names.size() && i < 20; ++i) absl::StrAppend(&out, "  ", names[i], "\n");
    if (names.size() > 20) absl::StrAppend(&out, "  ... and ", names.size() - 20, " more\n");
  };
  list("missing tensors", r.missing);
  list("unexpected", r.unexpected);
  for (const std::string& note : r.notes) absl::StrAppend(&out, "note: ", note, "\n");
  return out;
}

nlohmann::ordered_json InspectReportJson(const InspectReport& r) {
  const ModelConfig& c = r.config;
  nlohmann::ordered_json j;
  j["dir"] = r.dir;
  j["config"] = r.config_path;
  j["architecture"] = c.architecture;
  j["model_type"] = c.model_type;
  j["naming"] = r.naming;
  j["shards"] = r.shard_count;
  j["tensors"] = r.tensor_count;
  j["layers"] = {{"total", c.n_layers}, {"dense", c.n_dense_layers}, {"moe", c.n_moe_layers()},
                 {"mtp", c.num_nextn_predict_layers}};
  j["dims"] = {{"vocab_size", c.vocab_size}, {"dim", c.dim}, {"n_heads", c.n_heads},
               {"q_lora_rank", c.q_lora_rank}, {"kv_lora_rank", c.kv_lora_rank},
               {"qk_nope_head_dim", c.qk_nope_head_dim}, {"qk_rope_head_dim", c.qk_rope_head_dim},
               {"v_head_dim", c.v_head_dim}, {"inter_dim", c.inter_dim},
               {"moe_inter_dim", c.moe_inter_dim}};
  j["experts"] = {{"routed", c.n_routed_experts}, {"shared", c.n_shared_experts},
                  {"activated", c.n_activated_experts}, {"groups", c.n_expert_groups},
                  {"limited_groups", c.n_limited_groups}};
  j["indexer"] = c.has_indexer() ? nlohmann::ordered_json{{"n_heads", c.index_n_heads},
                                                          {"head_dim", c.index_head_dim},
                                                          {"topk", c.index_topk}}
                                 : nlohmann::ordered_json(nullptr);
  j["quantization"] = r.quantization;
  j["formats"] = nlohmann::ordered_json::object();
  for (const auto& [kind, formats] : r.formats_by_kind) j["formats"][kind] = formats;
  j["bytes_by_dtype"] = r.bytes_by_dtype;
  j["total_bytes"] = r.total_bytes;
  j["params"] = {{"total", r.total_params}, {"active", r.active_params}};
  j["missing"] = r.missing;
  j["unexpected"] = r.unexpected;
  j["notes"] = r.notes;
  return j;
}

}  // namespace dsc::frontend
