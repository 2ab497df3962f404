// Per-tensor format detection (checkpoint.md §4.5) and the companion-tensor checks of §7
// rule 6: shapes and dtypes of NVFP4 / FP8 scales, finite positive global scales, no E4M3 NaN.
#include "frontend/weight_format.h"

#include <cmath>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dsc::frontend {
namespace {

std::string Where(const TensorView& t) { return absl::StrCat(t.file, ": tensor '", t.name, "': "); }

std::string Name(StDtype dtype) { return std::string(StDtypeName(dtype)); }

absl::Status ExpectTensor(const TensorView& t, StDtype dtype, const std::vector<int64_t>& shape,
                          const std::string& role) {
  if (t.dtype != dtype) {
    return absl::InvalidArgumentError(absl::StrCat(Where(t), role, " must be ", Name(dtype),
                                                   ", got ", Name(t.dtype)));
  }
  if (t.shape != shape) {
    return absl::InvalidArgumentError(absl::StrCat(Where(t), role, " shape expected ",
                                                   ShapeToString(shape), ", got ",
                                                   ShapeToString(t.shape)));
  }
  return absl::OkStatus();
}

float LoadF32(const uint8_t* p) {
  float value;
  std::memcpy(&value, p, 4);
  return value;
}

// A global scale: one F32 element (shape [] or [1]), finite and > 0.
absl::Status ExpectPositiveScalar(const TensorView& t, const std::string& role) {
  if (t.dtype != StDtype::kF32 || t.numel() != 1 || t.shape.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(Where(t), role,
                                                   " must be one F32 element ([] or [1]), got ",
                                                   Name(t.dtype), " ", ShapeToString(t.shape)));
  }
  const float value = LoadF32(t.data);
  if (!std::isfinite(value) || !(value > 0.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(t), role, " must be finite and > 0, got ", value));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view WeightFormatName(WeightFormat format) {
  switch (format) {
    case WeightFormat::kNvfp4: return "NVFP4";
    case WeightFormat::kFp8Block128: return "FP8-block128";
    case WeightFormat::kBf16: return "BF16";
    case WeightFormat::kF16: return "F16";
    case WeightFormat::kF32: return "F32";
  }
  return "?";
}

bool IsQuantized(WeightFormat format) {
  return format == WeightFormat::kNvfp4 || format == WeightFormat::kFp8Block128;
}

std::string ShapeToString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ","), "]");
}

absl::StatusOr<WeightParts> DetectWeightFormat(const std::string& module,
                                               const TensorLookup& find) {
  WeightParts parts;
  parts.weight = find(module + ".weight");
  if (parts.weight == nullptr) {
    return absl::NotFoundError(absl::StrCat("tensor '", module, ".weight' is missing"));
  }
  const TensorView& w = *parts.weight;
  switch (w.dtype) {
    case StDtype::kU8:
      parts.scale = find(module + ".weight_scale");
      if (parts.scale == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            Where(w), "U8 weight without a companion weight_scale (NVFP4 needs weight_scale "
                      "and weight_scale_2)"));
      }
      parts.scale_2 = find(module + ".weight_scale_2");
      if (parts.scale_2 == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(Where(w), "NVFP4 weight without its weight_scale_2 global scale"));
      }
      parts.input_scale = find(module + ".input_scale");
      parts.format = WeightFormat::kNvfp4;
      return parts;
    case StDtype::kF8E4M3:
      parts.scale = find(module + ".scale");
      if (parts.scale == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            Where(w), "F8_E4M3 weight without its weight_scale_inv block scales"));
      }
      parts.format = WeightFormat::kFp8Block128;
      return parts;
    case StDtype::kBF16: parts.format = WeightFormat::kBf16; return parts;
    case StDtype::kF16: parts.format = WeightFormat::kF16; return parts;
    case StDtype::kF32: parts.format = WeightFormat::kF32; return parts;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          Where(w), "dtype ", Name(w.dtype),
          " fits no weight format (NVFP4 U8, FP8 F8_E4M3, or BF16/F16/F32)"));
  }
}

absl::Status ValidateLinearWeight(const WeightParts& parts, int64_t out, int64_t in,
                                  bool scan_scale_values) {
  const TensorView& w = *parts.weight;
  const std::string logical = absl::StrCat(" for the config's [", out, ",", in, "]");
  switch (parts.format) {
    case WeightFormat::kNvfp4: {
      if (in % 16 != 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            Where(w), "NVFP4 needs the input dim to be a multiple of 16, got ", in));
      }
      if (absl::Status s = ExpectTensor(w, StDtype::kU8, {out, in / 2}, "NVFP4 weight" + logical);
          !s.ok()) {
        return s;
      }
      const TensorView& scale = *parts.scale;
      if (absl::Status s = ExpectTensor(scale, StDtype::kF8E4M3, {out, in / 16},
                                        "NVFP4 weight_scale" + logical);
          !s.ok()) {
        return s;
      }
      if (absl::Status s = ExpectPositiveScalar(*parts.scale_2, "weight_scale_2"); !s.ok()) {
        return s;
      }
      if (parts.input_scale != nullptr) {
        if (absl::Status s = ExpectPositiveScalar(*parts.input_scale, "input_scale"); !s.ok()) {
          return s;
        }
      }
      if (scan_scale_values) {
        for (size_t i = 0; i < scale.nbytes; ++i) {
          if ((scale.data[i] & 0x7F) == 0x7F) {
            return absl::InvalidArgumentError(absl::StrCat(
                Where(scale), "E4M3 NaN code 0x", absl::Hex(scale.data[i]), " at element ", i,
                " (row ", i / (in / 16), ", block ", i % (in / 16), ")"));
          }
        }
      }
      return absl::OkStatus();
    }
    case WeightFormat::kFp8Block128: {
      if (absl::Status s = ExpectTensor(w, StDtype::kF8E4M3, {out, in}, "FP8 weight" + logical);
          !s.ok()) {
        return s;
      }
      const TensorView& scale = *parts.scale;
      if (absl::Status s = ExpectTensor(scale, StDtype::kF32, {(out + 127) / 128, (in + 127) / 128},
                                        "FP8 weight_scale_inv" + logical);
          !s.ok()) {
        return s;
      }
      if (scan_scale_values) {
        for (int64_t i = 0; i < scale.numel(); ++i) {
          const float v = LoadF32(scale.data + 4 * i);
          if (!std::isfinite(v) || !(v > 0.0f)) {
            return absl::InvalidArgumentError(absl::StrCat(
                Where(scale), "block scale ", i, " must be finite and > 0, got ", v));
          }
        }
      }
      return absl::OkStatus();
    }
    default:
      return ValidatePlainTensor(w, {out, in});
  }
}

absl::Status ValidatePlainTensor(const TensorView& t, const std::vector<int64_t>& shape) {
  if (t.dtype != StDtype::kBF16 && t.dtype != StDtype::kF16 && t.dtype != StDtype::kF32) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(t), "must be BF16, F16 or F32, got ", Name(t.dtype)));
  }
  if (t.shape != shape) {
    return absl::InvalidArgumentError(absl::StrCat(Where(t), "shape expected ",
                                                   ShapeToString(shape), " from the config, got ",
                                                   ShapeToString(t.shape)));
  }
  return absl::OkStatus();
}

}  // namespace dsc::frontend
