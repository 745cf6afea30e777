// axtrain run CONFIG [--set a.b=v ...] [--out DIR] [--device cpu|cuda] [--threads N] [--quiet] [--resume|--force]
// axtrain validate CONFIG [--set ...] [--dump-config]
#include <iostream>

#include <fmt/format.h>

#include "axtrain/layers/attach.h"
#include "axtrain/models/model.h"
#include "axtrain/run/run_config.h"
#include "axtrain/run/runner.h"
#include "commands.h"

namespace ax::cli {

namespace {
// validate does not open the data, so the model is built for a stand-in input: the names of its
// MAC layers do not depend on the input size (the first shape the architecture accepts is used).
void check_layer_names(const run::RunConfig& cfg) {
  if (cfg.hardware.exclude.empty() && cfg.hardware.layers.empty()) return;
  const std::vector<std::vector<std::int64_t>> shapes{{1, 28, 28}, {3, 32, 32}, {3, 224, 224}, {16}};
  for (const auto& shape : shapes) {
    std::shared_ptr<models::Model> model;
    try {
      model = cfg.model.build(shape, 10);
    } catch (const std::exception&) {
      continue;  // this architecture wants another input
    }
    layers::check_layer_names(*model, cfg.hardware);
    return;
  }
}

struct RunArgs {
  std::string config;
  std::vector<std::string> sets;
  run::RunOptions opt;
  std::string device;
  int nproc = 1;
};
}  // namespace

void add_run(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "train one run described by a YAML config");
  cmd->add_option("config", args->config, "run config (YAML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--set", args->sets, "override a config value: KEY.PATH=VALUE (repeatable)");
  cmd->add_option("--out", args->opt.out_root, "results root (default: output.dir, i.e. results/)");
  cmd->add_option("--device", args->device, "cpu or cuda (default: the config's)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--threads", args->opt.threads, "CPU threads (default: the config's; 0 = all cores)")
      ->check(CLI::Range(0, 4096));
  cmd->add_flag("--quiet", args->opt.quiet, "no progress output on stderr");
  cmd->add_flag("--resume", args->opt.resume, "continue an interrupted run from its last checkpoint");
  cmd->add_flag("--force", args->opt.force, "train again even when the run is already complete (replaces it)");
  cmd->add_option("--nproc", args->nproc,
                  "data-parallel ranks to start on this machine (c10d Gloo on 127.0.0.1; a rank started by "
                  "torchrun or srun reads RANK, WORLD_SIZE, ... instead)")
      ->check(CLI::Range(1, 256));
  cmd->callback([args] {
    run::RunConfig cfg = run::load_run_config(args->config, args->sets);  // a bad config fails once, here
    if (args->nproc > 1) {
      std::vector<std::string> argv{"axtrain", "run", args->config};
      for (const auto& s : args->sets) argv.insert(argv.end(), {"--set", s});
      if (!args->opt.out_root.empty()) argv.insert(argv.end(), {"--out", args->opt.out_root});
      if (!args->device.empty()) argv.insert(argv.end(), {"--device", args->device});
      if (args->opt.threads >= 0) argv.insert(argv.end(), {"--threads", std::to_string(args->opt.threads)});
      if (args->opt.quiet) argv.push_back("--quiet");
      if (args->opt.resume) argv.push_back("--resume");
      if (args->opt.force) argv.push_back("--force");
      if (int rc = launch_local_ranks(args->nproc, argv); rc != 0) throw ExitStatus{rc};
      return;
    }
    args->opt.device = args->device;
    run::RunResult r = run::run_training(cfg, args->opt);
    if (r.metrics.is_null()) return;  // a rank above 0 of a data-parallel run
    if (r.skipped) std::cerr << "run already complete: " << r.run_dir << "\n";
    std::cout << r.run_dir << "/metrics.json\n";
  });
}

void add_validate(CLI::App& app) {
  auto config = std::make_shared<std::string>();
  auto sets = std::make_shared<std::vector<std::string>>();
  auto dump = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("validate", "check a run config; print a summary or the errors");
  cmd->add_option("config", *config, "run config (YAML)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--set", *sets, "override a config value: KEY.PATH=VALUE (repeatable)");
  cmd->add_flag("--dump-config", *dump, "print the resolved config (defaults filled in) as YAML");
  cmd->callback([config, sets, dump] {
    run::RunConfig cfg = run::load_run_config(*config, *sets);
    check_layer_names(cfg);
    if (*dump) {
      std::cout << config::to_yaml_string(cfg.to_yaml());
      return;
    }
    std::vector<std::string> phases;
    for (const auto& p : cfg.phases) phases.push_back(fmt::format("{} {}x{}", p.name, hw::mode_name(p.mode), p.epochs));
    std::cout << fmt::format("ok: {} (run {}): data {}, model {}, hardware {}, phases [{}], {} epochs\n",
                             cfg.name, cfg.run_id(), cfg.data.type, cfg.model.type, cfg.hardware.base.type(),
                             fmt::join(phases, ", "), cfg.total_epochs());
  });
}

}  // namespace ax::cli
