// axtrain power CONFIG [--set ...] [--costs configs/power/default.yaml] [--json]
// Relative compute and storage power of a run config's network on its hardware
// (lib/axtrain/eval/power.h): one forward of one example counts the products per layer.
#include <iostream>
#include <random>

#include <fmt/format.h>

#include "axtrain/eval/power.h"
#include "axtrain/layers/attach.h"
#include "axtrain/run/run_config.h"
#include "commands.h"

namespace ax::cli {

void add_power(CLI::App& app) {
  struct Args {
    std::string config, costs = "configs/power/default.yaml";
    std::vector<std::string> sets;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("power", "relative compute and storage power of a config's network on its hardware");
  cmd->add_option("config", a->config, "run config (YAML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--set", a->sets, "override a config value: KEY.PATH=VALUE (repeatable), e.g. hardware=configs/hw/drum_k5.yaml");
  cmd->add_option("--costs", a->costs, "per-operation energies (YAML)")->capture_default_str()->check(CLI::ExistingFile);
  cmd->add_flag("--json", a->json, "print JSON (per layer and totals)");
  cmd->callback([a] {
    eval::PowerCosts costs = eval::load_power_costs(a->costs);
    run::RunConfig cfg = run::load_run_config(a->config, a->sets);
    torch::manual_seed(cfg.seed);
    auto data = cfg.data.open(cfg.seed);
    auto model = cfg.model.build(data->input_shape(), data->num_classes());
    layers::attach_hardware(*model, cfg.hardware, cfg.seed);
    layers::set_mode(*model, hw::Mode::Ideal);
    std::mt19937_64 unused(0);
    auto work = eval::layer_work(*model, cfg.hardware, data->load(data::Part::Test, {0}, false, unused).x);
    eval::PowerEstimate e = eval::estimate_power(work, costs);
    if (a->json) {
      nlohmann::json j = e.to_json();
      for (const auto& l : work)
        j["layers"].push_back({{"name", l.name}, {"multipliers", l.macs}, {"weights", l.weights},
                               {"multiplier", l.keys.multiplier}, {"reference", l.keys.reference},
                               {"weight_bits", l.keys.weight_bits}, {"flip_rate", l.keys.flip_rate}});
      std::cout << j.dump(2) << "\n";
      return;
    }
    std::cout << fmt::format("relative compute {:.4f} ({:.4g} of {:.4g} pJ per inference), relative storage {:.4f}\n",
                             e.relative_compute(), e.compute_pj, e.compute_reference_pj, e.relative_storage());
  });
}

}  // namespace ax::cli
