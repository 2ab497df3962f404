// Test-only scaffolding that proves the reference kernels: runs the tiny-a golden checkpoint by
// chaining them layer by layer (model.md §3–§10) and records the debug.safetensors intermediates.
// The real model is driven by the IR interpreter; this chain exists only for the golden tests.
#ifndef DSC_TESTS_UNIT_RUNTIME_GOLDEN_CHAIN_H_
#define DSC_TESTS_UNIT_RUNTIME_GOLDEN_CHAIN_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "frontend/model_config.h"
#include "runtime/interp/kernels_attention.h"
#include "runtime/kv_cache.h"

namespace dsc::runtime::testing {

// The two revision switches of model.md §0 (rows 1–2).
struct ChainOptions {
  KvCacheDtype kv_cache = KvCacheDtype::kF32;  // kFP8 = the R2 KV-latent round trip
  bool indexer_rope_interleaved = false;       // true = R1
};

// One layer's intermediates of a forward call over S rows (names as in debug.safetensors).
struct LayerTrace {
  std::vector<float> h_in, attn_out, ffn_out;  // [S, D]
  std::vector<float> kv_latent, k_pe;          // [S, R_kv], [S, d_r] as cached
  std::vector<float> index_k_fp8;              // [S, d_i] E4M3 values of the cached keys
  std::vector<float> index_k_scale;            // [S]
  std::vector<float> index_score;              // [S, end_pos]
  std::vector<int32_t> index_topk;             // [S, index_topk], ascending, −1 padded
  std::vector<int32_t> experts;                // [S, K] MoE layers only, selection order
  std::vector<float> expert_weights;           // [S, K]
};

struct ForwardTrace {
  std::vector<LayerTrace> layers;
  std::vector<float> final_hidden;  // [S, D] after the final norm
};

// A checkpoint loaded fully into float32 (NVFP4 weights dequantized with numerics).
class TinyModel {
 public:
  static absl::StatusOr<std::unique_ptr<TinyModel>> Load(const std::string& dir);

  const frontend::ModelConfig& config() const { return config_; }
  // Fresh caches of capacity max_seq_len for one sequence.
  absl::StatusOr<KvCache> NewCache(KvCacheDtype dtype) const;
  // One forward call (model.md §3) of `tokens` at start_pos: S > 1 at P = 0 takes the prefill
  // form §7a, everything else the absorbed form §7b/§7.7. Returns the logits of every row
  // [S, vocab]; fills `trace` when given.
  absl::StatusOr<std::vector<float>> Forward(const std::vector<int32_t>& tokens, int64_t start_pos,
                                             KvCache& cache, const ChainOptions& options,
                                             ForwardTrace* trace = nullptr) const;

 private:
  TinyModel() = default;
  // A float32 weight by its Hugging Face name (the test fails loudly if it is missing).
  const std::vector<float>& W(const std::string& name) const;
  const std::vector<float>& LayerW(int64_t layer, const std::string& suffix) const;
  const float* OptionalW(const std::string& name) const;

  // MLA with its indexer for one layer: a [S, D] → [S, D].
  absl::StatusOr<std::vector<float>> Attention(int64_t layer, const std::vector<float>& a,
                                               const std::vector<int64_t>& positions,
                                               KvCache& cache, const ChainOptions& options,
                                               LayerTrace* trace) const;
  // §8: selected key positions [S, index_topk] for the query rows.
  absl::StatusOr<std::vector<int32_t>> Indexer(int64_t layer, const std::vector<float>& a,
                                               const std::vector<float>& q_lat,
                                               const std::vector<int64_t>& positions,
                                               KvCache& cache, const ChainOptions& options,
                                               LayerTrace* trace) const;
  // §9: dense MLP or MoE, f [S, D] → [S, D].
  absl::StatusOr<std::vector<float>> Ffn(int64_t layer, const std::vector<float>& f,
                                         LayerTrace* trace) const;

  frontend::ModelConfig config_;
  std::map<std::string, std::vector<float>> weights_;
  std::vector<float> rope_freqs_;  // d_r/2 YaRN frequencies (MLA and indexer)
  float softmax_scale_ = 0.0f;
  ref::MlaDims dims_;
};

// ‖a − e‖₂ / ‖e‖₂ over finite entries of e (non-finite positions must match exactly, else +inf).
double RelL2Finite(const std::vector<float>& actual, const std::vector<float>& expected);
// Fraction of rows whose argmax agrees (ties → lowest index).
double Top1Agreement(const std::vector<float>& actual, const std::vector<float>& expected,
                     int64_t cols);

}  // namespace dsc::runtime::testing

#endif  // DSC_TESTS_UNIT_RUNTIME_GOLDEN_CHAIN_H_
