#include "axtrain/hw/approx_mul/engine.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "axtrain/hw/approx_mul/kernels.h"
#include "axtrain/hw/mac/geometry.h"
#include "axtrain/hw/mac/threads.h"
#include "axtrain/hw/mac/weight_cache.h"

namespace ax::hw::amul {

double IntegerMac::expanded_limit_bytes = 512.0 * (1 << 20);

namespace {

using mac::Geometry;

// Weights as [G][Kg][Og] (output channel fastest) of the given per-code transform.
template <class F>
std::vector<std::int32_t> pack_weights(const std::int32_t* w, const Geometry& g, F f) {
  return mac::pack_weights<std::int32_t>(w, g, g.Og(), f);
}

// Collects the entries of the input patch of output row r in group gr that lie inside the image
// (zero activations too unless skip_zeros): push(t, position k in the patch, index in x).
template <class Push>
std::int64_t gather_patch(const std::int32_t* x, const Geometry& g, std::int64_t r, std::int64_t gr,
                          bool skip_zeros, Push push) {
  std::int64_t nnz = 0;
  mac::for_each_patch_input(g, r, gr, [&](std::int64_t k, std::int64_t at) {
    if (!skip_zeros || x[at] != 0) push(nnz++, k, at);
  });
  return nnz;
}

inline std::int32_t iabs(std::int32_t v) { return v < 0 ? -v : v; }

// build() through the layer's cache when it has one.
template <class T, class Build>
std::shared_ptr<const T> cached(mac::WeightCache* cache, const torch::Tensor& key, std::vector<double> extra,
                                Build&& build) {
  if (!cache) return std::make_shared<const T>(build());
  return cache->get<T>(key, std::move(extra), std::forward<Build>(build));
}

// Smallest and largest code of x in one parallel pass.
std::pair<std::int32_t, std::int32_t> min_max(const std::int32_t* x, std::int64_t n) {
  const int slots = at::get_num_threads();
  std::vector<std::int32_t> lo(static_cast<std::size_t>(slots), std::numeric_limits<std::int32_t>::max());
  std::vector<std::int32_t> hi(static_cast<std::size_t>(slots), std::numeric_limits<std::int32_t>::min());
  at::parallel_for(0, n, 65536, [&](std::int64_t b, std::int64_t e) {
    std::int32_t l = std::numeric_limits<std::int32_t>::max(), h = std::numeric_limits<std::int32_t>::min();
    for (std::int64_t i = b; i < e; ++i) {
      l = std::min(l, x[i]);
      h = std::max(h, x[i]);
    }
    const auto t = static_cast<std::size_t>(at::get_thread_num());
    lo[t] = std::min(lo[t], l);
    hi[t] = std::max(hi[t], h);
  });
  return {*std::min_element(lo.begin(), lo.end()), *std::max_element(hi.begin(), hi.end())};
}

// DRUM/exact weights transformed once: t(w) in fp64 and max |t(w)|.
struct DenseWeights {
  torch::Tensor t;
  double max_abs = 0;
};

// The expanded table [G][Kg][Ar][Op] of one weight tensor (int16 when every product fits).
struct ExpandedTable {
  std::vector<std::int16_t> t16;
  std::vector<std::int32_t> t32;
};

}  // namespace

IntegerMac::IntegerMac(std::shared_ptr<const Multiplier> circuit, Port activation_port, std::int64_t a_max,
                       std::int64_t w_max)
    : circuit_(std::move(circuit)), port_(activation_port), a_max_(a_max), w_max_(w_max) {
  const std::int64_t m = circuit_->max_operand();
  if (a_max < 0 || a_max > m || w_max < 0 || w_max > m)
    throw std::invalid_argument(fmt::format("IntegerMac: operand magnitudes {} / {} exceed the {}-bit multiplier",
                                            a_max, w_max, circuit_->bits()));
  max_abs_product_ = circuit_->max_product();
  // A zero activation can be skipped only if the circuit maps it to 0 for every weight (true of
  // real multipliers; a user's table need not be).
  for (std::int64_t w = -w_max_; w <= w_max_ && skip_zeros_; ++w) skip_zeros_ = product(0, w) == 0;
  if (circuit_->bits() <= 8) {
    lut_stride_ = 2 * w_max_ + 1;
    lut_.resize(static_cast<std::size_t>((a_max_ + 1) * lut_stride_));
    for (std::int64_t a = 0; a <= a_max_; ++a)
      for (std::int64_t w = -w_max_; w <= w_max_; ++w)
        lut_[a * lut_stride_ + w + w_max_] = static_cast<std::int32_t>(product(a, w));
  }
}

std::int64_t IntegerMac::product(std::int64_t a, std::int64_t w) const {
  const auto ma = static_cast<std::uint32_t>(a < 0 ? -a : a), mw = static_cast<std::uint32_t>(w < 0 ? -w : w);
  const auto p = static_cast<std::int64_t>(port_ == Port::A ? circuit_->multiply(ma, mw) : circuit_->multiply(mw, ma));
  return (a < 0) != (w < 0) ? -p : p;
}

bool IntegerMac::int32_accumulator(std::int64_t fan_in) const {
  if (!uses_lut()) return false;
  return static_cast<long double>(fan_in) * static_cast<long double>(max_abs_product_) <
         static_cast<long double>(std::numeric_limits<std::int32_t>::max());
}

// Separable circuits (drum, exact): M(a, w) = t(a)·t(w) with t(v) = m(v) << s(v), so the layer is
// the float op on transformed operands. In fp64 every product and every partial sum, in whatever
// order BLAS adds them, is an integer of magnitude ≤ Σ|t(a)|·|t(w)|; below 2^53 all of them are
// exact, and the result equals the integer kernel's bit for bit. Above, undefined (the caller
// uses the int64 shift kernel). fp64 convolutions run on LibTorch's im2col + dgemm (oneDNN,
// whose Winograd paths would not be exact, has no fp64 kernels).
torch::Tensor IntegerMac::run_dense(const torch::Tensor& x, const torch::Tensor& w, const mac::Geometry& g,
                                    const MacOp& op, mac::WeightCache* cache) const {
  auto transform = [this](const torch::Tensor& codes, double* max_abs) {
    torch::Tensor out = torch::empty(codes.sizes(), torch::kFloat64);
    const std::int32_t* c = codes.data_ptr<std::int32_t>();
    double* t = out.data_ptr<double>();
    std::vector<double> part(static_cast<std::size_t>(at::get_num_threads()) + 1, 0.0);
    at::parallel_for(0, codes.numel(), 16384, [&](std::int64_t b, std::int64_t e) {
      double m = 0;
      for (std::int64_t i = b; i < e; ++i) {
        const std::int32_t v = c[i];
        std::uint32_t mm;
        int ss;
        circuit_->decompose(static_cast<std::uint32_t>(v < 0 ? -v : v), &mm, &ss);
        const double mag = std::ldexp(static_cast<double>(mm), ss);
        t[i] = v < 0 ? -mag : mag;
        m = std::max(m, mag);
      }
      double& slot = part[static_cast<std::size_t>(at::get_thread_num())];
      slot = std::max(slot, m);
    });
    *max_abs = *std::max_element(part.begin(), part.end());
    return out;
  };
  auto wt = cached<DenseWeights>(cache, w, {1.0}, [&] {
    DenseWeights d;
    d.t = transform(w, &d.max_abs);
    return d;
  });
  const torch::Tensor& tw = wt->t;
  double tx_max = 0;
  torch::Tensor tx = transform(x, &tx_max);
  if (static_cast<double>(g.Kg()) * tx_max * wt->max_abs >= 9007199254740992.0) return {};  // 2^53
  if (!g.conv) return at::mm(tx, tw.t()).to(torch::kInt64);
  // Convolutions: tasks of a few samples and one group, each its own im2col and one dgemm on its
  // own thread. (LibTorch's fp64 convolution calls the pthread OpenBLAS once per sample from
  // inside an OpenMP loop, and the two thread pools wait on each other: a third of the time was
  // spun away in libgomp and sched_yield.) Buffers stay below the mmap threshold.
  const std::int64_t Kg = g.Kg(), L = g.L(), Og = g.Og();
  const std::int64_t chunk = std::max<std::int64_t>(
      1, std::min<std::int64_t>(g.N / (2 * at::get_num_threads()) + 1, (8 << 20) / std::max<std::int64_t>(1, Kg * L * 8)));
  const std::int64_t chunks = (g.N + chunk - 1) / chunk;
  torch::Tensor y = torch::empty({g.N, g.O, L}, torch::kInt64);
  const double* xs = tx.data_ptr<double>();
  std::int64_t* ys = y.data_ptr<std::int64_t>();
  hw::SingleThreadedBlas one_thread;
  at::parallel_for(0, chunks * g.groups, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t t = b; t < e; ++t) {
      const std::int64_t gi = t % g.groups, s0 = (t / g.groups) * chunk, n = std::min(chunk, g.N - s0);
      torch::Tensor cols = torch::empty({n * L, Kg}, torch::kFloat64);  // rows = output positions
      mac::unroll_rows(xs, g, gi, s0 * L, (s0 + n) * L, cols.data_ptr<double>());
      torch::Tensor wg = tw.narrow(0, gi * Og, Og).reshape({Og, Kg});
      torch::Tensor part = at::mm(wg, cols.t());  // [Og, n·L]
      const double* p = part.data_ptr<double>();
      for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t o = 0; o < Og; ++o) {
          std::int64_t* dst = ys + ((s0 + i) * g.O + gi * Og + o) * L;
          const double* src = p + o * n * L + i * L;
          for (std::int64_t l = 0; l < L; ++l) dst[l] = static_cast<std::int64_t>(src[l]);
        }
    }
  });
  return y.view({g.N, g.O, g.Hout, g.Wout});
}

