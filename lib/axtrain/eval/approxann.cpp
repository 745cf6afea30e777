#include "axtrain/eval/approxann.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"
#include "axtrain/layers/attach.h"
#include "axtrain/train/trainer.h"

namespace ax::eval {
namespace {

struct Neuron {
  std::size_t layer;
  std::int64_t index;
  double criticality;
};

double test_accuracy(train::TrainedModel& t) {
  train::Trainer trainer(t.options, *t.data, t.model, t.device);
  return trainer.evaluate(0).accuracy;
}

// c_j = Σ |∂E/∂y_j| over the first n training examples (conv: summed over positions too).
std::vector<torch::Tensor> criticality(train::TrainedModel& t, const std::vector<layers::NamedMacLayer>& ls,
                                       std::int64_t n) {
  std::vector<torch::Tensor> c;
  for (const auto& l : ls) c.push_back(torch::zeros({l.layer->weight.size(0)}, torch::kFloat64));
  for (std::size_t i = 0; i < ls.size(); ++i)
    ls[i].layer->set_output_observer([&c, i](const torch::Tensor& y) {
      if (!y.requires_grad()) return;
      y.register_hook([&c, i](torch::Tensor g) {
        std::vector<std::int64_t> dims{0};
        for (std::int64_t d = 2; d < g.dim(); ++d) dims.push_back(d);
        c[i] += g.abs().sum(dims).to(torch::kCPU, torch::kFloat64);
      });
    });
  t.model->eval();
  n = std::min(n, t.data->size(data::Part::Train));
  const std::int64_t bs = t.options.test_batch_size;
  std::mt19937_64 unused(0);
  for (std::int64_t start = 0; start < n; start += bs) {
    std::vector<std::int64_t> idx(static_cast<std::size_t>(std::min(bs, n - start)));
    std::iota(idx.begin(), idx.end(), start);
    data::Batch b = t.data->load(data::Part::Train, idx, false, unused);
    torch::Tensor out = t.model->forward(b.x.to(t.device));
    torch::Tensor y = b.y.to(t.device);
    torch::Tensor loss = t.options.loss.kind == train::LossSpec::Kind::Mse
                             ? torch::mse_loss(out, torch::one_hot(y, out.size(1)).to(out.dtype()), at::Reduction::Sum)
                             : torch::cross_entropy_loss(out, y, {}, at::Reduction::Sum);
    loss.backward();
  }
  for (const auto& l : ls) l.layer->set_output_observer(nullptr);
  t.model->zero_grad();
  return c;
}

void retrain(train::TrainedModel& t, double epochs) {
  train::TrainerOptions options = t.options;
  train::PhaseSpec p;
  p.name = "approxann_retrain";
  p.epochs = epochs;
  p.mode = hw::Mode::Exact;
  p.gradient = hw::ExactGradient::SteClip;
  for (const auto& ph : t.options.phases)
    if (ph.optimizer) p.optimizer = ph.optimizer;  // the run's last phase optimizer, if any
  options.phases = {p};
  options.eval.every = 1000000;  // the search evaluates itself
  train::Trainer trainer(options, *t.data, t.model, t.device);
  trainer.run();
  t.model->eval();
}

std::vector<torch::Tensor> snapshot(torch::nn::Module& m) {
  std::vector<torch::Tensor> s;
  for (const auto& p : m.parameters()) s.push_back(p.detach().clone());
  return s;
}

void restore(torch::nn::Module& m, const std::vector<torch::Tensor>& s) {
  torch::NoGradGuard g;
  auto ps = m.parameters();
  for (std::size_t i = 0; i < ps.size(); ++i) ps[i].copy_(s[i]);
}

}  // namespace

ApproxAnnResult approxann_search(train::TrainedModel& t, const ApproxAnnOptions& o,
                                 const std::function<void(const std::string&)>& log) {
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  auto ls = layers::mac_layers(*t.model);
  if (ls.empty()) throw UsageError("approxann: the model has no MAC layers");
  if (t.hardware.is_ideal())
    throw UsageError("approxann: the hardware is ideal; give an approximate multiplier with --hardware");
  t.options.eval.mode = hw::Mode::Exact;
  t.options.eval.repeats = 1;
  std::vector<torch::Tensor> masks;
  for (const auto& l : ls) {
    masks.push_back(torch::zeros({l.layer->weight.size(0)}, torch::kBool));
    l.layer->set_mode(hw::Mode::Exact);
  }
  auto apply = [&] {
    for (std::size_t i = 0; i < ls.size(); ++i) ls[i].layer->set_approx_mask(masks[i]);
  };
  ApproxAnnResult r;
  apply();
  r.accurate_accuracy = test_accuracy(t);
  for (auto& m : masks) m.fill_(true);
  apply();
  r.approximate_accuracy = test_accuracy(t);
  for (auto& m : masks) m.fill_(false);
  apply();
  say(fmt::format("approxann: all accurate {:.4f}, all approximate {:.4f}, bound {:.4f}", r.accurate_accuracy,
                  r.approximate_accuracy, r.accurate_accuracy - o.bound));

  std::vector<Neuron> order;
  layers::set_mode(*t.model, hw::Mode::Ideal);  // the accurate network's gradients, without emulation
  auto c = criticality(t, ls, o.criticality_examples);
  layers::set_mode(*t.model, hw::Mode::Exact);
  for (std::size_t i = 0; i < ls.size(); ++i)
    for (std::int64_t j = 0; j < c[i].size(0); ++j) order.push_back({i, j, c[i][j].item<double>()});
  std::stable_sort(order.begin(), order.end(), [](const Neuron& a, const Neuron& b) { return a.criticality < b.criticality; });
  r.neurons = static_cast<std::int64_t>(order.size());

  const double floor = r.accurate_accuracy - o.bound;
  std::int64_t done = 0;
  std::int64_t chunk = std::max<std::int64_t>(1, std::llround(o.step * static_cast<double>(r.neurons)));
  double accuracy = r.accurate_accuracy;
  while (done < r.neurons) {
    const std::int64_t take = std::min(chunk, r.neurons - done);
    auto set = [&](bool v) {
      for (std::int64_t k = done; k < done + take; ++k) masks[order[k].layer][order[k].index] = v;
      apply();
    };
    set(true);
    ApproxAnnStep s;
    s.approx_neurons = done + take;
    s.accuracy = test_accuracy(t);
    s.accepted = s.accuracy >= floor;
    if (!s.accepted && o.retrain_epochs > 0) {
      auto saved = snapshot(*t.model);
      retrain(t, o.retrain_epochs);
      s.retrained_accuracy = test_accuracy(t);
      s.accepted = s.retrained_accuracy >= floor;
      if (!s.accepted) restore(*t.model, saved);
    }
    say(fmt::format("approxann: {} of {} neurons approximate: accuracy {:.4f}{} — {}", s.approx_neurons, r.neurons,
                    s.accuracy, s.retrained_accuracy >= 0 ? fmt::format(", retrained {:.4f}", s.retrained_accuracy) : "",
                    s.accepted ? "kept" : "undone"));
    r.steps.push_back(s);
    if (s.accepted) {
      done += take;
      accuracy = s.retrained_accuracy >= 0 ? s.retrained_accuracy : s.accuracy;
      continue;
    }
    set(false);
    if (take == 1) break;
    chunk = std::max<std::int64_t>(1, take / 2);
  }
  r.final_accuracy = accuracy;
  r.approx_neurons = done;
  std::mt19937_64 unused(0);
  torch::Tensor example = t.data->load(data::Part::Test, {0}, false, unused).x.to(t.device);
  r.layers = layer_work(*t.model, t.hardware, example);
  for (std::size_t i = 0; i < ls.size(); ++i) {
    r.multipliers += r.layers[i].macs;
    r.approx_multipliers += r.layers[i].macs * r.layers[i].approx_fraction;
    std::vector<int> bits;
    for (std::int64_t j = 0; j < masks[i].size(0); ++j) bits.push_back(masks[i][j].item<bool>() ? 1 : 0);
    r.masks[ls[i].name] = bits;
  }
  return r;
}

nlohmann::json ApproxAnnResult::to_json() const {
  nlohmann::json steps_j = nlohmann::json::array(), layers_j = nlohmann::json::array();
  for (const auto& s : steps)
    steps_j.push_back({{"approx_neurons", s.approx_neurons},
                       {"accuracy", s.accuracy},
                       {"retrained_accuracy", s.retrained_accuracy >= 0 ? nlohmann::json(s.retrained_accuracy) : nullptr},
                       {"accepted", s.accepted}});
  for (const auto& l : layers)
    layers_j.push_back({{"name", l.name},
                        {"multipliers", l.macs},
                        {"approx_fraction", l.approx_fraction},
                        {"multiplier", l.keys.multiplier},
                        {"reference", l.keys.reference}});
  return {{"accurate_accuracy", accurate_accuracy},
          {"approximate_accuracy", approximate_accuracy},
          {"final_accuracy", final_accuracy},
          {"neurons", neurons},
          {"approx_neurons", approx_neurons},
          {"multipliers", multipliers},
          {"approx_multipliers", approx_multipliers},
          {"approx_multiplier_fraction", multipliers > 0 ? approx_multipliers / multipliers : 0.0},
          {"layers", layers_j},
          {"steps", steps_j},
          {"masks", masks}};
}

std::optional<ApproxAnnSummary> read_approxann_summary(const std::string& path) {
  if (!file_exists(path)) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  ApproxAnnSummary a;
  a.final_accuracy = j.value("final_accuracy", 0.0);
  a.approx_multiplier_fraction = j.value("approx_multiplier_fraction", 0.0);
  if (j.contains("power") && j["power"].is_object()) {
    const auto& p = j["power"];
    if (p.contains("relative_compute") && p["relative_compute"].is_number()) a.relative_compute_power = p["relative_compute"].get<double>();
    if (p.contains("relative_storage") && p["relative_storage"].is_number()) a.relative_storage_power = p["relative_storage"].get<double>();
  }
  return a;
}

}  // namespace ax::eval
