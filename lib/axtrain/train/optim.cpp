#include "axtrain/train/optim.h"

#include <cmath>

#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include "axtrain/config/options.h"
#include "axtrain/config/section.h"
#include "axtrain/layers/attach.h"
#include "axtrain/layers/mac_layer.h"
#include "axtrain/train/sc_gdm.h"

namespace ax::train {

Registry<OptimizerParser>& optimizer_registry() {
  static Registry<OptimizerParser> r("optimizer type");
  return r;
}
Registry<ScheduleParser>& schedule_registry() {
  static Registry<ScheduleParser> r("schedule type");
  return r;
}

const config::Options<OptimizerSpec>& OptimizerSpec::declaration() {
  using O = OptimizerSpec;
  using E = WeightClamp::Every;
  static const auto o =
      config::Options<O>("optimizer")
          .custom(
              "type",
              [](config::Section& s, O& o) {
                o.type = s.get_string("type", o.type);
                o.options = optimizer_registry().get(o.type, s.where("type"))(s);
              },
              [](const O& o, YAML::Node& n) { n["type"] = o.type; },
              {OptionRow{"type", "name", "axtrain list optimizers", "sgd",
                         "its own keys: optimizer[type: NAME] below"}})
          .number("lr", [](O& o) -> double& { return o.lr; }, 0.0, 1e6, "base learning rate")
          .custom(
              "type's keys", [](config::Section&, O&) {},  // read with `type`; written after lr
              [](const O& o, YAML::Node& n) { o.options->dump(n); }, {})
          .custom(
              "clamp",
              [](config::Section& s, O& o) {
                if (!s.raw("clamp").IsDefined()) return s.mark("clamp");
                config::Section cs = s.section("clamp");
                o.clamp.enabled = true;
                o.clamp.min = cs.get_double("min", o.clamp.min, -1e30, 1e30);
                o.clamp.max = cs.get_double("max", o.clamp.max, -1e30, 1e30);
                if (o.clamp.max <= o.clamp.min) cs.fail("max", "must be greater than clamp.min");
                o.clamp.every = cs.get_choice<E>("every", o.clamp.every, {{"step", E::Step}, {"epoch", E::Epoch}});
                cs.finish();
              },
              [](const O& o, YAML::Node& n) {
                if (!o.clamp.enabled) return;
                n["clamp"]["min"] = o.clamp.min;
                n["clamp"]["max"] = o.clamp.max;
                n["clamp"]["every"] = o.clamp.every == E::Step ? "step" : "epoch";
              },
              {OptionRow{"clamp", "{min, max, every: step | epoch}", "", "off",
                         "clamp approximate-layer weights to [min, max] (given: defaults -1, 0.999, epoch; "
                         "rex-sc clamps to [-1, 0.999] every epoch)"}});
  return o;
}

OptimizerSpec OptimizerSpec::parse(config::Section& s) {
  register_all();
  OptimizerSpec o;
  declaration().parse(s, o);
  return o;
}

YAML::Node OptimizerSpec::dump() const {
  YAML::Node n;
  declaration().dump(*this, n);
  return n;
}

const config::Options<ScheduleSpec>& ScheduleSpec::declaration() {
  using S = ScheduleSpec;
  static const auto o =
      config::Options<S>("schedule")
          .custom(
              "type",
              [](config::Section& s, S& sc) {
                sc.type = s.get_string("type", sc.type);
                sc.options = schedule_registry().get(sc.type, s.where("type"))(s);
              },
              [](const S& sc, YAML::Node& n) {
                n["type"] = sc.type;
                sc.options->dump(n);  // the type's own keys follow `type`
              },
              {OptionRow{"type", "name", "axtrain list schedules", "constant",
                         "its own keys: schedule[type: NAME] below"}})
          .number("warmup_epochs", [](S& sc) -> double& { return sc.warmup_epochs; }, 0.0, 1e6,
                  "linear warm-up from 0 over this many epochs");
  return o;
}

ScheduleSpec ScheduleSpec::parse(config::Section& s) {
  register_all();
  ScheduleSpec sc;
  declaration().parse(s, sc);
  return sc;
}

ScheduleSpec ScheduleSpec::constant() {
  register_all();
  config::Section empty({}, "schedule");
  ScheduleSpec sc;
  sc.options = schedule_registry().get("constant")(empty);
  return sc;
}

YAML::Node ScheduleSpec::dump() const {
  YAML::Node n;
  declaration().dump(*this, n);
  return n;
}

double ScheduleSpec::lr(double base_lr, double t, double total) const {
  if (warmup_epochs > 0 && t < warmup_epochs) return base_lr * (t + 1e-12) / warmup_epochs;
  double rest = std::max(total - warmup_epochs, 1e-12);
  return base_lr * options->factor(std::min(t - warmup_epochs, rest), rest, base_lr);
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) g.options().set_lr(lr);
}