torch::Tensor IntegerMac::run_expanded(const torch::Tensor& x, const torch::Tensor& w, const mac::Geometry& g,
                                       bool negative, mac::WeightCache* cache) const {
  const std::int64_t Kg = g.Kg(), Og = g.Og(), O = g.O, G = g.groups, Op = (Og + 31) / 32 * 32;
  // Table rows: one per activation value that can occur (negative ones only when x has some),
  // then the all-zero padding row.
  const std::int64_t base = negative ? a_max_ : 0, Ar = (negative ? 2 * a_max_ + 1 : a_max_ + 1) + 1, pad = Ar - 1;
  const bool i16 = max_abs_product_ <= 32767;
  const double bytes = static_cast<double>(G * Kg * Ar * Op) * (i16 ? 2.0 : 4.0);
  if (bytes > expanded_limit_bytes) return {};  // too large a table: the gather kernel
  auto table = cached<ExpandedTable>(cache, w, {2.0, negative ? 1.0 : 0.0, static_cast<double>(G)}, [&] {
    const std::int32_t off = static_cast<std::int32_t>(w_max_);
    const std::vector<std::int32_t> widx = pack_weights(w.data_ptr<std::int32_t>(), g, [off](std::int32_t v) { return v + off; });
    ExpandedTable tb;
    std::vector<std::int16_t>& t16 = tb.t16;
    std::vector<std::int32_t>& t32 = tb.t32;
    t16.resize(i16 ? static_cast<std::size_t>(G * Kg * Ar * Op) : 0);
    t32.resize(i16 ? 0 : static_cast<std::size_t>(G * Kg * Ar * Op));
    at::parallel_for(0, G * Kg, 8, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t gk = b; gk < e; ++gk) {
        const std::int32_t* wk = widx.data() + gk * Og;
        for (std::int64_t i = 0; i < Ar; ++i) {
          const std::int64_t at = (gk * Ar + i) * Op;
          const std::int64_t a = i - base;
          const std::int32_t* row = lut_.data() + (a < 0 ? -a : a) * lut_stride_;
          for (std::int64_t o = 0; o < Op; ++o) {
            std::int32_t v = 0;
            if (i != pad && o < Og) v = a < 0 ? -row[wk[o]] : row[wk[o]];
            if (i16) t16[static_cast<std::size_t>(at + o)] = static_cast<std::int16_t>(v);
            else t32[static_cast<std::size_t>(at + o)] = v;
          }
        }
      }
    });
    return tb;
  });
  const std::vector<std::int16_t>& t16 = table->t16;
  const std::vector<std::int32_t>& t32 = table->t32;
  torch::Tensor acc = torch::empty({g.rows(), O}, torch::kInt32);
  std::int32_t* out = acc.data_ptr<std::int32_t>();
  const std::int32_t* xp = x.data_ptr<std::int32_t>();
  constexpr std::int64_t B = 512;  // rows per task: each L2-resident block of table rows serves them all
  const std::int64_t rows = g.rows(), blocks = (rows + B - 1) / B;
  constexpr std::int32_t kPadCode = std::numeric_limits<std::int32_t>::min();
  at::parallel_for(0, G * blocks, 1, [&](std::int64_t b, std::int64_t e) {
    std::vector<std::int32_t> idx(static_cast<std::size_t>(B * Kg));
    std::vector<std::int32_t> part(static_cast<std::size_t>(B * Op));
    for (std::int64_t t = b; t < e; ++t) {
      const std::int64_t gi = t / blocks, r0 = (t % blocks) * B, r1 = std::min(rows, r0 + B);
      mac::unroll_rows(xp, g, gi, r0, r1, idx.data(), kPadCode);
      for (std::int64_t i = 0; i < (r1 - r0) * Kg; ++i) {
        std::int32_t& c = idx[static_cast<std::size_t>(i)];
        c = c == kPadCode ? static_cast<std::int32_t>(pad) : c + static_cast<std::int32_t>(base);
      }
      if (i16)
        expanded_block_i16(idx.data(), r1 - r0, Kg, t16.data() + gi * Kg * Ar * Op, Ar, Op, part.data());
      else
        expanded_block_i32(idx.data(), r1 - r0, Kg, t32.data() + gi * Kg * Ar * Op, Ar, Op, part.data());
      for (std::int64_t r = r0; r < r1; ++r)
        std::memcpy(out + r * O + gi * Og, part.data() + (r - r0) * Op, static_cast<std::size_t>(Og) * sizeof(std::int32_t));
    }
  });
  return acc;
}

