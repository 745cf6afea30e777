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
#include "axtrain/core/random.h"
#include "axtrain/dist/comm.h"
#include "axtrain/layers/attach.h"
#include "axtrain/train/checkpoint.h"
#include "axtrain/train/optim.h"
#include "axtrain/train/output_deviation.h"

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

Trainer::Trainer(TrainerOptions options, data::Dataset& data,
                 std::shared_ptr<models::Model> model, torch::Device device)
    : opt_(std::move(options)), data_(data), model_(std::move(model)), device_(device) {
  const std::int64_t n = data_.size(data::Part::Train);
  if (n == 0) throw DataError("the training split is empty");
  if (opt_.comm) {
    rank_ = opt_.comm->rank();
    world_ = opt_.comm->size();
  }
  // A global batch holds batch_size examples per rank.
  batches_per_epoch_ = (n + opt_.batch_size * world_ - 1) / (opt_.batch_size * world_);
  double cum = 0;
  phase_start_.push_back(0);
  for (const auto& p : opt_.phases) {
    cum += p.epochs;
    std::int64_t end = std::llround(cum * static_cast<double>(batches_per_epoch_));
    end = std::max(end, phase_start_.back() + 1);  // every phase runs at least one batch
    phase_start_.push_back(end);
  }
  total_batches_ = phase_start_.back();
  epochs_total_ = (total_batches_ + batches_per_epoch_ - 1) / batches_per_epoch_;
  for (std::size_t i = 0; i < opt_.phases.size(); ++i) {
    const auto& p = opt_.phases[i];
    if (i == 0 || p.optimizer || p.schedule) {
      Segment s;
      s.first_phase = i;
      s.start = phase_start_[i];
      s.optimizer = p.optimizer ? &*p.optimizer : &opt_.optimizer;
      s.schedule = p.schedule ? &*p.schedule : &opt_.schedule;
      segments_.push_back(s);
    }
  }
  for (std::size_t s = 0; s < segments_.size(); ++s)
    segments_[s].end = s + 1 < segments_.size() ? segments_[s + 1].start : total_batches_;
  phase_seconds_.assign(opt_.phases.size(), 0.0);
  phase_batches_.assign(opt_.phases.size(), 0);
  attach_error_models();
  model_->to(device_);
}

void Trainer::attach_error_models() {
  for (const auto& l : layers::mac_layers(*model_)) l.layer->hardware().set_checkpointing(opt_.checkpoint);
  bool any = false;
  for (const auto& p : opt_.phases) any = any || p.mode == hw::Mode::Inject;
  if (!any) return;
  bool first = true;
  for (const auto& l : layers::mac_layers(*model_)) {
    inject::ErrorModelOptions o = opt_.inject.model;
    if (opt_.inject.kind_auto) o.kind = l.layer->hardware().default_error_kind();
    o.checkpoint = opt_.checkpoint;
    if (first) error_kind_ = o.kind;
    first = false;
    l.layer->hardware().set_error_model(inject::make_error_model(o));
  }
}

bool Trainer::calibrates(std::size_t ph, std::int64_t g) const {
  const auto& p = opt_.phases[ph];
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
  return opt_.phases.size() - 1;
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
  if (opt_.loss.kind == train::LossSpec::Kind::Mse) {
    torch::Tensor target = torch::one_hot(y, out.size(1)).to(out.scalar_type());
    return F::mse_loss(out, target);
  }
  return F::cross_entropy(out, y, F::CrossEntropyFuncOptions().label_smoothing(opt_.loss.label_smoothing));
}

