// KV cache storage: dtype rounding on write, float32 decoding on read, range checks.
#include "runtime/kv_cache.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "numerics/act_quant.h"
#include "numerics/scalar_formats.h"

namespace dsc::runtime {

using numerics::kActQuantBlockSize;

namespace {

// Storage grows with the highest position written (capacity is only an upper bound), so a
// large N_max costs no memory until the context actually gets long.
template <typename T>
void GrowTo(std::vector<T>& v, int64_t rows, int64_t width) {
  if (static_cast<int64_t>(v.size()) < rows * width) v.resize(rows * width);
}

}  // namespace

absl::StatusOr<KvCacheDtype> ParseKvCacheDtype(std::string_view name) {
  if (name == "f32") return KvCacheDtype::kF32;
  if (name == "bf16") return KvCacheDtype::kBF16;
  if (name == "fp8") return KvCacheDtype::kFP8;
  return absl::InvalidArgumentError(
      absl::StrFormat("unknown --kv-cache dtype '%s' (expected fp8, bf16 or f32)", name));
}

std::string_view KvCacheDtypeName(KvCacheDtype dtype) {
  switch (dtype) {
    case KvCacheDtype::kF32:
      return "f32";
    case KvCacheDtype::kBF16:
      return "bf16";
    case KvCacheDtype::kFP8:
      return "fp8";
  }
  return "?";
}

absl::StatusOr<KvCache> KvCache::Create(const KvCacheShape& shape, KvCacheDtype dtype) {
  if (shape.n_layers <= 0 || shape.capacity <= 0 || shape.kv_lora_rank <= 0 ||
      shape.qk_rope_head_dim <= 0 || shape.index_head_dim <= 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("KvCache: sizes must be positive (layers %d, capacity %d, kv_lora_rank %d, "
                        "qk_rope_head_dim %d, index_head_dim %d)",
                        shape.n_layers, shape.capacity, shape.kv_lora_rank, shape.qk_rope_head_dim,
                        shape.index_head_dim));
  }
  if (dtype == KvCacheDtype::kFP8 && shape.kv_lora_rank % kActQuantBlockSize != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "KvCache: the fp8 latent cache needs kv_lora_rank to be a multiple of %d, got %d",
        kActQuantBlockSize, shape.kv_lora_rank));
  }
  return KvCache(shape, dtype);
}

KvCache::KvCache(const KvCacheShape& shape, KvCacheDtype dtype)
    : shape_(shape),
      dtype_(dtype),
      latent_f32_(shape.n_layers),
      latent_bf16_(shape.n_layers),
      latent_fp8_(shape.n_layers),
      latent_scales_(shape.n_layers),
      pe_f32_(shape.n_layers),
      pe_bf16_(shape.n_layers),
      index_codes_(shape.n_layers),
      index_scales_(shape.n_layers),
      latent_rows_(shape.n_layers, 0),
      index_rows_(shape.n_layers, 0) {}

absl::Status KvCache::CheckWrite(const char* what, int64_t layer, int64_t start_pos, int64_t rows,
                                 const std::vector<int64_t>& valid) const {
  if (layer < 0 || layer >= shape_.n_layers) {
    return absl::InvalidArgumentError(
        absl::StrFormat("KvCache: %s write to layer %d of %d", what, layer, shape_.n_layers));
  }
  const int64_t valid_rows = valid[layer];
  if (start_pos < 0 || rows < 0 || start_pos > valid_rows) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "KvCache: %s write of %d rows at position %d of layer %d would leave a gap (%d rows "
        "valid)",
        what, rows, start_pos, layer, valid_rows));
  }
  if (start_pos + rows > shape_.capacity) {
    return absl::OutOfRangeError(absl::StrFormat(
        "context overflow: positions [%d, %d) do not fit the KV cache capacity of %d tokens "
        "(%s, layer %d)",
        start_pos, start_pos + rows, shape_.capacity, what, layer));
  }
  return absl::OkStatus();
}

absl::Status KvCache::CheckRead(const char* what, int64_t layer, int64_t end_pos,
                                const std::vector<int64_t>& valid) const {
  if (layer < 0 || layer >= shape_.n_layers) {
    return absl::InvalidArgumentError(
        absl::StrFormat("KvCache: %s read from layer %d of %d", what, layer, shape_.n_layers));
  }
  const int64_t valid_rows = valid[layer];
  if (end_pos < 0 || end_pos > valid_rows) {
    return absl::OutOfRangeError(
        absl::StrFormat("KvCache: %s read of positions [0, %d) of layer %d, only %d written", what,
                        end_pos, layer, valid_rows));
  }
  return absl::OkStatus();
}

