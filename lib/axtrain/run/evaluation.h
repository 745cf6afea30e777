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

#include "axtrain/run/runner.h"
#include "axtrain/train/trained_model.h"

namespace ax::run {

struct EvalRequest {
  std::string checkpoint;          // final.pt / last.pt of a run, or a .safetensors file
  std::string config;              // "" = config.yaml in the checkpoint's directory
  std::string hardware;            // preset file replacing the config's hardware ("" = keep)
  std::vector<config::Override> sets;  // overrides (--set), applied last
  std::int64_t repeats = 0;        // 0 = the config's eval.repeats
  std::string mode;                // "" = the config's eval.mode
  RunOptions opt;                  // out_root, device, threads, quiet; resume: skip a complete evaluation
};

RunResult run_evaluation(const EvalRequest& req);
// The evaluation's resolved config (the run's config with hardware, repeats, mode and --set applied).
RunConfig evaluation_config(const EvalRequest& req);
// Where run_evaluation writes: <out>/<name>-eval/<id>, id = short hash of the resolved config
// (without threads and device) and the absolute checkpoint path. Needs the config, not the model.
std::string evaluation_dir(const EvalRequest& req);

// The run's model ready to evaluate (train/trained_model.h): the resolved config's trainer options
// and hardware, its data, the model with the hardware attached, the checkpoint's weights loaded
// and the hardware warmed up on training batches. `cfg`, when given, receives the resolved config.
std::unique_ptr<train::TrainedModel> load_trained(const EvalRequest& req, RunConfig* cfg = nullptr);
// Calibrates hardware that has unfinished calibration (static input scales, analog ADC full
// scales) on training batches (train::calibrate_hardware, BN in eval mode); used after changing
// the hardware. Leaves the model in eval mode.
void warm_up_hardware(train::TrainedModel& t);

}  // namespace ax::run
