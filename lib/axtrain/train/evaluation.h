// run_evaluation: a trained model evaluated, without training, on a hardware model — the
// "Inference Only" columns of Li et al. Tab.4/5 (a fixed-point model on SC, say), or a model
// re-evaluated with more fault draws (AxTrain's 50 NTV runs). Used by `axtrain eval`.
//
// The run config is the config.yaml beside the checkpoint (or `config`), with `hardware`,
// `eval.repeats`, `eval.mode` and --set overrides applied; the model is built from it, the hardware
// attached, then the checkpoint's weights loaded (hardware state such as calibrated ADC ranges is
// loaded when the checkpoint has it for the same hardware, else the hardware starts fresh and
// calibrates on the first training batch, as in training, before the test set is evaluated).
// Output: <out>/<name>-eval/<id>/metrics.json and config.yaml, id = short hash of the resolved
// config and the checkpoint path; metrics.json has the run layout with `epochs` empty, `final.test`
// the evaluation, `eval` {checkpoint, hardware, mode, repeats, seconds}, and `power` (relative
// compute / storage power from configs/power/default.yaml when present and pricing this hardware).
#pragma once
#include <string>
#include <vector>

#include "axtrain/train/runner.h"

namespace ax::train {

struct EvalRequest {
  std::string checkpoint;          // final.pt / last.pt of a run, or a .safetensors file
  std::string config;              // "" = config.yaml in the checkpoint's directory
  std::string hardware;            // preset file replacing the config's hardware ("" = keep)
  std::vector<std::string> sets;   // --set overrides, applied last
  std::int64_t repeats = 0;        // 0 = the config's eval.repeats
  std::string mode;                // "" = the config's eval.mode
  RunOptions opt;                  // out_root, device, threads, quiet; resume: skip a complete evaluation
};

RunResult run_evaluation(const EvalRequest& req);
// The evaluation's resolved config (the run's config with hardware, repeats, mode and --set applied).
config::RunConfig evaluation_config(const EvalRequest& req);
// Where run_evaluation writes: <out>/<name>-eval/<id>, id = short hash of the resolved config
// (without threads and device) and the absolute checkpoint path. Needs the config, not the model.
std::string evaluation_dir(const EvalRequest& req);

// A trained model ready to evaluate: the resolved config, its data, the model with the hardware
// attached, the checkpoint's weights loaded and the hardware warmed up on one training batch;
// the model is in eval mode, its MAC layers in cfg.eval.mode. Shared by `eval`, `sensitivity`,
// `approxann` and `power`. Not movable once a Trainer refers to cfg.
struct TrainedModel {
  config::RunConfig cfg;
  std::unique_ptr<data::Dataset> data;
  std::shared_ptr<models::Model> model;
  torch::Device device{torch::kCPU};
  std::int64_t threads = 0;
  std::string checkpoint;  // absolute
};
std::unique_ptr<TrainedModel> load_trained(const EvalRequest& req);
// Calibrates hardware that has unfinished calibration (static input scales, analog ADC full
// scales) on training batches (train::calibrate_hardware, BN in eval mode); used after changing
// the hardware. Leaves the model in eval mode.
void warm_up_hardware(TrainedModel& t);

}  // namespace ax::train