std::vector<std::int64_t> Trainer::epoch_order(std::int64_t epoch) const {
  std::vector<std::int64_t> order(static_cast<std::size_t>(data_.size(data::Part::Train)));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(derive_seed(opt_.seed, 0x0de5ull, static_cast<std::uint64_t>(epoch)));
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

SplitMetrics Trainer::evaluate_once(std::uint64_t seed) {
  torch::NoGradGuard guard;
  torch::manual_seed(seed);
  model_->eval();
  layers::set_mode(*model_, opt_.eval.mode);
  const std::int64_t n = data_.size(data::Part::Test), bs = opt_.test_batch_size;
  double loss_sum = 0;
  std::int64_t correct = 0;
  std::mt19937_64 unused(0);
  // The output deviation against the same weights in float (G-49): the ideal-mode forward runs
  // after the hardware's on each batch, draws no random numbers and changes no hardware state, so
  // the hardware's results are those of an evaluation without it.
  const bool deviation = opt_.eval.mode != hw::Mode::Ideal && !opt_.ideal_hardware;
  train::OutputDeviationSum dev;
  // Data-parallel: rank r evaluates batches r, r + world, ... (the batches and their draws are
  // those of one process), then the totals are summed.
  for (std::int64_t start = rank_ * bs; start < n; start += bs * world_) {
    layers::set_step(*model_, rng::eval_step(seed, start / bs));
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
      layers::set_mode(*model_, opt_.eval.mode);
    }
  }
  model_->train();
  if (opt_.comm) {
    std::vector<torch::Tensor> t{torch::tensor({loss_sum, static_cast<double>(correct), dev.sum,
                                                static_cast<double>(dev.samples), static_cast<double>(dev.skipped)},
                                               torch::kFloat64)};
    opt_.comm->all_reduce_sum(t);
    loss_sum = t[0][0].item<double>();
    correct = static_cast<std::int64_t>(t[0][1].item<double>());
    dev.sum = t[0][2].item<double>();
    dev.samples = static_cast<std::int64_t>(t[0][3].item<double>());
    dev.skipped = static_cast<std::int64_t>(t[0][4].item<double>());
  }
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
    layers::set_step(model, rng::calibration_step(batches));
    std::vector<std::int64_t> idx(static_cast<std::size_t>(std::min(batch_size, n - start)));
    std::iota(idx.begin(), idx.end(), start);
    model.forward(data.load(data::Part::Train, idx, false, unused).x.to(device));
  }
  model.train(was_training);
  return batches;
}

SplitMetrics Trainer::evaluate(std::uint64_t salt) {
  calibrate_hardware(*model_, data_, opt_.eval.mode, device_, opt_.batch_size);
  std::vector<SplitMetrics> runs;
  for (std::int64_t r = 0; r < opt_.eval.repeats; ++r)
    runs.push_back(evaluate_once(derive_seed(opt_.seed, 0xe7a1ull + salt, static_cast<std::uint64_t>(r))));
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
  dist::CurrentScope scope(opt_.comm.get(), opt_.sync_batchnorm);  // calibrations (and BN) span every rank
  broadcast_state();
  active_phase_ = static_cast<std::size_t>(-1);
  model_->train();
  for (std::int64_t epoch = epochs_done_; epoch < epochs_total_; ++epoch) run_epoch(epoch, run_start);
  for (auto* o : observers_) o->on_end(*this);
}

