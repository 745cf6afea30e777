// axtrain approxann --checkpoint C --hardware H [--bound 0.02] [--step 0.05] [--retrain-epochs 1]
//                   [--power configs/power/default.yaml] [--out DIR] [--set ...]
// ApproxANN-style search for the per-neuron choice between the approximate and the accurate
// multiplier (lib/axtrain/eval/approxann.h): prints the count of approximate multipliers and the
// relative power; writes DIR/approxann.json (steps, masks, per-layer counts, power).
#include <iostream>

#include <fmt/format.h>

#include "axtrain/core/files.h"
#include "axtrain/eval/approxann.h"
#include "axtrain/run/evaluation.h"
#include "commands.h"

namespace ax::cli {

void add_approxann(CLI::App& app) {
  struct Args {
    run::EvalRequest req;
    std::vector<std::string> sets;  // --set, parsed into req.sets
    eval::ApproxAnnOptions o;
    std::string power = "configs/power/default.yaml", out;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("approxann", "greedy per-neuron approximate/accurate multiplier search (ApproxANN)");
  cmd->add_option("--checkpoint", a->req.checkpoint, "final.pt of a trained run (BP or AxTrain-act)")->required();
  cmd->add_option("--config", a->req.config, "run config (default: config.yaml beside the checkpoint)")->check(CLI::ExistingFile);
  cmd->add_option("--hardware", a->req.hardware, "the approximate multiplier (a preset), e.g. configs/hw/drum_k4.yaml")
      ->check(CLI::ExistingFile);
  cmd->add_option("--bound", a->o.bound, "largest accuracy loss vs all-accurate multipliers (fraction)")->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--step", a->o.step, "neurons switched per step (fraction of all)")->capture_default_str()->check(CLI::Range(1e-9, 1.0));
  cmd->add_option("--retrain-epochs", a->o.retrain_epochs, "brief retraining of a step beyond the bound")->capture_default_str()
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--criticality-examples", a->o.criticality_examples, "training examples ranking the neurons")->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  cmd->add_option("--power", a->power, "per-operation energies (YAML)")->capture_default_str()->check(CLI::ExistingFile);
  cmd->add_option("--out", a->out, "directory for approxann.json");
  cmd->add_option("--set", a->sets, "override a config value: KEY.PATH=VALUE (repeatable), e.g. optimizer.lr=0.05");
  cmd->add_option("--threads", a->req.opt.threads, "CPU threads (0 = all cores)")->check(CLI::Range(0, 4096));
  cmd->add_flag("--quiet", a->req.opt.quiet, "no progress lines");
  cmd->callback([a] {
    a->req.sets = config::parse_overrides(a->sets);
    eval::PowerCosts costs = eval::load_power_costs(a->power);
    a->req.mode = "exact";
    auto t = run::load_trained(a->req);
    const hw::CostKeys keys = t->hardware.base.cost_keys();  // an unpriced multiplier fails now, not after the search
    costs.multiplier(keys.multiplier);
    costs.multiplier(keys.reference);
    auto log = [&](const std::string& s) {
      if (!a->req.opt.quiet) std::cerr << s << "\n";
    };
    eval::ApproxAnnResult r = eval::approxann_search(*t, a->o, log);
    eval::PowerEstimate p = eval::estimate_power(r.layers, costs);
    std::vector<eval::LayerWork> all = r.layers;
    for (auto& l : all) l.approx_fraction = 1.0;
    eval::PowerEstimate p_all = eval::estimate_power(all, costs);
    std::cout << fmt::format(
        "approximate multipliers {:.0f} of {:.0f} ({:.2f}%), {} of {} neurons; accuracy {:.4f} (accurate {:.4f}, all "
        "approximate {:.4f}); relative compute power {:.4f} (all approximate {:.4f})\n",
        r.approx_multipliers, r.multipliers, 100.0 * r.approx_multipliers / r.multipliers, r.approx_neurons, r.neurons,
        r.final_accuracy, r.accurate_accuracy, r.approximate_accuracy, p.relative_compute(), p_all.relative_compute());
    if (!a->out.empty()) {
      make_dirs(a->out);
      nlohmann::json j = r.to_json();
      j["checkpoint"] = t->checkpoint;
      j["hardware"] = t->hardware.preset;
      j["options"] = {{"bound", a->o.bound}, {"step", a->o.step}, {"retrain_epochs", a->o.retrain_epochs}};
      j["power"] = p.to_json();
      j["power_all_approximate"] = p_all.to_json();
      j["power_costs"] = a->power;
      write_file_atomic(a->out + "/approxann.json", j.dump(2) + "\n");
    }
  });
}

}  // namespace ax::cli
