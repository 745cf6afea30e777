#include "axtrain/bench/throughput.h"

#include <algorithm>
#include <chrono>

#include <torch/nn/functional/loss.h>
#include <torch/optim/sgd.h>

#include "axtrain/config/section.h"
#include "axtrain/layers/attach.h"

namespace ax::bench {

models::ModelSpec default_model(const std::string& type) {
  YAML::Node n;
  n["type"] = type;
  config::Section s({{n, "<bench>"}}, "model");
  models::ModelSpec m = models::ModelSpec::parse(s);
  s.finish();
  return m;
}

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// One case, built once and timed repeatedly.
class Prepared {
 public:
  Prepared(const BenchCase& c, std::int64_t batch) : c_(c) {
    torch::manual_seed(0);
    model_ = c.model.build(c.input_shape, c.classes);
    layers::attach_hardware(*model_, c.hardware_spec, 0);
    layers::set_mode(*model_, c.mode);
    std::vector<std::int64_t> shape{batch};
    shape.insert(shape.end(), c.input_shape.begin(), c.input_shape.end());
    x_ = torch::rand(shape);
    y_ = torch::randint(0, c.classes, {batch}, torch::kInt64);
    opt_ = std::make_unique<torch::optim::SGD>(model_->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
    macs_ = count_macs();
  }
  double macs_per_image() const { return macs_; }

  // Milliseconds per step of `batches` training steps.
  double train(std::int64_t batches) {
    model_->train();
    auto t0 = Clock::now();
    for (std::int64_t i = 0; i < batches; ++i) {
      opt_->zero_grad();
      torch::Tensor loss = torch::nn::functional::cross_entropy(model_->forward(x_), y_);
      loss.backward();
      opt_->step();
    }
    return ms_since(t0, batches);
  }
  // Milliseconds per eval-mode forward without gradients.
  double infer(std::int64_t batches) {
    model_->eval();
    torch::NoGradGuard g;
    auto t0 = Clock::now();
    for (std::int64_t i = 0; i < batches; ++i) model_->forward(x_);
    return ms_since(t0, batches);
  }

 private:
  static double ms_since(Clock::time_point t0, std::int64_t n) {
    return 1000.0 * std::chrono::duration<double>(Clock::now() - t0).count() / static_cast<double>(n);
  }
  double count_macs() {
    auto ls = layers::mac_layers(*model_);
    double total = 0;
    for (auto& l : ls) {
      const std::int64_t fan_in = l.layer->op().fan_in(l.layer->weight);
      l.layer->set_output_observer([&total, fan_in](const torch::Tensor& y) {
        total += static_cast<double>(y.numel() / y.size(0) * fan_in);
      });
    }
    {
      torch::NoGradGuard g;
      model_->eval();
      model_->forward(x_.narrow(0, 0, 1));
    }
    for (auto& l : ls) l.layer->set_output_observer(nullptr);
    return total;
  }

  BenchCase c_;
  std::shared_ptr<models::Model> model_;
  torch::Tensor x_, y_;
  std::unique_ptr<torch::optim::SGD> opt_;
  double macs_ = 0;
};

}  // namespace

nlohmann::json BenchResult::to_json() const {
  return {{"model", label},
          {"hardware", hardware},
          {"mode", mode},
          {"macs_per_image", macs_per_image},
          {"train_step_ms", train_step_ms},
          {"forward_ms", forward_ms},
          {"train_images_per_s", train_images_per_s},
          {"forward_images_per_s", forward_images_per_s},
          {"forward_gmacs", forward_gmacs},
          {"train_ratio_to_float", train_ratio},
          {"forward_ratio_to_float", forward_ratio},
          {"train_ms_repetitions", train_ms_reps},
          {"forward_ms_repetitions", forward_ms_reps}};
}

std::vector<BenchResult> run_benches(const std::vector<BenchCase>& cases, const BenchSettings& s) {
  std::vector<std::unique_ptr<Prepared>> prepared;
  std::vector<BenchResult> out(cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    prepared.push_back(std::make_unique<Prepared>(cases[i], s.batch));
    prepared.back()->train(s.warmup);
    prepared.back()->infer(std::max<std::int64_t>(1, s.warmup));
    out[i].label = cases[i].label;
    out[i].hardware = cases[i].hardware;
    out[i].mode = hw::mode_name(cases[i].mode);
    out[i].macs_per_image = prepared.back()->macs_per_image();
  }
  for (std::int64_t rep = 0; rep < s.repetitions; ++rep)
    for (std::size_t i = 0; i < cases.size(); ++i) {
      out[i].train_ms_reps.push_back(prepared[i]->train(s.batches));
      out[i].forward_ms_reps.push_back(prepared[i]->infer(s.batches));
    }
  for (BenchResult& r : out) {
    r.train_step_ms = median(r.train_ms_reps);
    r.forward_ms = median(r.forward_ms_reps);
    r.train_images_per_s = 1000.0 * static_cast<double>(s.batch) / r.train_step_ms;
    r.forward_images_per_s = 1000.0 * static_cast<double>(s.batch) / r.forward_ms;
    r.forward_gmacs = r.macs_per_image * r.forward_images_per_s / 1e9;
  }
  for (BenchResult& r : out)
    for (const BenchResult& f : out)
      if (f.label == r.label && f.mode == "ideal" && f.hardware == "ideal") {
        r.train_ratio = r.train_step_ms / f.train_step_ms;
        r.forward_ratio = r.forward_ms / f.forward_ms;
      }
  return out;
}

}  // namespace ax::bench
