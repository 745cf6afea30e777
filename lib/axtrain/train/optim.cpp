#include "axtrain/train/optim.h"

#include <cmath>

#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

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

OptimizerSpec OptimizerSpec::parse(config::Section& s) {
  register_all();
  OptimizerSpec o;
  o.type = s.get_string("type", "sgd");
  o.options = optimizer_registry().get(o.type, s.where("type"))(s);
  o.lr = s.get_double("lr", 0.01, 0.0, 1e6);
  YAML::Node c = s.raw("clamp");
  if (c.IsDefined()) {
    config::Section cs = s.section("clamp");
    o.clamp.enabled = true;
    o.clamp.min = cs.get_double("min", -1.0, -1e30, 1e30);
    o.clamp.max = cs.get_double("max", 0.999, -1e30, 1e30);
    if (o.clamp.max <= o.clamp.min) cs.fail("max", "must be greater than clamp.min");
    o.clamp.every = cs.get_choice<WeightClamp::Every>(
        "every", WeightClamp::Every::Epoch,
        {{"step", WeightClamp::Every::Step}, {"epoch", WeightClamp::Every::Epoch}});
    cs.finish();
  }
  return o;
}

YAML::Node OptimizerSpec::dump() const {
  YAML::Node n;
  n["type"] = type;
  n["lr"] = lr;
  options->dump(n);
  if (clamp.enabled) {
    n["clamp"]["min"] = clamp.min;
    n["clamp"]["max"] = clamp.max;
    n["clamp"]["every"] = clamp.every == WeightClamp::Every::Step ? "step" : "epoch";
  }
  return n;
}

ScheduleSpec ScheduleSpec::parse(config::Section& s) {
  register_all();
  ScheduleSpec sc;
  sc.type = s.get_string("type", "constant");
  sc.options = schedule_registry().get(sc.type, s.where("type"))(s);
  sc.warmup_epochs = s.get_double("warmup_epochs", 0.0, 0.0, 1e6);
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
  n["type"] = type;
  options->dump(n);
  n["warmup_epochs"] = warmup_epochs;
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
  void dump(YAML::Node& n) const override {
    n["momentum"] = momentum;
    n["nesterov"] = nesterov;
    n["weight_decay"] = weight_decay;
  }
  std::unique_ptr<torch::optim::Optimizer> make(std::vector<torch::Tensor> p, double lr) const override {
    return std::make_unique<torch::optim::SGD>(
        p, torch::optim::SGDOptions(lr).momentum(momentum).nesterov(nesterov).weight_decay(weight_decay));
  }
};

struct AdamOptions final : OptimizerOptions {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  std::string type() const override { return "adam"; }
  void dump(YAML::Node& n) const override {
    n["beta1"] = beta1;
    n["beta2"] = beta2;
    n["eps"] = eps;
    n["weight_decay"] = weight_decay;
  }
  std::unique_ptr<torch::optim::Optimizer> make(std::vector<torch::Tensor> p, double lr) const override {
    return std::make_unique<torch::optim::Adam>(
        p, torch::optim::AdamOptions(lr).betas({beta1, beta2}).eps(eps).weight_decay(weight_decay));
  }
};

struct ScGdmSpec final : OptimizerOptions {
  double momentum = 0.0, weight_decay = 0.0, step = 1.0 / 1024;
  bool per_sample = true;  // steps: per_sample (Linear layers; train/sc_gdm.h) | per_batch
  std::string type() const override { return "sc_gdm"; }
  void dump(YAML::Node& n) const override {
    n["momentum"] = momentum;
    n["weight_decay"] = weight_decay;
    n["step"] = step;
    n["steps"] = per_sample ? "per_sample" : "per_batch";
  }
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
  std::string type() const override { return "constant"; }
  void dump(YAML::Node&) const override {}
  double factor(double, double, double) const override { return 1.0; }
};

struct StepSchedule final : ScheduleOptions {
  double step_epochs = 30, gamma = 0.1;
  std::string type() const override { return "step"; }
  void dump(YAML::Node& n) const override {
    n["step_epochs"] = step_epochs;
    n["gamma"] = gamma;
  }
  double factor(double t, double, double) const override {
    return std::pow(gamma, std::floor(t / step_epochs + 1e-9));
  }
};

struct ExponentialSchedule final : ScheduleOptions {
  double gamma = 0.95;      // multiplier per epoch (applied continuously)
  double final_lr = 0.0;    // if > 0: gamma chosen so the last step reaches final_lr
  std::string type() const override { return "exponential"; }
  void dump(YAML::Node& n) const override {
    n["gamma"] = gamma;
    n["final_lr"] = final_lr;
  }
  double factor(double t, double total, double base_lr) const override {
    if (final_lr > 0 && base_lr > 0) return std::pow(final_lr / base_lr, t / total);
    return std::pow(gamma, t);
  }
};

