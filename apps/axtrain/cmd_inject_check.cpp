// axtrain inject-check --checkpoint C [--hardware H.yaml] [--config RUN.yaml] [--set a.b=v ...]
//                      [--batch N] [--seed S] [--min-count N] [--json FILE] [--threads N]
// Error injection against the accurate model, layer by layer (lib/axtrain/eval/inject_check.h):
// the error models are calibrated on batch A of the training set and compared on batch B.
#include <iostream>
#include <numeric>
#include <random>

#include <fmt/format.h>
#include <torch/utils.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"
#include "axtrain/eval/inject_check.h"
#include "axtrain/run/evaluation.h"
#include "commands.h"

namespace ax::cli {

namespace {
struct InjectCheckArgs {
  run::EvalRequest req;
  std::vector<std::string> sets;  // --set, parsed into req.sets
  std::int64_t batch = 256, min_count = 200;
  std::uint64_t seed = 1;
  std::string json;
};
}  // namespace

void add_inject_check(CLI::App& app) {
  auto a = std::make_shared<InjectCheckArgs>();
  CLI::App* cmd = app.add_subcommand(
      "inject-check", "error injection vs the accurate model per layer: calibrate on training batch A, compare on B");
  cmd->add_option("--checkpoint", a->req.checkpoint, "final.pt / last.pt of a run, or a .safetensors file")->required();
  cmd->add_option("--hardware", a->req.hardware, "hardware preset (default: the run's own)")->check(CLI::ExistingFile);
  cmd->add_option("--config", a->req.config, "run config (default: config.yaml beside the checkpoint)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--set", a->sets, "override a config value: KEY.PATH=VALUE (repeatable), e.g. inject.bins=20");
  cmd->add_option("--batch", a->batch, "images in each of batches A and B")->check(CLI::Range(2, 1 << 20));
  cmd->add_option("--seed", a->seed, "picks A and B from the training set and seeds the injected noise");
  cmd->add_option("--min-count", a->min_count, "bins with fewer samples are not printed")->check(CLI::Range(1, 1 << 30));
  cmd->add_option("--json", a->json, "also write every layer and bin as JSON to this file");
  cmd->add_option("--threads", a->req.opt.threads, "CPU threads (0 = all cores)")->check(CLI::Range(0, 4096));
  cmd->callback([a] {
    a->req.sets = config::parse_overrides(a->sets);
    run::EvalRequest req = a->req;
    req.opt.quiet = true;
    std::unique_ptr<train::TrainedModel> t = run::load_trained(req);
    run::warm_up_hardware(*t);
    const std::int64_t n = t->data->size(data::Part::Train);
    if (2 * a->batch > n)
      throw ConfigError(fmt::format("inject-check: --batch {} needs {} training images; the data has {}", a->batch,
                                    2 * a->batch, n));
    std::vector<std::int64_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(a->seed);
    std::shuffle(order.begin(), order.end(), rng);
    auto batch = [&](std::int64_t k) {
      std::vector<std::int64_t> idx(order.begin() + k * a->batch, order.begin() + (k + 1) * a->batch);
      return t->data->load(data::Part::Train, idx, false, rng).x.to(t->device);
    };
    torch::manual_seed(a->seed);
    std::vector<eval::InjectCheckLayer> r = eval::inject_check(*t->model, batch(0), batch(1), t->options.inject.model);
    std::cout << eval::to_markdown(r, a->min_count);
    if (!a->json.empty()) write_file_atomic(a->json, eval::to_json(r).dump(1) + "\n");
  });
}

}  // namespace ax::cli
