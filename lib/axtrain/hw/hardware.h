// The hardware-model contract: how one layer's multiply-accumulate runs on approximate hardware.
//
// A hardware type (ideal, fixed_point, sc, approx_mul, analog, ...) is one folder under hw/ and one
// line in hw/registry.cpp. Its YAML mapping is parsed once into an immutable HardwareOptions;
// attach_hardware() then makes one LayerHardware per Linear/Conv2d layer (per-layer state such as
// calibrated ADC ranges or error models lives in that instance, in registered buffers, so
// .to(device) and checkpoints carry it).
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <yaml-cpp/yaml.h>

#include "axtrain/core/random.h"
#include "axtrain/core/registry.h"
#include "axtrain/hw/mac_op.h"
#include "axtrain/hw/quant.h"
#include "axtrain/inject/error_model.h"

namespace ax::config {
class Section;
}

namespace ax::hw {

// What a hardware instance knows about the layer it is attached to.
struct LayerInfo {
  std::string name;       // e.g. "layer1.0.conv1"
  std::int64_t index = 0; // position among the model's MAC layers
  std::uint64_t seed = 0; // derived from the run seed and the layer name: the key of its draws
};

// Storage faults on weights (e.g. near-threshold SRAM bit flips), composed with any arithmetic.
class WeightStorage : public torch::nn::Module {
 public:
  // The weight as read from storage for one forward pass (gradient passes straight through);
  // random faults come from `draws` (core/random.h).
  virtual torch::Tensor read(const torch::Tensor& w, const rng::Stream& draws) = 0;
  virtual nlohmann::json stats() const { return nlohmann::json::object(); }
  virtual void reset_stats() {}
};

// The integer view of one accurate evaluation (for `axtrain probe` and bit-exact tests): the
// operands as the hardware sees them and the integer accumulator before scaling.
struct IntegerTrace {
  double input_scale = 1.0, weight_scale = 1.0;  // value = operand_int · scale
  torch::Tensor input_int, weight_int;           // integral values (any dtype)
  torch::Tensor exact_int;                       // undefined when the output is not an integer count
  std::string exact_int_unit;                    // e.g. "product sum", "ADC levels", "stream counts"
};

class LayerHardware : public torch::nn::Module {
 public:
  // Output (without bias) of the op for input x and weight w in the given mode. The default
  // implements the mode contract on top of proxy() and exact().
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op,
                                Mode mode);
  // Differentiable surrogate used for gradients (the activation proxy). Default: the float op.
  virtual torch::Tensor proxy(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op);
  // Accurate emulation, in the inputs' units; called without autograd. Default: the float op.
  virtual torch::Tensor exact(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op);
  // Integer operands and accumulator of exact(); hardware without an integer model returns a
  // trace with undefined tensors.
  virtual IntegerTrace trace(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op);
  // Fast-training forward (mode inject): proxy + the error model's sampled error (type 1, per
  // polarity where proxy_polarities() gives them), or
  // reference() + sampled error with the reference's or the proxy's gradient (type 2, per the
  // error model's gradient()). Without an error model: proxy.
  virtual torch::Tensor inject(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op);
  // The cheap base that a type-2 (Gaussian) error model corrects. Default: the float op.
  virtual torch::Tensor reference(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op);
  // Type-1 injection per polarity (PAPERS.md §7.6, inject/error_model.h): the proxy's u⁺, u⁻
  // (differentiable; scale · (u⁺ − u⁻) = proxy()) and the accurate model's r⁺, r⁻ (no gradient;
  // scale · (r⁺ − r⁻) = exact() up to rounding). Default: none (the error model then fits the
  // net output).
  virtual std::optional<inject::Polarities> proxy_polarities(const torch::Tensor& x, const torch::Tensor& w,
                                                             const MacOp& op);
  virtual std::optional<inject::Polarities> exact_polarities(const torch::Tensor& x, const torch::Tensor& w,
                                                             const MacOp& op);
  // The error model this hardware calls for (type 1 polynomial by default; analog: Gaussian).
  virtual inject::Kind default_error_kind() const { return inject::Kind::Polynomial; }

  void set_error_model(std::shared_ptr<inject::ErrorModel> m);
  inject::ErrorModel* error_model() const { return error_model_.get(); }
  // When set, the next inject-mode forward is a calibration: it computes exact() and the base on
  // the same input, fits the error model, and returns the exact value (proxy gradient). The
  // record (for the calibration log) is then in last_calibration().
  void request_calibration(bool on) { calibrate_next_ = on; }
  const nlohmann::json& last_calibration() const { return last_calibration_; }
  void clear_calibration_record() { last_calibration_ = nullptr; }

  // Gradient checkpointing of the added point-wise nodes (Li et al. §3.4, PAPERS.md §7.9): when on
  // (the default), proxies keep only the inputs of their point-wise part and recompute it in
  // backward; off = ordinary autograd ops that keep their intermediates (for comparison).
  void set_checkpointing(bool on) { checkpointing_ = on; }
  bool checkpointing() const { return checkpointing_; }

  // The gradient of exact-mode forwards (mac_op.h); the trainer sets it per phase.
  void set_exact_gradient(ExactGradient g) { exact_gradient_ = g; }
  ExactGradient exact_gradient() const { return exact_gradient_; }

