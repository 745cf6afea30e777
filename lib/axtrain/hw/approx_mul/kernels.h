// CPU inner loops of the approx_mul layer model. Each call computes one output row: the products
// of one input patch (given as its non-zero entries: position k in the patch and signed code) with
// the O output channels' weights, accumulated exactly.
//
//   lut:   acc[o] = Σ_t sgn(a_t) · S[|a_t|][widx[k_t][o]]  — S is the signed LUT (row |a|, column =
//          signed weight code + offset, value sign(w)·M(|a|,|w|)): a gather-add over o.
//   shift: acc[o] = Σ_t (am_t · wm[k_t][o]) << (as_t + ws[k_t][o])  — DRUM/exact in mantissa/shift
//          form with signed mantissas: a multiply-shift-add over o (int64).
// Built for two ISAs (target_clones: AVX2 gathers, baseline x86-64); the best one is picked at
// load time. Never compiled with -march=native.
#pragma once
#include <cstdint>

namespace ax::hw::amul {

void lut_row_i32(const std::int32_t* kidx, const std::int32_t* aval, std::int64_t nnz,
                 const std::int32_t* widx, std::int64_t O, const std::int32_t* S, std::int64_t S_stride,
                 std::int32_t* acc);
void lut_row_i64(const std::int32_t* kidx, const std::int32_t* aval, std::int64_t nnz,
                 const std::int32_t* widx, std::int64_t O, const std::int32_t* S, std::int64_t S_stride,
                 std::int64_t* acc);
// Expanded LUT (weight-stationary): the LUT entries of every weight are looked up once per call
// into table[(k·Ar + i)·Op + o] = the signed product of output o's weight at patch position k with
// the activation of table row i (Ar rows per k: one per activation value that occurs, plus an
// all-zero row for the padding); the rows of a block then only *load* contiguous table rows
// (no gathers): acc[r·Op + o] = Σ_k table[(k·Ar + rowidx[r·Kg + k])·Op + o], o in tiles of 32,
// k in blocks that keep the touched table in L2. Op is a multiple of 32. E = int16 when every
// product fits, else int32; int32 accumulators (the caller checks the bound).
void expanded_block_i16(const std::int32_t* rowidx, std::int64_t nrows, std::int64_t Kg, const std::int16_t* table,
                        std::int64_t Ar, std::int64_t Op, std::int32_t* acc);
void expanded_block_i32(const std::int32_t* rowidx, std::int64_t nrows, std::int64_t Kg, const std::int32_t* table,
                        std::int64_t Ar, std::int64_t Op, std::int32_t* acc);

void shift_row(const std::int32_t* kidx, const std::int32_t* am, const std::int32_t* as, std::int64_t nnz,
               const std::int32_t* wm, const std::int32_t* ws, std::int64_t O, std::int64_t* acc);

}  // namespace ax::hw::amul
