// Relative power of a network on approximate hardware (AxTrain Fig. 9, Li et al. §2.1's energy
// arguments): energy per inference from per-operation costs given in YAML (configs/power/*.yaml;
// the defaults and their sources are documented there). Per MAC layer:
//   compute = MACs · (f·E_mult(approximate) + (1 − f)·E_mult(accurate) + E_add)
//   storage = weights · bits · E_bit · (V/V_nominal)^exponent
// f = the fraction of the layer's products on the approximate multiplier (1 for a static
// configuration; ApproxANN's per-neuron masks give less), V the supply voltage the NTV bit-flip
// rate implies (nominal without NTV). Relative figures divide by the same network with accurate
// multipliers of the same width at nominal voltage. Absolute pJ are only as good as the figures.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "axtrain/hw/spec.h"
#include "axtrain/models/model.h"

namespace ax::eval {

struct PowerCosts {
  std::string source;                           // the YAML file
  std::map<std::string, double> multiplier_pj;  // energy of one product, by CostKeys name
  double add_pj = 0.1;                          // one accumulation
  double storage_pj_per_bit = 0.156;            // one weight bit read at nominal voltage
  double nominal_mv = 900;
  double exponent = 2;                          // E ∝ V^exponent
  std::vector<std::pair<double, double>> voltages;  // (flip rate, mV), NTV operating points

  double multiplier(const std::string& key) const;  // ConfigError naming the file for a missing key
  double voltage_mv(double flip_rate) const;        // nominal for 0; ConfigError when not listed
};

PowerCosts load_power_costs(const std::string& path);

struct LayerWork {
  std::string name;
  double macs = 0;              // products per example
  double approx_fraction = 1;   // of those on the approximate multiplier
  double weights = 0;           // stored weights
  hw::CostKeys keys;
};

struct PowerEstimate {
  double compute_pj = 0, compute_reference_pj = 0, storage_pj = 0, storage_reference_pj = 0;
  double relative_compute() const { return compute_pj / compute_reference_pj; }
  double relative_storage() const { return storage_pj / storage_reference_pj; }
  nlohmann::json to_json() const;
};

PowerEstimate estimate_power(const std::vector<LayerWork>& layers, const PowerCosts& costs);

// Each MAC layer's work, counted on one forward of `example` (a batch of one): products per
// example, weights, the layer's cost keys from `spec`, the approximate fraction from its
// ApproxANN mask (1 without one).
std::vector<LayerWork> layer_work(models::Model& model, const hw::HardwareSpec& spec, const torch::Tensor& example);

}  // namespace ax::eval