  // Randomness passed in (issue 15 part 4): every draw of this layer (injected noise, bit flips,
  // random phases) comes from a counter-based stream keyed by (run seed, layer) — the key,
  // LayerInfo::seed, set once by LayerHwSpec::make — with the counter's high half the step the
  // caller names here (training step, evaluation batch; layers::set_step). Draws of one step are
  // the same however often the layer runs (a calibration forward, a recomputation), and do not
  // depend on other layers, threads or evaluation order.
  void set_draw_key(std::uint64_t key) { draw_key_ = key; }
  void set_step(std::uint64_t step) { step_ = step; }
  std::uint64_t step() const { return step_; }
  // The layer's stream at the current step, and the sub-stream of one kind of draw.
  rng::Stream draws() const { return rng::Stream{draw_key_, step_}; }
  rng::Stream draws(rng::Draw d) const { return draws().sub(d); }

  // The weight as the arithmetic sees it: storage faults applied when storage is attached.
  torch::Tensor read_weight(const torch::Tensor& w, Mode mode);
  void set_storage(std::shared_ptr<WeightStorage> storage);
  WeightStorage* storage() const { return storage_.get(); }

  // Static input scale (QuantSpec policy `calibrate`, quant.h; PAPERS.md G-05): the range of
  // this layer's inputs over its first `batches` training-mode forwards in a hardware mode (not
  // ideal), then frozen, in registered buffers (input_max_abs, input_min, input_batches) so
  // checkpoints and resumes keep it. A model calls it in its constructor when its input spec
  // calibrates.
  void calibrate_inputs(std::int64_t batches);
  // The range seen so far (after ≥ 1 batch), else none: callers then use the tensor's own.
  std::optional<CalibratedRange> input_range() const;
  // choose_quant (quant.h) of input x under spec, with this layer's calibrated range when it has one.
  QuantParams input_quant(const torch::Tensor& x, const QuantSpec& spec, bool allow_signed = true) const;
  // Training-mode forwards still needed to finish calibrating (inputs; analog adds its ADC full
  // scale). `axtrain eval` runs that many training batches through the network first.
  virtual std::int64_t calibration_batches_left() const;

  // Per-layer statistics for metrics (e.g. saturation rates); merged with the storage's.
  virtual nlohmann::json stats() const;
  // Starts new statistics (the trainer calls it after every epoch); overrides call the base.
  virtual void reset_stats();

 protected:
  // Records x's range while calibrating (training mode, a hardware mode, batches left); forward()
  // calls it once per pass, before any arithmetic.
  void observe_input(const torch::Tensor& x, Mode mode);

 private:
  torch::Tensor calibrate(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op);
  std::int64_t input_calibration_ = 0;             // batches to calibrate; 0 = not calibrating
  torch::Tensor input_max_abs_, input_min_, input_batches_;
  // What carries the gradient of an exact-mode forward, per exact_gradient_.
  torch::Tensor exact_gradient_path(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op);

  std::shared_ptr<WeightStorage> storage_;
  std::shared_ptr<inject::ErrorModel> error_model_;
  bool calibrate_next_ = false;
  std::uint64_t draw_key_ = 0, step_ = 0;
  bool checkpointing_ = true;
  ExactGradient exact_gradient_ = ExactGradient::Proxy;
  nlohmann::json last_calibration_;
};

// How the power model (eval/power.h) prices one layer's work: the key of the multiplier whose
// per-product energy applies, the accurate multiplier of the same width it replaces, and the
// weight storage (bits per weight; NTV: the bit-flip rate, which selects the supply voltage).
struct CostKeys {
  std::string multiplier = "ideal";
  std::string reference = "ideal";
  int weight_bits = 32;
  double flip_rate = 0.0;  // 0 = storage at nominal voltage
};

// Parsed, validated options of one hardware type.
struct HardwareOptions {
  virtual ~HardwareOptions() = default;
  virtual std::string type() const = 0;
  // Writes the resolved type-specific keys (not `type`) into out.
  virtual void dump(YAML::Node& out) const = 0;
  virtual std::shared_ptr<LayerHardware> make(const LayerInfo& layer) const = 0;
  // Default: the type name prices both the products and the reference (ideal: float32).
  virtual void describe_cost(CostKeys& k) const { k.multiplier = k.reference = type(); }
};

struct StorageOptions {
  virtual ~StorageOptions() = default;
  virtual std::string type() const = 0;
  virtual void dump(YAML::Node& out) const = 0;
  virtual void describe_cost(CostKeys& k) const {}
  virtual std::shared_ptr<WeightStorage> make(const LayerInfo& layer) const = 0;
};

// A parser reads the type-specific keys of a Section (the `type` key is already read).
using HardwareParser = std::function<std::shared_ptr<const HardwareOptions>(config::Section&)>;
using StorageParser = std::function<std::shared_ptr<const StorageOptions>(config::Section&)>;

Registry<HardwareParser>& hardware_registry();
Registry<StorageParser>& storage_registry();
// Fills both registries (idempotent). Defined in hw/registry.cpp: one line per hardware type.
void register_all();

}  // namespace ax::hw
