#include "axtrain/run/evaluation.h"

#include <cmath>
#include <chrono>
#include <numeric>
#include <random>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/config/yaml_json.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"
#include "axtrain/core/host.h"
#include "axtrain/core/text.h"
#include "axtrain/eval/power.h"
#include "axtrain/layers/attach.h"
#include "axtrain/report/summary.h"
#include "axtrain/report/run_observers.h"
#include "axtrain/train/checkpoint.h"
#include "axtrain/train/trainer.h"

namespace fs = boost::filesystem;

namespace ax::run {
namespace {
const char* const kDefaultPowerCosts = "configs/power/default.yaml";
}

RunConfig evaluation_config(const EvalRequest& req) {
  std::string cfg_path = req.config;
  if (cfg_path.empty()) {
    cfg_path = (fs::path(req.checkpoint).parent_path() / "config.yaml").string();
    if (!file_exists(cfg_path))
      throw UsageError(fmt::format("no config.yaml beside {}; name the run config with --config", req.checkpoint));
  }
  std::vector<config::Override> overrides;
  if (!req.hardware.empty()) overrides.push_back(config::Override::of("hardware", req.hardware));
  if (req.repeats > 0) overrides.push_back(config::Override::of("eval.repeats", req.repeats));
  if (!req.mode.empty()) overrides.push_back(config::Override::of("eval.mode", req.mode));
  overrides.insert(overrides.end(), req.sets.begin(), req.sets.end());
  return run::load_run_config(cfg_path, overrides);
}

std::string evaluation_dir(const EvalRequest& req) {
  RunConfig cfg = evaluation_config(req);
  const std::string checkpoint = fs::absolute(req.checkpoint).lexically_normal().string();
  cfg.threads = 0;  // where and how fast it runs is not part of what is evaluated
  cfg.device = "cpu";
  const std::string id = short_hash(config::to_yaml_string(cfg.to_yaml()) + "\ncheckpoint: " + checkpoint);
  const std::string root = req.opt.out_root.empty() ? cfg.output.dir : req.opt.out_root;
  return (fs::path(root) / (cfg.name + "-eval") / id).string();
}

std::unique_ptr<train::TrainedModel> load_trained(const EvalRequest& req, RunConfig* cfg_out) {
  if (!file_exists(req.checkpoint)) throw UsageError(fmt::format("checkpoint {} not found", req.checkpoint));
  auto t = std::make_unique<train::TrainedModel>();
  RunConfig cfg = evaluation_config(req);
  if (!req.opt.device.empty()) cfg.device = req.opt.device;
  if (req.opt.threads >= 0) cfg.threads = req.opt.threads;
  t->options = trainer_options(cfg);
  t->hardware = cfg.hardware;
  t->threads = configure_threads(cfg.threads);
  t->device = resolve_device(cfg.device);
  t->checkpoint = fs::absolute(req.checkpoint).lexically_normal().string();
  torch::manual_seed(cfg.seed);
  t->data = cfg.data.open(cfg.seed);
  t->model = cfg.model.build(t->data->input_shape(), t->data->num_classes());
  layers::attach_hardware(*t->model, cfg.hardware, cfg.seed);
  train::load_model_file(*t->model, req.checkpoint);
  t->model->to(t->device);
  warm_up_hardware(*t);
  if (cfg_out) *cfg_out = std::move(cfg);
  return t;
}

// Hardware whose calibration is unfinished (static input scales, analog ADC full scales: no state
// for them in the checkpoint, e.g. other hardware than the network was trained on) sees training
// batches first, as a chip is calibrated before deployment (BN stays in eval mode).
void warm_up_hardware(train::TrainedModel& t) {
  train::calibrate_hardware(*t.model, *t.data, t.options.eval.mode, t.device, t.options.batch_size);
  t.model->eval();
}

RunResult run_evaluation(const EvalRequest& req) {
  auto t0 = std::chrono::steady_clock::now();
  if (!file_exists(req.checkpoint)) throw UsageError(fmt::format("eval: checkpoint {} not found", req.checkpoint));
  RunResult result;
  result.run_dir = evaluation_dir(req);
  const std::string id = fs::path(result.run_dir).filename().string();
  if (req.opt.resume) {
    // An evaluation written before the output deviation existed (no eval.output_deviation_computed)
    // is run again, so that its metrics.json gains final.test.output_deviation.
    const auto done = report::read_summary(result.run_dir + "/metrics.json");
    if (done && done->complete() && done->output_deviation_computed) {
      result.metrics = nlohmann::json::parse(read_file(done->path));
      result.skipped = true;
      return result;
    }
  }
  RunConfig cfg;
  std::unique_ptr<train::TrainedModel> tm = load_trained(req, &cfg);
  const std::string& checkpoint = tm->checkpoint;
  make_dirs(result.run_dir);
  write_file_atomic(result.run_dir + "/config.yaml", config::to_yaml_string(cfg.to_yaml()));
  report::Progress progress(req.opt.quiet, result.run_dir + "/log.txt");
  data::Dataset* data = tm->data.get();
  models::Model* model = tm->model.get();
  train::Trainer trainer(tm->options, *data, tm->model, tm->device);
  progress.line(fmt::format("eval {} on hardware {} (mode {}, {} repeat(s)), {} test examples → {}", checkpoint,
                            cfg.hardware.base.type(), hw::mode_name(cfg.eval.mode), cfg.eval.repeats,
                            data->size(data::Part::Test), result.run_dir));
  auto t1 = std::chrono::steady_clock::now();
  train::SplitMetrics m = trainer.evaluate(0);
  const double eval_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();

  nlohmann::json doc = metrics_header(cfg, *data, *model, tm->threads);
  doc["run_id"] = id;
  doc["status"] = "complete";
  doc["epochs"] = nlohmann::json::array();
  doc["phases"] = nlohmann::json::array();
  doc["final"] = {{"test", m.to_json()}};
  // JSON has no NaN (nlohmann writes null): a non-finite loss is written as text and the
  // evaluation is not complete, so no table takes it for a number.
  const bool finite = std::isfinite(m.loss) && std::isfinite(m.accuracy);
  if (!finite) {
    for (const char* k : {"loss", "loss_min", "loss_max", "loss_std", "accuracy", "output_deviation", "output_deviation_std"})
      if (doc["final"]["test"].contains(k)) {
        const double v = doc["final"]["test"][k].get<double>();
        if (!std::isfinite(v)) doc["final"]["test"][k] = std::isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
      }
    doc["status"] = "diverged";
    doc["diverged"] = fmt::format("the test loss is {}: the model's weights or outputs are not finite", m.loss);
  }
  doc["eval"] = {{"checkpoint", checkpoint},
                 {"hardware", cfg.hardware.base.type()},
                 {"preset", cfg.hardware.preset},
                 {"mode", hw::mode_name(cfg.eval.mode)},
                 {"repeats", cfg.eval.repeats},
                 {"output_deviation_computed", m.output_deviation.has_value()},
                 {"seconds", eval_s}};
  doc["power"] = nullptr;  // relative power of this hardware (eval/power.h), when the cost file prices it
  if (file_exists(kDefaultPowerCosts)) {
    try {
      std::mt19937_64 unused(0);
      auto work = eval::layer_work(*model, cfg.hardware, data->load(data::Part::Test, {0}, false, unused).x.to(tm->device));
      doc["power"] = eval::estimate_power(work, eval::load_power_costs(kDefaultPowerCosts)).to_json();
      doc["power"]["costs"] = kDefaultPowerCosts;
    } catch (const ConfigError& e) {
      doc["power"] = {{"error", e.what()}};
    }
  }
  doc["peak_rss_bytes"] = ax::peak_rss_bytes();
  doc["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  doc["updated"] = ax::utc_now();
  write_file_atomic(result.run_dir + "/metrics.json", doc.dump(2) + "\n");
  result.metrics = doc;
  std::string spread = m.repeats > 1 ? fmt::format(" ± {:.4f} (min {:.4f}, max {:.4f}, {} repeats)", m.accuracy_std,
                                                   m.accuracy_min, m.accuracy_max, m.repeats)
                                     : "";
  const std::string deviation =
      m.output_deviation ? fmt::format(", output deviation from float {:.4g}", *m.output_deviation) : "";
  progress.line(fmt::format("test accuracy {:.4f}{}, loss {:.4f}{}, {:.1f}s", m.accuracy, spread, m.loss, deviation, eval_s));
  if (!finite)
    throw DivergedError(fmt::format("eval of {}: the test loss is {} (weights or outputs not finite); written to {}",
                                    checkpoint, m.loss, result.run_dir + "/metrics.json"));
  return result;
}

}  // namespace ax::run
