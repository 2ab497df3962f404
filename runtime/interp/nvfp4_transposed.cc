// Nvfp4TransposedProduct: the rows stream once, each adding x[j] times its decoded row into
// accumulators that stay in registers for a 128-column chunk (8 vectors of 16 lanes).
//
// As in the NVFP4 GEMV kernel (codegen/emit_nvfp4_gemv.cc), a chunk's 64 code bytes viewed as
// 16 dwords give, for t = 0..7, the vector z_t = e2m1((dword >> 4t) & 0xF) whose lane L is
// column 8L + t: one table lookup per 16 weights and no shuffles of the codes. Lane L belongs to
// block L/2, so one vector of scales [s0 s0 s1 s1 ...] · x[j] serves all eight z_t; the chunk's
// columns are put back in order once at the end.
//
// The AVX-512 path is written with intrinsics (GCC scalarizes the byte shuffles and widenings
// of its scale decode in vector-extension code); the x86-64-v3 and generic clones keep the
// portable code. AVX-512 and x86-64-v3 give the same floats (exact decodes, the same fused
// multiply-adds in the same order); the generic clone rounds each product (no FMA).
#include "runtime/interp/nvfp4_transposed.h"

#include <cstring>

#include "numerics/scalar_formats.h"
#include "numerics/x86_intrinsics.h"

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

// Row j + kAhead of this product, or of the next one (same shape) when j + kAhead runs past
// this one's rows: the first chunk pass brings whole rows in, a few rows ahead, because the
// later passes read a row's 64-byte lines far apart in time (hardware prefetchers missed them:
// 9 GB/s); with the next product's rows, a sequence of products streams as one.
constexpr int64_t kAhead = 64;

