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

// A key holding a mapping parsed by `parse` (absent: the default stays) and written by `dump`.
template <class T>
void section_key(config::Options<T>& o, const std::string& key, std::function<void(Section&, T&)> parse,
                 std::function<void(const T&, YAML::Node&)> dump, config::OptionRow row) {
  o.custom(
      key,
      [key, parse](Section& s, T& v) {
        if (!s.has(key)) return s.mark(key);
        Section sub = s.section(key);
        parse(sub, v);
        sub.finish();
      },
      std::move(dump), {std::move(row)});
}

const config::Options<PhaseSpec>& phase_options() {
  using config::OptionRow;
  using G = hw::ExactGradient;
  static const auto o = [] {
    config::Options<PhaseSpec> o("phases");
    o.text("name", [](PhaseSpec& p) -> std::string& { return p.name; }, "shown in progress and metrics");
    o.custom(
        "epochs", [](Section& s, PhaseSpec& p) { p.epochs = s.require_double("epochs", 1e-6, 1e6); },
        [](const PhaseSpec& p, YAML::Node& n) { n["epochs"] = p.epochs; },
        {OptionRow{"epochs", "number", "(0, 1e6]", "required",
                   "epochs, fractional allowed; phase k ends at batch round(Σ epochs · batches_per_epoch)"}});
    o.choice<hw::Mode>("mode", [](PhaseSpec& p) -> hw::Mode& { return p.mode; }, mode_names(),
                       "how every approximate layer computes in this phase");
    section_key<PhaseSpec>(
        o, "optimizer", [](Section& s, PhaseSpec& p) { p.optimizer = train::OptimizerSpec::parse(s); },
        [](const PhaseSpec& p, YAML::Node& n) {
          if (p.optimizer) n["optimizer"] = p.optimizer->dump();
        },
        {"optimizer", "mapping", "", "(global)", "a fresh optimizer from this phase on (until the next override)"});
    section_key<PhaseSpec>(
        o, "schedule", [](Section& s, PhaseSpec& p) { p.schedule = train::ScheduleSpec::parse(s); },
        [](const PhaseSpec& p, YAML::Node& n) {
          if (p.schedule) n["schedule"] = p.schedule->dump();
        },
        {"schedule", "mapping", "", "(global)", "a schedule measured over this phase's segment"});
    o.custom(
        "gradient",
        [](Section& s, PhaseSpec& p) {
          if (s.has("gradient") && p.mode != hw::Mode::Exact) s.fail("gradient", "applies to phases with mode: exact only");
          p.gradient = s.get_choice<G>("gradient", p.gradient,
                                       {{"proxy", G::Proxy}, {"ste_clip", G::SteClip}, {"ste_input", G::SteInput}});
        },
        [](const PhaseSpec& p, YAML::Node& n) {
          // Only when not the default, so that existing configs keep their run ids.
          if (p.gradient == G::SteClip) n["gradient"] = "ste_clip";
          if (p.gradient == G::SteInput) n["gradient"] = "ste_input";
        },
        {OptionRow{"gradient", "proxy | ste_clip | ste_input", "", "proxy",
                   "exact phases only: what carries the gradient of the accurate forward"}});
    o.custom(
        "sensitivity",
        [](Section& s, PhaseSpec& p) {
          if (!s.has("sensitivity")) return s.mark("sensitivity");
          if (p.mode != hw::Mode::Ideal)
            s.fail("sensitivity", "applies to phases with mode: ideal only (AxTrain-act trains the float network; "
                                  "its double back-propagation needs twice-differentiable layers)");
          Section ss = s.section("sensitivity");
          SensitivitySpec sp;
          sensitivity_options().parse(ss, sp);
          ss.finish();
          p.sensitivity = sp;
        },
        [](const PhaseSpec& p, YAML::Node& n) {
          if (!p.sensitivity) return;
          YAML::Node sn;
          sensitivity_options().dump(*p.sensitivity, sn);
          n["sensitivity"] = sn;
        },
        {OptionRow{"sensitivity", "mapping", "", "off", "ideal phases only: AxTrain-act, see phases.sensitivity"}});
    o.custom(
        "calibrate",
        [](Section& s, PhaseSpec& p) {
          if (!s.has("calibrate")) return s.mark("calibrate");
          if (p.mode != hw::Mode::Inject) s.fail("calibrate", "applies to phases with mode: inject only");
          Section cs = s.section("calibrate");
          calibrate_options().parse(cs, p.calibrate);
          if (p.calibrate.per_epoch > 0 && p.calibrate.every_batches > 0)
            cs.fail("every_batches", "give either per_epoch or every_batches, not both");
          cs.finish();
        },
        [](const PhaseSpec& p, YAML::Node& n) {
          if (p.mode != hw::Mode::Inject) return;
          YAML::Node cn;
          calibrate_options().dump(p.calibrate, cn);
          n["calibrate"] = cn;
        },
        {OptionRow{"calibrate", "mapping", "", "", "inject phases only, see phases.calibrate"}});
    return o;
  }();
  return o;
}

