#include "axtrain/hw/approx_mul/kernels.h"

#include <algorithm>
#include <cstring>

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
constexpr std::int64_t kTileO = 32, kBlockK = 16;

template <class E>
inline void expanded_block(const std::int32_t* __restrict rowidx, std::int64_t nrows, std::int64_t Kg,
                           const E* __restrict table, std::int64_t Ar, std::int64_t Op, std::int32_t* __restrict acc) {
  typedef std::int32_t v8si __attribute__((vector_size(32)));
  typedef E v8e __attribute__((vector_size(8 * sizeof(E))));
  auto add = [](v8si& s, const E* p) {  // s += the 8 table entries at p, widened to int32
    v8e v;
    std::memcpy(&v, p, sizeof v);
    s += __builtin_convertvector(v, v8si);
  };
  for (std::int64_t o0 = 0; o0 < Op; o0 += kTileO) {
    for (std::int64_t k0 = 0; k0 < Kg; k0 += kBlockK) {
      const std::int64_t k1 = std::min(Kg, k0 + kBlockK);
      for (std::int64_t r = 0; r < nrows; ++r) {
        std::int32_t* out = acc + r * Op + o0;
        v8si s0 = {}, s1 = {}, s2 = {}, s3 = {};
        if (k0 > 0) {
          std::memcpy(&s0, out, 32);
          std::memcpy(&s1, out + 8, 32);
          std::memcpy(&s2, out + 16, 32);
          std::memcpy(&s3, out + 24, 32);
        }
        const std::int32_t* ri = rowidx + r * Kg;
        for (std::int64_t k = k0; k < k1; ++k) {
          const E* p = table + (k * Ar + ri[k]) * Op + o0;
          add(s0, p);
          add(s1, p + 8);
          add(s2, p + 16);
          add(s3, p + 24);
        }
        std::memcpy(out, &s0, 32);
        std::memcpy(out + 8, &s1, 32);
        std::memcpy(out + 16, &s2, 32);
        std::memcpy(out + 24, &s3, 32);
      }
    }
  }
}

}  // namespace

AX_CLONES void expanded_block_i16(const std::int32_t* rowidx, std::int64_t nrows, std::int64_t Kg,
                                  const std::int16_t* table, std::int64_t Ar, std::int64_t Op, std::int32_t* acc) {
  expanded_block(rowidx, nrows, Kg, table, Ar, Op, acc);
}

AX_CLONES void expanded_block_i32(const std::int32_t* rowidx, std::int64_t nrows, std::int64_t Kg,
                                  const std::int32_t* table, std::int64_t Ar, std::int64_t Op, std::int32_t* acc) {
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