namespace {

struct SgdOptions final : OptimizerOptions {
  double momentum = 0.9, weight_decay = 0.0;
  bool nesterov = false;
  std::string type() const override { return "sgd"; }
  static const config::Options<SgdOptions>& options() {
    using O = SgdOptions;
    static const auto o =
        config::Options<O>("optimizer (sgd)")
            .number("momentum", [](O& o) -> double& { return o.momentum; }, 0.0, 1.0, "momentum")
            .boolean("nesterov", [](O& o) -> bool& { return o.nesterov; }, "Nesterov momentum")
            .number("weight_decay", [](O& o) -> double& { return o.weight_decay; }, 0.0, 1.0, "L2 weight decay");
    return o;
  }
  void dump(YAML::Node& n) const override { options().dump(*this, n); }
  std::unique_ptr<torch::optim::Optimizer> make(std::vector<torch::Tensor> p, double lr) const override {
    return std::make_unique<torch::optim::SGD>(
        p, torch::optim::SGDOptions(lr).momentum(momentum).nesterov(nesterov).weight_decay(weight_decay));
  }
};

struct AdamOptions final : OptimizerOptions {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  std::string type() const override { return "adam"; }
  static const config::Options<AdamOptions>& options() {
    using O = AdamOptions;
    static const auto o =
        config::Options<O>("optimizer (adam)")
            .number("beta1", [](O& o) -> double& { return o.beta1; }, 0.0, 0.999999, "first-moment decay")
            .number("beta2", [](O& o) -> double& { return o.beta2; }, 0.0, 0.999999, "second-moment decay")
            .number("eps", [](O& o) -> double& { return o.eps; }, 0.0, 1.0, "added to the denominator")
            .number("weight_decay", [](O& o) -> double& { return o.weight_decay; }, 0.0, 1.0,
                    "L2 weight decay (added to the gradient, not AdamW)");
    return o;
  }
  void dump(YAML::Node& n) const override { options().dump(*this, n); }
  std::unique_ptr<torch::optim::Optimizer> make(std::vector<torch::Tensor> p, double lr) const override {
    return std::make_unique<torch::optim::Adam>(
        p, torch::optim::AdamOptions(lr).betas({beta1, beta2}).eps(eps).weight_decay(weight_decay));
  }
};

struct ScGdmSpec final : OptimizerOptions {
  double momentum = 0.0, weight_decay = 0.0, step = 1.0 / 1024;
  bool per_sample = true;  // steps: per_sample (Linear layers; train/sc_gdm.h) | per_batch
  std::string type() const override { return "sc_gdm"; }
  static const config::Options<ScGdmSpec>& options() {
    using O = ScGdmSpec;
    static const auto o =
        config::Options<O>("optimizer (sc_gdm)")
            .number("momentum", [](O& o) -> double& { return o.momentum; }, 0.0, 0.999999,
                    "0 = SC-GDC; > 0 = SC-GDM's momentum buffer")
            .number("weight_decay", [](O& o) -> double& { return o.weight_decay; }, 0.0, 1.0, "L2 weight decay")
            .number("step", [](O& o) -> double& { return o.step; }, 1e-12, 1.0,
                    "the counter's step: every weight is an integer times step")
            // SC-GDC (momentum 0) steps per sample on Linear layers, as the hardware does;
            // SC-GDM keeps its momentum buffer per batch.
            .choice<bool>("steps", [](O& o) -> bool& { return o.per_sample; },
                          {{"per_sample", true}, {"per_batch", false}},
                          "per_sample: one ternary step per sample on Linear layers; per_batch: one per batch")
            .default_from([](O& o) { o.per_sample = o.momentum == 0.0; })
            .check([](const O& o) {
              return o.per_sample && o.momentum != 0.0
                         ? "per_sample is SC-GDC only (momentum 0); with momentum use per_batch"
                         : "";
            });
    return o;
  }
  void dump(YAML::Node& n) const override { options().dump(*this, n); }
  std::unique_ptr<torch::optim::Optimizer> make(std::vector<torch::Tensor> p, double lr) const override {
    return std::make_unique<ScGdm>(p, ScGdmOptions(lr).momentum(momentum).weight_decay(weight_decay).step(step));
  }
  void attach(torch::optim::Optimizer& opt, torch::nn::Module& model) const override {
    if (!per_sample) return;
    auto& sc = dynamic_cast<ScGdm&>(opt);
    for (const auto& l : layers::mac_layers(model))
      if (l.layer->op().kind == hw::MacOp::Kind::Linear) sc.tap_linear(*l.layer);
  }
};

struct ConstantSchedule final : ScheduleOptions {
  static const config::Options<ConstantSchedule>& options() {
    static const config::Options<ConstantSchedule> o("schedule (constant)");  // no keys of its own
    return o;
  }
  std::string type() const override { return "constant"; }
  void dump(YAML::Node&) const override {}
  double factor(double, double, double) const override { return 1.0; }
};

struct StepSchedule final : ScheduleOptions {
  double step_epochs = 30, gamma = 0.1;
  std::string type() const override { return "step"; }
  static const config::Options<StepSchedule>& options() {
    using O = StepSchedule;
    static const auto o =
        config::Options<O>("schedule (step)")
            .number("step_epochs", [](O& o) -> double& { return o.step_epochs; }, 1e-6, 1e9, "epochs per step")
            .number("gamma", [](O& o) -> double& { return o.gamma; }, 0.0, 1.0, "factor per step");
    return o;
  }
  void dump(YAML::Node& n) const override { options().dump(*this, n); }
  double factor(double t, double, double) const override {
    return std::pow(gamma, std::floor(t / step_epochs + 1e-9));
  }
};

struct ExponentialSchedule final : ScheduleOptions {
  double gamma = 0.95;      // multiplier per epoch (applied continuously)
  double final_lr = 0.0;    // if > 0: gamma chosen so the last step reaches final_lr
  std::string type() const override { return "exponential"; }
  static const config::Options<ExponentialSchedule>& options() {
    using O = ExponentialSchedule;
    static const auto o =
        config::Options<O>("schedule (exponential)")
            .number("gamma", [](O& o) -> double& { return o.gamma; }, 0.0, 1.0, "factor per epoch (continuous)")
            .number("final_lr", [](O& o) -> double& { return o.final_lr; }, 0.0, 1e6,
                    "> 0: decay from lr to final_lr over the segment instead");
    return o;
  }
  void dump(YAML::Node& n) const override { options().dump(*this, n); }
  double factor(double t, double total, double base_lr) const override {
    if (final_lr > 0 && base_lr > 0) return std::pow(final_lr / base_lr, t / total);
    return std::pow(gamma, t);
  }
};

struct CosineSchedule final : ScheduleOptions {
  double min_lr = 0.0;
  std::string type() const override { return "cosine"; }
  static const config::Options<CosineSchedule>& options() {
    using O = CosineSchedule;
    static const auto o = config::Options<O>("schedule (cosine)")
                              .number("min_lr", [](O& o) -> double& { return o.min_lr; }, 0.0, 1e6,
                                      "the rate at the segment's end");
    return o;
  }
  void dump(YAML::Node& n) const override { options().dump(*this, n); }
  double factor(double t, double total, double base_lr) const override {
    double m = base_lr > 0 ? min_lr / base_lr : 0.0;
    return m + (1 - m) * 0.5 * (1 + std::cos(M_PI * t / total));
  }
};

struct PolySchedule final : ScheduleOptions {
  double power = 2.0, min_lr = 0.0;
  std::string type() const override { return "poly"; }
  static const config::Options<PolySchedule>& options() {
    using O = PolySchedule;
    static const auto o =
        config::Options<O>("schedule (poly)")
            .number("power", [](O& o) -> double& { return o.power; }, 0.0, 100.0, "exponent of (1 - t/T)")
            .number("min_lr", [](O& o) -> double& { return o.min_lr; }, 0.0, 1e6, "the rate at the segment's end");
    return o;
  }
  void dump(YAML::Node& n) const override { options().dump(*this, n); }
  double factor(double t, double total, double base_lr) const override {
    double m = base_lr > 0 ? min_lr / base_lr : 0.0;
    return m + (1 - m) * std::pow(std::max(0.0, 1 - t / total), power);
  }
};

}  // namespace

