#include "axtrain/hw/sc/emulate.h"

#include <cmath>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/hw/mac/weight_cache.h"

namespace ax::hw::sc {

namespace {
double pick_scale(const torch::Tensor& t, const QuantSpec& q, double max_level, const CalibratedRange* r) {
  if (q.policy == ScalePolicy::Fixed) return q.fixed_scale;
  double m = r && q.calibrates() ? r->max_abs : t.numel() ? t.detach().abs().max().item<double>() : 0.0;
  if (!(m > 0.0) || !std::isfinite(m)) return 1.0 / max_level;  // all zero: full scale 1
  return policy_step(m, max_level, q.policy);
}

torch::Tensor unipolar_levels(const torch::Tensor& t, double step, double hi) {
  return torch::clamp(torch::round(t / step), 0.0, hi).to(torch::kInt32);
}
}  // namespace

torch::Tensor bipolar_levels(const torch::Tensor& t, double step, int length) {
  const double l = static_cast<double>(length);
  return torch::clamp(torch::round((t / step + l) * 0.5), 0.0, l);
}

OperandScales choose_scales(const ScOptions& o, const torch::Tensor& x, const torch::Tensor& w,
                            const CalibratedRange* calibrated) {
  OperandScales s;
  const double l = static_cast<double>(o.stream_length);
  const bool bipolar = o.encoding == Encoding::Bipolar;
  s.input = pick_scale(x, o.input, l, calibrated);
  s.weight = pick_scale(w, o.weight, bipolar ? l : l - 1.0, nullptr);
  if (!bipolar) {
    if (o.input.signedness == Signedness::Signed) s.split = true;
    else if (o.input.signedness == Signedness::Auto)
      s.split = calibrated && o.input.calibrates()
                    ? calibrated->negative
                    : x.numel() > 0 && x.detach().min().item<double>() < 0.0;
  }
  return s;
}

Levels operand_levels(const ScOptions& o, const OperandScales& s, const torch::Tensor& x,
                      const torch::Tensor& w) {
  torch::NoGradGuard g;
  Levels lv;
  const double l = static_cast<double>(o.stream_length);
  if (o.encoding == Encoding::Bipolar) {
    lv.x_pos = bipolar_levels(x, s.input, o.stream_length).to(torch::kInt32);
    lv.w_pos = bipolar_levels(w, s.weight, o.stream_length).to(torch::kInt32);
    return lv;
  }
  lv.x_pos = unipolar_levels(torch::clamp_min(x, 0.0), s.input, l);
  if (s.split) lv.x_neg = unipolar_levels(torch::clamp_min(-x, 0.0), s.input, l);
  lv.w_pos = unipolar_levels(torch::clamp_min(w, 0.0), s.weight, l - 1.0);
  lv.w_neg = unipolar_levels(torch::clamp_min(-w, 0.0), s.weight, l - 1.0);
  return lv;
}

namespace {
// The seed state of stream key k in `state` mode (rex-sc's offset → state rule, §7.1.4): the
// (k mod (2^n − 1))-th of the register's 2^n − 1 seedable states in ascending order — 1 .. 2^n − 1
// for the XOR and zero-inserted forms (= ((k) mod (L − 1)) + 1), 0 .. 2^n − 2 for XNOR — and the
// phase is that state's position in the sequence.
std::vector<std::int32_t> state_phase_table(const StreamEncoder& enc) {
  const auto& seq = enc.sequence();
  const std::int64_t states = static_cast<std::int64_t>(enc.length()) - 1;  // 2^n − 1 seedable
  std::vector<std::int64_t> pos(static_cast<std::size_t>(enc.length()), -1);
  for (std::size_t t = 0; t < seq.size(); ++t) pos[seq[t]] = static_cast<std::int64_t>(t);
  const bool from_zero = pos[static_cast<std::size_t>(states)] < 0;  // XNOR never reaches all ones
  std::vector<std::int32_t> out(static_cast<std::size_t>(states));
  for (std::int64_t k = 0; k < states; ++k)
    out[static_cast<std::size_t>(k)] = static_cast<std::int32_t>(pos[static_cast<std::size_t>(from_zero ? k : k + 1)]);
  return out;
}

torch::Tensor mod_phase(torch::Tensor key, std::int64_t period) {
  return key.remainder(period).to(torch::kInt32).contiguous();  // remainder: ≥ 0 for period > 0
}

// n phases uniform in [0, period): phase i = ⌊w_i · period / 2³²⌋, w_i = word i of the stream.
torch::Tensor random_phases(std::int64_t n, std::int64_t period, const rng::Stream& draws) {
  torch::Tensor p = torch::empty({n}, torch::kInt32);
  auto* out = reinterpret_cast<std::uint32_t*>(p.data_ptr<std::int32_t>());
  rng::fill_u32(out, n, draws, 0);
  const auto m = static_cast<std::uint32_t>(period);
  for (std::int64_t i = 0; i < n; ++i) out[i] = rng::below(out[i], m);
  return p;
}

// Phases of the per-sample activation streams (index i = flat index within one sample of the
// streamed layout [C'][H][W]), repeated for every sample.
torch::Tensor activation_phases(const ScOptions& o, const StreamEncoder& enc, std::int64_t per_sample,
                                std::int64_t samples, const rng::Stream& draws) {
  const std::int64_t period = enc.period();
  if (o.phase_mode == PhaseMode::Random)
    return random_phases(samples * per_sample, period, draws.sub(rng::Draw::ActivationPhases));
  torch::Tensor key = torch::arange(per_sample, torch::kInt64) + o.input_offset;
  torch::Tensor p;
  if (o.phase_mode == PhaseMode::State) {
    const std::vector<std::int32_t> tab = state_phase_table(enc);
    p = torch::from_blob(const_cast<std::int32_t*>(tab.data()), {static_cast<std::int64_t>(tab.size())}, torch::kInt32)
            .index_select(0, key.remainder(static_cast<std::int64_t>(tab.size())));
  } else {
    p = mod_phase(key, period);  // index and scatter
  }
  return p.repeat({samples}).contiguous();
}

// Phases of the weight streams (flat index j within the weight tensor [O][Cg][k][k]).
torch::Tensor weight_phases(const ScOptions& o, const StreamEncoder& enc, const ConvGeometry& g,
                            std::int64_t offset, const rng::Stream& phases) {
  const std::int64_t period = enc.period(), cg = g.Cg(), og = g.Og(), kk = g.kh * g.kw;
  const std::int64_t nw = g.O * cg * kk;
  if (o.phase_mode == PhaseMode::Random) return random_phases(nw, period, phases);
  torch::Tensor j = torch::arange(nw, torch::kInt64);
  if (o.phase_mode == PhaseMode::Index) return mod_phase(j + offset, period);
  if (o.phase_mode == PhaseMode::State) {
    const std::vector<std::int32_t> tab = state_phase_table(enc);
    return torch::from_blob(const_cast<std::int32_t*>(tab.data()), {static_cast<std::int64_t>(tab.size())}, torch::kInt32)
        .index_select(0, (j + offset).remainder(static_cast<std::int64_t>(tab.size())))
        .contiguous();
  }
  // Scatter: product r = (c·kh + ky)·kw + kx (c within its group) of output channel o gets the lag
  // o·F + σ(r) + offset behind the stream of the input pixel it meets at output position (0, 0),
  // F = Cg·kh·kw, σ(r) = seq[(r + kScatterBlockShift·⌊r / P⌋) mod P] (seq = the LFSR sequence, a
  // permutation of the P residues). i0 = flat index of that pixel (channel gi·Cg + c, row
  // ky·dil − pad, column kx·dil − pad) in the unsplit input [C][H][W]. At output (oy, ox) the
  // pixel index moves by (oy·W + ox)·stride for every product alike, so each block of P
  // consecutive products of an output takes every lag exactly once (options.h).
  torch::Tensor kx = j.remainder(g.kw), ky = j.div(g.kw, "floor").remainder(g.kh);
  torch::Tensor c = j.div(kk, "floor").remainder(cg), oo = j.div(cg * kk, "floor");
  torch::Tensor r = j.remainder(cg * kk);
  torch::Tensor ch = oo.div(og, "floor") * cg + c;
  torch::Tensor i0 = (ch * g.H + ky * g.dil - g.pad) * g.W + kx * g.dil - g.pad;
  std::vector<std::int64_t> sq(enc.sequence().begin(), enc.sequence().end());
  torch::Tensor seq = torch::from_blob(sq.data(), {period}, torch::kInt64);
  torch::Tensor sigma = seq.index_select(0, (r + kScatterBlockShift * r.div(period, "floor")).remainder(period));
  return mod_phase(i0 + o.input_offset + oo * (cg * kk) + sigma + offset, period);
}

template <class T>
std::vector<T> streams(const StreamEncoder& enc, const torch::Tensor& levels, const torch::Tensor& ph) {
  torch::Tensor lv = levels.contiguous();
  std::vector<T> out(static_cast<std::size_t>(enc.slices() * lv.numel()));
  enc.encode(lv.numel(), lv.data_ptr<std::int32_t>(), ph.data_ptr<std::int32_t>(), out.data());
  return out;
}

// Weight rows [G][S][j][lanes · Og], j = (h · Cg + c) · k² + ky · k + kx (h = 1: the x⁻ half),
// from the weight levels: encoded streams (with flips when configured) in the kernel's order.
// draws: the layer's stream (random phases and flips of W⁺ and W⁻ take their sub-streams).
template <class T>
std::vector<T> weight_rows(const ScOptions& o, const StreamEncoder& enc, const Levels& lv, const ConvGeometry& g0,
                           bool split, const rng::Stream& draws) {
  const bool bipolar = o.encoding == Encoding::Bipolar;
  const int slices = enc.slices();
  const std::int64_t kk = g0.kh * g0.kw, groups = g0.groups;
  const std::int64_t cg = g0.Cg(), og = g0.Og(), nw = g0.O * cg * kk;
  std::vector<T> wpos = streams<T>(enc, lv.w_pos, weight_phases(o, enc, g0, o.weight_pos_offset, draws.sub(rng::Draw::WeightPhases).sub(0)));
  std::vector<T> wneg;
  if (!bipolar) wneg = streams<T>(enc, lv.w_neg, weight_phases(o, enc, g0, o.weight_neg_offset, draws.sub(rng::Draw::WeightPhases).sub(1)));
  if (o.flip_rate > 0.0) {
    flip_bits(wpos.data(), static_cast<std::int64_t>(wpos.size()), o.flip_rate, draws.sub(rng::Draw::WeightFlipsPos));
    if (!wneg.empty())
      flip_bits(wneg.data(), static_cast<std::int64_t>(wneg.size()), o.flip_rate, draws.sub(rng::Draw::WeightFlipsNeg));
  }
  const std::int64_t lanes = bipolar ? 1 : 2, row = lanes * og, halves = split ? 2 : 1;
  const std::int64_t jn = halves * cg * kk;
  std::vector<T> rows(static_cast<std::size_t>(groups * slices * jn * row));
  for (std::int64_t gi = 0; gi < groups; ++gi)
    for (std::int64_t s = 0; s < slices; ++s)
      for (std::int64_t h = 0; h < halves; ++h)
        for (std::int64_t c = 0; c < cg; ++c)
          for (std::int64_t q = 0; q < kk; ++q) {
            T* r = rows.data() + ((gi * slices + s) * jn + (h * cg + c) * kk + q) * row;
            for (std::int64_t oo = 0; oo < og; ++oo) {
              const std::int64_t e = s * nw + ((gi * og + oo) * cg + c) * kk + q;
              if (bipolar) {
                r[oo] = wpos[e];
              } else {
                r[oo] = h == 0 ? wpos[e] : wneg[e];
                r[og + oo] = h == 0 ? wneg[e] : wpos[e];
              }
            }
          }
  return rows;
}

template <class T>
Emulation run(const ScOptions& o, const StreamEncoder& enc, const Levels& lv, const ConvGeometry& g0,
              bool split, const rng::Stream& draws, mac::WeightCache* cache, bool polarities) {
  const bool bipolar = o.encoding == Encoding::Bipolar;
  const int slices = enc.slices();
  const std::int64_t groups = g0.groups, cg = g0.Cg();

  // Activation streams [S][N][C'][H][W]; with split, group g holds its x⁺ then its x⁻ channels.
  ConvGeometry g = g0;
  torch::Tensor a = lv.x_pos.reshape({g0.N, g0.C, g0.H, g0.W});
  if (split) {
    torch::Tensor an = lv.x_neg.reshape({g0.N, groups, 1, cg, g0.H, g0.W});
    a = torch::cat({a.reshape({g0.N, groups, 1, cg, g0.H, g0.W}), an}, 2);
    a = a.reshape({g0.N, 2 * g0.C, g0.H, g0.W});
    g.C = 2 * g0.C;
  }
  const std::int64_t per_sample = g.C * g.H * g.W;
  std::vector<T> acts = streams<T>(enc, a, activation_phases(o, enc, per_sample, g.N, draws));
  if (o.flip_rate > 0.0)
    flip_bits(acts.data(), static_cast<std::int64_t>(acts.size()), o.flip_rate, draws.sub(rng::Draw::ActivationFlips));
  // Deterministic weight streams (index, state or scatter phases; no flips) depend on the weight
  // levels and, for scatter, the input geometry: kept in the layer's cache while both are unchanged.
  // Random phases and flips are drawn per call.
  auto build = [&] { return weight_rows<T>(o, enc, lv, g0, split, draws); };
  const bool keep = cache && o.phase_mode != PhaseMode::Random && o.flip_rate == 0.0;
  const std::shared_ptr<const std::vector<T>> rows =
      keep ? cache->get<std::vector<T>>(lv.w_neg.defined() ? torch::stack({lv.w_pos, lv.w_neg}) : lv.w_pos,
                                        {split ? 1.0 : 0.0, static_cast<double>(groups), static_cast<double>(sizeof(T)),
                                         static_cast<double>(g0.H), static_cast<double>(g0.W),
                                         static_cast<double>(g0.pad), static_cast<double>(g0.dil)},
                                        build)
           : std::make_shared<const std::vector<T>>(build());

  Emulation em;
  em.counts = torch::zeros({g.N, g.O, g.Hout, g.Wout}, torch::kInt32);
  Accumulate acc = bipolar ? Accumulate::Xnor : o.accumulate;
  if (!polarities) {
    em.stats = sc_conv(g, slices, acc, acts.data(), rows->data(), em.counts.data_ptr<std::int32_t>());
    return em;
  }
  if (bipolar) throw std::logic_error("sc: bipolar streams have no polarity split");
  // Row layout [..][lanes · Og]: lane 0 feeds the positive accumulator, lane 1 the negative one.
  const std::int64_t og = g0.Og();
  std::vector<T> only(rows->size());
  for (int lane = 0; lane < 2; ++lane) {
    for (std::size_t i = 0; i < only.size(); ++i)
      only[i] = (static_cast<std::int64_t>(i) % (2 * og)) / og == lane ? (*rows)[i] : T{0};
    torch::Tensor& out = lane == 0 ? em.counts : em.counts_neg;
    if (lane == 1) out = torch::zeros_like(em.counts);
    KernelStats st = sc_conv(g, slices, acc, acts.data(), only.data(), out.data_ptr<std::int32_t>());
    em.stats.rows += st.rows;
    em.stats.skipped += st.skipped;
  }
  em.counts_neg.neg_();  // the kernel subtracts the negative lane
  return em;
}
}  // namespace

Emulation emulate(const ScOptions& o, const StreamEncoder& enc, const Levels& lv, const MacOp& op,
                  const torch::Tensor& x, const torch::Tensor& w, const rng::Stream& draws, mac::WeightCache* cache,
                  bool polarities) {
  const bool linear = op.kind == MacOp::Kind::Linear;
  if (!linear && w.size(2) != w.size(3))
    throw ConfigError(fmt::format("sc: only square convolution kernels are supported (this layer has {}x{})", w.size(2), w.size(3)));
  const ConvGeometry g = mac::geometry(x.sizes(), w.sizes(), op, "sc");
  const bool split = lv.x_neg.defined();
  Emulation em = o.stream_length == 32 ? run<std::uint32_t>(o, enc, lv, g, split, draws, cache, polarities)
                                       : run<std::uint64_t>(o, enc, lv, g, split, draws, cache, polarities);
  if (linear) em.counts = em.counts.reshape({g.N, g.O});
  if (linear && em.counts_neg.defined()) em.counts_neg = em.counts_neg.reshape({g.N, g.O});
  return em;
}

}  // namespace ax::hw::sc
