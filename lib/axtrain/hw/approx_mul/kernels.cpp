#include "axtrain/hw/approx_mul/kernels.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(AX_NO_CLONES)
// AVX2 only: on the AMD EPYC (Zen 4) development machine AVX-512 gathers were slower than AVX2
// ones (conv2 of TinyConv, per core: lut 1.7 vs 2.1 G MAC/s, shift 1.6 vs 1.7 G MAC/s).
#define AX_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define AX_CLONES
#endif

namespace ax::hw::amul {

namespace {
template <class Acc>
inline void lut_row(const std::int32_t* __restrict kidx, const std::int32_t* __restrict aval, std::int64_t nnz,
                    const std::int32_t* __restrict widx, std::int64_t O, const std::int32_t* __restrict S,
                    std::int64_t S_stride, Acc* __restrict acc) {
  for (std::int64_t o = 0; o < O; ++o) acc[o] = 0;
  for (std::int64_t t = 0; t < nnz; ++t) {
    const std::int32_t a = aval[t];
    const std::int32_t* __restrict row = S + static_cast<std::int64_t>(a < 0 ? -a : a) * S_stride;
    const std::int32_t* __restrict w = widx + static_cast<std::int64_t>(kidx[t]) * O;
    if (a >= 0) {  // the LUT row holds sign(w)·M(|a|, |w|); a = 0 counts as non-negative
      for (std::int64_t o = 0; o < O; ++o) acc[o] += row[w[o]];
    } else {
      for (std::int64_t o = 0; o < O; ++o) acc[o] -= row[w[o]];
    }
  }
}
constexpr std::int64_t kBlockK = 16;

// Portable version (any ISA): o in tiles of 32, four 8-lane int32 accumulators.
template <class E>
void expanded_generic(const std::int32_t* __restrict rowidx, std::int64_t nrows, std::int64_t Kg,
                      const E* __restrict table, std::int64_t Ar, std::int64_t Op, std::int32_t* __restrict acc) {
  for (std::int64_t o0 = 0; o0 < Op; o0 += 32)
    for (std::int64_t k0 = 0; k0 < Kg; k0 += kBlockK) {
      const std::int64_t k1 = std::min(Kg, k0 + kBlockK);
      for (std::int64_t r = 0; r < nrows; ++r) {
        std::int32_t s[32];
        std::int32_t* out = acc + r * Op + o0;
        for (int i = 0; i < 32; ++i) s[i] = k0 > 0 ? out[i] : 0;
        const std::int32_t* ri = rowidx + r * Kg;
        for (std::int64_t k = k0; k < k1; ++k) {
          const E* p = table + (k * Ar + ri[k]) * Op + o0;
          for (int i = 0; i < 32; ++i) s[i] += p[i];
        }
        for (int i = 0; i < 32; ++i) out[i] = s[i];
      }
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
// AVX2: NV 8-lane int32 accumulators per row (NV = 8: 64 outputs, two cache lines of int16 per
// table row), int16 entries widened by vpmovsxwd straight from memory.
template <class E, int NV>
__attribute__((target("avx2"))) inline void expanded_tile_avx2(const std::int32_t* __restrict rowidx, std::int64_t nrows,
                                                                std::int64_t Kg, const E* __restrict table,
                                                                std::int64_t Ar, std::int64_t Op, std::int64_t o0,
                                                                std::int32_t* __restrict acc) {
  for (std::int64_t k0 = 0; k0 < Kg; k0 += kBlockK) {
    const std::int64_t k1 = std::min(Kg, k0 + kBlockK);
    for (std::int64_t r = 0; r < nrows; ++r) {
      std::int32_t* out = acc + r * Op + o0;
      __m256i s[NV];
      for (int i = 0; i < NV; ++i)
        s[i] = k0 > 0 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(out + 8 * i)) : _mm256_setzero_si256();
      const std::int32_t* ri = rowidx + r * Kg;
      for (std::int64_t k = k0; k < k1; ++k) {
        const E* p = table + (k * Ar + ri[k]) * Op + o0;
        for (int i = 0; i < NV; ++i) {
          __m256i v;
          if constexpr (sizeof(E) == 2)
            v = _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8 * i)));
          else
            v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 8 * i));
          s[i] = _mm256_add_epi32(s[i], v);
        }
      }
      for (int i = 0; i < NV; ++i) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8 * i), s[i]);
    }
  }
}

