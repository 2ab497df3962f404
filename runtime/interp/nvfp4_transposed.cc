// Nvfp4TransposedProduct: the rows stream once, each adding x[j] times its decoded row into
// accumulators that stay in registers for a 128-column chunk (8 vectors of 16 lanes).
//
// As in the NVFP4 GEMV kernel (codegen/emit_nvfp4_gemv.cc), a chunk's 64 code bytes viewed as
// 16 dwords give, for t = 0..7, the vector z_t = e2m1((dword >> 4t) & 0xF) whose lane L is
// column 8L + t: one table lookup per 16 weights and no shuffles of the codes. Lane L belongs to
// block L/2, so one vector of scales [s0 s0 s1 s1 ...] · x[j] serves all eight z_t; the chunk's
// columns are put back in order once at the end.
#include "runtime/interp/nvfp4_transposed.h"

#include <cstring>

#include "numerics/scalar_formats.h"

namespace dsc::runtime {
namespace {

constexpr int kLanes = 16;
typedef float Vec __attribute__((vector_size(kLanes * sizeof(float)), aligned(4)));
typedef int32_t Codes __attribute__((vector_size(kLanes * sizeof(int32_t)), aligned(4)));

// The 8 E4M3 block scales at s as [s0 s0 s1 s1 ... s7 s7] in float32, exactly: magnitude
// (8 + m) << (e − 1) for e > 0, m for e = 0, times 2^-9 (formats.md; NaN codes were rejected
// at load). Vector integer work instead of 16 scalar table lookups per 128 weights.
inline __attribute__((always_inline)) void PairedScales(const uint8_t* s, Vec* out) {
  uint32_t half[2];
  std::memcpy(half, s, 8);
  // Lanes 0..7 take scales 0..3 (two lanes each), lanes 8..15 scales 4..7: broadcasts, a blend
  // and one variable shift (GCC turns byte shuffles and widenings here into 16 scalar inserts).
  const Codes first_half = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  const Codes shifts = {0, 0, 8, 8, 16, 16, 24, 24, 0, 0, 8, 8, 16, 16, 24, 24};
  const Codes words = first_half ? Codes{} + static_cast<int32_t>(half[0]) : Codes{} + static_cast<int32_t>(half[1]);
  const Codes code = (words >> shifts) & 0xFF;
  const Codes e = (code >> 3) & 0xF, m = code & 7;
  const Codes shift = e > 0 ? e - 1 : 0;  // both sides are evaluated: no negative shift count
  const Codes magnitude = e > 0 ? (8 + m) << shift : m;
  const Vec value = __builtin_convertvector(magnitude, Vec) * (1.0f / 512.0f);
  Codes bits;
  std::memcpy(&bits, &value, sizeof(bits));
  bits |= (code & 0x80) << 24;
  std::memcpy(out, &bits, sizeof(*out));
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void Chunks(const uint8_t* codes,
                                                                          const uint8_t* scales, float global,
                                                                          int64_t rows, int64_t cols, int64_t chunks,
                                                                          const float* x, float* y) {
  Vec e2m1;
  for (int c = 0; c < kLanes; ++c) e2m1[c] = numerics::DecodeE2m1(static_cast<uint8_t>(c));
  const int64_t row_codes = cols / 2, row_scales = cols / 16;
  // The chunk passes read a row's 64-byte lines far apart in time (hardware prefetchers missed
  // them: 9 GB/s); see the first pass below.
  constexpr int64_t kAhead = 16;
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    Vec acc[8] = {};
    for (int64_t j = 0; j < rows; ++j) {
      if (chunk == 0 && j + kAhead < rows) {  // the first pass brings whole rows in, a few rows ahead
        const uint8_t* next = codes + (j + kAhead) * row_codes;
        for (int64_t b = 0; b < row_codes; b += 64) __builtin_prefetch(next + b);
        __builtin_prefetch(scales + (j + kAhead) * row_scales);
      }
      Codes dwords;
      std::memcpy(&dwords, codes + j * row_codes + chunk * 64, sizeof(dwords));
      Vec sx;
      PairedScales(scales + j * row_scales + chunk * 8, &sx);
      sx *= x[j];
      for (int t = 0; t < 8; ++t) {
#if defined(__clang__)
        const Codes nibbles = (dwords >> (4 * t)) & 0xF;
        Vec z;
        for (int lane = 0; lane < kLanes; ++lane) z[lane] = e2m1[nibbles[lane]];
#else
        // Indices are taken modulo 16: the nibble at bits 4t..4t+3. One vpermps on AVX-512.
        const Vec z = __builtin_shuffle(e2m1, dwords >> (4 * t));
#endif
        acc[t] += z * sx;
      }
    }
    for (int t = 0; t < 8; ++t) {
      for (int lane = 0; lane < kLanes; ++lane) y[chunk * 128 + 8 * lane + t] = acc[t][lane] * global;
    }
  }
}

}  // namespace

void Nvfp4TransposedProduct(const uint8_t* codes, const uint8_t* scales, float global, int64_t rows, int64_t cols,
                            const float* x, float* y) {
  const int64_t chunks = cols / 128;
  Chunks(codes, scales, global, rows, cols, chunks, x, y);
  for (int64_t c = chunks * 128; c < cols; ++c) {  // the last < 128 columns
    float sum = 0.0f;
    for (int64_t j = 0; j < rows; ++j) {
      const uint8_t byte = codes[j * (cols / 2) + c / 2];
      const float w = numerics::DecodeE2m1(c % 2 == 0 ? byte & 0xF : byte >> 4);
      sum += w * (numerics::DecodeE4m3(scales[j * (cols / 16) + c / 16]) * x[j]);
    }
    y[c] = sum * global;
  }
}

}  // namespace dsc::runtime
