// <immintrin.h> for the hand-vectorized AVX-512 paths (functions carrying their own target
// attributes). GCC 12's AVX-512 intrinsics start from self-initialized "undefined" vectors,
// which -Wmaybe-uninitialized reports at the header's lines once they are inlined into the
// includer; the warning is silenced for the header alone (clang has neither the false positive
// nor the warning group).
#ifndef DSC_NUMERICS_X86_INTRINSICS_H_
#define DSC_NUMERICS_X86_INTRINSICS_H_

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif  // DSC_NUMERICS_X86_INTRINSICS_H_
