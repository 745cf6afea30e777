// The scaffolding every MAC-level hardware kernel shares (sc, approx_mul, analog): the geometry of
// a layer seen as rows × fan-in, the im2col of one sample, weight packing with the output channel
// fastest, and the MacOp in an autograd context. A kernel fix lands here once; a new MAC-level
// hardware model writes only its inner loop (docs/hardware.md, "Adding a hardware model").
//
// A linear layer is a 1×1 convolution of a 1×1 image: rows = samples, Kg = in. For a convolution
// a row is one output position (n, oh, ow) of one group; its Kg = C/groups · kh · kw products are
// ordered (c, i, j), the flattening of the weight [O, C/g, kh, kw].
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "axtrain/hw/mac_op.h"

namespace torch::autograd {
struct AutogradContext;
}

namespace ax::hw::mac {

struct Geometry {
  bool conv = false;
  std::int64_t N = 0, C = 0, H = 1, W = 1;        // input
  std::int64_t O = 0, kh = 1, kw = 1;             // weight
  std::int64_t stride = 1, pad = 0, dil = 1, groups = 1;
  std::int64_t Hout = 1, Wout = 1;                // output image
  std::int64_t Cg() const { return C / groups; }
  std::int64_t Og() const { return O / groups; }
  std::int64_t Kg() const { return Cg() * kh * kw; }  // products summed into one output
  std::int64_t L() const { return Hout * Wout; }      // rows per sample
  std::int64_t rows() const { return N * L(); }
  // Offset of output (n, o, l) in the [N, O, Hout, Wout] (or [N, O]) result.
  std::int64_t out_index(std::int64_t n, std::int64_t o, std::int64_t l) const { return (n * O + o) * L() + l; }
};

// Checks the shapes (x: [N, in] / [N, C, H, W]; w: [O, in] / [O, C/g, kh, kw]) against `op` and
// returns the geometry; `who` names the kernel in the error message.
Geometry geometry(at::IntArrayRef x, at::IntArrayRef w, const MacOp& op, const char* who);

// im2col of rows [l0, l1) of sample n, group gi: rows[(l − l0)·Kg + k] = input under product k of
// output position l (converted from S to T), `fill` where it falls on the zero padding.
template <class S, class T>
void unroll(const S* x, const Geometry& g, std::int64_t n, std::int64_t gi, std::int64_t l0, std::int64_t l1,
            T* rows, T fill = T(0)) {
  const std::int64_t Cg = g.Cg(), Kg = g.Kg();
  const S* xs = x + (n * g.C + gi * Cg) * g.H * g.W;
  for (std::int64_t l = l0; l < l1; ++l) {
    const std::int64_t oh = l / g.Wout, ow = l % g.Wout;
    // Kernel columns j in [j0, j1) fall inside the image; the same for every channel and row.
    const std::int64_t iw0 = ow * g.stride - g.pad;
    std::int64_t j0 = 0, j1 = g.kw;
    while (j0 < g.kw && iw0 + j0 * g.dil < 0) ++j0;
    while (j1 > j0 && iw0 + (j1 - 1) * g.dil >= g.W) --j1;
    T* r = rows + (l - l0) * Kg;
    for (std::int64_t c = 0; c < Cg; ++c)
      for (std::int64_t i = 0; i < g.kh; ++i, r += g.kw) {
        const std::int64_t ih = oh * g.stride - g.pad + i * g.dil;
        if (ih < 0 || ih >= g.H) {
          std::fill(r, r + g.kw, fill);
          continue;
        }
        const S* src = xs + (c * g.H + ih) * g.W + iw0;
        std::fill(r, r + j0, fill);
        for (std::int64_t j = j0; j < j1; ++j) r[j] = static_cast<T>(src[j * g.dil]);  // kw is small: no memmove
        std::fill(r + j1, r + g.kw, fill);
      }
  }
}

// Number of products of row r (= n·L + l) whose input lies inside the image (the rest fall on the
// padding): Cg · (valid kernel rows) · (valid kernel columns).
inline std::int64_t in_image_products(const Geometry& g, std::int64_t r) {
  const std::int64_t l = r % g.L(), oh = l / g.Wout, ow = l % g.Wout;
  auto valid = [](std::int64_t start, std::int64_t k, std::int64_t dil, std::int64_t size) {
    std::int64_t v = 0;
    for (std::int64_t i = 0; i < k; ++i) v += (start + i * dil >= 0 && start + i * dil < size);
    return v;
  };
  return g.Cg() * valid(oh * g.stride - g.pad, g.kh, g.dil, g.H) * valid(ow * g.stride - g.pad, g.kw, g.dil, g.W);
}

// im2col of global rows [r0, r1) (r = n·L + l; a block may span samples) of group gi; elements
// converted from S to T.
template <class S, class T>
void unroll_rows(const S* x, const Geometry& g, std::int64_t gi, std::int64_t r0, std::int64_t r1, T* rows,
                 T fill = T(0)) {
  const std::int64_t L = g.L();
  for (std::int64_t r = r0; r < r1;) {
    const std::int64_t n = r / L, l0 = r % L, l1 = std::min(L, l0 + (r1 - r));
    unroll(x, g, n, gi, l0, l1, rows + (r - r0) * g.Kg(), fill);
    r += l1 - l0;
  }
}

// Visits the products of row r (= n·L + l) in group gi whose input lies inside the image:
// visit(k, index of the input element in x). Padding is skipped.
template <class Visit>
void for_each_patch_input(const Geometry& g, std::int64_t r, std::int64_t gi, Visit visit) {
  const std::int64_t n = r / g.L(), l = r % g.L(), oh = l / g.Wout, ow = l % g.Wout;
  for (std::int64_t c = 0; c < g.Cg(); ++c) {
    const std::int64_t plane = (n * g.C + gi * g.Cg() + c) * g.H * g.W;
    for (std::int64_t i = 0; i < g.kh; ++i) {
      const std::int64_t ih = oh * g.stride - g.pad + i * g.dil;
      if (ih < 0 || ih >= g.H) continue;
      for (std::int64_t j = 0; j < g.kw; ++j) {
        const std::int64_t iw = ow * g.stride - g.pad + j * g.dil;
        if (iw < 0 || iw >= g.W) continue;
        visit((c * g.kh + i) * g.kw + j, plane + ih * g.W + iw);
      }
    }
  }
}

// Weights w [O][Kg] (any element type) packed as [groups][Kg][Og_pad] through f(value) → T:
// output channel fastest, each row padded with T(0) to Og_pad ≥ Og (a multiple of a kernel's
// vector width, or Og).
template <class T, class S, class F>
std::vector<T> pack_weights(const S* w, const Geometry& g, std::int64_t Og_pad, F f) {
  const std::int64_t Kg = g.Kg(), Og = g.Og();
  std::vector<T> out(static_cast<std::size_t>(g.groups * Kg * Og_pad), T(0));
  for (std::int64_t gr = 0; gr < g.groups; ++gr)
    for (std::int64_t o = 0; o < Og; ++o)
      for (std::int64_t k = 0; k < Kg; ++k)
        out[static_cast<std::size_t>((gr * Kg + k) * Og_pad + o)] = f(w[(gr * Og + o) * Kg + k]);
  return out;
}

// An integer accumulator (int32/int64, CPU) times `scale` as the layer's output: each element is
// double(acc) · scale rounded once to `dtype` — the same bits as acc.to(kFloat64) * scale followed
// by .to(dtype), in one parallel pass instead of three — then moved to `device`.
torch::Tensor scale_output(const torch::Tensor& acc, double scale, torch::ScalarType dtype, torch::Device device);

// The MacOp of a custom autograd function, saved in forward and read back in backward.
void save(torch::autograd::AutogradContext* ctx, const MacOp& op);
MacOp load(torch::autograd::AutogradContext* ctx);

}  // namespace ax::hw::mac