// One epoch: its batches in the epoch's order (the next batch loads while this one trains), then
// the epoch's end (finish_epoch).
void Trainer::run_epoch(std::int64_t epoch, Clock::time_point run_start) {
  const auto epoch_start = Clock::now();
  const std::int64_t bs = opt_.batch_size, n = data_.size(data::Part::Train);
  const std::int64_t global = bs * world_;  // examples per global batch
  const std::vector<std::int64_t> order = epoch_order(epoch);
  const std::int64_t first = epoch * batches_per_epoch_;
  const std::int64_t last = std::min(first + batches_per_epoch_, total_batches_);
  EpochRecord rec;
  rec.epoch = epoch + 1;
  EpochTally tally;
  auto load = [&](std::int64_t g) {
    // This rank's share of global batch g of the epoch's order (the order one process uses):
    // rank r takes its r-th slice, the slices of a short last batch differ by at most one example.
    const std::int64_t start = (g - first) * global, len = std::min(global, n - start);
    const std::int64_t lo = start + len * rank_ / world_, hi = start + len * (rank_ + 1) / world_;
    std::vector<std::int64_t> idx(order.begin() + lo, order.begin() + hi);
    // Augmentation keyed by (step, example), not by rank: each example of global batch g is
    // cropped and flipped as one process would (data/tensor_dataset.h).
    std::mt19937_64 rng(derive_seed(opt_.seed, 0xa096ull, static_cast<std::uint64_t>(g)));
    return data_.load(data::Part::Train, idx, true, rng);
  };
  std::future<data::Batch> next = std::async(std::launch::async, load, first);
  for (std::int64_t g = first; g < last; ++g) {
    const std::size_t ph = enter_phase(g, epoch, rec);
    rec.lr = apply_schedule(g);
    const auto t0 = Clock::now();
    data::Batch b = next.get();
    if (g + 1 < last) next = std::async(std::launch::async, load, g + 1);
    torch::Tensor x = b.x.to(device_), y = b.y.to(device_);
    rec.seconds.data += since(t0);
    train_step(g, ph, epoch, x, y, rec, tally);
    phase_seconds_[ph] += since(t0);
    phase_batches_[ph] += 1;
    rec.batches += 1;

    BatchEvent ev;
    ev.epoch = epoch + 1;
    ev.batch = g - first;
    ev.batches_in_epoch = last - first;
    ev.global_batch = g;
    ev.total_batches = total_batches_;
    ev.phase = &opt_.phases[ph].name;
    ev.loss = tally.loss_sum / static_cast<double>(tally.seen);
    ev.accuracy = static_cast<double>(tally.correct) / static_cast<double>(tally.seen);
    const double train_s = rec.seconds.data + rec.seconds.forward + rec.seconds.backward;
    ev.images_per_s = train_s > 0 ? static_cast<double>(tally.seen) / train_s : 0.0;
    ev.elapsed_s = since(run_start);
    for (auto* o : observers_) o->on_batch(ev);
  }
  finish_epoch(epoch, last, rec, tally);
  rec.seconds.total = since(epoch_start);
  history_.push_back(rec);
  epochs_done_ = epoch + 1;
  for (auto* o : observers_) o->on_epoch(history_.back(), *this);
}

// Switches the MAC layers to the phase of global batch g when it starts (mode, exact-gradient
// rule, AxTrain-act's γ) and tells the observers; returns the phase.
std::size_t Trainer::enter_phase(std::int64_t g, std::int64_t epoch, EpochRecord& rec) {
  const std::size_t ph = phase_of(g);
  const PhaseSpec& p = opt_.phases[ph];
  if (ph != active_phase_) {
    active_phase_ = ph;
    layers::set_mode(*model_, p.mode);
    for (const auto& l : layers::mac_layers(*model_)) l.layer->hardware().set_exact_gradient(p.gradient);
    if (p.sensitivity && gamma_phase_ != ph) {
      gamma_.emplace(p.sensitivity->gamma, p.sensitivity->delta_gamma, p.sensitivity->bound);
      gamma_phase_ = ph;
    }
    for (auto* o : observers_) o->on_phase(p, epoch + 1);
  }
  if (rec.phases.empty() || rec.phases.back() != p.name) rec.phases.push_back(p.name);
  return ph;
}

// The learning rate of global batch g: its segment's schedule, measured from the segment's start.
double Trainer::apply_schedule(std::int64_t g) {
  const std::size_t seg = segment_of(g);
  if (seg != current_segment_) start_segment(seg);
  const Segment& S = segments_[seg];
  const double t = static_cast<double>(g - S.start) / static_cast<double>(batches_per_epoch_);
  const double total = static_cast<double>(S.end - S.start) / static_cast<double>(batches_per_epoch_);
  const double lr = S.schedule->lr(S.optimizer->lr, t, total);
  set_lr(*optimizer_, lr);
  return lr;
}

