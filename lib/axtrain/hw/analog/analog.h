// `analog`: compute-in-memory arrays whose partial sums are read out by low-resolution ADCs
// (Li et al., tinyML'22, §3 "analog"; PAPERS.md §7.5, §10 G-05, G-20, G-21, G-25).
//
// Model: inputs are quantised to `input.bits`-bit unsigned codes a (negative inputs: |x| is
// quantised and routed to the opposite polarity lines), weights to `weight.bits`-bit signed
// symmetric codes w (magnitudes ≤ 2^(bits−1) − 1), split-unipolar W⁺ = max(w, 0), W⁻ = max(−w, 0).
// The dot product of every output element, ordered (c, kh, kw) for convolutions, is cut into
// arrays of `array_size` consecutive elements; each array yields two integer partial sums
// P⁺ = Σ a·W⁺, P⁻ = Σ a·W⁻ (≥ 0), each read by a unipolar ADC:
//   code(P) = min(round_half_even(P · g), 2^adc_bits − 1),  g = (2^adc_bits − 1) / FS
// (adc_bits 0: ideal read-out, code = P). Codes are accumulated digitally:
//   y = Σ_arrays (code⁺ − code⁻) · Δ · s_a · s_w,  Δ = FS / (2^adc_bits − 1)  (1 when ideal).
//
// YAML (every key optional; defaults shown):
//   type: analog
//   input:  {bits: 8, scale: max_abs, signed: false}  # unsigned only (see above); bits 1..24
//   weight: {bits: 8, scale: max_abs, signed: true}   # signed only; bits 2..24
//                               # The integer kernel needs array·(2^bi − 1)·(2^(bw−1) − 1) < 2^31
//                               # (8/8 bits: arrays up to 66 311); wider operands work in `proxy`
//                               # and `ideal` modes only (e.g. for finite-difference checks).
//   adc_bits: 4                 # ADC resolution in bits, 0..16; 0 = ideal (no quantisation).
//                               # Li et al.: 4 for all evaluations.
//   array_size: auto            # elements per array (partial sum) in convolutions; auto = kh·kw,
//                               # i.e. one input channel per array (25 for TinyConv, 9 for 3×3,
//                               # 1 for 1×1), as in Li et al. ("the partial sum of every
//                               # convolution channel is quantized"). Integer 1..65536.
//   linear_array_size: 16       # elements per array in linear layers, 1..65536 (not in the
//                               # paper; G-25: TinyConv's 4×4 FC-as-conv has 16 per channel).
//   full_scale: calibrate       # ADC full scale FS in integer product units (a·w):
//                               #  calibrate = `percentile` of all P⁺ ∪ P⁻ over the first
//                               #    `calibration_batches` training-mode forward passes, then
//                               #    frozen (registered buffer, saved in checkpoints) — G-20;
//                               #  max = the largest possible partial sum array·(2^bi−1)·(2^(bw−1)−1)
//                               #    (e.g. 25·255·127); a number = that FS (> 0).
//   percentile: 99.9            # for full_scale: calibrate, in percent, (0, 100]; nearest rank.
//   sigmas: none                # for full_scale: calibrate instead of a percentile: FS = mean + k·σ
//                               # of all P⁺ ∪ P⁻ (zeros included), k in [0, 1000] (G-20's
//                               # "mean + n·σ" option); not with `percentile`.
//   calibration_batches: 1      # training-mode forward passes that calibrate, 1..1000000.
//   proxy: auto                 # gradient surrogate (Analog_act, G-21), PAPERS.md §7.5's default:
//                               #  auto      = per_array in accurate-model steps (mode exact;
//                               #              also mode proxy, whose forward then models each
//                               #              array's saturation) and summed with the calibrated expected clamp
//                               #              in error-injection steps (mode inject), chosen per
//                               #              forward from the phase's mode;
//                               #  summed    = HardTanh_T(x_pos) − HardTanh_T(x_neg) on the
//                               #              layer's split outputs, clamp T (proxy_clamp);
//                               #  per_array = Σ_arrays [min(P⁺, C) − min(P⁻, C)], i.e. the
//                               #              gradient mask 1{P± ≤ C} per partial sum, C = FS
//                               #              (or proxy_clamp when it is a number).
//   proxy_clamp: auto           # summed: auto = the largest value the quantised sum can reach,
//                               #   T = arrays_per_output · FS (PAPERS.md §7.5 option ii: only
//                               #   outputs whose every array saturates lose their gradient);
//                               #   expected = the calibrated expected saturated sum, T = mean over
//                               #   output elements of Σ_arrays min(P±, FS) (§7.5's suggestion for
//                               #   injection steps; it zeroes the gradient of about half the
//                               #   outputs: from an INT8 model, exact-mode training with it fell
//                               #   from 91% to 70-77% test accuracy on Fashion-MNIST,
//                               #   docs/results.md — hence auto uses it in injection steps only);
//                               # per_array: auto = FS.
//                               # auto: auto = FS in per-array steps, the expected T in injection
//                               #   steps (`expected` means the same for auto).
//                               # none = no clamp (plain fake-quant op); a number = the clamp in
//                               # integer product units (> 0) for either form.
//                               # With adc_bits 0 (no full scale) auto and expected mean none.
#pragma once
#include <cstdint>
#include <limits>

#include "axtrain/config/options.h"
#include "axtrain/hw/hardware.h"
#include "axtrain/hw/quant.h"

namespace ax::hw {

struct AnalogOptions final : HardwareOptions {
  enum class FullScale { Calibrate, Max, Fixed };
  enum class Proxy { Auto, Summed, PerArray };
  enum class Clamp { Auto, Expected, None, Fixed };

  QuantSpec input{8, ScalePolicy::MaxAbs, 0.0, Signedness::Unsigned};
  QuantSpec weight{8, ScalePolicy::MaxAbs, 0.0, Signedness::Signed};
  int adc_bits = 4;
  std::int64_t array_size = 0;  // 0 = auto (kh·kw)
  std::int64_t linear_array_size = 16;
  FullScale full_scale = FullScale::Calibrate;
  double full_scale_value = 0.0;  // FullScale::Fixed
  double percentile = 99.9;
  double sigmas = -1.0;  // < 0: the percentile rule
  std::int64_t calibration_batches = 1;
  Proxy proxy = Proxy::Auto;
  Clamp clamp = Clamp::Auto;
  double clamp_value = 0.0;  // Clamp::Fixed

  // 2^adc_bits − 1 (0 when ideal).
  std::int64_t levels() const { return adc_bits == 0 ? 0 : (std::int64_t{1} << adc_bits) - 1; }
  // True when some range must be measured on data (FS, or T for the summed proxy).
  bool needs_calibration() const {
    if (adc_bits == 0) return false;
    return full_scale == FullScale::Calibrate || (proxy != Proxy::PerArray && clamp == Clamp::Expected) ||
           (proxy == Proxy::Auto && clamp == Clamp::Auto);
  }

  std::string type() const override { return "analog"; }
  void dump(YAML::Node& out) const override;
  std::shared_ptr<LayerHardware> make(const LayerInfo& layer) const override;
  static std::shared_ptr<const HardwareOptions> parse(config::Section& s);
  // The keys, declared once: parse, dump and the docs/hardware/analog.md check come from it.
  static const config::Options<AnalogOptions>& options();
};

}  // namespace ax::hw