inline __attribute__((always_inline)) void PrefetchRowAhead(const uint8_t* codes, const uint8_t* scales,
                                                            const uint8_t* next_codes, const uint8_t* next_scales,
                                                            int64_t j, int64_t rows, int64_t row_codes,
                                                            int64_t row_scales) {
  int64_t ahead = j + kAhead;
  if (ahead >= rows) {
    if (next_codes == nullptr || ahead - rows >= rows) return;
    ahead -= rows;
    codes = next_codes;
    scales = next_scales;
  }
  const uint8_t* row = codes + ahead * row_codes;
  for (int64_t b = 0; b < row_codes; b += 64) __builtin_prefetch(row + b, 0, 2);
  __builtin_prefetch(scales + ahead * row_scales, 0, 2);
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) void Chunks(const uint8_t* codes, const uint8_t* scales,
                                                              float global, int64_t rows, int64_t cols,
                                                              int64_t chunks, const float* x, float* y,
                                                              const uint8_t* next_codes,
                                                              const uint8_t* next_scales) {
  Vec e2m1;
  for (int c = 0; c < kLanes; ++c) e2m1[c] = numerics::DecodeE2m1(static_cast<uint8_t>(c));
  const int64_t row_codes = cols / 2, row_scales = cols / 16;
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    Vec acc[8] = {};
    for (int64_t j = 0; j < rows; ++j) {
      if (chunk == 0) PrefetchRowAhead(codes, scales, next_codes, next_scales, j, rows, row_codes, row_scales);
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

// The same on AVX-512 with intrinsics. Per row and 128-column chunk: 8 vpermps, 8 FMAs, 4 code
// shifts (the codes loaded 1, 2 and 3 bytes later stand in for shifts by 8, 16 and 24:
// vpermps reads only an index's low 4 bits) and ~12 instructions of scale decode, where the
// portable code takes 7 shifts and ~17 (BENCHMARKS.md).
//
// Scales: a normal E4M3 code (exponent field e > 0) is its own bits moved into a float,
// (code & 0x7F) << 20 with the exponent re-biased by 120; a subnormal one (e = 0) is
// m·2^-9 = 2^-6·(1 + m/8) − 2^-6: the same bits with the exponent field one higher, minus
// 2^-6 (exact). No float denormals, no table.
__attribute__((target("avx512f"))) void ChunksAvx512(const uint8_t* codes, const uint8_t* scales, float global,
                                                     int64_t rows, int64_t cols, int64_t chunks, const float* x,
                                                     float* y, const uint8_t* next_codes,
                                                     const uint8_t* next_scales) {
  alignas(64) float table[kLanes];
  for (int c = 0; c < kLanes; ++c) table[c] = numerics::DecodeE2m1(static_cast<uint8_t>(c));
  const __m512 e2m1 = _mm512_load_ps(table);
  const __m512i magnitude_mask = _mm512_set1_epi32(0x7F), sign_mask = _mm512_set1_epi32(0x80);
  const __m512i eight = _mm512_set1_epi32(8), rebias = _mm512_set1_epi32(120 << 23);
  const __m512i exponent_one = _mm512_set1_epi32(1 << 23);
  const __m512 subnormal_offset = _mm512_set1_ps(0x1p-6f);
  const int64_t row_codes = cols / 2, row_scales = cols / 16;
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    __m512 acc[8];
    for (__m512& a : acc) a = _mm512_setzero_ps();
    // The offset loads read up to 3 bytes past the chunk: fine unless this is the last row and
    // the chunk ends it.
    const bool ends_row = (chunk + 1) * 64 == row_codes;
    for (int64_t j = 0; j < rows; ++j) {
      if (chunk == 0) PrefetchRowAhead(codes, scales, next_codes, next_scales, j, rows, row_codes, row_scales);
      // [s0 s0 s1 s1 ... s7 s7] as float32, times x[j].
      __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales + j * row_scales + chunk * 8));
      const __m512i code = _mm512_cvtepu8_epi32(_mm_unpacklo_epi8(bytes, bytes));
      const __m512i magnitude = _mm512_and_si512(code, magnitude_mask);
      const __mmask16 subnormal = _mm512_cmplt_epi32_mask(magnitude, eight);
      __m512i bits = _mm512_add_epi32(_mm512_slli_epi32(magnitude, 20), rebias);
      bits = _mm512_mask_or_epi32(bits, subnormal, bits, exponent_one);
      __m512 scale = _mm512_castsi512_ps(bits);
      scale = _mm512_mask_sub_ps(scale, subnormal, scale, subnormal_offset);
      const __m512i sign = _mm512_slli_epi32(_mm512_and_si512(code, sign_mask), 24);
      scale = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(scale), sign));
      const __m512 sx = _mm512_mul_ps(scale, _mm512_set1_ps(x[j]));
      const uint8_t* p = codes + j * row_codes + chunk * 64;
      __m512i dwords[4];
      if (j + 1 < rows || !ends_row) {
        for (int q = 0; q < 4; ++q) dwords[q] = _mm512_loadu_si512(p + q);
      } else {
        dwords[0] = _mm512_loadu_si512(p);
        dwords[1] = _mm512_srli_epi32(dwords[0], 8);
        dwords[2] = _mm512_srli_epi32(dwords[0], 16);
        dwords[3] = _mm512_srli_epi32(dwords[0], 24);
      }
      for (int t = 0; t < 8; ++t) {
        const __m512i index = t % 2 == 0 ? dwords[t / 2] : _mm512_srli_epi32(dwords[t / 2], 4);
        acc[t] = _mm512_fmadd_ps(_mm512_permutexvar_ps(index, e2m1), sx, acc[t]);
      }
    }
    for (int t = 0; t < 8; ++t) {
      alignas(64) float lanes[kLanes];
      _mm512_store_ps(lanes, acc[t]);
      for (int lane = 0; lane < kLanes; ++lane) y[chunk * 128 + 8 * lane + t] = lanes[lane] * global;
    }
  }
}

}  // namespace

void Nvfp4TransposedProduct(const uint8_t* codes, const uint8_t* scales, float global, int64_t rows, int64_t cols,
                            const float* x, float* y, const uint8_t* next_codes, const uint8_t* next_scales,
                            bool portable_only) {
  const int64_t chunks = cols / 128;
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512 && !portable_only) {
    ChunksAvx512(codes, scales, global, rows, cols, chunks, x, y, next_codes, next_scales);
  } else {
    Chunks(codes, scales, global, rows, cols, chunks, x, y, next_codes, next_scales);
  }
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
