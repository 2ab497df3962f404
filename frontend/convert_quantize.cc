// Reads input weights as float32 rows (BF16/F16/F32 widened, FP8 block-128 dequantized exactly)
// and quantizes them to NVFP4 chunk by chunk across threads, measuring the error on the way.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "frontend/checkpoint_output.h"
#include "frontend/convert_internal.h"
#include "frontend/weight_format.h"
#include "numerics/fp8_block.h"
#include "numerics/scalar_formats.h"

namespace dsc::frontend::convert_internal {
namespace {

std::string Where(const TensorView& t) { return absl::StrCat(t.file, ": tensor '", t.name, "': "); }

// Threads pay off only on chunks of some size.
int ThreadsFor(int64_t elements, int threads) { return elements >= (1 << 16) ? threads : 1; }

// Runs fn(begin, end, sums) over row slices of [0, n) and adds the slices' two sums in slice
// order, so the totals do not depend on thread timing.
void ParallelSums(int64_t n, int threads, double* a, double* b,
                  const std::function<void(int64_t, int64_t, double*, double*)>& fn) {
  std::mutex mu;
  std::map<int64_t, std::pair<double, double>> parts;
  ParallelFor(n, threads, [&](int64_t begin, int64_t end) {
    double x = 0.0, y = 0.0;
    fn(begin, end, &x, &y);
    std::lock_guard<std::mutex> lock(mu);
    parts[begin] = {x, y};
  });
  for (const auto& [begin, sums] : parts) *a += sums.first, *b += sums.second;
}

}  // namespace

absl::StatusOr<SourceWeight> SourceWeight::Create(const TensorView* weight,
                                                  const TensorView* scale_inv) {
  SourceWeight s;
  s.weight_ = weight;
  if (weight->shape.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(Where(*weight), "expected a 2-D weight, got ",
                                                   ShapeToString(weight->shape)));
  }
  s.rows_ = weight->shape[0], s.cols_ = weight->shape[1];
  const StDtype dtype = weight->dtype;
  if (dtype == StDtype::kF8E4M3) {
    const std::vector<int64_t> expected = {numerics::Fp8BlockCount(s.rows_),
                                           numerics::Fp8BlockCount(s.cols_)};
    if (scale_inv == nullptr || scale_inv->dtype != StDtype::kF32 ||
        scale_inv->shape != expected) {
      return absl::InvalidArgumentError(absl::StrCat(
          Where(*weight), "FP8 weight needs a weight_scale_inv F32 ", ShapeToString(expected)));
    }
    s.scale_view_ = scale_inv;
    s.scale_cols_ = expected[1];
    s.scale_inv_.resize(static_cast<size_t>(expected[0] * expected[1]));
    std::memcpy(s.scale_inv_.data(), scale_inv->data, s.scale_inv_.size() * sizeof(float));
  } else if (dtype != StDtype::kBF16 && dtype != StDtype::kF16 && dtype != StDtype::kF32) {
    return absl::InvalidArgumentError(absl::StrCat(Where(*weight), "cannot convert dtype ",
                                                   std::string(StDtypeName(dtype))));
  }
  return s;
}

std::string SourceWeight::from() const {
  if (weight_->dtype == StDtype::kF8E4M3) return "FP8-block128";
  return std::string(StDtypeName(weight_->dtype));
}

void SourceWeight::ReadRows(int64_t r0, int64_t r1, float* out) const {
  const size_t n = static_cast<size_t>((r1 - r0) * cols_);
  const size_t first = static_cast<size_t>(r0 * cols_);
  const uint8_t* data = weight_->data;
  switch (weight_->dtype) {
    case StDtype::kBF16:
    case StDtype::kF16: {
      const bool bf16 = weight_->dtype == StDtype::kBF16;
      for (size_t i = 0; i < n; ++i) {
        uint16_t bits;
        std::memcpy(&bits, data + 2 * (first + i), 2);
        out[i] = bf16 ? numerics::Bf16ToFloat(bits) : numerics::F16ToFloat(bits);
      }
      return;
    }
    case StDtype::kF32:
      std::memcpy(out, data + 4 * first, 4 * n);
      return;
    default:  // FP8: W = e4m3(code) · scale_inv[r/128, c/128], one rounding (formats.md §7)
      for (int64_t r = r0; r < r1; ++r) {
        numerics::DequantizeFp8Block(
            data + r * cols_, &scale_inv_[static_cast<size_t>(r / numerics::kFp8BlockSize * scale_cols_)],
            1, cols_, out + (r - r0) * cols_)
            .IgnoreError();  // only fails on negative extents
      }
      return;
  }
}

void SourceWeight::ReleaseRows(int64_t r0, int64_t r1) const {
  const size_t elem = StDtypeSize(weight_->dtype);
  ReleaseMappedPages(weight_->data + static_cast<size_t>(r0 * cols_) * elem,
                     static_cast<size_t>((r1 - r0) * cols_) * elem);
}

int64_t ChunkRows(int64_t rows, int64_t cols) {
  constexpr int64_t kChunkElements = 1 << 22;
  const int64_t by_size = std::max<int64_t>(1, kChunkElements / std::max<int64_t>(cols, 1));
  const int64_t aligned = std::max<int64_t>(numerics::kFp8BlockSize,
                                            by_size / numerics::kFp8BlockSize *
                                                numerics::kFp8BlockSize);
  return std::min(rows, aligned);
}

