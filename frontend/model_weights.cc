// Builds ModelWeights: lists the modules a config requires (checkpoint.md §4), finds each
// one's tensors under HF or official names, detects and validates its format, and sorts the
// rest into MTP (excluded), KV calibration scalars (ignored) and unexpected tensors.
#include "frontend/model_weights.h"

#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dsc::frontend {
namespace {

struct ExpectedModule {
  std::string name;
  std::string kind;
  int64_t layer = -1, expert = -1;
  bool is_linear = false, has_bias = false;
  std::vector<int64_t> shape;
};

// Every module of the main model, in model order, with its logical shape (§4.1–4.3).
std::vector<ExpectedModule> ExpectedModules(const ModelConfig& c) {
  std::vector<ExpectedModule> out;
  auto add = [&](int64_t layer, int64_t expert, const std::string& kind, bool linear,
                 std::vector<int64_t> shape, bool bias = false) {
    std::string name = kind;
    if (expert >= 0) {
      name = absl::StrCat("ffn.experts.", expert, kind.substr(std::string("ffn.experts").size()));
    }
    if (layer >= 0) name = absl::StrCat("layers.", layer, ".", name);
    out.push_back({name, kind, layer, expert, linear, bias, std::move(shape)});
  };
  const int64_t D = c.dim, H = c.n_heads, qk = c.qk_head_dim();
  add(-1, -1, "embed", false, {c.vocab_size, D});
  for (int64_t l = 0; l < c.n_layers; ++l) {
    add(l, -1, "attn_norm", false, {D});
    if (c.q_lora_rank > 0) {
      add(l, -1, "attn.wq_a", true, {c.q_lora_rank, D});
      add(l, -1, "attn.q_norm", false, {c.q_lora_rank});
      add(l, -1, "attn.wq_b", true, {H * qk, c.q_lora_rank});
    } else {
      add(l, -1, "attn.wq", true, {H * qk, D});
    }
    add(l, -1, "attn.wkv_a", true, {c.kv_lora_rank + c.qk_rope_head_dim, D});
    add(l, -1, "attn.kv_norm", false, {c.kv_lora_rank});
    add(l, -1, "attn.wkv_b", true, {H * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank});
    add(l, -1, "attn.wo", true, {D, H * c.v_head_dim});
    if (c.has_indexer()) {
      add(l, -1, "attn.indexer.wq_b", true, {c.index_n_heads * c.index_head_dim, c.q_lora_rank});
      add(l, -1, "attn.indexer.wk", true, {c.index_head_dim, D});
      add(l, -1, "attn.indexer.k_norm", false, {c.index_head_dim}, /*bias=*/true);
      add(l, -1, "attn.indexer.weights_proj", true, {c.index_n_heads, D});
    }
    add(l, -1, "ffn_norm", false, {D});
    if (!c.IsMoeLayer(l)) {
      add(l, -1, "ffn.w1", true, {c.inter_dim, D});
      add(l, -1, "ffn.w2", true, {D, c.inter_dim});
      add(l, -1, "ffn.w3", true, {c.inter_dim, D});
      continue;
    }
    add(l, -1, "ffn.gate", true, {c.n_routed_experts, D}, c.topk_method == "noaux_tc");
    for (int64_t e = 0; e < c.n_routed_experts; ++e) {
      add(l, e, "ffn.experts.w1", true, {c.moe_inter_dim, D});
      add(l, e, "ffn.experts.w2", true, {D, c.moe_inter_dim});
      add(l, e, "ffn.experts.w3", true, {c.moe_inter_dim, D});
    }
    if (c.n_shared_experts > 0) {
      const int64_t shared = c.n_shared_experts * c.moe_inter_dim;
      add(l, -1, "ffn.shared_experts.w1", true, {shared, D});
      add(l, -1, "ffn.shared_experts.w2", true, {D, shared});
      add(l, -1, "ffn.shared_experts.w3", true, {shared, D});
    }
  }
  add(-1, -1, "norm", false, {D});
  add(-1, -1, "head", true, {c.vocab_size, D});
  return out;
}

int64_t Product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

}  // namespace

int64_t ModuleWeights::num_params() const {
  return Product(shape) + (bias != nullptr ? bias->numel() : 0);
}