PhaseSpec phase_prototype(std::size_t index) {
  PhaseSpec p;
  p.name = index == 0 ? "phaseN" : fmt::format("phase{}", index);
  return p;
}

PhaseSpec parse_phase(Section& s, std::size_t index) {
  PhaseSpec p = phase_prototype(index + 1);
  phase_options().parse(s, p);
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

const config::Options<DistributedSpec>& distributed_options() {
  using B = DistributedSpec::Backend;
  static const auto o =
      config::Options<DistributedSpec>("distributed")
          .choice<B>("backend", [](DistributedSpec& d) -> B& { return d.backend; },
                     {{"auto", B::Auto}, {"gloo", B::Gloo}, {"nccl", B::Nccl}},
                     "c10d backend of a data-parallel run: auto = gloo on CPU, nccl on CUDA")
          .number("timeout", [](DistributedSpec& d) -> double& { return d.timeout; }, 1.0, 86400.0,
                  "seconds a collective waits for the other ranks before the run fails")
          .boolean("sync_batchnorm", [](DistributedSpec& d) -> bool& { return d.sync_batchnorm; },
                   "BatchNorm in training normalises with the statistics of all ranks' examples (SyncBatchNorm); "
                   "false: each rank's own (DDP's default)");
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

namespace {
const config::Options<RunConfig>& top_options() {
  using config::OptionRow;
  static const auto o = [] {
    config::Options<RunConfig> o("Top level");
    o.custom(
        "name",
        [](Section& s, RunConfig& c) {
          c.name = s.get_string("name", boost::filesystem::path(c.source).stem().string());
          for (char ch : c.name)
            if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.'))
              s.fail("name", fmt::format("value '{}' is not allowed; use letters, digits, '_', '-', '.'", c.name));
          if (c.name.empty() || c.name == "." || c.name == ".." || c.name.size() > 200)
            s.fail("name", fmt::format("value '{}' is not allowed; a run name is a directory name: 1 to 200 letters, "
                                       "digits, '_', '-', '.', and not '.' or '..'", c.name));
        },
        [](const RunConfig& c, YAML::Node& n) { n["name"] = c.name; },
        {OptionRow{"name", "text", "1–200 letters, digits, `_-.`; not `.` or `..`", "the file's stem",
                   "run name, a directory name: results go to <output.dir>/<name>/<run_id>/"}});
    o.custom(
        "seed",
        [](Section& s, RunConfig& c) {
          c.seed = static_cast<std::uint64_t>(s.get_int("seed", static_cast<std::int64_t>(c.seed), 0, kMaxI));
        },
        [](const RunConfig& c, YAML::Node& n) { n["seed"] = c.seed; },
        {OptionRow{"seed", "int", "≥ 0", "1",
                   "weight init, data order, augmentation and every hardware draw (core/random.h)"}});
    o.choice<std::string>("device", [](RunConfig& c) -> std::string& { return c.device; },
                          {{"cpu", "cpu"}, {"cuda", "cuda"}}, "--device overrides");
    o.integer("threads", [](RunConfig& c) -> std::int64_t& { return c.threads; }, 0, 4096,
              "LibTorch intra-op threads; 0 = all cores (--threads overrides)");
    o.boolean("checkpoint", [](RunConfig& c) -> bool& { return c.checkpoint; },
              "gradient checkpointing of the added point-wise nodes (Li et al. §3.4)");
    // The sections, each declared by its own type.
    auto required = [](const char* key, const char* example) {
      return [key, example](Section& s) {
        Section sub = s.section(key);
        if (sub.empty()) s.fail(key, fmt::format("required section is missing ({})", example));
        return sub;
      };
    };
    o.custom(
        "data",
        [need = required("data", "data: {type: ..., ...}")](Section& s, RunConfig& c) {
          Section ds = need(s);
          c.data = data::DataSpec::parse(ds);
          ds.finish();
        },
        [](const RunConfig& c, YAML::Node& n) { n["data"] = c.data.dump(); },
        {OptionRow{"data", "mapping", "", "required", "see data"}});
    o.custom(
        "model",
        [need = required("model", "model: {type: ...}")](Section& s, RunConfig& c) {
          Section ms = need(s);
          c.model = models::ModelSpec::parse(ms);
          ms.finish();
        },
        [](const RunConfig& c, YAML::Node& n) { n["model"] = c.model.dump(); },
        {OptionRow{"model", "mapping", "", "required", "see model"}});
    o.custom(
        "loss",
        [](Section& s, RunConfig& c) {
          Section ls = s.section("loss");
          c.loss = parse_loss(ls);
          ls.finish();
          if (c.loss.kind == LossSpec::Kind::CrossEntropy && c.model.output == models::Output::Sigmoid)
            ls.fail("type", "cross_entropy expects model.output: logits; use loss.type: mse with sigmoid outputs");
        },
        [](const RunConfig& c, YAML::Node& n) {
          YAML::Node ln;
          loss_options().dump(c.loss, ln);
          n["loss"] = ln;
        },
        {OptionRow{"loss", "mapping", "", "cross_entropy", "see loss"}});
    o.custom(
        "hardware", [](Section& s, RunConfig& c) { c.hardware = hw::HardwareSpec::parse_from(s, c.source); },
        [](const RunConfig& c, YAML::Node& n) { n["hardware"] = c.hardware.dump(); },
        {OptionRow{"hardware", "mapping or preset path", "", "{type: ideal}", "see hardware"}});
    o.custom(
        "phases",
        [](Section& s, RunConfig& c) {
          std::vector<Section> phases = s.section_list("phases");
          if (phases.empty())
            s.fail("phases", "required: a list of training phases, e.g. [{name: train, epochs: 10}]");
          for (std::size_t i = 0; i < phases.size(); ++i) {
            c.phases.push_back(parse_phase(phases[i], i));
            phases[i].finish();
          }
        },
        [](const RunConfig& c, YAML::Node& n) {
          YAML::Node ph(YAML::NodeType::Sequence);
          for (const auto& p : c.phases) {
            YAML::Node e;
            phase_options().dump(p, e);
            ph.push_back(e);
          }
          n["phases"] = ph;
        },
        {OptionRow{"phases", "list", "≥ 1", "required", "see phases"}});
    o.custom(
        "optimizer",
        [](Section& s, RunConfig& c) {
          Section os = s.section("optimizer");
          c.optimizer = train::OptimizerSpec::parse(os);
          os.finish();
        },
        [](const RunConfig& c, YAML::Node& n) { n["optimizer"] = c.optimizer.dump(); },
        {OptionRow{"optimizer", "mapping", "", "sgd", "see optimizer"}});
    o.custom(
        "schedule",
        [](Section& s, RunConfig& c) {
          Section ss = s.section("schedule");
          c.schedule = train::ScheduleSpec::parse(ss);
          ss.finish();
        },
        [](const RunConfig& c, YAML::Node& n) { n["schedule"] = c.schedule.dump(); },
        {OptionRow{"schedule", "mapping", "", "constant", "see schedule"}});
    o.custom(
        "inject",
        [](Section& s, RunConfig& c) {
          Section inj = s.section("inject");
          inject_options().parse(inj, c.inject);
          inj.finish();
        },
        [](const RunConfig& c, YAML::Node& n) {
          YAML::Node in;
          inject_options().dump(c.inject, in);
          n["inject"] = in;
        },
        {OptionRow{"inject", "mapping", "", "", "error models of inject phases, see inject"}});
    o.custom(
        "init",
        [](Section& s, RunConfig& c) {
          YAML::Node init = s.raw("init");
          if (init.IsDefined() && init.IsScalar() && init.Scalar() == "scratch") {
            s.mark("init");  // from scratch
          } else if (init.IsDefined()) {
            Section is = s.section("init");
            c.init.checkpoint = is.get_path("checkpoint", "");
            is.finish();
          }
        },
        [](const RunConfig& c, YAML::Node& n) {
          if (c.init.checkpoint.empty()) n["init"] = "scratch";
          else n["init"]["checkpoint"] = c.init.checkpoint;
        },
        {OptionRow{"init", "scratch or {checkpoint: PATH}", "", "scratch",
                   "start from a trained model's weights (final.pt or a torchvision .safetensors)"}});
    o.custom(
        "eval",
        [](Section& s, RunConfig& c) {
          Section es = s.section("eval");
          eval_options().parse(es, c.eval);
          es.finish();
        },
        [](const RunConfig& c, YAML::Node& n) {
          YAML::Node en;
          eval_options().dump(c.eval, en);
          n["eval"] = en;
        },
        {OptionRow{"eval", "mapping", "", "", "see eval"}});
    o.custom(
        "output",
        [](Section& s, RunConfig& c) {
          Section outs = s.section("output");
          output_options().parse(outs, c.output);
          outs.finish();
        },
        [](const RunConfig& c, YAML::Node& n) {
          YAML::Node on;
          output_options().dump(c.output, on);
          n["output"] = on;
        },
        {OptionRow{"output", "mapping", "", "", "see output"}});
    o.custom(
        "distributed",
        [](Section& s, RunConfig& c) {
          Section ds = s.section("distributed");
          distributed_options().parse(ds, c.distributed);
          ds.finish();
        },
        [](const RunConfig& c, YAML::Node& n) {
          YAML::Node dn;
          distributed_options().dump(c.distributed, dn);
          n["distributed"] = dn;
        },
        {OptionRow{"distributed", "mapping", "", "", "data-parallel runs (launched with --nproc or torchrun/srun), see distributed"}});
    return o;
  }();
  return o;
}

// "data[type: NAME]" sections: each registered type's own keys (types without keys are left out).
template <class R>
void add_types(std::vector<std::pair<std::string, std::vector<config::OptionRow>>>& out, const std::string& section,
               const R& registry) {
  for (const std::string& name : registry.names())
    if (!registry.keys(name).empty()) out.emplace_back(section + "[type: " + name + "]", registry.keys(name));
}
}  // namespace

std::vector<std::pair<std::string, std::vector<config::OptionRow>>> declared_keys() {
  data::register_all();
  models::register_all();
  train::register_all();
  std::vector<std::pair<std::string, std::vector<config::OptionRow>>> out = {
      {"Top level", top_options().rows()},
      {"data", data::DataSpec::declaration().rows()}};
  add_types(out, "data", data::dataset_registry());
  out.emplace_back("model", models::ModelSpec::declaration().rows());
  add_types(out, "model", models::model_registry());
  out.emplace_back("loss", loss_options().rows());
  out.emplace_back("hardware", hw::HardwareSpec::keys());
  out.emplace_back("phases", phase_options().rows(phase_prototype(0)));
  out.emplace_back("phases.sensitivity", sensitivity_options().rows());
  out.emplace_back("phases.calibrate", calibrate_options().rows());
  out.emplace_back("inject", inject_options().rows());
  out.emplace_back("optimizer", train::OptimizerSpec::declaration().rows());
  add_types(out, "optimizer", train::optimizer_registry());
  out.emplace_back("schedule", train::ScheduleSpec::declaration().rows());
  add_types(out, "schedule", train::schedule_registry());
  out.emplace_back("eval", eval_options().rows());
  out.emplace_back("output", output_options().rows());
  out.emplace_back("distributed", distributed_options().rows());
  return out;
}

RunConfig parse_run_config(const YAML::Node& doc, const std::string& file) {
  if (!doc.IsMap())
    throw ConfigError(fmt::format("{}: a run config must be a mapping (name:, data:, model:, ...)", file));
  Section root({{doc, file}}, "");
  RunConfig c;
  c.source = file;
  top_options().parse(root, c);
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
  top_options().dump(*this, n);
  return n;
}

std::string RunConfig::run_id() const {
  YAML::Node n = to_yaml();
  n.remove("output");
  n.remove("device");
  n.remove("threads");
  n.remove("distributed");
  if (world_size > 1) n["world_size"] = world_size;
  if (world_size > 1 && distributed.sync_batchnorm) n["sync_batchnorm"] = true;  // changes what is computed
  return short_hash(to_yaml_string(n), 10);
}

}  // namespace ax::run