torch::Tensor IntegerMac::run(const torch::Tensor& x_codes, const torch::Tensor& w_codes, const MacOp& op,
                              mac::WeightCache* cache) const {
  torch::Tensor x = x_codes.to(torch::kCPU, torch::kInt32).contiguous();
  torch::Tensor w = w_codes.to(torch::kCPU, torch::kInt32).contiguous();
  std::vector<std::int64_t> lead;  // leading dims of a linear input with more than 2 dims
  if (op.kind == MacOp::Kind::Linear && x.dim() != 2) {
    lead = x.sizes().vec();
    lead.pop_back();
    x = x.reshape({-1, x.size(-1)});
  }
  const Geometry g = mac::geometry(x.sizes(), w.sizes(), op, "approx_mul");
  const auto [x_min, x_max] = min_max(x.data_ptr<std::int32_t>(), x.numel());
  TORCH_CHECK(x.numel() == 0 || (x_max <= a_max_ && -static_cast<std::int64_t>(x_min) <= a_max_),
              "approx_mul: an input code exceeds the configured magnitude ", a_max_);
  TORCH_CHECK(w.abs().max().item<std::int64_t>() <= w_max_ || w.numel() == 0,
              "approx_mul: a weight code exceeds the configured magnitude ", w_max_);
  const std::int64_t R = g.N * g.L(), O = g.O, Og = g.Og(), Kg = g.Kg();
  const bool acc32 = int32_accumulator(Kg);
  torch::Tensor acc = torch::empty({R, O}, acc32 ? torch::kInt32 : torch::kInt64);
  const std::int32_t* xp = x.data_ptr<std::int32_t>();
  const std::int32_t* wp = w.data_ptr<std::int32_t>();
  const std::int64_t grain = std::max<std::int64_t>(1, 200000 / std::max<std::int64_t>(1, Kg * O));
  // [rows, O] accumulators to the op's output shape.
  auto output_shape = [&](const torch::Tensor& a) {
    if (op.kind == MacOp::Kind::Linear) {
      if (lead.empty()) return a;
      std::vector<std::int64_t> shape = lead;
      shape.push_back(O);
      return a.reshape(shape);
    }
    return a.view({g.N, g.L(), O}).permute({0, 2, 1}).reshape({g.N, O, g.Hout, g.Wout});
  };

  if (circuit_->has_shift_form()) {
    torch::Tensor dense = run_dense(x, w, g, op, cache);
    if (dense.defined()) return op.kind == MacOp::Kind::Linear ? output_shape(dense) : dense;  // conv: shaped
  }
  if (uses_lut() && acc32) {
    torch::Tensor e = run_expanded(x, w, g, x.numel() > 0 && x_min < 0, cache);
    if (e.defined()) return output_shape(e);
  }
  if (uses_lut()) {
    const std::int32_t off = static_cast<std::int32_t>(w_max_);
    auto packed = cached<std::vector<std::int32_t>>(cache, w, {3.0, static_cast<double>(g.groups)}, [&] {
      return pack_weights(wp, g, [off](std::int32_t v) { return v + off; });
    });
    const std::vector<std::int32_t>& widx = *packed;
    at::parallel_for(0, R, grain, [&](std::int64_t begin, std::int64_t end) {
      std::vector<std::int32_t> kidx(Kg), aval(Kg);
      for (std::int64_t r = begin; r < end; ++r) {
        for (std::int64_t gr = 0; gr < g.groups; ++gr) {
          std::int64_t nnz = gather_patch(xp, g, r, gr, skip_zeros_, [&](std::int64_t t, std::int64_t k, std::int64_t at) {
            kidx[t] = static_cast<std::int32_t>(k);
            aval[t] = xp[at];
          });
          const std::int32_t* wg = widx.data() + gr * Kg * Og;
          if (acc32)
            lut_row_i32(kidx.data(), aval.data(), nnz, wg, Og, lut_.data(), lut_stride_,
                        acc.data_ptr<std::int32_t>() + r * O + gr * Og);
          else
            lut_row_i64(kidx.data(), aval.data(), nnz, wg, Og, lut_.data(), lut_stride_,
                        acc.data_ptr<std::int64_t>() + r * O + gr * Og);
        }
      }
    });
  } else if (circuit_->has_shift_form()) {
    // Mantissa (signed) and shift of every activation and weight, computed once.
    auto split = [this](std::int32_t v, std::int32_t* m, std::int32_t* s) {
      std::uint32_t mm;
      int ss;
      circuit_->decompose(static_cast<std::uint32_t>(iabs(v)), &mm, &ss);
      *m = v < 0 ? -static_cast<std::int32_t>(mm) : static_cast<std::int32_t>(mm);
      *s = ss;
    };
    std::vector<std::int32_t> xm(x.numel()), xs(x.numel());
    for (std::int64_t i = 0; i < x.numel(); ++i) split(xp[i], &xm[i], &xs[i]);
    std::vector<std::int32_t> wm = pack_weights(wp, g, [&](std::int32_t v) { std::int32_t m, s; split(v, &m, &s); return m; });
    std::vector<std::int32_t> ws = pack_weights(wp, g, [&](std::int32_t v) { std::int32_t m, s; split(v, &m, &s); return s; });
    at::parallel_for(0, R, grain, [&](std::int64_t begin, std::int64_t end) {
      std::vector<std::int32_t> kidx(Kg), am(Kg), as(Kg);
      for (std::int64_t r = begin; r < end; ++r) {
        for (std::int64_t gr = 0; gr < g.groups; ++gr) {
          std::int64_t nnz = gather_patch(xp, g, r, gr, skip_zeros_, [&](std::int64_t t, std::int64_t k, std::int64_t at) {
            kidx[t] = static_cast<std::int32_t>(k);
            am[t] = xm[at];
            as[t] = xs[at];
          });
          shift_row(kidx.data(), am.data(), as.data(), nnz, wm.data() + gr * Kg * Og, ws.data() + gr * Kg * Og,
                    Og, acc.data_ptr<std::int64_t>() + r * O + gr * Og);
        }
      }
    });
  } else {
    std::vector<std::int32_t> wc = pack_weights(wp, g, [](std::int32_t v) { return v; });
    at::parallel_for(0, R, grain, [&](std::int64_t begin, std::int64_t end) {
      std::vector<std::int32_t> kidx(Kg), aval(Kg);
      for (std::int64_t r = begin; r < end; ++r) {
        for (std::int64_t gr = 0; gr < g.groups; ++gr) {
          std::int64_t nnz = gather_patch(xp, g, r, gr, skip_zeros_, [&](std::int64_t t, std::int64_t k, std::int64_t at) {
            kidx[t] = static_cast<std::int32_t>(k);
            aval[t] = xp[at];
          });
          std::int64_t* out = acc.data_ptr<std::int64_t>() + r * O + gr * Og;
          for (std::int64_t o = 0; o < Og; ++o) out[o] = 0;
          for (std::int64_t t = 0; t < nnz; ++t) {
            const std::int32_t* wk = wc.data() + (gr * Kg + kidx[t]) * Og;
            for (std::int64_t o = 0; o < Og; ++o) out[o] += product(aval[t], wk[o]);
          }
        }
      }
    });
  }

  return output_shape(acc);
}

}  // namespace ax::hw::amul
