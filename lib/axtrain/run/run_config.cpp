#include "axtrain/run/run_config.h"

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/config/paths.h"
#include "axtrain/config/options.h"
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

std::vector<std::pair<std::string, hw::Mode>> mode_names() {
  return {{"ideal", hw::Mode::Ideal}, {"exact", hw::Mode::Exact}, {"proxy", hw::Mode::Proxy}, {"inject", hw::Mode::Inject}};
}


// Keys declared once (config/options.h), checked against docs/config.md.
const config::Options<SensitivitySpec>& sensitivity_options() {
  static const auto o =
      config::Options<SensitivitySpec>("phases.sensitivity")
          .number("gamma", [](SensitivitySpec& p) -> double& { return p.gamma; }, 0.0, 1e6, "initial γ")
          .number("delta_gamma", [](SensitivitySpec& p) -> double& { return p.delta_gamma; }, 0.0, 1e6,
                  "Δγ of the adaptive rule, per epoch")
          .number("bound", [](SensitivitySpec& p) -> double& { return p.bound; }, 0.0, 1.0,
                  "D: training error below which γ always grows")
          .boolean("adaptive", [](SensitivitySpec& p) -> bool& { return p.adaptive; },
                   "once per epoch γ ± Δγ by the training error's trend; false: γ fixed")
          .integer("outputs", [](SensitivitySpec& p) -> std::int64_t& { return p.outputs; }, 0, 1 << 20,
                   "outputs k in S (0 = all; n < K: n drawn per batch, an unbiased estimate)");
  return o;
}

const config::Options<CalibrateSpec>& calibrate_options() {
  static const auto o =
      config::Options<CalibrateSpec>("phases.calibrate")
          .integer("per_epoch", [](CalibrateSpec& c) -> std::int64_t& { return c.per_epoch; }, 0, 1 << 20,
                   "calibrations per epoch, equally spaced (0 with every_batches 0: the error model's default)")
          .integer("every_batches", [](CalibrateSpec& c) -> std::int64_t& { return c.every_batches; }, 0, 1 << 30,
                   "or one calibration every K batches")
          .number("fraction", [](CalibrateSpec& c) -> double& { return c.fraction; }, 1e-6, 1.0,
                  "1: the calibration batch is an accurate-model step; < 1: an extra forward on this fraction");
  return o;
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
    sensitivity_options().parse(ss, sp);
    ss.finish();
    p.sensitivity = sp;
  } else {
    s.mark("sensitivity");
  }
  if (s.has("calibrate")) {
    if (p.mode != hw::Mode::Inject) s.fail("calibrate", "applies to phases with mode: inject only");
    Section cs = s.section("calibrate");
    calibrate_options().parse(cs, p.calibrate);
    if (p.calibrate.per_epoch > 0 && p.calibrate.every_batches > 0)
      cs.fail("every_batches", "give either per_epoch or every_batches, not both");
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
  return s.get_choice<hw::Mode>(key, fallback, mode_names());
}

