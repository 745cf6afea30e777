// axtrain eval --checkpoint C [--hardware H.yaml] [--config RUN.yaml] [--repeats N] [--mode M]
//              [--set a.b=v ...] [--out DIR] [--device cpu|cuda] [--threads N] [--quiet]
// Evaluates a trained model on a hardware model without training (lib/axtrain/train/evaluation.h).
#include <iostream>

#include "axtrain/run/evaluation.h"
#include "commands.h"

namespace ax::cli {

void add_eval(CLI::App& app) {
  auto r = std::make_shared<run::EvalRequest>();
  CLI::App* cmd = app.add_subcommand("eval", "evaluate a trained checkpoint on a hardware model (no training)");
  cmd->add_option("--checkpoint", r->checkpoint, "final.pt / last.pt of a run, or a .safetensors file")->required();
  cmd->add_option("--hardware", r->hardware, "hardware preset to evaluate on (default: the run's own)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--config", r->config, "run config (default: config.yaml beside the checkpoint)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--repeats", r->repeats, "independent evaluations (fault draws), mean/std reported")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--mode", r->mode, "execution mode of the approximate layers (default: the config's eval.mode, exact)")
      ->check(CLI::IsMember({"ideal", "exact", "proxy"}));
  auto sets = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--set", *sets, "override a config value: KEY.PATH=VALUE (repeatable), e.g. data.path=DIR");
  cmd->add_option("--out", r->opt.out_root, "results root (default: the config's output.dir)");
  cmd->add_option("--device", r->opt.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--threads", r->opt.threads, "CPU threads (0 = all cores)")->check(CLI::Range(0, 4096));
  cmd->add_flag("--quiet", r->opt.quiet, "no progress output on stderr");
  cmd->add_flag("--resume", r->opt.resume, "do nothing when this evaluation is already complete");
  cmd->footer(
      "Writes <out>/<name>-eval/<id>/metrics.json; final.test holds accuracy, loss and, unless the mode or the\n"
      "hardware is ideal, output_deviation: per test sample ||O_hw - O_float|| / ||O_float|| of the model's outputs\n"
      "(the same weights in mode ideal), mean over the test set (with --repeats: mean over the draws and\n"
      "output_deviation_std). docs/metrics.md.");
  cmd->callback([r, sets] {
    r->sets = config::parse_overrides(*sets);
    run::RunResult res = run::run_evaluation(*r);
    std::cout << res.run_dir << "/metrics.json\n";
  });
}

}  // namespace ax::cli
