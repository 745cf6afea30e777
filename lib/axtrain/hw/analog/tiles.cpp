#include "axtrain/hw/analog/tiles.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include <ATen/Parallel.h>

#include "axtrain/hw/mac/clones.h"
#include "axtrain/hw/mac/weight_cache.h"

namespace ax::hw::analog {

namespace {

constexpr int R = 4;  // rows per tile
constexpr int V = 8;  // output channels per tile (one 256-bit vector of fp32)
typedef float vf __attribute__((vector_size(V * sizeof(float))));

inline void load(vf& v, const float* p) { std::memcpy(&v, p, sizeof v); }

struct TileArgs {
  const float* pos;      // [rows][Kg] input magnitudes routed to the same lines (a ≥ 0)
  const float* neg;      // [rows][Kg] magnitudes of negative inputs, or null when there are none
  std::int64_t Kg, A;
  const float* wp;       // [Kg][Og_pad] W⁺ magnitudes, at the tile's first column
  const float* wn;       // [Kg][Og_pad] W⁻ magnitudes
  std::int64_t Og_pad;
  double levels, gain, fs;  // levels 0: ideal read-out
};

// One tile: acc[r·V + v] = Σ_arrays code(P⁺) − code(P⁻); returns the saturated partial sums.
AX_CLONES_V4_V3 std::int64_t tile(const TileArgs& t, double* __restrict acc) {
  double sum[R * V] = {};
  std::int64_t sat = 0;
  for (std::int64_t k0 = 0; k0 < t.Kg; k0 += t.A) {
    const std::int64_t k1 = std::min(k0 + t.A, t.Kg);
    vf p[R], n[R];
    for (int r = 0; r < R; ++r) p[r] = n[r] = vf{};
    // Inputs a on lines (to_p, to_n): P⁺ += a·to_p, P⁻ += a·to_n over the array's products.
    auto lines = [&](const float* a, const float* to_p, const float* to_n) {
      for (std::int64_t k = k0; k < k1; ++k) {
        vf w1, w2;
        load(w1, to_p + k * t.Og_pad);
        load(w2, to_n + k * t.Og_pad);
        for (int r = 0; r < R; ++r) {
          const float v = a[r * t.Kg + k];
          p[r] += v * w1;
          n[r] += v * w2;
        }
      }
    };
    lines(t.pos, t.wp, t.wn);
    // Split-unipolar routing: a negative input drives the opposite lines.
    if (t.neg) lines(t.neg, t.wn, t.wp);
    float pp[R * V], pn[R * V];
    std::memcpy(pp, p, sizeof pp);
    std::memcpy(pn, n, sizeof pn);
    if (t.levels == 0) {
      for (int i = 0; i < R * V; ++i) sum[i] += static_cast<double>(pp[i]) - static_cast<double>(pn[i]);
    } else {
      for (int i = 0; i < R * V; ++i) {
        const double dp = pp[i], dn = pn[i];
        sum[i] += std::min(std::nearbyint(dp * t.gain), t.levels) - std::min(std::nearbyint(dn * t.gain), t.levels);
        sat += static_cast<std::int64_t>(dp > t.fs) + static_cast<std::int64_t>(dn > t.fs);
      }
    }
  }
  std::memcpy(acc, sum, sizeof sum);
  return sat;
}

}  // namespace

RunResult run_tiles(const torch::Tensor& xc_in, const torch::Tensor& wc_in, const mac::Geometry& g,
                    std::int64_t A, const Adc& adc, mac::WeightCache* cache) {
  const torch::Tensor xc = xc_in.contiguous(), wc = wc_in.contiguous();
  const std::int64_t Kg = g.Kg(), Og = g.Og(), Og_pad = (Og + V - 1) / V * V, L = g.L();
  struct Packed {
    std::vector<float> pos, neg;
  };
  auto pack = [&] {
    const std::int32_t* wcp = wc.data_ptr<std::int32_t>();
    Packed p;
    p.pos = mac::pack_weights<float>(wcp, g, Og_pad, [](std::int32_t v) { return v > 0 ? static_cast<float>(v) : 0.f; });
    p.neg = mac::pack_weights<float>(wcp, g, Og_pad, [](std::int32_t v) { return v < 0 ? static_cast<float>(-v) : 0.f; });
    return p;
  };
  const std::shared_ptr<const Packed> packed =
      cache ? cache->get<Packed>(wc, {static_cast<double>(g.groups)}, pack) : std::make_shared<const Packed>(pack());
  const std::vector<float>& wpos = packed->pos;
  const std::vector<float>& wneg = packed->neg;
  // Input magnitudes per line as fp32 (exact: |a| ≤ 65535).
  const bool signed_inputs = xc.numel() > 0 && xc.min().item<std::int32_t>() < 0;
  // Unsigned inputs (the usual case) are unrolled straight from the int32 codes.
  const torch::Tensor xpos = signed_inputs ? xc.clamp_min(0).contiguous() : xc;
  const torch::Tensor xneg = signed_inputs ? (-xc).clamp_min(0).contiguous() : torch::Tensor();

  torch::Tensor acc = g.conv ? torch::empty({g.N, g.O, g.Hout, g.Wout}, torch::kInt64)
                             : torch::empty({g.N, g.O}, torch::kInt64);
  std::int64_t* out = acc.data_ptr<std::int64_t>();
  // Tasks: (group, block of B rows); a block's unrolled inputs stay in L1/L2 across its tiles.
  const std::int64_t rows = g.rows(), B = 32, blocks = (rows + B - 1) / B;
  std::atomic<std::int64_t> saturated{0};
  at::parallel_for(0, g.groups * blocks, 1, [&](std::int64_t begin, std::int64_t end) {
    std::vector<float> bpos(static_cast<std::size_t>(B * Kg)), bneg(signed_inputs ? bpos.size() : 0);
    std::vector<double> tacc(R * V);
    std::int64_t sat = 0;
    for (std::int64_t task = begin; task < end; ++task) {
      const std::int64_t gi = task / blocks, r0 = (task % blocks) * B, r1 = std::min(rows, r0 + B);
      // Unroll rows r0..r1 (they may span samples); rows past r1 up to the tile edge are zero.
      auto fill = [&](const torch::Tensor& src, std::vector<float>& dst) {
        mac::unroll_rows(src.data_ptr<std::int32_t>(), g, gi, r0, r1, dst.data());
        std::fill(dst.begin() + (r1 - r0) * Kg, dst.end(), 0.f);
      };
      fill(xpos, bpos);
      if (signed_inputs) fill(xneg, bneg);
      for (std::int64_t rt = r0; rt < r1; rt += R) {
        for (std::int64_t o0 = 0; o0 < Og; o0 += V) {
          TileArgs t{bpos.data() + (rt - r0) * Kg,
                     signed_inputs ? bneg.data() + (rt - r0) * Kg : nullptr,
                     Kg, A,
                     wpos.data() + gi * Kg * Og_pad + o0,
                     wneg.data() + gi * Kg * Og_pad + o0,
                     Og_pad, static_cast<double>(adc.levels), adc.gain, adc.full_scale};
          // Padded rows (zero inputs) and padded channels (zero weights) have P = 0: never
          // saturated, never written.
          sat += tile(t, tacc.data());
          for (int r = 0; r < R && rt + r < r1; ++r) {
            const std::int64_t row = rt + r, n = row / L, l = row % L;
            for (int v = 0; v < V && o0 + v < Og; ++v)
              out[g.out_index(n, gi * Og + o0 + v, l)] = static_cast<std::int64_t>(tacc[r * V + v]);
          }
        }
      }
    }
    saturated += sat;
  });
  RunResult res;
  res.acc = acc;
  res.partial_sums = 2 * g.N * g.O * L * ((Kg + A - 1) / A);
  res.saturated = saturated.load();
  return res;
}

}  // namespace ax::hw::analog