struct CosineSchedule final : ScheduleOptions {
  double min_lr = 0.0;
  std::string type() const override { return "cosine"; }
  void dump(YAML::Node& n) const override { n["min_lr"] = min_lr; }
  double factor(double t, double total, double base_lr) const override {
    double m = base_lr > 0 ? min_lr / base_lr : 0.0;
    return m + (1 - m) * 0.5 * (1 + std::cos(M_PI * t / total));
  }
};

struct PolySchedule final : ScheduleOptions {
  double power = 2.0, min_lr = 0.0;
  std::string type() const override { return "poly"; }
  void dump(YAML::Node& n) const override {
    n["power"] = power;
    n["min_lr"] = min_lr;
  }
  double factor(double t, double total, double base_lr) const override {
    double m = base_lr > 0 ? min_lr / base_lr : 0.0;
    return m + (1 - m) * std::pow(std::max(0.0, 1 - t / total), power);
  }
};

}  // namespace

void register_all() {
  auto& o = optimizer_registry();
  if (o.names().empty()) {
    o.add("sgd", "stochastic gradient descent with momentum, nesterov, weight_decay",
          [](config::Section& s) -> std::shared_ptr<const OptimizerOptions> {
            auto p = std::make_shared<SgdOptions>();
            p->momentum = s.get_double("momentum", p->momentum, 0.0, 1.0);
            p->nesterov = s.get_bool("nesterov", false);
            p->weight_decay = s.get_double("weight_decay", 0.0, 0.0, 1.0);
            return p;
          });
    o.add("adam", "Adam (beta1, beta2, eps, weight_decay)",
          [](config::Section& s) -> std::shared_ptr<const OptimizerOptions> {
            auto p = std::make_shared<AdamOptions>();
            p->beta1 = s.get_double("beta1", p->beta1, 0.0, 0.999999);
            p->beta2 = s.get_double("beta2", p->beta2, 0.0, 0.999999);
            p->eps = s.get_double("eps", p->eps, 0.0, 1.0);
            p->weight_decay = s.get_double("weight_decay", 0.0, 0.0, 1.0);
            return p;
          });
    o.add("sc_gdm", "SC-GDC/SC-GDM (Liu): ternary stochastic counter steps of `step` (2^-10), momentum (0 = SC-GDC), steps per_sample (SC-GDC default) | per_batch",
          [](config::Section& s) -> std::shared_ptr<const OptimizerOptions> {
            auto p = std::make_shared<ScGdmSpec>();
            p->momentum = s.get_double("momentum", 0.0, 0.0, 0.999999);
            p->weight_decay = s.get_double("weight_decay", 0.0, 0.0, 1.0);
            p->step = s.get_double("step", p->step, 1e-12, 1.0);
            // SC-GDC (momentum 0) steps per sample on Linear layers, as the hardware does;
            // SC-GDM keeps its momentum buffer per batch.
            p->per_sample = s.get_choice<bool>("steps", p->momentum == 0.0,
                                               {{"per_sample", true}, {"per_batch", false}});
            if (p->per_sample && p->momentum != 0.0)
              s.fail("steps", "per_sample is SC-GDC only (momentum 0); with momentum use per_batch");
            return p;
          });
  }
  auto& r = schedule_registry();
  if (!r.names().empty()) return;
  r.add("constant", "constant learning rate",
        [](config::Section&) -> std::shared_ptr<const ScheduleOptions> {
          return std::make_shared<ConstantSchedule>();
        });
  r.add("step", "multiply by gamma every step_epochs",
        [](config::Section& s) -> std::shared_ptr<const ScheduleOptions> {
          auto p = std::make_shared<StepSchedule>();
          p->step_epochs = s.get_double("step_epochs", p->step_epochs, 1e-6, 1e9);
          p->gamma = s.get_double("gamma", p->gamma, 0.0, 1.0);
          return p;
        });
  r.add("exponential", "multiply by gamma per epoch, or decay to final_lr over the phase",
        [](config::Section& s) -> std::shared_ptr<const ScheduleOptions> {
          auto p = std::make_shared<ExponentialSchedule>();
          p->gamma = s.get_double("gamma", p->gamma, 0.0, 1.0);
          p->final_lr = s.get_double("final_lr", 0.0, 0.0, 1e6);
          return p;
        });
  r.add("cosine", "cosine decay to min_lr",
        [](config::Section& s) -> std::shared_ptr<const ScheduleOptions> {
          auto p = std::make_shared<CosineSchedule>();
          p->min_lr = s.get_double("min_lr", 0.0, 0.0, 1e6);
          return p;
        });
  r.add("poly", "polynomial decay (power) to min_lr (rex-sc PolynomialWarmup)",
        [](config::Section& s) -> std::shared_ptr<const ScheduleOptions> {
          auto p = std::make_shared<PolySchedule>();
          p->power = s.get_double("power", p->power, 0.0, 100.0);
          p->min_lr = s.get_double("min_lr", 0.0, 0.0, 1e6);
          return p;
        });
}

}  // namespace ax::train
