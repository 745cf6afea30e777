#include "axtrain/eval/power.h"

#include <cmath>

#include <fmt/format.h>

#include "axtrain/config/paths.h"
#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/text.h"
#include "axtrain/layers/attach.h"

namespace ax::eval {

double PowerCosts::multiplier(const std::string& key) const {
  auto it = multiplier_pj.find(key);
  if (it != multiplier_pj.end()) return it->second;
  std::vector<std::string> known;
  for (const auto& [k, v] : multiplier_pj) known.push_back(k);
  throw ConfigError(fmt::format("{}: power.multiplier_pj has no energy for multiplier '{}' (known: {}); add it", source,
                                key, join(known, ", ")));
}

double PowerCosts::voltage_mv(double flip_rate) const {
  if (flip_rate <= 0) return nominal_mv;
  for (const auto& [rate, mv] : voltages)
    if (std::abs(rate - flip_rate) <= 1e-9 * std::max(1.0, rate)) return mv;
  throw ConfigError(fmt::format("{}: power.storage.voltages has no supply voltage for bit-flip rate {}; add "
                                "{{flip_rate: {}, mv: ...}}",
                                source, flip_rate, flip_rate));
}

PowerCosts load_power_costs(const std::string& path) {
  PowerCosts c;
  c.source = path;
  config::Section root({{config::load_yaml_file(path), path}}, "");
  config::Section p = root.section("power");
  config::Section m = p.section("multiplier_pj");
  for (const auto& k : m.keys()) c.multiplier_pj[k] = m.require_double(k, 0.0, 1e9);
  c.add_pj = p.get_double("add_pj", c.add_pj, 0.0, 1e9);
  config::Section s = p.section("storage");
  c.storage_pj_per_bit = s.get_double("pj_per_bit", c.storage_pj_per_bit, 0.0, 1e9);
  c.nominal_mv = s.get_double("nominal_mv", c.nominal_mv, 1.0, 1e5);
  c.exponent = s.get_double("exponent", c.exponent, 0.0, 10.0);
  for (auto& v : s.section_list("voltages")) {
    c.voltages.emplace_back(v.require_double("flip_rate", 0.0, 1.0), v.require_double("mv", 1.0, 1e5));
    v.finish();
  }
  s.finish();
  m.finish();
  p.finish();
  root.finish();
  return c;
}

PowerEstimate estimate_power(const std::vector<LayerWork>& layers, const PowerCosts& costs) {
  PowerEstimate e;
  for (const auto& l : layers) {
    const double approx = costs.multiplier(l.keys.multiplier), exact = costs.multiplier(l.keys.reference);
    e.compute_pj += l.macs * (l.approx_fraction * approx + (1.0 - l.approx_fraction) * exact + costs.add_pj);
    e.compute_reference_pj += l.macs * (exact + costs.add_pj);
    const double bits = l.weights * l.keys.weight_bits * costs.storage_pj_per_bit;
    e.storage_pj += bits * std::pow(costs.voltage_mv(l.keys.flip_rate) / costs.nominal_mv, costs.exponent);
    e.storage_reference_pj += bits;
  }
  return e;
}

std::vector<LayerWork> layer_work(models::Model& model, const hw::HardwareSpec& spec, const torch::Tensor& example) {
  auto layers = layers::mac_layers(model);
  std::vector<LayerWork> work(layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    auto* l = layers[i].layer;
    work[i].name = layers[i].name;
    work[i].weights = static_cast<double>(l->weight.numel());
    work[i].keys = spec.for_layer(layers[i].name).cost_keys();
    const std::int64_t fan_in = l->op().fan_in(l->weight);
    l->set_output_observer([&w = work[i], fan_in](const torch::Tensor& y) {
      w.macs = static_cast<double>(y.numel() / y.size(0) * fan_in);
    });
    if (l->approx_mask().defined()) work[i].approx_fraction = l->approx_mask().to(torch::kFloat64).mean().item<double>();
  }
  {
    torch::NoGradGuard g;
    model.eval();
    model.forward(example);
  }
  for (const auto& l : layers) l.layer->set_output_observer(nullptr);
  return work;
}

nlohmann::json PowerEstimate::to_json() const {
  return {{"compute_pj", compute_pj},
          {"compute_reference_pj", compute_reference_pj},
          {"relative_compute", relative_compute()},
          {"storage_pj", storage_pj},
          {"storage_reference_pj", storage_reference_pj},
          {"relative_storage", relative_storage()}};
}

}  // namespace ax::eval