absl::StatusOr<float> QuantJob::GlobalScale() {
  if (have_global_) return global_scale_;
  const int64_t rows = source_.rows(), cols = source_.cols();
  const int64_t chunk = std::max<int64_t>(1, ChunkRows(rows, cols));
  std::vector<float> buffer(static_cast<size_t>(chunk * cols));
  float amax = 0.0f;
  int64_t bad = -1;  // first non-finite element
  std::mutex mu;
  for (int64_t r0 = 0; r0 < rows && bad < 0; r0 += chunk) {
    const int64_t r1 = std::min(rows, r0 + chunk);
    ParallelFor(r1 - r0, ThreadsFor((r1 - r0) * cols, threads_), [&](int64_t b, int64_t e) {
      float* w = buffer.data() + b * cols;
      source_.ReadRows(r0 + b, r0 + e, w);
      float local = 0.0f;
      int64_t local_bad = -1;
      for (int64_t i = 0; i < (e - b) * cols; ++i) {
        if (!std::isfinite(w[i])) {
          local_bad = (r0 + b) * cols + i;
          break;
        }
        local = std::max(local, std::fabs(w[i]));
      }
      std::lock_guard<std::mutex> lock(mu);
      amax = std::max(amax, local);
      if (local_bad >= 0 && (bad < 0 || local_bad < bad)) bad = local_bad;
    });
    // The writer asks for every global scale of a shard first (F32 tensors come first), so
    // without this the whole input would become resident before any weight is written.
    source_.ReleaseRows(r0, r1);
  }
  if (bad >= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        Where(source_.weight()), "non-finite value at [", bad / cols, ", ", bad % cols,
        "]; cannot quantize to NVFP4"));
  }
  // Nvfp4GlobalScale of the tensor's amax is the global scale of the whole tensor.
  global_scale_ = numerics::Nvfp4GlobalScale(&amax, 1);
  have_global_ = true;
  return global_scale_;
}

absl::Status QuantJob::Quantize(const ByteSink* sink) {
  absl::StatusOr<float> global = GlobalScale();
  if (!global.ok()) return global.status();
  const int64_t rows = source_.rows(), cols = source_.cols();
  const int64_t blocks = cols / numerics::kNvfp4BlockSize;
  const int64_t chunk = std::max<int64_t>(1, ChunkRows(rows, cols));
  scales_.assign(static_cast<size_t>(rows * blocks), 0);
  std::vector<float> buffer(static_cast<size_t>(chunk * cols));
  std::vector<uint8_t> packed(static_cast<size_t>(chunk * cols / 2));
  double sum_sq_error = 0.0, sum_sq_weight = 0.0;
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int64_t r1 = std::min(rows, r0 + chunk);
    ParallelSums(r1 - r0, ThreadsFor((r1 - r0) * cols, threads_), &sum_sq_error, &sum_sq_weight,
                 [&](int64_t b, int64_t e, double* err, double* ref) {
                   float* w = buffer.data() + b * cols;
                   uint8_t* p = packed.data() + b * cols / 2;
                   uint8_t* s = scales_.data() + (r0 + b) * blocks;
                   source_.ReadRows(r0 + b, r0 + e, w);
                   numerics::QuantizeNvfp4Rows(w, e - b, cols, *global, options_, p, s);
                   std::vector<float> row(static_cast<size_t>(cols));
                   for (int64_t r = 0; r < e - b; ++r) {
                     numerics::DequantizeNvfp4Row(p + r * cols / 2, s + r * blocks, *global,
                                                  cols, row.data());
                     for (int64_t c = 0; c < cols; ++c) {
                       const double x = w[r * cols + c], d = row[c] - x;
                       *err += d * d;
                       *ref += x * x;
                     }
                   }
                 });
    source_.ReleaseRows(r0, r1);
    if (sink != nullptr) {
      if (absl::Status st = (*sink)({packed.data(), static_cast<size_t>((r1 - r0) * cols / 2)});
          !st.ok()) {
        return st;
      }
    }
  }
  sum_sq_error_ = sum_sq_error, sum_sq_weight_ = sum_sq_weight;
  have_scales_ = measured_ = true;
  return absl::OkStatus();
}

absl::Status QuantJob::StreamPacked(const ByteSink& sink) { return Quantize(&sink); }

absl::Status QuantJob::StreamScales(const ByteSink& sink) {
  if (!have_scales_) {
    if (absl::Status s = Quantize(nullptr); !s.ok()) return s;
  }
  absl::Status s = sink({scales_.data(), scales_.size()});
  std::vector<uint8_t>().swap(scales_);
  have_scales_ = false;
  return s;
}

absl::Status StreamAsBf16(const SourceWeight& source, const ByteSink& sink) {
  const int64_t rows = source.rows(), cols = source.cols();
  const int64_t chunk = std::max<int64_t>(1, ChunkRows(rows, cols));
  std::vector<float> buffer(static_cast<size_t>(chunk * cols));
  std::vector<uint16_t> out(buffer.size());
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int64_t r1 = std::min(rows, r0 + chunk);
    const size_t n = static_cast<size_t>((r1 - r0) * cols);
    source.ReadRows(r0, r1, buffer.data());
    for (size_t i = 0; i < n; ++i) out[i] = numerics::FloatToBf16(buffer[i]);
    source.ReleaseRows(r0, r1);
    if (absl::Status s = sink({reinterpret_cast<const uint8_t*>(out.data()), 2 * n}); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status StreamCopy(const TensorView& tensor, const ByteSink& sink) {
  constexpr size_t kChunk = 16 << 20;
  for (size_t offset = 0; offset < tensor.nbytes; offset += kChunk) {
    const size_t n = std::min(kChunk, tensor.nbytes - offset);
    if (absl::Status s = sink({tensor.data + offset, n}); !s.ok()) return s;
    ReleaseMappedPages(tensor.data + offset, n);
  }
  return absl::OkStatus();
}

}  // namespace dsc::frontend::convert_internal
