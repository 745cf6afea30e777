#include "axtrain/train/trainer.h"

#include <algorithm>
#include <cmath>
#include <future>
#include <numeric>
#include <random>

#include <fmt/format.h>
#include <torch/nn/functional/loss.h>
#include <torch/serialize.h>

#include "axtrain/core/errors.h"
#include "axtrain/eval/output_deviation.h"
#include "axtrain/layers/attach.h"
#include "axtrain/train/checkpoint.h"

namespace ax::train {

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  return splitmix(splitmix(splitmix(seed) ^ a) ^ (b * 0x632be59bd9b4e019ull));
}

Trainer::Trainer(const config::RunConfig& cfg, data::Dataset& data,
                 std::shared_ptr<models::Model> model, torch::Device device)
    : cfg_(cfg), data_(data), model_(std::move(model)), device_(device) {
  const std::int64_t n = data_.size(data::Part::Train);
  if (n == 0) throw DataError("the training split is empty");
  batches_per_epoch_ = (n + cfg_.data.batch_size - 1) / cfg_.data.batch_size;
  double cum = 0;
  phase_start_.push_back(0);
  for (const auto& p : cfg_.phases) {
    cum += p.epochs;
    std::int64_t end = std::llround(cum * static_cast<double>(batches_per_epoch_));
    end = std::max(end, phase_start_.back() + 1);  // every phase runs at least one batch
    phase_start_.push_back(end);
  }
  total_batches_ = phase_start_.back();
  epochs_total_ = (total_batches_ + batches_per_epoch_ - 1) / batches_per_epoch_;
  for (std::size_t i = 0; i < cfg_.phases.size(); ++i) {
    const auto& p = cfg_.phases[i];
    if (i == 0 || p.optimizer || p.schedule) {
      Segment s;
      s.first_phase = i;
      s.start = phase_start_[i];
      s.optimizer = p.optimizer ? &*p.optimizer : &cfg_.optimizer;
      s.schedule = p.schedule ? &*p.schedule : &cfg_.schedule;
      segments_.push_back(s);
    }
  }
  for (std::size_t s = 0; s < segments_.size(); ++s)
    segments_[s].end = s + 1 < segments_.size() ? segments_[s + 1].start : total_batches_;
  phase_seconds_.assign(cfg_.phases.size(), 0.0);
  phase_batches_.assign(cfg_.phases.size(), 0);
  attach_error_models();
  model_->to(device_);
}

void Trainer::attach_error_models() {
  for (const auto& l : layers::mac_layers(*model_)) l.layer->hardware().set_checkpointing(cfg_.checkpoint);
  bool any = false;
  for (const auto& p : cfg_.phases) any = any || p.mode == hw::Mode::Inject;
  if (!any) return;
  bool first = true;
  for (const auto& l : layers::mac_layers(*model_)) {
    inject::ErrorModelOptions o = cfg_.inject.model;
    if (cfg_.inject.kind_auto) o.kind = l.layer->hardware().default_error_kind();
    o.checkpoint = cfg_.checkpoint;
    if (first) error_kind_ = o.kind;
    first = false;
    l.layer->hardware().set_error_model(inject::make_error_model(o));
  }
}

bool Trainer::calibrates(std::size_t ph, std::int64_t g) const {
  const auto& p = cfg_.phases[ph];
  if (p.mode != hw::Mode::Inject) return false;
  const std::int64_t k = g - phase_start_[ph];
  if (k == 0) return true;  // every inject phase starts from a fresh calibration
  std::int64_t every = p.calibrate.every_batches;
  if (every == 0) {
    std::int64_t per_epoch = p.calibrate.per_epoch;
    if (per_epoch == 0 && error_kind_ == inject::Kind::Gaussian) every = 10;
    else every = std::max<std::int64_t>(1, batches_per_epoch_ / std::max<std::int64_t>(per_epoch ? per_epoch : 5, 1));
  }
  return k % every == 0;
}

void Trainer::request_calibration(bool on) {
  for (const auto& l : layers::mac_layers(*model_)) {
    l.layer->hardware().request_calibration(on);
    if (on) l.layer->hardware().clear_calibration_record();
  }
}

