#include "axtrain/run/runner.h"

#include <optional>

#include <boost/filesystem.hpp>
#include <fmt/format.h>
#include <torch/cuda.h>

#include "axtrain/config/yaml_json.h"
#include "axtrain/core/dir_lock.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"
#include "axtrain/core/host.h"
#include "axtrain/dist/comm.h"
#include "axtrain/hw/mac/threads.h"
#include "axtrain/layers/attach.h"
#include "axtrain/models/model.h"
#include "axtrain/report/run_observers.h"
#include "axtrain/report/summary.h"
#include "axtrain/train/checkpoint.h"
#include "axtrain/train/trainer.h"

namespace fs = boost::filesystem;

namespace ax::run {

std::string run_dir_of(const RunConfig& cfg, const RunOptions& opt) {
  std::string root = opt.out_root.empty() ? cfg.output.dir : opt.out_root;
  return (fs::path(root) / cfg.name / cfg.run_id()).string();
}

std::int64_t configure_threads(std::int64_t threads) {
  std::int64_t n = threads > 0 ? threads : ax::cpu_cores();
  hw::set_threads(static_cast<int>(n));  // LibTorch and the OpenMP runtime of our kernels
  // Denormal floats (tiny weights and gradients late in training) slow x86 arithmetic ~2x.
  at::globalContext().setFlushDenormal(true);
  return n;
}

torch::Device resolve_device(const std::string& name) {
  if (name == "cuda") {
    if (!torch::cuda::is_available())
      throw UsageError("device cuda requested, but this LibTorch build or machine has no CUDA device");
    return torch::Device(torch::kCUDA);
  }
  return torch::Device(torch::kCPU);
}

nlohmann::json metrics_header(const RunConfig& cfg, const data::Dataset& data,
                              torch::nn::Module& model, std::int64_t threads) {
  nlohmann::json header;
  header["schema_version"] = 1;
  header["name"] = cfg.name;
  header["config"] = config::yaml_to_json(cfg.to_yaml());
  header["git_revision"] = ax::git_revision();
  header["axtrain_version"] = ax::version();
  header["seed"] = cfg.seed;
  header["device"] = cfg.device;
  header["torch_version"] = ax::torch_version();
  header["host"] = {{"cores", ax::cpu_cores()}, {"threads", threads}};
  header["dataset"] = {{"type", cfg.data.type},
                       {"train_examples", data.size(data::Part::Train)},
                       {"test_examples", data.size(data::Part::Test)},
                       {"input_shape", data.input_shape()},
                       {"classes", data.num_classes()}};
  header["model"] = {{"type", cfg.model.type}, {"parameters", models::parameter_count(model)}};
  header["started"] = ax::utc_now();
  return header;
}

namespace {
// This process's place in a data-parallel run (the launcher's environment) and its group.
std::shared_ptr<dist::Comm> join_group(const RunConfig& cfg, const dist::World& world) {
  if (!world.distributed()) return nullptr;
  using B = DistributedSpec::Backend;
  if (cfg.distributed.backend == B::Nccl || (cfg.distributed.backend == B::Auto && cfg.device == "cuda"))
    throw UsageError("distributed: the nccl backend (CUDA) is not built into this axtrain; use device: cpu with "
                     "backend gloo");
  return dist::Comm::connect(world, std::chrono::milliseconds(static_cast<std::int64_t>(cfg.distributed.timeout * 1000)));
}
}  // namespace

RunResult run_training(const RunConfig& cfg_in, const RunOptions& opt) {
  RunConfig cfg = cfg_in;
  if (!opt.device.empty()) cfg.device = opt.device;
  if (opt.threads >= 0) cfg.threads = opt.threads;
  const dist::World world = dist::world_from_env();
  cfg.world_size = world.size;
  // Threads per rank: the cores shared by the ranks of this machine (oversubscribed ranks slow
  // each other down by an order of magnitude).
  std::int64_t threads = configure_threads(
      cfg.threads > 0 || !world.distributed() ? cfg.threads
                                              : std::max<std::int64_t>(1, ax::cpu_cores() / world.local_size));
  torch::Device device = resolve_device(cfg.device);
  const bool writer = world.rank == 0;  // rank 0 alone writes the run directory

  RunResult result;
  result.run_dir = run_dir_of(cfg, opt);
  const std::string metrics_path = result.run_dir + "/metrics.json";
  std::optional<DirLock> lock;
  if (writer) {
    make_dirs(result.run_dir);
    lock.emplace(result.run_dir);  // held until the run ends, however it ends
    remove_stale_temp_files(result.run_dir);
  }
  std::shared_ptr<dist::Comm> comm = join_group(cfg, world);
  if (const auto done = report::read_summary(metrics_path); done && done->complete()) {
    if (opt.resume) {
      if (writer) result.metrics = nlohmann::json::parse(read_file(metrics_path));
      result.skipped = true;
      return result;
    }
    if (!opt.force)
      throw UsageError(fmt::format("{}: this run is already complete; use --resume to keep it (nothing is "
                                   "trained) or --force to train it again and replace it", result.run_dir));
  }
  if (writer) write_file_atomic(result.run_dir + "/config.yaml", config::to_yaml_string(cfg.to_yaml()));

  // Ranks above 0 train silently and write nothing (their errors still reach stderr).
  report::Progress progress(opt.quiet || !writer, writer ? result.run_dir + "/log.txt" : "");
  torch::manual_seed(cfg.seed);
  std::unique_ptr<data::Dataset> data = cfg.data.open(cfg.seed);
  std::shared_ptr<models::Model> model = cfg.model.build(data->input_shape(), data->num_classes());
  if (!cfg.init.checkpoint.empty()) train::load_model_file(*model, cfg.init.checkpoint);
  layers::attach_hardware(*model, cfg.hardware, cfg.seed);

  train::TrainerOptions topt = trainer_options(cfg);
  topt.comm = comm;
  topt.sync_batchnorm = cfg.distributed.sync_batchnorm;
  train::Trainer trainer(topt, *data, model, device);
  nlohmann::json header = metrics_header(cfg, *data, *model, threads);
  header["run_id"] = cfg.run_id();
  header["world_size"] = world.size;
  header["global_batch_size"] = cfg.data.batch_size * world.size;

  const std::string last = result.run_dir + "/last.pt";
  if (opt.resume && file_exists(last)) {
    trainer.load(last);
    if (const auto before = report::read_summary(metrics_path)) {
      header["wall_seconds"] = before->wall_s;
      if (!before->started.empty()) header["started"] = before->started;
    }
    progress.line(fmt::format("resuming {} after epoch {}/{}", result.run_dir, trainer.epochs_done(),
                              trainer.epochs_total()));
  }
  std::optional<report::MetricsWriter> metrics;
  std::optional<report::CheckpointWriter> checkpoints;
  std::optional<report::CalibrationLog> calibration;
  trainer.add_observer(&progress);
  if (writer) {
    metrics.emplace(metrics_path, header);
    checkpoints.emplace(result.run_dir, cfg.output.checkpoint_every);
    calibration.emplace(result.run_dir + "/calibration.jsonl", trainer.epochs_done());
    trainer.add_observer(&*metrics);
    trainer.add_observer(&*checkpoints);
    trainer.add_observer(&*calibration);
  }
  progress.line(fmt::format("run {} → {}", cfg.name, result.run_dir));
  if (world.distributed())
    progress.line(fmt::format("data-parallel: {} ranks ({} on this machine), global batch {} = {} per rank", world.size,
                              world.local_size, cfg.data.batch_size * world.size, cfg.data.batch_size));
  progress.line(fmt::format("data {}: {}; model {} ({} parameters); hardware {}; {} epochs of {} batches; "
                            "{} threads on {}",
                            cfg.data.type, data->describe(), cfg.model.type,
                            models::parameter_count(*model), cfg.hardware.base.type(),
                            trainer.epochs_total(), trainer.batches_per_epoch(), threads, cfg.device));
  try {
    trainer.run();
  } catch (const DivergedError& e) {
    if (metrics) metrics->diverged(trainer, e.what());
    progress.line(fmt::format("{}; last good checkpoint kept: {}", e.what(),
                              file_exists(last) ? last : "(none: it diverged before the first checkpoint)"));
    throw;
  }
  if (metrics) result.metrics = metrics->metrics();
  if (result.metrics.contains("final") && result.metrics["final"].contains("test")) {
    progress.line(fmt::format("final test accuracy {:.4f}, loss {:.4f}",
                              result.metrics["final"]["test"]["accuracy"].get<double>(),
                              result.metrics["final"]["test"]["loss"].get<double>()));
  }
  return result;
}

}  // namespace ax::run