// One optimiser step on (x, y): error-model calibration where due (the whole batch as an
// accurate-model step, or an extra accurate forward on a fraction of it), forward, the
// sensitivity term, backward, step, weight clamp; time booked by kind.
void Trainer::train_step(std::int64_t g, std::size_t ph, std::int64_t epoch, const torch::Tensor& x,
                         const torch::Tensor& y, EpochRecord& rec, EpochTally& tally) {
  const PhaseSpec& p = opt_.phases[ph];
  // The hardware's draws are keyed by (run seed, layer) and counted by this step; torch's own
  // generator (dropout, if a model has it) is re-seeded per step so a resume repeats it too.
  // Each rank draws its own hardware noise (step g·world + rank; rank 0 of one process: g).
  const std::int64_t draw_step = g * world_ + rank_;
  layers::set_step(*model_, rng::train_step(draw_step));
  if (auto* k = dynamic_cast<KeyedDraws*>(optimizer_.get())) {
    k->set_draws(rng::Stream{rng::mix(opt_.seed, static_cast<std::uint64_t>(rng::Draw::OptimizerSteps)),
                             rng::train_step(g)});
    // This rank's rows of global batch g (as run_epoch's loader cut them).
    const std::int64_t global = opt_.batch_size * world_, start = (g - epoch * batches_per_epoch_) * global;
    const std::int64_t len = std::min(global, data_.size(data::Part::Train) - start);
    k->set_shard(len * rank_ / world_, x.size(0), world_ > 1 ? len : 0);
  }
  torch::manual_seed(derive_seed(opt_.seed, 0xba7cull, static_cast<std::uint64_t>(draw_step)));
  const bool calibration = calibrates(ph, g);
  const double fraction = p.calibrate.fraction;
  const auto tc = Clock::now();
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
  const auto t1 = Clock::now();
  torch::Tensor out = model_->forward(x);
  torch::Tensor loss = loss_of(out, y);
  torch::Tensor objective = loss;
  if (p.sensitivity) {
    // O_k as the loss sees the outputs: the model's outputs for MSE, softmax for cross-entropy.
    torch::Tensor o = opt_.loss.kind == LossSpec::Kind::Mse ? out : torch::softmax(out, 1);
    std::vector<torch::Tensor> ws;
    for (const auto& l : layers::mac_layers(*model_)) ws.push_back(l.layer->weight);
    const rng::Stream draws{rng::mix(opt_.seed, static_cast<std::uint64_t>(rng::Draw::SensitivityOutputs)),
                            rng::train_step(g)};
    torch::Tensor S = sensitivity(o, ws, /*create_graph=*/true, p.sensitivity->outputs, draws);
    objective = loss + gamma_->gamma() * S;
    tally.sensitivity_sum += S.item<double>();
    tally.sensitivity_batches += 1;
  }
  rec.seconds.forward += since(t1);
  const auto t2 = Clock::now();
  optimizer_->zero_grad();
  objective.backward();
  average_gradients();
  optimizer_->step();
  const WeightClamp& clamp = segments_[current_segment_].optimizer->clamp;
  if (clamp.enabled && clamp.every == WeightClamp::Every::Step) clamp_weights();
  const double loss_v = loss.item<double>();
  if (!std::isfinite(loss_v))
    throw DivergedError(fmt::format("training diverged: loss is {} at epoch {}, batch {} (lower the learning rate?)",
                                    loss_v, epoch + 1, g - epoch * batches_per_epoch_ + 1));
  const std::int64_t c = out.argmax(1).eq(y).sum().item<std::int64_t>();
  const auto t3 = Clock::now();
  auto secs = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  if (calibration) {
    request_calibration(false);
    CalibrationEvent ce;
    ce.epoch = epoch + 1;
    ce.global_batch = g;
    ce.phase = p.name;
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
  tally.loss_sum += loss_v * static_cast<double>(y.size(0));
  tally.correct += c;
  tally.seen += y.size(0);
}

// The epoch's end: per-epoch weight clamp, AxTrain-act's γ update, training metrics, the test
// evaluation when due, and the hardware's statistics.
void Trainer::finish_epoch(std::int64_t epoch, std::int64_t last, EpochRecord& rec, EpochTally tally) {
  reduce_tally(tally);
  const WeightClamp& clamp = segments_[current_segment_].optimizer->clamp;
  if (clamp.enabled && clamp.every == WeightClamp::Every::Epoch) clamp_weights();
  rec.phase = rec.phases.back();
  const double seen = static_cast<double>(std::max<std::int64_t>(tally.seen, 1));
  if (tally.sensitivity_batches > 0) {
    rec.extra["sensitivity"]["S"] = tally.sensitivity_sum / static_cast<double>(tally.sensitivity_batches);
    rec.extra["sensitivity"]["gamma"] = gamma_->gamma();
    const double error = 1.0 - static_cast<double>(tally.correct) / seen;
    if (opt_.phases[gamma_phase_].sensitivity->adaptive) rec.extra["sensitivity"]["next_gamma"] = gamma_->update(error);
  }
  rec.train.loss = tally.loss_sum / seen;
  rec.train.accuracy = static_cast<double>(tally.correct) / seen;
  rec.train.examples = tally.seen;
  const double train_s = rec.seconds.data + rec.seconds.forward + rec.seconds.backward;
  rec.images_per_s = train_s > 0 ? static_cast<double>(tally.seen) / train_s : 0.0;
  const bool last_epoch = epoch + 1 == epochs_total_;
  if ((epoch + 1) % opt_.eval.every == 0 || last_epoch) {
    const auto t = Clock::now();
    rec.test = evaluate(static_cast<std::uint64_t>(epoch));
    rec.has_test = true;
    rec.seconds.eval = since(t);
    layers::set_mode(*model_, opt_.phases[phase_of(last - 1)].mode);
  }
  for (const auto& l : layers::mac_layers(*model_)) {
    nlohmann::json s = l.layer->hardware().stats();
    if (!s.empty()) rec.extra["hardware"][l.name] = s;
    l.layer->hardware().reset_stats();
  }
}

void Trainer::broadcast_state() {
  if (!opt_.comm) return;
  torch::NoGradGuard g;
  std::vector<torch::Tensor> t;
  for (const auto& p : model_->parameters()) t.push_back(p.data());
  for (const auto& b : model_->buffers()) t.push_back(b);
  opt_.comm->broadcast(t, 0);
}

void Trainer::average_gradients() {
  if (!opt_.comm) return;
  std::vector<torch::Tensor> grads;
  for (auto& p : model_->parameters())
    if (p.grad().defined()) grads.push_back(p.grad());
  dist::average_in_buckets(*opt_.comm, grads);
}

void Trainer::reduce_tally(EpochTally& tally) {
  if (!opt_.comm) return;
  std::vector<torch::Tensor> t{torch::tensor({tally.loss_sum, static_cast<double>(tally.correct),
                                              static_cast<double>(tally.seen), tally.sensitivity_sum},
                                             torch::kFloat64)};
  opt_.comm->all_reduce_sum(t);
  tally.loss_sum = t[0][0].item<double>();
  tally.correct = static_cast<std::int64_t>(t[0][1].item<double>());
  tally.seen = static_cast<std::int64_t>(t[0][2].item<double>());
  // S(w) of AxTrain-act: the mean over the ranks' batches (each rank ran the same batches count).
  tally.sensitivity_sum = t[0][3].item<double>() / static_cast<double>(world_);
}

std::vector<PhaseRecord> Trainer::phase_records() const {
  std::vector<PhaseRecord> out;
  for (std::size_t i = 0; i < opt_.phases.size(); ++i) {
    const auto& p = opt_.phases[i];
    out.push_back({p.name, hw::mode_name(p.mode), p.epochs, phase_batches_[i], phase_seconds_[i]});
  }
  return out;
}

// Trainer::save and Trainer::load: train/checkpoint_state.cpp

}  // namespace ax::train