nlohmann::json Trainer::collect_calibration() {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& l : layers::mac_layers(*model_)) {
    const nlohmann::json& r = l.layer->hardware().last_calibration();
    if (!r.is_null()) j[l.name] = r;
  }
  return j;
}

std::size_t Trainer::phase_of(std::int64_t b) const {
  for (std::size_t i = 0; i + 1 < phase_start_.size(); ++i)
    if (b < phase_start_[i + 1]) return i;
  return cfg_.phases.size() - 1;
}

std::size_t Trainer::segment_of(std::int64_t b) const {
  for (std::size_t s = 0; s < segments_.size(); ++s)
    if (b < segments_[s].end) return s;
  return segments_.size() - 1;
}

void Trainer::start_segment(std::size_t s) {
  current_segment_ = s;
  optimizer_ = segments_[s].optimizer->options->make(model_->parameters(), segments_[s].optimizer->lr);
  segments_[s].optimizer->options->attach(*optimizer_, *model_);
}

void Trainer::clamp_weights() {
  const auto& c = segments_[current_segment_].optimizer->clamp;
  if (!c.enabled) return;
  torch::NoGradGuard g;
  for (const auto& l : layers::mac_layers(*model_)) l.layer->weight.clamp_(c.min, c.max);
}

torch::Tensor Trainer::loss_of(const torch::Tensor& out, const torch::Tensor& y) const {
  namespace F = torch::nn::functional;
  if (cfg_.loss.kind == config::LossSpec::Kind::Mse) {
    torch::Tensor target = torch::one_hot(y, out.size(1)).to(out.scalar_type());
    return F::mse_loss(out, target);
  }
  return F::cross_entropy(out, y, F::CrossEntropyFuncOptions().label_smoothing(cfg_.loss.label_smoothing));
}

