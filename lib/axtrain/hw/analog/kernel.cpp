#include "axtrain/hw/analog/kernel.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <ATen/Parallel.h>

#include "axtrain/core/errors.h"
#include "axtrain/hw/analog/tiles.h"
#include "axtrain/hw/mac/geometry.h"

namespace ax::hw::analog {

namespace {

// P⁺, P⁻ of one array (elements k0..k1 of one row) for all O output channels of a group.
// wp, wn: [K][O] magnitudes of the positive and negative weights.
__attribute__((target_clones("avx512f", "avx2", "default")))
void array_sums(const std::int32_t* a, std::int64_t k0, std::int64_t k1, const std::int32_t* wp,
                const std::int32_t* wn, std::int64_t O, std::int32_t* pp, std::int32_t* pn) {
  for (std::int64_t o = 0; o < O; ++o) pp[o] = pn[o] = 0;
  for (std::int64_t k = k0; k < k1; ++k) {
    const std::int32_t v = a[k];
    if (v == 0) continue;  // zero inputs (ReLU, padding) draw no current
    const std::int32_t m = v > 0 ? v : -v;
    const std::int32_t* __restrict p = (v > 0 ? wp : wn) + k * O;
    const std::int32_t* __restrict n = (v > 0 ? wn : wp) + k * O;
    std::int32_t* __restrict sp = pp;
    std::int32_t* __restrict sn = pn;
    for (std::int64_t o = 0; o < O; ++o) {
      sp[o] += m * p[o];
      sn[o] += m * n[o];
    }
  }
}

// ADC read-out of both lines and digital accumulation; returns the number of saturated sums.
__attribute__((target_clones("avx512f", "avx2", "default")))
std::int64_t adc_accumulate(const std::int32_t* __restrict pp, const std::int32_t* __restrict pn,
                            std::int64_t O, double levels, double gain, double fs,
                            std::int64_t* __restrict acc) {
  std::int64_t sat = 0;
  for (std::int64_t o = 0; o < O; ++o) {
    const double p = static_cast<double>(pp[o]), n = static_cast<double>(pn[o]);
    const double cp = std::min(std::nearbyint(p * gain), levels);
    const double cn = std::min(std::nearbyint(n * gain), levels);
    // codes ≤ 2^16 − 1: the int32 difference keeps the loop vectorisable (no double → int64)
    acc[o] += static_cast<std::int64_t>(static_cast<std::int32_t>(cp) - static_cast<std::int32_t>(cn));
    sat += static_cast<std::int64_t>(p > fs) + static_cast<std::int64_t>(n > fs);
  }
  return sat;
}

// Ideal read-out: the codes are the partial sums.
__attribute__((target_clones("avx512f", "avx2", "default")))
void ideal_accumulate(const std::int32_t* __restrict pp, const std::int32_t* __restrict pn,
                      std::int64_t O, std::int64_t* __restrict acc) {
  for (std::int64_t o = 0; o < O; ++o) acc[o] += static_cast<std::int64_t>(pp[o] - pn[o]);
}

using mac::Geometry;

// Weight magnitudes of each group, packed [k][o] per polarity.
struct Packed {
  std::vector<std::int32_t> pos, neg;
};

std::vector<Packed> pack(const torch::Tensor& wc, const Geometry& g) {
  const std::int32_t* w = wc.data_ptr<std::int32_t>();
  const std::int64_t Kg = g.Kg(), Og = g.Og();
  const std::vector<std::int32_t> pos = mac::pack_weights<std::int32_t>(w, g, Og, [](std::int32_t v) { return v > 0 ? v : 0; });
  const std::vector<std::int32_t> neg = mac::pack_weights<std::int32_t>(w, g, Og, [](std::int32_t v) { return v < 0 ? -v : 0; });
  std::vector<Packed> out(static_cast<std::size_t>(g.groups));
  for (std::int64_t gi = 0; gi < g.groups; ++gi) {
    out[static_cast<std::size_t>(gi)].pos.assign(pos.begin() + gi * Kg * Og, pos.begin() + (gi + 1) * Kg * Og);
    out[static_cast<std::size_t>(gi)].neg.assign(neg.begin() + gi * Kg * Og, neg.begin() + (gi + 1) * Kg * Og);
  }
  return out;
}

// Calls visit(rows, L, packed, n, gi, thread_state) for every sample and group, samples in
// parallel. make_state() builds one per-task state object.
template <class State, class MakeState, class Visit, class Done>
void for_each_block(const torch::Tensor& xc, const Geometry& g, const std::vector<Packed>& w,
                    MakeState make_state, Visit visit, Done done) {
  const std::int32_t* x = xc.data_ptr<std::int32_t>();
  const std::int64_t grain = g.conv ? 1 : std::max<std::int64_t>(1, 4096 / std::max<std::int64_t>(g.Kg(), 1));
  at::parallel_for(0, g.N, grain, [&](std::int64_t begin, std::int64_t end) {
    State st = make_state();
    std::vector<std::int32_t> rows(g.conv ? static_cast<std::size_t>(g.L() * g.Kg()) : 0);
    for (std::int64_t n = begin; n < end; ++n)
      for (std::int64_t gi = 0; gi < g.groups; ++gi) {
        const std::int32_t* r = x + n * g.Kg();  // linear: the input row itself
        if (g.conv) {
          mac::unroll(x, g, n, gi, 0, g.L(), rows.data());
          r = rows.data();
        }
        visit(st, r, w[static_cast<std::size_t>(gi)], n, gi);
      }
    done(st);
  });
}

}  // namespace

double max_partial_sum(std::int64_t array_size, std::int64_t max_input, std::int64_t max_weight) {
  return static_cast<double>(array_size) * static_cast<double>(max_input) * static_cast<double>(max_weight);
}

std::int64_t arrays_per_output(const torch::Tensor& wc, std::int64_t array_size) {
  std::int64_t k = 1;
  for (std::int64_t d = 1; d < wc.dim(); ++d) k *= wc.size(d);
  return (k + array_size - 1) / array_size;
}

RunResult run(const torch::Tensor& xc_in, const torch::Tensor& wc_in, const MacOp& op,
              std::int64_t A, const Adc& adc, std::int64_t max_x, std::int64_t max_w, mac::WeightCache* cache) {
  torch::Tensor xc = xc_in.contiguous(), wc = wc_in.contiguous();
  const Geometry g = mac::geometry(xc.sizes(), wc.sizes(), op, "analog");
  if (xc.numel() > 0 && wc.numel() > 0) {
    if (max_x < 0) max_x = xc.abs().max().item<std::int64_t>();
    if (max_w < 0) max_w = wc.abs().max().item<std::int64_t>();
    if (max_partial_sum(A, max_x, max_w) < kTileExactBound) return run_tiles(xc, wc, g, A, adc, cache);
  }
  const std::vector<Packed> w = pack(wc, g);
  torch::Tensor acc = g.conv ? torch::empty({g.N, g.O, g.Hout, g.Wout}, torch::kInt64)
                             : torch::empty({g.N, g.O}, torch::kInt64);
  std::int64_t* out = acc.data_ptr<std::int64_t>();
  std::int64_t saturated = 0;
  std::mutex mu;
  struct State {
    std::vector<std::int32_t> pp, pn;
    std::vector<std::int64_t> sum;
    std::int64_t sat = 0;
  };
  const double levels = static_cast<double>(adc.levels);
  for_each_block<State>(
      xc, g, w,
      [&] {
        State s;
        s.pp.resize(static_cast<std::size_t>(g.Og()));
        s.pn.resize(static_cast<std::size_t>(g.Og()));
        s.sum.resize(static_cast<std::size_t>(g.Og()));
        return s;
      },
      [&](State& s, const std::int32_t* rows, const Packed& p, std::int64_t n, std::int64_t gi) {
        for (std::int64_t l = 0; l < g.L(); ++l) {
          const std::int32_t* a = rows + l * g.Kg();
          std::fill(s.sum.begin(), s.sum.end(), 0);
          for (std::int64_t k0 = 0; k0 < g.Kg(); k0 += A) {
            array_sums(a, k0, std::min(k0 + A, g.Kg()), p.pos.data(), p.neg.data(), g.Og(),
                       s.pp.data(), s.pn.data());
            if (adc.levels == 0)
              ideal_accumulate(s.pp.data(), s.pn.data(), g.Og(), s.sum.data());
            else
              s.sat += adc_accumulate(s.pp.data(), s.pn.data(), g.Og(), levels, adc.gain,
                                      adc.full_scale, s.sum.data());
          }
          std::int64_t* dst = out + (n * g.O + gi * g.Og()) * g.L() + l;
          for (std::int64_t o = 0; o < g.Og(); ++o) dst[o * g.L()] = s.sum[static_cast<std::size_t>(o)];
        }
      },
      [&](State& s) {
        std::lock_guard<std::mutex> lock(mu);
        saturated += s.sat;
      });
  RunResult r;
  r.acc = acc;
  r.partial_sums = 2 * g.N * g.O * g.L() * ((g.Kg() + A - 1) / A);
  r.saturated = saturated;
  return r;
}

void histogram(const torch::Tensor& xc_in, const torch::Tensor& wc_in, const MacOp& op,
               std::int64_t A, std::int64_t width, std::vector<std::int64_t>& hist) {
  torch::Tensor xc = xc_in.contiguous(), wc = wc_in.contiguous();
  const Geometry g = mac::geometry(xc.sizes(), wc.sizes(), op, "analog");
  const std::vector<Packed> w = pack(wc, g);
  std::mutex mu;
  struct State {
    std::vector<std::int32_t> pp, pn;
    std::vector<std::int64_t> h;
  };
  const std::int64_t nb = static_cast<std::int64_t>(hist.size());
  for_each_block<State>(
      xc, g, w,
      [&] {
        State s;
        s.pp.resize(static_cast<std::size_t>(g.Og()));
        s.pn.resize(static_cast<std::size_t>(g.Og()));
        s.h.assign(hist.size(), 0);
        return s;
      },
      [&](State& s, const std::int32_t* rows, const Packed& p, std::int64_t, std::int64_t) {
        for (std::int64_t l = 0; l < g.L(); ++l)
          for (std::int64_t k0 = 0; k0 < g.Kg(); k0 += A) {
            array_sums(rows + l * g.Kg(), k0, std::min(k0 + A, g.Kg()), p.pos.data(), p.neg.data(),
                       g.Og(), s.pp.data(), s.pn.data());
            for (std::int64_t o = 0; o < g.Og(); ++o) {
              s.h[static_cast<std::size_t>(std::min<std::int64_t>(s.pp[o] / width, nb - 1))] += 1;
              s.h[static_cast<std::size_t>(std::min<std::int64_t>(s.pn[o] / width, nb - 1))] += 1;
            }
          }
      },
      [&](State& s) {
        std::lock_guard<std::mutex> lock(mu);
        for (std::size_t i = 0; i < hist.size(); ++i) hist[i] += s.h[i];
      });
}

}  // namespace ax::hw::analog
