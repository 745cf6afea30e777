// Trainer::save and Trainer::load: the model, the optimizer and the training state (epochs done,
// optimizer segment, history, phase timings, AxTrain-act γ) in one checksummed checkpoint file
// (train/checkpoint.h). Loading validates the state against this run's config before using any
// of it: every failure is a DataError naming the file.
#include <cmath>

#include <fmt/format.h>
#include <torch/serialize.h>

#include "axtrain/core/errors.h"
#include "axtrain/train/checkpoint.h"
#include "axtrain/train/trainer.h"

namespace ax::train {

void Trainer::save(const std::string& file) {
  torch::serialize::OutputArchive root, m, o;
  save_model(*model_, m);
  root.write("model", m);
  if (optimizer_) {
    optimizer_->save(o);
    root.write("optimizer", o);
  }
  nlohmann::json state;
  state["epochs_done"] = epochs_done_;
  state["segment"] = current_segment_ == static_cast<std::size_t>(-1) ? -1 : static_cast<std::int64_t>(current_segment_);
  state["run_id"] = opt_.run_id;
  state["history"] = nlohmann::json::array();
  for (const auto& r : history_) state["history"].push_back(r.to_json());
  state["phase_seconds"] = phase_seconds_;
  if (gamma_) state["sensitivity"] = {{"phase", gamma_phase_}, {"gamma", gamma_->gamma()}, {"errors", gamma_->errors()}};
  state["phase_batches"] = phase_batches_;
  std::string s = state.dump();
  root.write("state", torch::from_blob(s.data(), {static_cast<std::int64_t>(s.size())}, torch::kUInt8).clone());
  save_checkpoint_file(root, file);
}

namespace {
struct Loaded {
  std::int64_t epochs_done = 0, segment = -1;
  std::vector<EpochRecord> history;
  std::vector<double> phase_seconds;
  std::vector<std::int64_t> phase_batches;
  bool has_gamma = false;
  std::size_t gamma_phase = 0;
  double gamma = 0;
  std::vector<double> gamma_errors;
};

EpochRecord record_from_json(const nlohmann::json& r) {
  EpochRecord e;
  e.epoch = r.at("epoch").get<std::int64_t>();
  e.phase = r.at("phase").get<std::string>();
  e.phases = r.at("phases").get<std::vector<std::string>>();
  e.batches = r.at("batches").get<std::int64_t>();
  e.lr = r.at("lr").get<double>();
  e.train = SplitMetrics::from_json(r.at("train"));
  if (r.contains("test")) {
    e.has_test = true;
    e.test = SplitMetrics::from_json(r.at("test"));
  }
  const auto& sec = r.at("seconds");
  e.seconds = {sec.at("data").get<double>(),  sec.at("forward").get<double>(), sec.at("backward").get<double>(),
               sec.at("eval").get<double>(),  sec.at("total").get<double>(),  sec.value("calibration", 0.0)};
  e.images_per_s = r.at("images_per_s").get<double>();
  if (r.contains("extra")) e.extra = r.at("extra");
  return e;
}
}  // namespace

void Trainer::load(const std::string& file) {
  torch::serialize::InputArchive root;
  load_checkpoint_file(root, file);
  auto bad = [&](const std::string& what) {
    throw DataError(fmt::format("{}: checkpoint state does not fit this run: {}", file, what));
  };
  torch::serialize::InputArchive m, o;
  torch::Tensor st;
  try {
    if (!root.try_read("model", m)) throw DataError(fmt::format("{}: not an axtrain checkpoint (no model)", file));
    if (!root.try_read("state", st)) throw DataError(fmt::format("{}: checkpoint has no training state", file));
  } catch (const c10::Error& e) {
    throw DataError(fmt::format("{}: unreadable checkpoint ({})", file, e.what_without_backtrace()));
  }
  if (st.scalar_type() != torch::kUInt8 || st.dim() != 1) bad("the state record is not a byte string");
  st = st.contiguous();
  const std::string s(reinterpret_cast<const char*>(st.data_ptr<std::uint8_t>()), static_cast<std::size_t>(st.numel()));
  const nlohmann::json state = nlohmann::json::parse(s, nullptr, false);
  if (state.is_discarded() || !state.is_object()) bad("the state record is not a JSON object");
  if (!state.contains("run_id") || !state["run_id"].is_string() || state["run_id"] != opt_.run_id)
    throw UsageError(fmt::format("{}: checkpoint belongs to run {}, not {} (the config changed)", file,
                                 state.contains("run_id") ? state["run_id"].dump() : "?", opt_.run_id));
  const std::size_t phases = opt_.phases.size();
  Loaded L;
  try {
    L.epochs_done = state.at("epochs_done").get<std::int64_t>();
    if (L.epochs_done < 1 || L.epochs_done > epochs_total_)
      bad(fmt::format("epochs_done {} is outside 1..{} (the run's epochs)", L.epochs_done, epochs_total_));
    L.segment = state.at("segment").get<std::int64_t>();
    const std::int64_t last_batch = std::min(L.epochs_done * batches_per_epoch_, total_batches_) - 1;
    const auto want = static_cast<std::int64_t>(segment_of(last_batch));
    if (L.segment != want)
      bad(fmt::format("segment {} is not the optimizer segment of epoch {} ({})", L.segment, L.epochs_done, want));
    const auto& h = state.at("history");
    if (!h.is_array() || static_cast<std::int64_t>(h.size()) != L.epochs_done)
      bad(fmt::format("history has {} epochs, epochs_done says {}", h.is_array() ? h.size() : 0, L.epochs_done));
    for (std::size_t i = 0; i < h.size(); ++i) {
      EpochRecord e = record_from_json(h[i]);
      if (e.epoch != static_cast<std::int64_t>(i) + 1) bad(fmt::format("history entry {} is epoch {}", i, e.epoch));
      bool known = false;
      for (const auto& p : opt_.phases) known = known || p.name == e.phase;
      if (!known) bad(fmt::format("history epoch {} names phase '{}', not a phase of this run", e.epoch, e.phase));
      L.history.push_back(std::move(e));
    }
    L.phase_seconds = state.at("phase_seconds").get<std::vector<double>>();
    L.phase_batches = state.at("phase_batches").get<std::vector<std::int64_t>>();
    if (L.phase_seconds.size() != phases || L.phase_batches.size() != phases)
      bad(fmt::format("phase_seconds/phase_batches have {}/{} entries, the run has {} phases", L.phase_seconds.size(),
                      L.phase_batches.size(), phases));
    for (std::size_t i = 0; i < phases; ++i) {
      const std::int64_t len = phase_start_[i + 1] - phase_start_[i];
      if (L.phase_batches[i] < 0 || L.phase_batches[i] > len)
        bad(fmt::format("phase_batches[{}] = {} is outside 0..{}", i, L.phase_batches[i], len));
      if (!std::isfinite(L.phase_seconds[i]) || L.phase_seconds[i] < 0)
        bad(fmt::format("phase_seconds[{}] = {} is not a duration", i, L.phase_seconds[i]));
    }
    if (state.contains("sensitivity")) {
      const auto& sj = state.at("sensitivity");
      L.has_gamma = true;
      L.gamma_phase = sj.at("phase").get<std::size_t>();
      if (L.gamma_phase >= phases || !opt_.phases[L.gamma_phase].sensitivity)
        bad(fmt::format("sensitivity.phase {} is not a phase with sensitivity of this run", L.gamma_phase));
      L.gamma = sj.at("gamma").get<double>();
      if (!std::isfinite(L.gamma) || L.gamma < 0) bad(fmt::format("sensitivity.gamma {} is not >= 0", L.gamma));
      L.gamma_errors = sj.at("errors").get<std::vector<double>>();
    }
  } catch (const nlohmann::json::exception& e) {
    bad(fmt::format("malformed state record ({})", e.what()));
  }
  load_model(*model_, m, file);
  epochs_done_ = L.epochs_done;
  try {
    start_segment(static_cast<std::size_t>(L.segment));
    if (root.try_read("optimizer", o)) optimizer_->load(o);
  } catch (const c10::Error& e) {
    throw DataError(fmt::format("{}: optimizer state does not fit this run ({})", file, e.what_without_backtrace()));
  }
  history_ = std::move(L.history);
  phase_seconds_ = std::move(L.phase_seconds);
  phase_batches_ = std::move(L.phase_batches);
  if (L.has_gamma) {
    gamma_phase_ = L.gamma_phase;
    const auto& sp = *opt_.phases[gamma_phase_].sensitivity;
    gamma_.emplace(L.gamma, sp.delta_gamma, sp.bound, std::move(L.gamma_errors));
  }
  model_->to(device_);
}

}  // namespace ax::train