namespace {
// The keys of the sections declared once (config/options.h); docs/config.md's tables are checked
// against them (tests/unit/options_test.cpp).
const config::Options<LossSpec>& loss_options() {
  using K = LossSpec::Kind;
  static const auto o =
      config::Options<LossSpec>("loss")
          .choice<K>("type", [](LossSpec& l) -> K& { return l.kind; }, {{"cross_entropy", K::CrossEntropy}, {"mse", K::Mse}},
                     "mse compares outputs with one-hot targets")
          .number("label_smoothing", [](LossSpec& l) -> double& { return l.label_smoothing; }, 0.0, 0.999,
                  "cross_entropy only (rex-sc uses 0.1)")
          .dump_only_if([](const LossSpec& l) { return l.kind == K::CrossEntropy; });
  return o;
}

const config::Options<train::InjectSpec>& inject_options() {
  using train::InjectSpec;
  enum class K { Auto, Poly, Gauss };
  static const auto o =
      config::Options<InjectSpec>("inject")
          .choice<K>(
              "error_model",
              [](const InjectSpec& i) { return i.kind_auto ? K::Auto : i.model.kind == inject::Kind::Gaussian ? K::Gauss : K::Poly; },
              [](InjectSpec& i, K k) {
                i.kind_auto = k == K::Auto;
                i.model.kind = k == K::Gauss ? inject::Kind::Gaussian : inject::Kind::Polynomial;
              },
              {{"auto", K::Auto}, {"polynomial", K::Poly}, {"gaussian", K::Gauss}},
              "auto = the hardware's own: type 1 for sc and approx_mul, type 2 gaussian for analog")
          .integer("degree", [](InjectSpec& i) -> std::int64_t& { return i.model.degree; }, 0, 12,
                   "polynomial degree of the mean and std fits with fit: polynomial (G-17)")
          .integer("bins", [](InjectSpec& i) -> std::int64_t& { return i.model.bins; }, 2, 100000,
                   "equal-width bins of u (sc per polarity: fixed, width 0.1 over [0, 1); G-18)")
          .choice<bool>("split", [](InjectSpec& i) -> bool& { return i.model.per_polarity; },
                        {{"polarity", true}, {"output", false}},
                        "type 1: fit u+ and u- separately (polarity) or the net proxy output (output, G-16)")
          .choice<inject::Fit>("fit", [](InjectSpec& i) -> inject::Fit& { return i.model.fit; },
                               {{"polynomial", inject::Fit::Polynomial}, {"table", inject::Fit::Table}},
                               "type 1's curves: each bin's own mean and std (table) or polynomials (rex-sc, G-18)")
          .choice<inject::Gradient>("gradient", [](InjectSpec& i) -> inject::Gradient& { return i.model.gradient; },
                                    {{"auto", inject::Gradient::Auto}, {"corrected", inject::Gradient::Corrected},
                                     {"proxy", inject::Gradient::Proxy}, {"reference", inject::Gradient::Reference}},
                                    "what carries the gradient (polynomial: corrected; gaussian: proxy, G-22)");
  return o;
}

const config::Options<EvalSpec>& eval_options() {
  static const auto o =
      config::Options<EvalSpec>("eval")
          .integer("every", [](EvalSpec& e) -> std::int64_t& { return e.every; }, 1, kMaxI,
                   "evaluate every N epochs and after the last")
          .choice<hw::Mode>("mode", [](EvalSpec& e) -> hw::Mode& { return e.mode; }, mode_names(),
                            "how the MAC layers run in evaluation (default: the accurate hardware model)")
          .integer("repeats", [](EvalSpec& e) -> std::int64_t& { return e.repeats; }, 1, 100000,
                   "independent evaluations (fault draws), reported as mean/std/min/max");
  return o;
}

const config::Options<OutputSpec>& output_options() {
  static const auto o =
      config::Options<OutputSpec>("output")
          .path("dir", [](OutputSpec& out) -> std::string& { return out.dir; }, "results root (--out overrides)")
          .integer("checkpoint_every", [](OutputSpec& out) -> std::int64_t& { return out.checkpoint_every; }, 0, kMaxI,
                   "last.pt every N epochs (0 = only at the end); final.pt at the end");
  return o;
}

LossSpec parse_loss(Section& s) {
  LossSpec l;
  loss_options().parse(s, l);
  if (l.kind == LossSpec::Kind::Mse && l.label_smoothing > 0) s.fail("label_smoothing", "applies to cross_entropy only");
  return l;
}
}  // namespace

std::vector<std::pair<std::string, std::vector<config::OptionRow>>> declared_keys() {
  return {{"loss", loss_options().rows()},
          {"inject", inject_options().rows()},
          {"eval", eval_options().rows()},
          {"output", output_options().rows()},
          {"phases.sensitivity", sensitivity_options().rows()},
          {"phases.calibrate", calibrate_options().rows()}};
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
  inject_options().parse(inj, c.inject);
  inj.finish();

  YAML::Node init = root.raw("init");
  if (init.IsDefined() && init.IsScalar() && init.Scalar() == "scratch") {
    // from scratch
  } else if (init.IsDefined()) {
    Section is = root.section("init");
    c.init.checkpoint = is.get_path("checkpoint", "");
    is.finish();
  }

  Section es = root.section("eval");
  eval_options().parse(es, c.eval);
  es.finish();

  Section outs = root.section("output");
  output_options().parse(outs, c.output);
  outs.finish();

  root.finish();
  return c;
}

RunConfig load_run_config(const std::string& path, const std::vector<config::Override>& overrides) {
  YAML::Node doc = load_yaml_file(path);
  if (!overrides.empty()) doc = apply_overrides(doc, overrides);
  return parse_run_config(doc, path);
}

RunConfig load_run_config(const std::string& path, const std::vector<std::string>& assignments) {
  // Parsed before the file is read, as before: a malformed --set is reported first.
  const std::vector<config::Override> overrides = config::parse_overrides(assignments);
  return load_run_config(path, overrides);
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
  YAML::Node ln;
  loss_options().dump(loss, ln);
  n["loss"] = ln;
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
      YAML::Node sn;
      sensitivity_options().dump(*p.sensitivity, sn);
      e["sensitivity"] = sn;
    }
    if (p.mode == hw::Mode::Inject) {
      YAML::Node cn;
      calibrate_options().dump(p.calibrate, cn);
      e["calibrate"] = cn;
    }
    ph.push_back(e);
  }
  n["phases"] = ph;
  n["optimizer"] = optimizer.dump();
  n["schedule"] = schedule.dump();
  YAML::Node in;
  inject_options().dump(inject, in);
  n["inject"] = in;
  if (init.checkpoint.empty()) n["init"] = "scratch";
  else n["init"]["checkpoint"] = init.checkpoint;
  YAML::Node en, on;
  eval_options().dump(eval, en);
  output_options().dump(output, on);
  n["eval"] = en;
  n["output"] = on;
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