absl::StatusOr<ModelWeights> ModelWeights::Build(const Checkpoint& checkpoint,
                                                 const ModelConfig& config,
                                                 const WeightCheckOptions& options) {
  ModelWeights result;
  result.n_activated_experts_ = config.n_activated_experts;
  // 1. Official name → tensor, setting MTP layers and KV calibration scalars aside.
  std::map<std::string, const TensorView*, std::less<>> by_official;
  std::vector<std::string> unmapped;
  std::set<int64_t> mtp_layers;
  int64_t mtp_tensors = 0, kv_scalars = 0, hf_names = 0, official_names = 0;
  for (const TensorView* t : checkpoint.tensors()) {
    std::optional<NamingStyle> style = DetectNamingStyle(t->name);
    std::optional<std::string> official;
    if (style == NamingStyle::kHf) official = HfToOfficialName(t->name);
    if (style == NamingStyle::kOfficial) official = t->name;
    if (!official) {
      unmapped.push_back(t->name);
      continue;
    }
    (style == NamingStyle::kHf ? hf_names : official_names)++;
    if (std::optional<int64_t> layer = LayerOfOfficialName(*official);
        layer && *layer >= config.n_layers) {
      mtp_layers.insert(*layer);
      ++mtp_tensors;
      continue;
    }
    if (absl::EndsWith(*official, ".k_scale") || absl::EndsWith(*official, ".v_scale")) {
      ++kv_scalars;  // KV-cache calibration (§4.5): ignored
      continue;
    }
    auto [it, inserted] = by_official.emplace(*official, t);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensors '", it->second->name, "' (", it->second->file, ") and '", t->name, "' (",
          t->file, ") are the same weight '", *official, "' under two naming schemes"));
    }
  }
  result.naming_ = hf_names >= official_names ? NamingStyle::kHf : NamingStyle::kOfficial;
  auto display = [&](const std::string& official) {
    std::optional<std::string> hf = OfficialToHfName(official);
    return result.naming_ == NamingStyle::kHf && hf ? *hf : official;
  };

  // 2. Every required module.
  std::set<std::string> used;
  TensorLookup find = [&](const std::string& name) -> const TensorView* {
    auto it = by_official.find(name);
    if (it == by_official.end()) return nullptr;
    used.insert(name);
    return it->second;
  };
  auto missing = [&](const std::string& official) -> absl::Status {
    if (options.allow_missing) {
      result.missing_.push_back(display(official));
      return absl::OkStatus();
    }
    return absl::NotFoundError(absl::StrCat(checkpoint.dir(), ": required tensor '",
                                            display(official), "' is missing"));
  };
  for (const ExpectedModule& e : ExpectedModules(config)) {
    ModuleWeights m;
    m.name = e.name, m.kind = e.kind, m.layer = e.layer, m.expert = e.expert;
    m.is_linear = e.is_linear, m.shape = e.shape;
    const std::string weight_name = e.name + ".weight";
    if (by_official.find(weight_name) == by_official.end()) {
      if (absl::Status s = missing(weight_name); !s.ok()) return s;
      continue;
    }
    if (e.is_linear) {
      absl::StatusOr<WeightParts> parts = DetectWeightFormat(e.name, find);
      if (!parts.ok()) return parts.status();
      if (absl::Status s = ValidateLinearWeight(*parts, e.shape[0], e.shape[1],
                                                options.scan_scale_values);
          !s.ok()) {
        return s;
      }
      m.format = parts->format, m.weight = parts->weight, m.weight_scale = parts->scale;
      m.weight_scale_2 = parts->scale_2, m.input_scale = parts->input_scale;
    } else {
      m.weight = find(weight_name);
      if (absl::Status s = ValidatePlainTensor(*m.weight, e.shape); !s.ok()) return s;
      m.format = m.weight->dtype == StDtype::kF32   ? WeightFormat::kF32
                 : m.weight->dtype == StDtype::kF16 ? WeightFormat::kF16
                                                    : WeightFormat::kBf16;
    }
    if (e.has_bias) {
      m.bias = find(e.name + ".bias");
      if (m.bias == nullptr) {
        if (absl::Status s = missing(e.name + ".bias"); !s.ok()) return s;
        continue;
      }
      if (absl::Status s = ValidatePlainTensor(*m.bias, {e.shape[0]}); !s.ok()) return s;
    }
    result.index_[m.name] = result.modules_.size();
    result.modules_.push_back(std::move(m));
  }

  // 3. Leftovers and notes.
  for (const auto& [official, view] : by_official) {
    if (!used.count(official)) result.unexpected_.push_back(view->name);
  }
  result.unexpected_.insert(result.unexpected_.end(), unmapped.begin(), unmapped.end());
  if (mtp_tensors > 0) {
    result.notes_.push_back(absl::StrCat(
        "MTP layer ", absl::StrJoin(mtp_layers, ", "), ": ", mtp_tensors,
        " tensors excluded (layer ids >= num_hidden_layers = ", config.n_layers,
        "; num_nextn_predict_layers = ", config.num_nextn_predict_layers, ")"));
  }
  if (kv_scalars > 0) {
    result.notes_.push_back(
        absl::StrCat(kv_scalars, " KV-cache calibration scalars (k_scale/v_scale) ignored"));
  }
  return result;
}

const ModuleWeights* ModelWeights::Find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &modules_[it->second];
}

int64_t ModelWeights::total_params() const {
  int64_t total = 0;
  for (const ModuleWeights& m : modules_) total += m.num_params();
  return total;
}

int64_t ModelWeights::active_params() const {
  // Routed experts of one layer all have the same shape, so K of them weigh K/E of the layer's.
  std::map<int64_t, std::pair<int64_t, int64_t>> routed;  // layer → (params, experts)
  int64_t active = 0;
  for (const ModuleWeights& m : modules_) {
    if (!m.is_routed_expert()) {
      active += m.num_params();
      continue;
    }
    auto& [params, experts] = routed[m.layer];
    params += m.num_params();
    if (m.kind == "ffn.experts.w1") ++experts;
  }
  for (const auto& [layer, totals] : routed) {
    if (totals.second > 0) active += totals.first / totals.second * n_activated_experts_;
  }
  return active;
}

}  // namespace dsc::frontend
