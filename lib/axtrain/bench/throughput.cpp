#include "axtrain/bench/throughput.h"

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

BenchResult run_bench(const BenchCase& c, std::int64_t batch, std::int64_t batches, std::int64_t warmup) {
  using Clock = std::chrono::steady_clock;
  torch::manual_seed(0);
  auto model = c.model.build(c.input_shape, c.classes);
  layers::attach_hardware(*model, c.hardware, 0);
  layers::set_mode(*model, c.mode);
  std::vector<std::int64_t> shape{batch};
  shape.insert(shape.end(), c.input_shape.begin(), c.input_shape.end());
  torch::Tensor x = torch::rand(shape), y = torch::randint(0, c.classes, {batch}, torch::kInt64);
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  auto step = [&] {
    opt.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
  };
  model->train();
  for (std::int64_t i = 0; i < warmup; ++i) step();
  auto t0 = Clock::now();
  for (std::int64_t i = 0; i < batches; ++i) step();
  double train_s = std::chrono::duration<double>(Clock::now() - t0).count();

  model->eval();
  torch::NoGradGuard g;
  for (std::int64_t i = 0; i < std::max<std::int64_t>(1, warmup / 2); ++i) model->forward(x);
  auto t1 = Clock::now();
  for (std::int64_t i = 0; i < batches; ++i) model->forward(x);
  double fwd_s = std::chrono::duration<double>(Clock::now() - t1).count();

  BenchResult r;
  r.label = c.label;
  r.train_step_ms = 1000.0 * train_s / static_cast<double>(batches);
  r.forward_ms = 1000.0 * fwd_s / static_cast<double>(batches);
  r.train_images_per_s = static_cast<double>(batch * batches) / train_s;
  r.forward_images_per_s = static_cast<double>(batch * batches) / fwd_s;
  return r;
}

}  // namespace ax::bench
