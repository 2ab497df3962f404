// Per-sequence attention caches of model.md §11: the MLA latent + rotary key per layer, stored
// in the --kv-cache dtype, and the indexer's FP8 key cache.
#ifndef DSC_RUNTIME_KV_CACHE_H_
#define DSC_RUNTIME_KV_CACHE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dsc::runtime {

// Storage of the MLA latent cache (`--kv-cache`, cli.md; model.md §0 row 2):
//   kF32  float32, exact (FP32-REF, the golden's main mode);
//   kBF16 latent and rotary key rounded to BF16 on write;
//   kFP8  the latent as E4M3 codes with one power-of-two (ue8m0) scale per 128 values, i.e. the
//         R2 round trip `c ← dequant(act_quant(c))` of model.md §7 step 4; the rotary key stays
//         float32 (it is not quantized).
enum class KvCacheDtype { kF32, kBF16, kFP8 };

// "f32" | "bf16" | "fp8" (the --kv-cache spellings).
absl::StatusOr<KvCacheDtype> ParseKvCacheDtype(std::string_view name);
std::string_view KvCacheDtypeName(KvCacheDtype dtype);

// Sizes of one sequence's caches (official ModelArgs names in the comments).
struct KvCacheShape {
  int64_t n_layers = 0;          // L (n_layers)
  int64_t capacity = 0;          // N_max (max_seq_len): positions per layer
  int64_t kv_lora_rank = 0;      // R_kv: latent floats per position
  int64_t qk_rope_head_dim = 0;  // d_r: rotary key floats per position
  int64_t index_head_dim = 0;    // d_i: indexer key bytes per position
};

// The caches of ONE sequence (several sequences = several KvCache objects). A forward call at
// start_pos P over S tokens writes rows [P, P+S) of each layer and reads rows [0, P+S).
// Each layer tracks how many rows are valid: a write must start at or before that count
// (starting earlier rolls back, e.g. after rejected speculative tokens), and a read may not go
// beyond it. Writes past the capacity fail with OutOfRange (context overflow).
class KvCache {
 public:
  // InvalidArgument for non-positive sizes, or kFP8 with kv_lora_rank not a multiple of 128.
  static absl::StatusOr<KvCache> Create(const KvCacheShape& shape, KvCacheDtype dtype);

  const KvCacheShape& shape() const { return shape_; }
  KvCacheDtype dtype() const { return dtype_; }
  // Valid rows of a layer's latent / indexer-key cache.
  int64_t latent_rows(int64_t layer) const { return latent_rows_[layer]; }
  int64_t index_rows(int64_t layer) const { return index_rows_[layer]; }

  // Stores latent [rows, R_kv] and k_pe [rows, d_r] at positions [start_pos, start_pos + rows)
  // of `layer`, rounding to the cache dtype.
  absl::Status WriteLatent(int64_t layer, int64_t start_pos, int64_t rows, const float* latent,
                           const float* k_pe);
  // Decodes positions [0, end_pos) of `layer` to float32: latent [end_pos, R_kv],
  // k_pe [end_pos, d_r]. This is the value attention must use (model.md §7 step 4).
  absl::Status ReadLatent(int64_t layer, int64_t end_pos, float* latent, float* k_pe) const;

  // Stores the indexer keys (model.md §8 step 4): E4M3 codes [rows, d_i] and their float32
  // scales [rows] at positions [start_pos, start_pos + rows) of `layer`.
  absl::Status WriteIndexKeys(int64_t layer, int64_t start_pos, int64_t rows, const uint8_t* codes,
                              const float* scales);
  // Positions [0, end_pos) of the indexer key cache, read in place: codes [end_pos, d_i],
  // scales [end_pos]. The pointers stay valid until the next write.
  absl::Status IndexKeys(int64_t layer, int64_t end_pos, const uint8_t** codes,
                         const float** scales) const;

 private:
  KvCache(const KvCacheShape& shape, KvCacheDtype dtype);
  // `valid` is latent_rows_ or index_rows_.
  absl::Status CheckWrite(const char* what, int64_t layer, int64_t start_pos, int64_t rows,
                          const std::vector<int64_t>& valid) const;
  absl::Status CheckRead(const char* what, int64_t layer, int64_t end_pos,
                         const std::vector<int64_t>& valid) const;

  KvCacheShape shape_;
  KvCacheDtype dtype_;
  // Per layer, [rows written so far, ...] row-major (grown on write, at most capacity rows).
  // Only the vectors of the chosen dtype are used.
  std::vector<std::vector<float>> latent_f32_;      // kF32: [N, R_kv]
  std::vector<std::vector<uint16_t>> latent_bf16_;  // kBF16: [N, R_kv]
  std::vector<std::vector<uint8_t>> latent_fp8_;    // kFP8: codes [N, R_kv]
  std::vector<std::vector<float>> latent_scales_;   // kFP8: [N, R_kv / 128]
  std::vector<std::vector<float>> pe_f32_;          // kF32, kFP8: [N, d_r]
  std::vector<std::vector<uint16_t>> pe_bf16_;      // kBF16: [N, d_r]
  std::vector<std::vector<uint8_t>> index_codes_;   // [N, d_i]
  std::vector<std::vector<float>> index_scales_;    // [N]
  std::vector<int64_t> latent_rows_;
  std::vector<int64_t> index_rows_;
};

}  // namespace dsc::runtime

#endif  // DSC_RUNTIME_KV_CACHE_H_
