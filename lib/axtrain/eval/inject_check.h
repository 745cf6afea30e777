// Error injection against the accurate model (Li et al. §3.2, PAPERS.md §7.6–7.7): does the
// fitted error model inject what the hardware's accurate model actually does?
//
// For every MAC layer of a model (with hardware attached and calibrated), the layer inputs of two
// different batches A and B are taken as the network computes them in exact mode. The layer's
// error model (its hardware's default kind) is calibrated on A exactly as a calibration step does
// (LayerHardware::request_calibration), then on B:
//   type 1 with polarities (SC, approx_mul): per polarity, pooled, binned by the proxy's u± —
//     exact error r± − u±, injected error (u± + b(ũ±) + σ(ũ±)·ε) − u±;
//   type 1 without: the same on the net output u = proxy;
//   type 2 (analog): per layer, exact − reference and injected − reference.
// Bins: the fit's own rule (SC width 0.1 from 0; otherwise `bins` equal-width over [0, max u],
// or over [min u, max u] for a net-output fit). Every bin reports count, mean and std of both.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "axtrain/inject/error_model.h"

namespace ax::models {
class Model;
}

namespace ax::eval {

struct ErrorStats {
  std::int64_t count = 0;
  double mean = 0.0, std = 0.0;
};

struct InjectCheckBin {
  double lo = 0.0, hi = 0.0;
  ErrorStats exact, injected;
};

struct InjectCheckLayer {
  std::string name;
  std::string kind;   // "polynomial" | "gaussian"
  std::string split;  // "polarity" | "output" | "layer"
  ErrorStats exact, injected;  // over the whole layer (per polarity when split by polarity)
  // split by polarity: the net output's errors, exact − proxy and injected − proxy (ε⁺, ε⁻ drawn
  // independently while the accurate r⁺, r⁻ may be correlated)
  ErrorStats net_exact, net_injected;
  std::vector<InjectCheckBin> bins;  // type 1 only
};

// model: its MAC layers' hardware attached and calibrated (static scales, ADC full scales); the
// model is left in eval mode, its MAC layers in exact mode, each with the error model calibrated
// on A attached. Randomness from the layers' keyed streams (core/random.h): A's forwards at
// calibration step 0, B's at step 1, so the same model gives the same report.
std::vector<InjectCheckLayer> inject_check(models::Model& model, const torch::Tensor& batch_a,
                                           const torch::Tensor& batch_b, const inject::ErrorModelOptions& options);

nlohmann::json to_json(const std::vector<InjectCheckLayer>& layers);
// Markdown: one row per layer, then per type-1 layer one row per bin with ≥ min_count samples;
// every difference also as a fraction of the layer's exact-error std.
std::string to_markdown(const std::vector<InjectCheckLayer>& layers, std::int64_t min_count);

}  // namespace ax::eval
