// The per-layer hardware of the `analog` model (options and the model: analog.h).
//
// State (registered buffers, so checkpoints and .to(device) carry them):
//   full_scale          ADC full scale FS in integer product units (NaN until calibrated)
//   proxy_clamp         clamp of the configured proxy in integer product units (NaN until
//                       calibrated): T of the summed form; for proxy: auto the T of its
//                       injection steps (its per-array steps clamp at full_scale)
//   calibrated_batches  training-mode forward passes calibrated so far (frozen at
//                       calibration_batches)
// Calibration runs the integer kernel once more on a calibration batch to histogram every P⁺, P⁻
// (bin width 1 up to 2^20 bins, coarser above); FS = nearest-rank `percentile` of the histogram
// accumulated over the calibration batches, T = arrays_per_output · mean(min(P, FS)), which equals
// the mean over output elements and both polarities of Σ_arrays min(P±, FS) (§7.5). A layer that
// was never calibrated and runs in eval mode measures FS and T on the current batch without
// storing them.
#pragma once
#include <utility>
#include <vector>

#include "axtrain/hw/analog/analog.h"
#include "axtrain/hw/mac/weight_cache.h"

namespace ax::hw {

class AnalogHardware final : public LayerHardware {
 public:
  explicit AnalogHardware(AnalogOptions o);
  std::int64_t calibration_batches_left() const override;

  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op,
                        Mode mode) override;
  torch::Tensor proxy(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) override;
  torch::Tensor exact(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) override;
  IntegerTrace trace(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) override;
  nlohmann::json stats() const override;
  void reset_stats() override;
  // Error injection type 2 (PAPERS.md §7.7): the reference plus one Gaussian per layer.
  inject::Kind default_error_kind() const override { return inject::Kind::Gaussian; }
  // The op on the quantised operands (the codes of exact(), straight-through gradient): what the
  // chip computes without its ADCs, so the Gaussian models only the partial-sum quantisation.
  torch::Tensor reference(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op) override;

  const AnalogOptions& options() const { return o_; }

 private:
  struct Operands {
    torch::Tensor xc, wc;  // int32 codes (xc signed: the magnitude's sign marks a negative input)
    double sa = 1, sw = 1; // scales
    std::int64_t max_x = 0, max_w = 0;
  };
  struct Range {
    double fs;     // ADC full scale, integer units (inf when ideal)
    double clamp;  // proxy clamp, integer units (inf = none)
  };

  Operands quantise(const torch::Tensor& x, const torch::Tensor& w) const;
  // x and w with the values of their codes and a straight-through gradient.
  static std::pair<torch::Tensor, torch::Tensor> straight_through(const torch::Tensor& x, const torch::Tensor& w,
                                                                  const Operands& q);
  std::int64_t array_size(const MacOp& op, const torch::Tensor& w) const;
  // The largest partial sum; throws ConfigError when it does not fit the int32 kernel.
  std::int64_t check_kernel_range(std::int64_t A, const Operands& q) const;
  // FS and T for this call: stored, freshly calibrated (training), or measured on the batch.
  Range range(const Operands& q, const MacOp& op);
  void accumulate_histogram(const Operands& q, const MacOp& op, std::vector<std::int64_t>& hist,
                            std::int64_t& width) const;
  Range range_from_histogram(const Operands& q, const MacOp& op,
                             const std::vector<std::int64_t>& hist, std::int64_t width) const;
  Range configured_range(const Operands& q, const MacOp& op) const;
  struct Run {
    torch::Tensor acc;
    double step;  // product units per ADC level
    Operands q;
  };
  Run run(const torch::Tensor& x, const torch::Tensor& w, const MacOp& op);

  AnalogOptions o_;
  torch::Tensor full_scale_, proxy_clamp_, calibrated_;
  std::vector<std::int64_t> hist_;  // calibration histogram (freed once frozen)
  std::int64_t hist_width_ = 0;
  mac::WeightCache cache_;  // packed array weights, reused while the weight codes are unchanged
  bool in_forward_ = false, calibrated_this_forward_ = false;
  Mode call_mode_ = Mode::Exact;  // the mode of the forward() in progress (proxy: auto)
  std::int64_t partial_sums_ = 0, saturated_ = 0;  // since reset_stats()
};

}  // namespace ax::hw
