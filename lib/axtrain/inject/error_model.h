// Error models for error-injection training (Li et al., PAPERS.md §7.6–7.7).
//
// A layer's accurate hardware output Y_hw differs from a cheap base computation u (the activation
// proxy for SC and approximate multipliers, the plain op for analog). Calibration runs the
// accurate model on a batch and fits that difference; injection batches then compute only the
// cheap base and add a sampled error, so training costs about as much as plain training.
//
//  - PolynomialErrorModel (type 1, SC and approximate multipliers): the error e = Y_hw − u is
//    binned by u (`bins` equal-width bins over the observed range of u); per bin its mean and
//    standard deviation; least-squares polynomials of degree `degree` through the bin means (b)
//    and standard deviations (σ) at the bin centres. Injection: y = u + b(ũ) + max(σ(ũ), 0)·ε,
//    ε ~ N(0, 1) i.i.d., ũ = u clamped to the calibrated range. Gradient: `corrected`
//    (1 + b′(ũ)) · ∂u, or `proxy` (∂u only); the noise carries no gradient.
//  - GaussianErrorModel (type 2, analog): one mean μ and variance σ² per layer of e = Y_hw − u,
//    u = the plain op; injection y = u + μ + σ·ε with no gradient through the noise. Gradient:
//    `reference` (the plain op's, as cheap as plain training: what Li et al.'s Tab.7 runtime
//    implies) or `proxy` (the hardware's activation proxy, Analog_act; PAPERS.md §10 G-22).
//
// State lives in registered buffers, so checkpoints carry it and a resumed run injects exactly
// the same errors.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

namespace ax::inject {

enum class Kind { Polynomial, Gaussian };
enum class Gradient { Auto, Corrected, Proxy, Reference };  // Auto: corrected (polynomial), reference (gaussian)

struct ErrorModelOptions {
  Kind kind = Kind::Polynomial;
  std::int64_t degree = 5;   // polynomial degree (rex-sc default 5; PAPERS.md §10 G-17)
  std::int64_t bins = 30;    // bins of u (rex-sc: 30; G-18)
  Gradient gradient = Gradient::Auto;  // polynomial: corrected | proxy; gaussian: reference | proxy
  bool checkpoint = true;    // fused op that saves only its input and recomputes in backward
};

class ErrorModel : public torch::nn::Module {
 public:
  virtual Kind kind() const = 0;
  // Fits the model to (u, exact) of one calibration forward; returns a record for the run's
  // calibration log (coefficients, statistics, binned error profile).
  virtual nlohmann::json calibrate(const torch::Tensor& u, const torch::Tensor& exact) = 0;
  // Forward value u + sampled error, differentiable w.r.t. u as documented above.
  virtual torch::Tensor apply(const torch::Tensor& u) = 0;
  virtual Gradient gradient() const = 0;
  bool calibrated() const { return calibrated_.item<bool>(); }

 protected:
  ErrorModel();
  torch::Tensor calibrated_;
};

std::shared_ptr<ErrorModel> make_error_model(const ErrorModelOptions& o);

// Least-squares polynomial through (x, y) points, coefficients lowest order first, in double.
// The degree is reduced to (points − 1) when there are too few points.
torch::Tensor polyfit(const torch::Tensor& x, const torch::Tensor& y, std::int64_t degree);
// Horner evaluation of coefficients (lowest order first) at x.
torch::Tensor polyval(const torch::Tensor& coef, const torch::Tensor& x);

}  // namespace ax::inject
