// axtrain bench [--models mlp,lenet5,tinyconv,resnet_tiny] [--batch 256] [--batches 20]
//               [--hardware PRESET.yaml ...] [--modes ideal,exact,proxy]
// Prints training and inference images/s on synthetic data (a benchmark, not a test): for every
// model, once per hardware preset and execution mode (default: ideal float only).
#include <iostream>

#include <fmt/format.h>

#include <boost/filesystem.hpp>

#include "axtrain/bench/throughput.h"
#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/text.h"
#include "axtrain/report/host.h"
#include "axtrain/train/runner.h"
#include "commands.h"

namespace ax::cli {

namespace {
struct BenchArgs {
  std::vector<std::string> models{"mlp", "lenet5", "tinyconv", "resnet_tiny"};
  std::vector<std::string> hardware;  // preset files; none = ideal
  std::vector<std::string> modes{"exact"};
  std::int64_t batch = 256, batches = 20, warmup = 3, threads = 0;
};

hw::HardwareSpec load_preset(const std::string& path) {
  YAML::Node doc;
  doc["hardware"] = path;
  config::Section root({{doc, "<bench --hardware>"}}, "");
  hw::HardwareSpec h = hw::HardwareSpec::parse_from(root, "<bench --hardware>");
  return h;
}

hw::Mode mode_of(const std::string& name) {
  for (hw::Mode m : {hw::Mode::Ideal, hw::Mode::Exact, hw::Mode::Proxy})
    if (name == hw::mode_name(m)) return m;
  throw ConfigError(fmt::format("bench --modes: unknown mode '{}'; allowed: ideal, exact, proxy", name));
}

std::vector<std::int64_t> default_shape(const std::string& model) {
  if (model == "mlp" || model == "lenet5") return {1, 28, 28};
  if (model == "resnet18_imagenet") return {3, 224, 224};
  return {3, 32, 32};
}
}  // namespace

void add_bench(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "training/inference throughput on synthetic data");
  cmd->add_option("--models", a->models, "models to time")->delimiter(',');
  cmd->add_option("--batch", a->batch, "batch size")->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--batches", a->batches, "timed batches per model")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--warmup", a->warmup, "untimed batches first")->check(CLI::Range(0, 1 << 20));
  cmd->add_option("--threads", a->threads, "CPU threads (0 = all cores)")->check(CLI::Range(0, 4096));
  cmd->add_option("--hardware", a->hardware, "hardware preset files (configs/hw/*.yaml); default: ideal")
      ->check(CLI::ExistingFile);
  cmd->add_option("--modes", a->modes, "execution modes of the approximate layers with --hardware: "
                                       "ideal, exact, proxy")->delimiter(',');
  cmd->callback([a] {
    std::int64_t threads = train::configure_threads(a->threads);
    std::cout << fmt::format("# axtrain bench: batch {}, {} timed batches, {} threads, LibTorch {}, {} cores\n",
                             a->batch, a->batches, threads, report::torch_version(), report::cpu_cores());
    struct Hw {
      std::string label;
      hw::HardwareSpec spec;
      std::vector<hw::Mode> modes;
    };
    std::vector<Hw> hws;
    if (a->hardware.empty()) hws.push_back({"ideal", hw::HardwareSpec::ideal(), {hw::Mode::Ideal}});
    std::vector<hw::Mode> modes;
    for (const auto& m : a->modes) modes.push_back(mode_of(m));
    for (const auto& f : a->hardware)
      hws.push_back({boost::filesystem::path(f).stem().string(), load_preset(f), modes});
    std::cout << fmt::format("{:<20} {:<14} {:<6} {:>12} {:>14} {:>12} {:>14}\n", "model", "hardware", "mode",
                             "train img/s", "train ms/batch", "infer img/s", "infer ms/batch");
    for (const auto& m : a->models) {
      for (const Hw& h : hws) {
        for (hw::Mode mode : h.modes) {
          bench::BenchCase c;
          c.label = m;
          c.model = bench::default_model(m == "resnet18_imagenet" ? "resnet18" : m);
          c.input_shape = default_shape(m);
          c.classes = m == "resnet18_imagenet" ? 1000 : 10;
          c.hardware = h.spec;
          c.mode = mode;
          bench::BenchResult r = bench::run_bench(c, a->batch, a->batches, a->warmup);
          std::cout << fmt::format("{:<20} {:<14} {:<6} {:>12.0f} {:>14.1f} {:>12.0f} {:>14.1f}\n", m, h.label,
                                   hw::mode_name(mode), r.train_images_per_s, r.train_step_ms,
                                   r.forward_images_per_s, r.forward_ms)
                    << std::flush;
        }
      }
    }
  });
}

}  // namespace ax::cli
