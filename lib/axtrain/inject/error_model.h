// Error models for error-injection training (Li et al., PAPERS.md §7.6–7.7).
//
// A layer's accurate hardware output Y_hw differs from a cheap base computation u (the activation
// proxy for SC and approximate multipliers, the plain op for analog). Calibration runs the
// accurate model on a batch and fits that difference; injection batches then compute only the
// cheap base and add a sampled error, so training costs about as much as plain training.
//
//  - Type 1 (Kind::Polynomial; SC and approximate multipliers), fitted per polarity where
//    the hardware exposes its two polarities (PAPERS.md §7.6, as rex-sc): the output is
//    scale·(u⁺ − u⁻) in the proxy and scale·(r⁺ − r⁻) in the accurate model (SC: u± = SC_act's
//    1 − e^(−X±), r± = popcount(OR±)/L; AM: u± = the exact split sums Σ a·w±, r± = Σ M(a, w±),
//    G-16). The pairs (u, r − u) of both polarities are pooled and binned by u — SC: bins of
//    width 0.1 from 0 (u ∈ [0, 1): 10 bins), AM: `bins` equal-width bins over [0, max u] — and
//    least-squares polynomials (weights √count) of degree ≤ `degree` go through the bin means (b)
//    and standard deviations (σ) at the bin centres (`fit: polynomial`). Over-fit guard: only bins with ≥ kMinBinCount
//    samples count, and the degree is at most ⌊(valid bins − 1) / 2⌋ (two bins per coefficient;
//    rex-sc instead drops the mean polynomial unless valid bins / 5 > degree, which 10 SC bins
//    never meet). Injection: y = scale·[(u⁺ + b(ũ⁺) + σ(ũ⁺)·ε⁺) − (u⁻ + b(ũ⁻) + σ(ũ⁻)·ε⁻)],
//    ε± ~ N(0, 1) i.i.d., σ clamped at 0, ũ = u clamped to the calibrated range. Without
//    polarities (fixed_point, ntv, bipolar SC) the same fit runs on the net output u = the proxy
//    with `bins` equal-width bins over its observed range and y = u + b(ũ) + σ(ũ)·ε. Gradient:
//    `corrected` (1 + b′(ũ±)) · ∂u± per polarity, or `proxy` (∂u only); the noise carries no
//    gradient. `fit: table` (the default) replaces the polynomials by the valid bins' own means
//    and stds: an element takes its nearest valid bin's, and the corrected gradient's b′ is the
//    slope of the bin means interpolated between valid centres (0 beyond the outer ones); one
//    fused op (inject_op.h table_inject) that saves only u. The degree-5 polynomials miss sparse
//    and steep bins of trained networks (docs/results.md). `split: output` fits the net output
//    even where the hardware has polarities.
//  - GaussianErrorModel (type 2, analog): one mean μ and variance σ² per layer of e = Y_hw − u,
//    u = the hardware's reference() (analog: the convolution of the quantised operands, so the
//    deterministic 8-bit error stays in the forward pass and the Gaussian models only the ADC;
//    §7.7); injection y = u + μ + σ·ε with no gradient through the noise. Gradient: `proxy` (the
//    default: the hardware's activation proxy, Analog_act's summed form; PAPERS.md §10 G-22) or
//    `reference` (the reference op's, as cheap as plain training).
//
// State lives in registered buffers, so checkpoints carry it and a resumed run injects exactly
// the same errors.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "axtrain/core/random.h"
#include "axtrain/inject/polarities.h"

namespace ax::inject {

enum class Kind { Polynomial, Gaussian };
enum class Gradient { Auto, Corrected, Proxy, Reference };  // Auto: corrected (polynomial), proxy (gaussian)
// The curves of a type-1 (Kind::Polynomial) model: least-squares polynomials (rex-sc, the paper's
// "fitted with polynomials") or the binned means and stds themselves, linearly interpolated.
enum class Fit { Polynomial, Table };

// Bins with fewer samples are left out of a type-1 fit (their mean and std are noise).
inline constexpr std::int64_t kMinBinCount = 20;

// The bins of a per-polarity type-1 fit over [0, hi): width bin_width from 0 when it is > 0 (SC),
// else `bins` equal parts of [0, umax] (umax = the largest u seen).
struct BinGrid {
  double hi = 0.0;
  std::int64_t bins = 1;
};
BinGrid polarity_bins(double umax, double bin_width, std::int64_t bins);

struct ErrorModelOptions {
  Kind kind = Kind::Polynomial;
  std::int64_t degree = 5;   // polynomial degree (rex-sc default 5; PAPERS.md §10 G-17)
  std::int64_t bins = 30;    // bins of u (rex-sc: 30; G-18)
  Fit fit = Fit::Table;      // type 1 only (the config's default too; polynomial = rex-sc)
  bool per_polarity = true;  // type 1: fit u± where the hardware splits them (false: the net output)
  Gradient gradient = Gradient::Auto;  // polynomial: corrected | proxy; gaussian: reference | proxy
  bool checkpoint = true;    // fused op that saves only its input and recomputes in backward
};

class ErrorModel : public torch::nn::Module {
 public:
  virtual Kind kind() const = 0;
  // Fits the model to (u, exact) of one calibration forward; returns a record for the run's
  // calibration log (coefficients, statistics, binned error profile).
  virtual nlohmann::json calibrate(const torch::Tensor& u, const torch::Tensor& exact) = 0;
  // Forward value u + sampled error, differentiable w.r.t. u as documented above; the error of
  // element i is drawn from number i of `noise` (per polarity: of its sub-streams 0 and 1).
  virtual torch::Tensor apply(const torch::Tensor& u, const rng::Stream& noise) = 0;
  // Per-polarity fit and injection (type 1; a Gaussian model throws std::logic_error): u = the
  // proxy's polarities, exact = the accurate model's, same scale and shapes.
  virtual nlohmann::json calibrate(const Polarities& u, const Polarities& exact);
  virtual torch::Tensor apply(const Polarities& u, const rng::Stream& noise);
  virtual Gradient gradient() const = 0;
  // Type 1: whether hardware with polarities is fitted per polarity (else on the net output).
  virtual bool per_polarity() const { return false; }
  bool calibrated() const { return calibrated_.item<bool>(); }

 protected:
  ErrorModel();
  torch::Tensor calibrated_;
};

std::shared_ptr<ErrorModel> make_error_model(const ErrorModelOptions& o);

// Least-squares polynomial through (x, y) points, coefficients lowest order first, in double;
// with `weight` (one per point), the residuals are weighted by it. The degree is reduced to
// (points − 1) when there are too few points.
torch::Tensor polyfit(const torch::Tensor& x, const torch::Tensor& y, std::int64_t degree,
                      const torch::Tensor& weight = {});
// Horner evaluation of coefficients (lowest order first) at x.
torch::Tensor polyval(const torch::Tensor& coef, const torch::Tensor& x);

}  // namespace ax::inject
