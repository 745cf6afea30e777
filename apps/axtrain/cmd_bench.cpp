// axtrain bench [--models mlp,lenet5,tinyconv,resnet_tiny] [--batch 256] [--batches 5]
//               [--repetitions 5] [--hardware PRESET.yaml ...] [--modes ideal,exact,proxy] [--json F]
// Prints training and inference images/s, GMAC/s and the ratio to the model's float case, all
// measured in the same run (medians of interleaved repetitions), on synthetic data: for every
// model, float plus once per hardware preset and execution mode. A benchmark, not a test.
#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include <boost/filesystem.hpp>

#include "axtrain/bench/throughput.h"
#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"
#include "axtrain/core/host.h"
#include "axtrain/core/text.h"
#include "axtrain/dist/comm.h"
#include "axtrain/hw/mac/threads.h"
#include "axtrain/run/runner.h"
#include "commands.h"

namespace ax::cli {

namespace {
struct BenchArgs {
  std::vector<std::string> models{"mlp", "lenet5", "tinyconv", "resnet_tiny"};
  std::vector<std::string> hardware;  // preset files; none = ideal
  std::vector<std::string> modes{"exact"};
  std::int64_t batch = 256, batches = 5, warmup = 2, repetitions = 5, threads = 0;
  std::string json;
  bool allreduce = false;
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
  CLI::App* cmd = app.add_subcommand("bench", "training/inference throughput on synthetic data, ratios to float");
  cmd->add_option("--models", a->models, "models to time")->delimiter(',');
  cmd->add_option("--batch", a->batch, "batch size")->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--batches", a->batches, "timed batches per repetition")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--repetitions", a->repetitions, "interleaved repetitions; figures are their medians")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--warmup", a->warmup, "untimed batches first")->check(CLI::Range(0, 1 << 20));
  cmd->add_option("--threads", a->threads, "CPU threads (0 = all cores)")->check(CLI::Range(0, 4096));
  cmd->add_option("--hardware", a->hardware, "hardware preset files (configs/hw/*.yaml); default: ideal")
      ->check(CLI::ExistingFile);
  cmd->add_option("--modes", a->modes, "execution modes of the approximate layers with --hardware: "
                                       "ideal, exact, proxy")->delimiter(',');
  cmd->add_option("--json", a->json, "also write the figures as JSON to this file");
  cmd->add_flag("--allreduce", a->allreduce,
                "time the gradient averaging of each model's parameters instead (bucketed c10d all-reduces); "
                "runs in a data-parallel group: start it with RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT set");
  cmd->callback([a] {
    std::int64_t threads = run::configure_threads(a->threads);
    if (a->allreduce) {
      const dist::World w = dist::world_from_env();
      if (!w.distributed())
        throw UsageError("bench --allreduce needs a data-parallel group: start it with WORLD_SIZE, RANK, MASTER_ADDR "
                         "and MASTER_PORT set (scripts/bench_distributed.sh does)");
      auto comm = dist::Comm::connect(w, std::chrono::milliseconds(300000));
      if (w.rank == 0)
        std::cout << fmt::format("# axtrain bench --allreduce: {} ranks, c10d Gloo, {} threads per rank, {} repetitions "
                                 "(median)\n{:<20} {:>12} {:>10} {:>12} {:>14}\n",
                                 w.size, threads, a->batches, "model", "parameters", "MB", "ms/step", "algbw GB/s");
      for (const auto& m : a->models) {
        auto net = bench::default_model(m == "resnet18_imagenet" ? "resnet18" : m)
                       .build(default_shape(m), m == "resnet18_imagenet" ? 1000 : 10);
        std::vector<torch::Tensor> grads;
        std::int64_t n = 0;
        for (const auto& p : net->parameters()) {
          grads.push_back(torch::randn_like(p));
          n += p.numel();
        }
        for (std::int64_t i = 0; i < a->warmup; ++i) dist::average_in_buckets(*comm, grads);
        std::vector<double> ms;
        for (std::int64_t i = 0; i < a->batches; ++i) {
          comm->barrier();
          const auto t0 = std::chrono::steady_clock::now();
          dist::average_in_buckets(*comm, grads);
          ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        std::sort(ms.begin(), ms.end());
        const double med = ms[ms.size() / 2], mb = 4.0 * static_cast<double>(n) / 1e6;
        if (w.rank == 0)
          std::cout << fmt::format("{:<20} {:>12} {:>10.1f} {:>12.1f} {:>14.2f}\n", m, n, mb, med, mb / med);
      }
      return;
    }
    std::cout << fmt::format("# axtrain bench: batch {}, {} timed batches × {} interleaved repetitions (medians), "
                             "{} threads ({}), LibTorch {}, {} cores\n",
                             a->batch, a->batches, a->repetitions, threads, hw::parallel_description(),
                             ax::torch_version(), ax::cpu_cores());
    struct Hw {
      std::string label;
      hw::HardwareSpec spec;
      std::vector<hw::Mode> modes;
    };
    // The float case of every model is always timed: it is what the ratios divide by.
    std::vector<Hw> hws{{"ideal", hw::HardwareSpec::ideal(), {hw::Mode::Ideal}}};
    std::vector<hw::Mode> modes;
    for (const auto& m : a->modes) modes.push_back(mode_of(m));
    for (const auto& f : a->hardware)
      hws.push_back({boost::filesystem::path(f).stem().string(), load_preset(f), modes});
    std::vector<bench::BenchCase> cases;
    for (const auto& m : a->models)
      for (const Hw& h : hws)
        for (hw::Mode mode : h.modes) {
          bench::BenchCase c;
          c.label = m;
          c.hardware = h.label;
          c.model = bench::default_model(m == "resnet18_imagenet" ? "resnet18" : m);
          c.input_shape = default_shape(m);
          c.classes = m == "resnet18_imagenet" ? 1000 : 10;
          c.hardware_spec = h.spec;
          c.mode = mode;
          cases.push_back(std::move(c));
        }
    bench::BenchSettings s{a->batch, a->batches, a->warmup, a->repetitions};
    std::vector<bench::BenchResult> results = bench::run_benches(cases, s);
    std::cout << fmt::format("{:<14} {:<12} {:<6} {:>11} {:>10} {:>8} {:>11} {:>10} {:>8} {:>8}\n", "model",
                             "hardware", "mode", "train img/s", "train ms", "÷ float", "infer img/s", "infer ms",
                             "÷ float", "GMAC/s");
    nlohmann::json all = nlohmann::json::array();
    for (const bench::BenchResult& r : results) {
      std::cout << fmt::format("{:<14} {:<12} {:<6} {:>11.0f} {:>10.1f} {:>8.2f} {:>11.0f} {:>10.1f} {:>8.2f} {:>8.2f}\n",
                               r.label, r.hardware, r.mode, r.train_images_per_s, r.train_step_ms, r.train_ratio,
                               r.forward_images_per_s, r.forward_ms, r.forward_ratio, r.forward_gmacs);
      all.push_back(r.to_json());
    }
    if (!a->json.empty()) {
      nlohmann::json doc = {{"batch", a->batch},
                            {"batches", a->batches},
                            {"repetitions", a->repetitions},
                            {"threads", threads},
                            {"parallel", hw::parallel_description()},
                            {"libtorch", ax::torch_version()},
                            {"cores", ax::cpu_cores()},
                            {"results", all}};
      write_file_atomic(a->json, doc.dump(2) + "\n");
    }
  });
}

}  // namespace ax::cli