template <class E>
__attribute__((target("avx2"))) void expanded_avx2(const std::int32_t* rowidx, std::int64_t nrows, std::int64_t Kg,
                                                   const E* table, std::int64_t Ar, std::int64_t Op, std::int32_t* acc) {
  std::int64_t o0 = 0;
  for (; o0 + 64 <= Op; o0 += 64) expanded_tile_avx2<E, 8>(rowidx, nrows, Kg, table, Ar, Op, o0, acc);
  for (; o0 < Op; o0 += 32) expanded_tile_avx2<E, 4>(rowidx, nrows, Kg, table, Ar, Op, o0, acc);
}

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

template <class E>
void expanded_block(const std::int32_t* rowidx, std::int64_t nrows, std::int64_t Kg, const E* table, std::int64_t Ar,
                    std::int64_t Op, std::int32_t* acc) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (have_avx2()) return expanded_avx2(rowidx, nrows, Kg, table, Ar, Op, acc);
#endif
  expanded_generic(rowidx, nrows, Kg, table, Ar, Op, acc);
}

}  // namespace

void expanded_block_i16(const std::int32_t* rowidx, std::int64_t nrows, std::int64_t Kg, const std::int16_t* table,
                        std::int64_t Ar, std::int64_t Op, std::int32_t* acc) {
  expanded_block(rowidx, nrows, Kg, table, Ar, Op, acc);
}

void expanded_block_i32(const std::int32_t* rowidx, std::int64_t nrows, std::int64_t Kg, const std::int32_t* table,
                        std::int64_t Ar, std::int64_t Op, std::int32_t* acc) {
  expanded_block(rowidx, nrows, Kg, table, Ar, Op, acc);
}

AX_CLONES void lut_row_i32(const std::int32_t* kidx, const std::int32_t* aval, std::int64_t nnz,
                           const std::int32_t* widx, std::int64_t O, const std::int32_t* S,
                           std::int64_t S_stride, std::int32_t* acc) {
  lut_row(kidx, aval, nnz, widx, O, S, S_stride, acc);
}

AX_CLONES void lut_row_i64(const std::int32_t* kidx, const std::int32_t* aval, std::int64_t nnz,
                           const std::int32_t* widx, std::int64_t O, const std::int32_t* S,
                           std::int64_t S_stride, std::int64_t* acc) {
  lut_row(kidx, aval, nnz, widx, O, S, S_stride, acc);
}

AX_CLONES void shift_row(const std::int32_t* __restrict kidx, const std::int32_t* __restrict am,
                         const std::int32_t* __restrict as, std::int64_t nnz, const std::int32_t* __restrict wm,
                         const std::int32_t* __restrict ws, std::int64_t O, std::int64_t* __restrict acc) {
  for (std::int64_t o = 0; o < O; ++o) acc[o] = 0;
  for (std::int64_t t = 0; t < nnz; ++t) {
    const std::int64_t a = am[t];
    const std::int32_t s = as[t];
    const std::int32_t* __restrict m = wm + static_cast<std::int64_t>(kidx[t]) * O;
    const std::int32_t* __restrict sh = ws + static_cast<std::int64_t>(kidx[t]) * O;
    for (std::int64_t o = 0; o < O; ++o) {
      // Two's-complement wrap-around of the shifted product (no UB for negative values).
      acc[o] += static_cast<std::int64_t>(static_cast<std::uint64_t>(a * m[o]) << (s + sh[o]));
    }
  }
}

}  // namespace ax::hw::amul