std::vector<std::int64_t> Trainer::epoch_order(std::int64_t epoch) const {
  std::vector<std::int64_t> order(static_cast<std::size_t>(data_.size(data::Part::Train)));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(derive_seed(cfg_.seed, 0x0de5ull, static_cast<std::uint64_t>(epoch)));
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

SplitMetrics Trainer::evaluate_once(std::uint64_t seed) {
  torch::NoGradGuard guard;
  torch::manual_seed(seed);
  model_->eval();
  layers::set_mode(*model_, cfg_.eval.mode);
  const std::int64_t n = data_.size(data::Part::Test), bs = cfg_.data.test_batch_size;
  double loss_sum = 0;
  std::int64_t correct = 0;
  std::mt19937_64 unused(0);
  // The output deviation against the same weights in float (G-49): the ideal-mode forward runs
  // after the hardware's on each batch, draws no random numbers and changes no hardware state, so
  // the hardware's results are those of an evaluation without it.
  const bool deviation = cfg_.eval.mode != hw::Mode::Ideal && !cfg_.hardware.is_ideal();
  eval::OutputDeviationSum dev;
  for (std::int64_t start = 0; start < n; start += bs) {
    std::vector<std::int64_t> idx(static_cast<std::size_t>(std::min(bs, n - start)));
    std::iota(idx.begin(), idx.end(), start);
    data::Batch b = data_.load(data::Part::Test, idx, false, unused);
    torch::Tensor x = b.x.to(device_), y = b.y.to(device_);
    torch::Tensor out = model_->forward(x);
    loss_sum += loss_of(out, y).item<double>() * static_cast<double>(idx.size());
    correct += out.argmax(1).eq(y).sum().item<std::int64_t>();
    if (deviation) {
      layers::set_mode(*model_, hw::Mode::Ideal);
      dev.add(out, model_->forward(x));
      layers::set_mode(*model_, cfg_.eval.mode);
    }
  }
  model_->train();
  SplitMetrics m;
  m.examples = n;
  m.loss = n ? loss_sum / static_cast<double>(n) : 0.0;
  m.accuracy = n ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
  if (deviation && n > 0) {
    m.output_deviation = dev.mean();
    m.output_deviation_skipped = dev.skipped;
  }
  return m;
}

std::int64_t calibrate_hardware(models::Model& model, data::Dataset& data, hw::Mode mode, torch::Device device,
                                std::int64_t batch_size) {
  if (mode == hw::Mode::Ideal) return 0;
  const std::vector<layers::NamedMacLayer> mac = layers::mac_layers(model);
  auto left = [&] {
    std::int64_t n = 0;
    for (const auto& l : mac) n = std::max(n, l.layer->hardware().calibration_batches_left());
    return n;
  };
  if (left() == 0) return 0;
  torch::NoGradGuard g;
  const bool was_training = model.is_training();
  model.eval();
  for (const auto& l : mac) l.layer->hardware().train(true);
  layers::set_mode(model, mode);
  const std::int64_t n = data.size(data::Part::Train);
  std::mt19937_64 unused(0);
  std::int64_t batches = 0;
  for (std::int64_t start = 0; start < n && left() > 0; start += batch_size, ++batches) {
    std::vector<std::int64_t> idx(static_cast<std::size_t>(std::min(batch_size, n - start)));
    std::iota(idx.begin(), idx.end(), start);
    model.forward(data.load(data::Part::Train, idx, false, unused).x.to(device));
  }
  model.train(was_training);
  return batches;
}

SplitMetrics Trainer::evaluate(std::uint64_t salt) {
  calibrate_hardware(*model_, data_, cfg_.eval.mode, device_, cfg_.data.batch_size);
  std::vector<SplitMetrics> runs;
  for (std::int64_t r = 0; r < cfg_.eval.repeats; ++r)
    runs.push_back(evaluate_once(derive_seed(cfg_.seed, 0xe7a1ull + salt, static_cast<std::uint64_t>(r))));
  SplitMetrics m = runs[0];
  if (runs.size() == 1) {
    m.accuracy_min = m.accuracy_max = m.accuracy;
    m.loss_min = m.loss_max = m.loss;
    return m;
  }
  auto stats = [&](auto get, double& mean, double& sd, double& lo, double& hi) {
    mean = 0;
    lo = 1e300;
    hi = -1e300;
    for (const auto& r : runs) {
      double v = get(r);
      mean += v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    mean /= static_cast<double>(runs.size());
    double ss = 0;
    for (const auto& r : runs) ss += (get(r) - mean) * (get(r) - mean);
    sd = std::sqrt(ss / static_cast<double>(runs.size() - 1));
  };
  stats([](const SplitMetrics& r) { return r.accuracy; }, m.accuracy, m.accuracy_std, m.accuracy_min, m.accuracy_max);
  stats([](const SplitMetrics& r) { return r.loss; }, m.loss, m.loss_std, m.loss_min, m.loss_max);
  if (m.output_deviation) {
    double lo = 0, hi = 0;
    double mean = 0;
    stats([](const SplitMetrics& r) { return *r.output_deviation; }, mean, m.output_deviation_std, lo, hi);
    m.output_deviation = mean;
    m.output_deviation_skipped = 0;
    for (const auto& r : runs) m.output_deviation_skipped += r.output_deviation_skipped;
  }
  m.repeats = static_cast<std::int64_t>(runs.size());
  return m;
}

void Trainer::run() {
  const auto run_start = Clock::now();
  const std::int64_t bs = cfg_.data.batch_size, n = data_.size(data::Part::Train);
  std::size_t last_phase = static_cast<std::size_t>(-1);
  model_->train();
  for (std::int64_t epoch = epochs_done_; epoch < epochs_total_; ++epoch) {
    const auto epoch_start = Clock::now();
    std::vector<std::int64_t> order = epoch_order(epoch);
    const std::int64_t first = epoch * batches_per_epoch_;
    const std::int64_t last = std::min(first + batches_per_epoch_, total_batches_);
    EpochRecord rec;
    rec.epoch = epoch + 1;
    double loss_sum = 0;
    std::int64_t correct = 0, seen = 0;
    double sensitivity_sum = 0;  // AxTrain-act: S(w) summed over the epoch's batches
    std::int64_t sensitivity_batches = 0;

    auto load = [&](std::int64_t g) {
      std::int64_t k = g - first, lo = k * bs, hi = std::min(lo + bs, n);
      std::vector<std::int64_t> idx(order.begin() + lo, order.begin() + hi);
      std::mt19937_64 rng(derive_seed(cfg_.seed, 0xa096ull, static_cast<std::uint64_t>(g)));
      return data_.load(data::Part::Train, idx, true, rng);
    };
    std::future<data::Batch> next = std::async(std::launch::async, load, first);
    for (std::int64_t g = first; g < last; ++g) {
      std::size_t ph = phase_of(g);
      if (ph != last_phase) {
        last_phase = ph;
        layers::set_mode(*model_, cfg_.phases[ph].mode);
        for (const auto& l : layers::mac_layers(*model_)) l.layer->hardware().set_exact_gradient(cfg_.phases[ph].gradient);
        if (const auto& sp = cfg_.phases[ph].sensitivity; sp && gamma_phase_ != ph) {
          gamma_.emplace(sp->gamma, sp->delta_gamma, sp->bound);
          gamma_phase_ = ph;
        }
        for (auto* o : observers_) o->on_phase(cfg_.phases[ph], epoch + 1);
      }
      if (rec.phases.empty() || rec.phases.back() != cfg_.phases[ph].name)
        rec.phases.push_back(cfg_.phases[ph].name);
      std::size_t seg = segment_of(g);
      if (seg != current_segment_) start_segment(seg);
      const Segment& S = segments_[seg];
      double t = static_cast<double>(g - S.start) / static_cast<double>(batches_per_epoch_);
      double total = static_cast<double>(S.end - S.start) / static_cast<double>(batches_per_epoch_);
      rec.lr = S.schedule->lr(S.optimizer->lr, t, total);
      set_lr(*optimizer_, rec.lr);

      auto t0 = Clock::now();
      data::Batch b = next.get();
      if (g + 1 < last) next = std::async(std::launch::async, load, g + 1);
      torch::Tensor x = b.x.to(device_), y = b.y.to(device_);
      rec.seconds.data += since(t0);

      torch::manual_seed(derive_seed(cfg_.seed, 0xba7cull, static_cast<std::uint64_t>(g)));
      const bool calibration = calibrates(ph, g);
      const double fraction = cfg_.phases[ph].calibrate.fraction;
      auto tc = Clock::now();
      if (calibration && fraction < 1.0) {
        // Calibrate on part of the batch with an extra accurate forward, then inject as usual.
        torch::NoGradGuard ng;
        std::int64_t part = std::max<std::int64_t>(2, static_cast<std::int64_t>(std::ceil(fraction * static_cast<double>(x.size(0)))));
        request_calibration(true);
        model_->forward(x.narrow(0, 0, std::min(part, x.size(0))));
        request_calibration(false);
      } else if (calibration) {
        request_calibration(true);
      }
      auto t1 = Clock::now();
      torch::Tensor out = model_->forward(x);
      torch::Tensor loss = loss_of(out, y);
      torch::Tensor objective = loss;
      if (const auto& sp = cfg_.phases[ph].sensitivity) {
        // O_k as the loss sees the outputs: the model's outputs for MSE, softmax for cross-entropy.
        torch::Tensor o = cfg_.loss.kind == config::LossSpec::Kind::Mse ? out : torch::softmax(out, 1);
        std::vector<torch::Tensor> ws;
        for (const auto& l : layers::mac_layers(*model_)) ws.push_back(l.layer->weight);
        torch::Tensor S = sensitivity(o, ws, /*create_graph=*/true, sp->outputs);
        objective = loss + gamma_->gamma() * S;
        sensitivity_sum += S.item<double>();
        sensitivity_batches += 1;
      }
      rec.seconds.forward += since(t1);
      auto t2 = Clock::now();
      optimizer_->zero_grad();
      objective.backward();
      optimizer_->step();
      if (S.optimizer->clamp.enabled && S.optimizer->clamp.every == WeightClamp::Every::Step)
        clamp_weights();
      double loss_v = loss.item<double>();
      if (!std::isfinite(loss_v))
        throw DivergedError(fmt::format("training diverged: loss is {} at epoch {}, batch {} (lower the learning rate?)",
                                loss_v, epoch + 1, g - first + 1));
      std::int64_t c = out.argmax(1).eq(y).sum().item<std::int64_t>();
      const auto t3 = Clock::now();
      auto secs = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
      if (calibration) {
        request_calibration(false);
        CalibrationEvent ce;
        ce.epoch = epoch + 1;
        ce.global_batch = g;
        ce.phase = cfg_.phases[ph].name;
        ce.layers = collect_calibration();
        if (fraction < 1.0) {
          ce.seconds = secs(tc, t1);
          rec.seconds.backward += secs(t2, t3);
        } else {
          // The whole step of a calibration batch is accurate-model work: book it as calibration.
          ce.seconds = secs(tc, t3);
          rec.seconds.forward -= secs(t1, t2);
        }
        rec.seconds.calibration += ce.seconds;
        for (auto* o : observers_) o->on_calibration(ce);
      } else {
        rec.seconds.backward += secs(t2, t3);
      }
      phase_seconds_[ph] += since(t0);
      phase_batches_[ph] += 1;

      loss_sum += loss_v * static_cast<double>(y.size(0));
      correct += c;
      seen += y.size(0);
      rec.batches += 1;
      BatchEvent ev;
      ev.epoch = epoch + 1;
      ev.batch = g - first;
      ev.batches_in_epoch = last - first;
      ev.global_batch = g;
      ev.total_batches = total_batches_;
      ev.phase = &cfg_.phases[ph].name;
      ev.loss = loss_sum / static_cast<double>(seen);
      ev.accuracy = static_cast<double>(correct) / static_cast<double>(seen);
      double train_s = rec.seconds.data + rec.seconds.forward + rec.seconds.backward;
      ev.images_per_s = train_s > 0 ? static_cast<double>(seen) / train_s : 0.0;
      ev.elapsed_s = since(run_start);
      for (auto* o : observers_) o->on_batch(ev);
    }
    if (segments_[current_segment_].optimizer->clamp.enabled &&
        segments_[current_segment_].optimizer->clamp.every == WeightClamp::Every::Epoch)
      clamp_weights();
    rec.phase = rec.phases.back();
    if (sensitivity_batches > 0) {
      rec.extra["sensitivity"]["S"] = sensitivity_sum / static_cast<double>(sensitivity_batches);
      rec.extra["sensitivity"]["gamma"] = gamma_->gamma();
      const double error = 1.0 - static_cast<double>(correct) / static_cast<double>(std::max<std::int64_t>(seen, 1));
      if (cfg_.phases[gamma_phase_].sensitivity->adaptive) rec.extra["sensitivity"]["next_gamma"] = gamma_->update(error);
    }
    rec.train.loss = loss_sum / static_cast<double>(std::max<std::int64_t>(seen, 1));
    rec.train.accuracy = static_cast<double>(correct) / static_cast<double>(std::max<std::int64_t>(seen, 1));
    rec.train.examples = seen;
    double train_s = rec.seconds.data + rec.seconds.forward + rec.seconds.backward;
    rec.images_per_s = train_s > 0 ? static_cast<double>(seen) / train_s : 0.0;
    bool last_epoch = epoch + 1 == epochs_total_;
    if ((epoch + 1) % cfg_.eval.every == 0 || last_epoch) {
      auto t3 = Clock::now();
      rec.test = evaluate(static_cast<std::uint64_t>(epoch));
      rec.has_test = true;
      rec.seconds.eval = since(t3);
      layers::set_mode(*model_, cfg_.phases[phase_of(last - 1)].mode);
    }
    for (const auto& l : layers::mac_layers(*model_)) {
      nlohmann::json s = l.layer->hardware().stats();
      if (!s.empty()) rec.extra["hardware"][l.name] = s;
      l.layer->hardware().reset_stats();
    }
    rec.seconds.total = since(epoch_start);
    history_.push_back(rec);
    epochs_done_ = epoch + 1;
    for (auto* o : observers_) o->on_epoch(history_.back(), *this);
  }
  for (auto* o : observers_) o->on_end(*this);
}

std::vector<PhaseRecord> Trainer::phase_records() const {
  std::vector<PhaseRecord> out;
  for (std::size_t i = 0; i < cfg_.phases.size(); ++i) {
    const auto& p = cfg_.phases[i];
    out.push_back({p.name, hw::mode_name(p.mode), p.epochs, phase_batches_[i], phase_seconds_[i]});
  }
  return out;
}

// Trainer::save and Trainer::load: train/checkpoint_state.cpp

}  // namespace ax::train
