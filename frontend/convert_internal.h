// Internals of `dsc convert`: reading an input linear weight as float32 rows (FP8 dequantized
// exactly) and the per-weight NVFP4 quantization shared by the producers of its output tensors.
#ifndef DSC_FRONTEND_CONVERT_INTERNAL_H_
#define DSC_FRONTEND_CONVERT_INTERNAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "frontend/safetensors.h"
#include "frontend/safetensors_writer.h"
#include "numerics/nvfp4.h"

namespace dsc::frontend::convert_internal {

using ByteSink = SafetensorsWriter::ByteSink;

// A 2-D weight of the input (BF16 / F16 / F32, or FP8 E4M3 with its block-128 scale_inv).
class SourceWeight {
 public:
  // InvalidArgument (naming file and tensor) for other dtypes, non-2-D shapes or a scale_inv of
  // the wrong dtype / shape.
  static absl::StatusOr<SourceWeight> Create(const TensorView* weight,
                                             const TensorView* scale_inv = nullptr);
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  const TensorView& weight() const { return *weight_; }
  // "BF16", "F16", "F32" or "FP8-block128".
  std::string from() const;
  // Rows [r0, r1) as float32 into out ((r1 − r0) · cols floats).
  void ReadRows(int64_t r0, int64_t r1, float* out) const;
  // Drops the mapped pages of rows [r0, r1) from the resident set (see ReleaseMappedPages).
  void ReleaseRows(int64_t r0, int64_t r1) const;

 private:
  const TensorView* weight_ = nullptr;
  const TensorView* scale_view_ = nullptr;
  std::vector<float> scale_inv_;  // aligned copy of the FP8 block scales
  int64_t rows_ = 0, cols_ = 0, scale_cols_ = 0;
};

// Rows per streaming chunk for a weight with `cols` columns: about 4 M elements, a multiple of
// 128 (one FP8 block row) unless the weight is smaller.
int64_t ChunkRows(int64_t rows, int64_t cols);

// The NVFP4 quantization of one weight. The writer calls the producers of `.weight_scale_2`,
// `.weight` and `.weight_scale` in its own order (all F32 tensors first, then by name); each asks
// the job for its part: the global scale needs one pass over the input, the packed codes are
// streamed chunk by chunk, and only the block scales (1/16 byte per weight) are held until
// their tensor is written.
class QuantJob {
 public:
  QuantJob(SourceWeight source, numerics::Nvfp4QuantizeOptions options, int threads)
      : source_(std::move(source)), options_(options), threads_(threads) {}

  // ModelOpt's amax / (6·448). InvalidArgument (file, tensor, row, column) on a non-finite value.
  absl::StatusOr<float> GlobalScale();
  // Quantizes and streams the packed E2M1 bytes [rows, cols/2]; keeps the block scales and the
  // error sums.
  absl::Status StreamPacked(const ByteSink& sink);
  // Streams the E4M3 block scales [rows, cols/16] (quantizing first if the codes were not
  // streamed yet), then frees them.
  absl::Status StreamScales(const ByteSink& sink);

  const SourceWeight& source() const { return source_; }
  bool measured() const { return measured_; }
  double sum_sq_error() const { return sum_sq_error_; }
  double sum_sq_weight() const { return sum_sq_weight_; }

 private:
  absl::Status Quantize(const ByteSink* sink);

  SourceWeight source_;
  numerics::Nvfp4QuantizeOptions options_;
  int threads_;
  bool have_global_ = false, have_scales_ = false, measured_ = false;
  float global_scale_ = 0.0f;
  std::vector<uint8_t> scales_;
  double sum_sq_error_ = 0.0, sum_sq_weight_ = 0.0;
};

// Streams `source` rounded to BF16 (an FP8 weight that stays unquantized).
absl::Status StreamAsBf16(const SourceWeight& source, const ByteSink& sink);
// Streams a tensor's bytes verbatim from the mapping, releasing pages as it goes.
absl::Status StreamCopy(const TensorView& tensor, const ByteSink& sink);

}  // namespace dsc::frontend::convert_internal

#endif  // DSC_FRONTEND_CONVERT_INTERNAL_H_