// A registry entry for a type declared with config::Options: its parser and its keys.
template <class T, class Base>
std::function<std::shared_ptr<const Base>(config::Section&)> parser() {
  return [](config::Section& s) -> std::shared_ptr<const Base> {
    auto p = std::make_shared<T>();
    T::options().parse(s, *p);
    return p;
  };
}

void register_all() {
  auto& o = optimizer_registry();
  if (o.names().empty()) {
    o.add("sgd", "stochastic gradient descent with momentum, nesterov, weight_decay",
          parser<SgdOptions, OptimizerOptions>(), SgdOptions::options().rows());
    o.add("adam", "Adam (beta1, beta2, eps, weight_decay)", parser<AdamOptions, OptimizerOptions>(),
          AdamOptions::options().rows());
    o.add("sc_gdm", "SC-GDC/SC-GDM (Liu): ternary stochastic counter steps of `step` (2^-10), momentum (0 = SC-GDC), steps per_sample (SC-GDC default) | per_batch",
          parser<ScGdmSpec, OptimizerOptions>(), ScGdmSpec::options().rows());
  }
  auto& r = schedule_registry();
  if (!r.names().empty()) return;
  r.add("constant", "constant learning rate", parser<ConstantSchedule, ScheduleOptions>(), {});
  r.add("step", "multiply by gamma every step_epochs", parser<StepSchedule, ScheduleOptions>(),
        StepSchedule::options().rows());
  r.add("exponential", "multiply by gamma per epoch, or decay to final_lr over the phase",
        parser<ExponentialSchedule, ScheduleOptions>(), ExponentialSchedule::options().rows());
  r.add("cosine", "cosine decay to min_lr", parser<CosineSchedule, ScheduleOptions>(),
        CosineSchedule::options().rows());
  r.add("poly", "polynomial decay (power) to min_lr (rex-sc PolynomialWarmup)",
        parser<PolySchedule, ScheduleOptions>(), PolySchedule::options().rows());
}

}  // namespace ax::train
