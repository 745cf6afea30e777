// axtrain sensitivity --checkpoint C [--layer NAME] [--out DIR] [--examples N] [--hardware H] [--set ...]
// AxTrain Fig. 4: per-weight sensitivity |w|·Σ_k|∂O_k/∂w| of a trained network on the test set
// (lib/axtrain/eval/sensitivity_map.h). Prints S(w) (all layers) and S per layer; with --out, writes
// <layer>.csv and <layer>.png (relative sensitivity, black → white) and sensitivity.json.
#include <iostream>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"
#include "axtrain/eval/sensitivity_map.h"
#include "axtrain/run/evaluation.h"
#include "commands.h"

namespace ax::cli {

void add_sensitivity(CLI::App& app) {
  struct Args {
    run::EvalRequest req;
    std::vector<std::string> sets;  // --set, parsed into req.sets
    std::string layer, out;
    std::int64_t examples = 0;
    double max = 0;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("sensitivity", "per-weight sensitivity |w|*|dO/dw| of a trained network (AxTrain Fig. 4)");
  cmd->add_option("--checkpoint", a->req.checkpoint, "final.pt of a run")->required();
  cmd->add_option("--config", a->req.config, "run config (default: config.yaml beside the checkpoint)")->check(CLI::ExistingFile);
  cmd->add_option("--hardware", a->req.hardware, "hardware preset (default: the run's; the map is taken in eval mode --mode)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--mode", a->req.mode, "execution mode of the MAC layers (default ideal: the float network)")
      ->check(CLI::IsMember({"ideal", "exact", "proxy"}));
  cmd->add_option("--layer", a->layer, "MAC layer to map (default: the last, the most critical one)");
  cmd->add_option("--examples", a->examples, "test examples to average over (0 = all)")->check(CLI::Range(0, 100000000));
  cmd->add_option("--max", a->max, "value drawn white in the PNG (default: the map's largest); give several networks the same")
      ->check(CLI::Range(0.0, 1e300));
  cmd->add_option("--out", a->out, "directory for <layer>.csv, <layer>.png and sensitivity.json");
  cmd->add_option("--set", a->sets, "override a config value: KEY.PATH=VALUE (repeatable)");
  cmd->add_option("--threads", a->req.opt.threads, "CPU threads (0 = all cores)")->check(CLI::Range(0, 4096));
  cmd->add_flag("--quiet", a->req.opt.quiet, "only the S(w) lines");
  cmd->callback([a] {
    a->req.sets = config::parse_overrides(a->sets);
    if (a->req.mode.empty()) a->req.mode = "ideal";
    auto t = run::load_trained(a->req);
    eval::SensitivityResult r = eval::sensitivity_of(*t, a->examples);
    std::cout << fmt::format("S(w) {:.6g}\n", r.total);
    const eval::LayerSensitivity* chosen = &r.layers.back();
    nlohmann::json j = {{"checkpoint", t->checkpoint}, {"S", r.total}, {"batches", r.batches}, {"layers", nlohmann::json::array()}};
    for (const auto& l : r.layers) {
      std::cout << fmt::format("layer {} S {:.6g}\n", l.name, l.total);
      j["layers"].push_back({{"name", l.name}, {"S", l.total}});
      if (l.name == a->layer) chosen = &l;
    }
    if (!a->layer.empty() && chosen->name != a->layer)
      throw UsageError(fmt::format("sensitivity: no MAC layer named '{}'", a->layer));
    if (!a->out.empty()) {
      make_dirs(a->out);
      const std::string base = (boost::filesystem::path(a->out) / chosen->name).string();
      eval::write_sensitivity_csv(base + ".csv", *chosen);
      eval::write_sensitivity_png(base + ".png", *chosen, a->max);
      j["map"] = {{"layer", chosen->name}, {"csv", base + ".csv"}, {"png", base + ".png"}};
      write_file_atomic(a->out + "/sensitivity.json", j.dump(2) + "\n");
      if (!a->req.opt.quiet) std::cout << base << ".png\n";
    }
  });
}

}  // namespace ax::cli
