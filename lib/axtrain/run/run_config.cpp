#include "axtrain/run/run_config.h"

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/config/paths.h"
#include "axtrain/config/section.h"
#include "axtrain/config/yaml_json.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/text.h"

namespace ax::run {
using config::apply_overrides;
using config::load_yaml_file;
using config::Section;
using train::CalibrateSpec;
using train::EvalSpec;
using train::LossSpec;
using train::PhaseSpec;
using train::SensitivitySpec;
using config::to_yaml_string;

namespace {
constexpr std::int64_t kMaxI = std::numeric_limits<std::int64_t>::max();

LossSpec parse_loss(Section& s) {
  LossSpec l;
  l.kind = s.get_choice<LossSpec::Kind>(
      "type", LossSpec::Kind::CrossEntropy,
      {{"cross_entropy", LossSpec::Kind::CrossEntropy}, {"mse", LossSpec::Kind::Mse}});
  l.label_smoothing = s.get_double("label_smoothing", 0.0, 0.0, 0.999);
  if (l.kind == LossSpec::Kind::Mse && l.label_smoothing > 0)
    s.fail("label_smoothing", "applies to cross_entropy only");
  return l;
}

PhaseSpec parse_phase(Section& s, std::size_t index) {
  PhaseSpec p;
  p.name = s.get_string("name", fmt::format("phase{}", index + 1));
  p.epochs = s.require_double("epochs", 1e-6, 1e6);
  p.mode = parse_mode(s, "mode", hw::Mode::Exact);
  if (s.has("optimizer")) {
    Section os = s.section("optimizer");
    p.optimizer = train::OptimizerSpec::parse(os);
    os.finish();
  } else {
    s.mark("optimizer");
  }
  if (s.has("gradient") && p.mode != hw::Mode::Exact)
    s.fail("gradient", "applies to phases with mode: exact only");
  p.gradient = s.get_choice<hw::ExactGradient>(
      "gradient", hw::ExactGradient::Proxy,
      {{"proxy", hw::ExactGradient::Proxy}, {"ste_clip", hw::ExactGradient::SteClip},
       {"ste_input", hw::ExactGradient::SteInput}});
  if (s.has("sensitivity")) {
    if (p.mode != hw::Mode::Ideal)
      s.fail("sensitivity", "applies to phases with mode: ideal only (AxTrain-act trains the float network; "
                            "its double back-propagation needs twice-differentiable layers)");
    Section ss = s.section("sensitivity");
    SensitivitySpec sp;
    sp.gamma = ss.get_double("gamma", sp.gamma, 0.0, 1e6);
    sp.delta_gamma = ss.get_double("delta_gamma", sp.delta_gamma, 0.0, 1e6);
    sp.bound = ss.get_double("bound", sp.bound, 0.0, 1.0);
    sp.adaptive = ss.get_bool("adaptive", sp.adaptive);
    sp.outputs = ss.get_int("outputs", 0, 0, 1 << 20);
    ss.finish();
    p.sensitivity = sp;
  } else {
    s.mark("sensitivity");
  }
  if (s.has("calibrate")) {
    if (p.mode != hw::Mode::Inject) s.fail("calibrate", "applies to phases with mode: inject only");
    Section cs = s.section("calibrate");
    p.calibrate.per_epoch = cs.get_int("per_epoch", 0, 0, 1 << 20);
    p.calibrate.every_batches = cs.get_int("every_batches", 0, 0, 1 << 30);
    if (p.calibrate.per_epoch > 0 && p.calibrate.every_batches > 0)
      cs.fail("every_batches", "give either per_epoch or every_batches, not both");
    p.calibrate.fraction = cs.get_double("fraction", 1.0, 1e-6, 1.0);
    cs.finish();
  } else {
    s.mark("calibrate");
  }
  if (s.has("schedule")) {
    Section ss = s.section("schedule");
    p.schedule = train::ScheduleSpec::parse(ss);
    ss.finish();
  } else {
    s.mark("schedule");
  }
  return p;
}
}  // namespace

hw::Mode parse_mode(Section& s, const std::string& key, hw::Mode fallback) {
  return s.get_choice<hw::Mode>(key, fallback,
                                {{"ideal", hw::Mode::Ideal},
                                 {"exact", hw::Mode::Exact},
                                 {"proxy", hw::Mode::Proxy},
                                 {"inject", hw::Mode::Inject}});
}

RunConfig parse_run_config(const YAML::Node& doc, const std::string& file) {
  if (!doc.IsMap())
    throw ConfigError(fmt::format("{}: a run config must be a mapping (name:, data:, model:, ...)", file));
  Section root({{doc, file}}, "");
  RunConfig c;
  c.source = file;
  c.name = root.get_string("name", boost::filesystem::path(file).stem().string());
  for (char ch : c.name)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.'))
      root.fail("name", fmt::format("value '{}' is not allowed; use letters, digits, '_', '-', '.'", c.name));
  if (c.name.empty() || c.name == "." || c.name == ".." || c.name.size() > 200)
    root.fail("name", fmt::format("value '{}' is not allowed; a run name is a directory name: 1 to 200 letters, "
                                  "digits, '_', '-', '.', and not '.' or '..'", c.name));
  c.seed = static_cast<std::uint64_t>(root.get_int("seed", 1, 0, kMaxI));
  c.device = root.get_choice<std::string>("device", "cpu", {{"cpu", "cpu"}, {"cuda", "cuda"}});
  c.threads = root.get_int("threads", 0, 0, 4096);
  c.checkpoint = root.get_bool("checkpoint", true);

  Section ds = root.section("data");
  if (ds.empty()) root.fail("data", "required section is missing (data: {type: ..., ...})");
  c.data = data::DataSpec::parse(ds);
  ds.finish();

  Section ms = root.section("model");
  if (ms.empty()) root.fail("model", "required section is missing (model: {type: ...})");
  c.model = models::ModelSpec::parse(ms);
  ms.finish();

  Section ls = root.section("loss");
  c.loss = parse_loss(ls);
  ls.finish();
  if (c.loss.kind == LossSpec::Kind::CrossEntropy && c.model.output == models::Output::Sigmoid)
    ls.fail("type", "cross_entropy expects model.output: logits; use loss.type: mse with sigmoid outputs");

  c.hardware = hw::HardwareSpec::parse_from(root, file);

  std::vector<Section> phases = root.section_list("phases");
  if (phases.empty())
    root.fail("phases", "required: a list of training phases, e.g. [{name: train, epochs: 10}]");
  for (std::size_t i = 0; i < phases.size(); ++i) {
    c.phases.push_back(parse_phase(phases[i], i));
    phases[i].finish();
  }

  Section os = root.section("optimizer");
  c.optimizer = train::OptimizerSpec::parse(os);
  os.finish();
  Section ss = root.section("schedule");
  c.schedule = train::ScheduleSpec::parse(ss);
  ss.finish();

  Section inj = root.section("inject");
  {
    enum class K { Auto, Poly, Gauss };
    K k = inj.get_choice<K>("error_model", K::Auto,
                            {{"auto", K::Auto}, {"polynomial", K::Poly}, {"gaussian", K::Gauss}});
    c.inject.kind_auto = k == K::Auto;
    c.inject.model.kind = k == K::Gauss ? inject::Kind::Gaussian : inject::Kind::Polynomial;
    c.inject.model.degree = inj.get_int("degree", 5, 0, 12);
    c.inject.model.bins = inj.get_int("bins", 30, 2, 100000);
    c.inject.model.per_polarity = inj.get_choice<bool>("split", true, {{"polarity", true}, {"output", false}});
    c.inject.model.fit = inj.get_choice<inject::Fit>("fit", inject::Fit::Table,
                                                     {{"polynomial", inject::Fit::Polynomial}, {"table", inject::Fit::Table}});
    c.inject.model.gradient = inj.get_choice<inject::Gradient>(
        "gradient", inject::Gradient::Auto,
        {{"auto", inject::Gradient::Auto}, {"corrected", inject::Gradient::Corrected},
         {"proxy", inject::Gradient::Proxy}, {"reference", inject::Gradient::Reference}});
    inj.finish();
  }

  YAML::Node init = root.raw("init");
  if (init.IsDefined() && init.IsScalar() && init.Scalar() == "scratch") {
    // from scratch
  } else if (init.IsDefined()) {
    Section is = root.section("init");
    c.init.checkpoint = is.get_path("checkpoint", "");
    is.finish();
  }

  Section es = root.section("eval");
  c.eval.every = es.get_int("every", 1, 1, kMaxI);
  c.eval.mode = parse_mode(es, "mode", hw::Mode::Exact);
  c.eval.repeats = es.get_int("repeats", 1, 1, 100000);
  es.finish();

  Section outs = root.section("output");
  c.output.dir = outs.get_path("dir", "results");
  c.output.checkpoint_every = outs.get_int("checkpoint_every", 1, 0, kMaxI);
  outs.finish();

  root.finish();
  return c;
}

RunConfig load_run_config(const std::string& path, const std::vector<std::string>& overrides) {
  YAML::Node doc = load_yaml_file(path);
  if (!overrides.empty()) doc = apply_overrides(doc, overrides);
  return parse_run_config(doc, path);
}

train::TrainerOptions trainer_options(const RunConfig& cfg) {
  train::TrainerOptions o;
  o.seed = cfg.seed;
  o.batch_size = cfg.data.batch_size;
  o.test_batch_size = cfg.data.test_batch_size;
  o.checkpoint = cfg.checkpoint;
  o.ideal_hardware = cfg.hardware.is_ideal();
  o.phases = cfg.phases;
  o.optimizer = cfg.optimizer;
  o.schedule = cfg.schedule;
  o.inject = cfg.inject;
  o.loss = cfg.loss;
  o.eval = cfg.eval;
  o.run_id = cfg.run_id();
  return o;
}

double RunConfig::total_epochs() const {
  double t = 0;
  for (const auto& p : phases) t += p.epochs;
  return t;
}

YAML::Node RunConfig::to_yaml() const {
  YAML::Node n;
  n["name"] = name;
  n["seed"] = seed;
  n["device"] = device;
  n["threads"] = threads;
  n["checkpoint"] = checkpoint;
  n["data"] = data.dump();
  n["model"] = model.dump();
  n["loss"]["type"] = loss.kind == LossSpec::Kind::CrossEntropy ? "cross_entropy" : "mse";
  if (loss.kind == LossSpec::Kind::CrossEntropy) n["loss"]["label_smoothing"] = loss.label_smoothing;
  n["hardware"] = hardware.dump();
  YAML::Node ph(YAML::NodeType::Sequence);
  for (const auto& p : phases) {
    YAML::Node e;
    e["name"] = p.name;
    e["epochs"] = p.epochs;
    e["mode"] = hw::mode_name(p.mode);
    if (p.optimizer) e["optimizer"] = p.optimizer->dump();
    if (p.schedule) e["schedule"] = p.schedule->dump();
    // Only when not the default, so that existing configs keep their run ids.
    if (p.gradient == hw::ExactGradient::SteClip) e["gradient"] = "ste_clip";
    if (p.gradient == hw::ExactGradient::SteInput) e["gradient"] = "ste_input";
    if (p.sensitivity) {
      e["sensitivity"]["gamma"] = p.sensitivity->gamma;
      e["sensitivity"]["delta_gamma"] = p.sensitivity->delta_gamma;
      e["sensitivity"]["bound"] = p.sensitivity->bound;
      e["sensitivity"]["adaptive"] = p.sensitivity->adaptive;
      e["sensitivity"]["outputs"] = p.sensitivity->outputs;
    }
    if (p.mode == hw::Mode::Inject) {
      e["calibrate"]["per_epoch"] = p.calibrate.per_epoch;
      e["calibrate"]["every_batches"] = p.calibrate.every_batches;
      e["calibrate"]["fraction"] = p.calibrate.fraction;
    }
    ph.push_back(e);
  }
  n["phases"] = ph;
  n["optimizer"] = optimizer.dump();
  n["schedule"] = schedule.dump();
  n["inject"]["error_model"] = inject.kind_auto ? "auto"
                              : inject.model.kind == inject::Kind::Gaussian ? "gaussian" : "polynomial";
  n["inject"]["degree"] = inject.model.degree;
  n["inject"]["bins"] = inject.model.bins;
  n["inject"]["split"] = inject.model.per_polarity ? "polarity" : "output";
  n["inject"]["fit"] = inject.model.fit == inject::Fit::Table ? "table" : "polynomial";
  const char* gradient_names[] = {"auto", "corrected", "proxy", "reference"};
  n["inject"]["gradient"] = gradient_names[static_cast<int>(inject.model.gradient)];
  if (init.checkpoint.empty()) n["init"] = "scratch";
  else n["init"]["checkpoint"] = init.checkpoint;
  n["eval"]["every"] = eval.every;
  n["eval"]["mode"] = hw::mode_name(eval.mode);
  n["eval"]["repeats"] = eval.repeats;
  n["output"]["dir"] = output.dir;
  n["output"]["checkpoint_every"] = output.checkpoint_every;
  return n;
}

std::string RunConfig::run_id() const {
  YAML::Node n = to_yaml();
  n.remove("output");
  n.remove("device");
  n.remove("threads");
  return short_hash(to_yaml_string(n), 10);
}

}  // namespace ax::run