absl::Status KvCache::WriteLatent(int64_t layer, int64_t start_pos, int64_t rows,
                                  const float* latent, const float* k_pe) {
  if (absl::Status s = CheckWrite("latent", layer, start_pos, rows, latent_rows_); !s.ok()) {
    return s;
  }
  const int64_t rank = shape_.kv_lora_rank, dr = shape_.qk_rope_head_dim;
  const int64_t count = rows * rank, first = start_pos * rank, end = start_pos + rows;
  switch (dtype_) {
    case KvCacheDtype::kF32:
      GrowTo(latent_f32_[layer], end, rank);
      GrowTo(pe_f32_[layer], end, dr);
      std::copy_n(latent, count, latent_f32_[layer].begin() + first);
      std::copy_n(k_pe, rows * dr, pe_f32_[layer].begin() + start_pos * dr);
      break;
    case KvCacheDtype::kBF16:
      GrowTo(latent_bf16_[layer], end, rank);
      GrowTo(pe_bf16_[layer], end, dr);
      for (int64_t i = 0; i < count; ++i) {
        latent_bf16_[layer][first + i] = numerics::FloatToBf16(latent[i]);
      }
      for (int64_t i = 0; i < rows * dr; ++i) {
        pe_bf16_[layer][start_pos * dr + i] = numerics::FloatToBf16(k_pe[i]);
      }
      break;
    case KvCacheDtype::kFP8:
      GrowTo(latent_fp8_[layer], end, rank);
      GrowTo(latent_scales_[layer], end, rank / kActQuantBlockSize);
      GrowTo(pe_f32_[layer], end, dr);
      if (absl::Status s = numerics::ActQuant(
              latent, count, kActQuantBlockSize, numerics::ActScaleFormat::kUe8m0,
              latent_fp8_[layer].data() + first,
              latent_scales_[layer].data() + first / kActQuantBlockSize);
          !s.ok()) {
        return s;
      }
      std::copy_n(k_pe, rows * dr, pe_f32_[layer].begin() + start_pos * dr);
      break;
  }
  latent_rows_[layer] = start_pos + rows;
  return absl::OkStatus();
}

absl::Status KvCache::ReadLatent(int64_t layer, int64_t end_pos, float* latent, float* k_pe) const {
  if (absl::Status s = CheckRead("latent", layer, end_pos, latent_rows_); !s.ok()) return s;
  const int64_t count = end_pos * shape_.kv_lora_rank, pe_count = end_pos * shape_.qk_rope_head_dim;
  switch (dtype_) {
    case KvCacheDtype::kF32:
      std::copy_n(latent_f32_[layer].begin(), count, latent);
      std::copy_n(pe_f32_[layer].begin(), pe_count, k_pe);
      break;
    case KvCacheDtype::kBF16:
      for (int64_t i = 0; i < count; ++i) latent[i] = numerics::Bf16ToFloat(latent_bf16_[layer][i]);
      for (int64_t i = 0; i < pe_count; ++i) k_pe[i] = numerics::Bf16ToFloat(pe_bf16_[layer][i]);
      break;
    case KvCacheDtype::kFP8:
      for (int64_t i = 0; i < count; ++i) {
        latent[i] = numerics::DecodeE4m3(latent_fp8_[layer][i]) *
                    latent_scales_[layer][i / kActQuantBlockSize];
      }
      std::copy_n(pe_f32_[layer].begin(), pe_count, k_pe);
      break;
  }
  return absl::OkStatus();
}

absl::Status KvCache::WriteIndexKeys(int64_t layer, int64_t start_pos, int64_t rows,
                                     const uint8_t* codes, const float* scales) {
  if (absl::Status s = CheckWrite("indexer key", layer, start_pos, rows, index_rows_); !s.ok()) {
    return s;
  }
  const int64_t di = shape_.index_head_dim;
  GrowTo(index_codes_[layer], start_pos + rows, di);
  GrowTo(index_scales_[layer], start_pos + rows, 1);
  std::copy_n(codes, rows * di, index_codes_[layer].begin() + start_pos * di);
  std::copy_n(scales, rows, index_scales_[layer].begin() + start_pos);
  index_rows_[layer] = start_pos + rows;
  return absl::OkStatus();
}

absl::Status KvCache::IndexKeys(int64_t layer, int64_t end_pos, const uint8_t** codes,
                                const float** scales) const {
  if (absl::Status s = CheckRead("indexer key", layer, end_pos, index_rows_); !s.ok()) {
    return s;
  }
  *codes = index_codes_[layer].data();
  *scales = index_scales_[layer].data();
  return absl::OkStatus();
}

}  // namespace dsc::runtime
