#include "axtrain/hw/ntv/ntv.h"

#include <limits>

#include <torch/autograd.h>

#include "axtrain/config/section.h"
#include "axtrain/hw/ntv/flips.h"

namespace ax::hw {

namespace {
using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// Forward: the weight as read; backward: straight through (plain) or grad · 1{|grad| < 1}.
struct StoredReadFn : torch::autograd::Function<StoredReadFn> {
  static Tensor forward(AutogradContext* ctx, const Tensor& w, const Tensor& read, bool clipped) {
    ctx->saved_data["clipped"] = clipped;
    return read.clone();
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list g) {
    Tensor gw = g[0];
    if (ctx->saved_data["clipped"].toBool()) gw = gw * (gw.abs() < 1.0).to(gw.scalar_type());
    return {gw, Tensor(), Tensor()};
  }
};

class NtvStorage final : public WeightStorage {
 public:
  explicit NtvStorage(NtvStorageOptions o) : o_(std::move(o)) {}

  Tensor read(const Tensor& w, const rng::Stream& draws) override {
    const bool flip = o_.flip_rate > 0 &&
                      (o_.flip_in == NtvStorageOptions::FlipIn::TrainAndEval || !is_training());
    Tensor wd = w.detach().to(torch::kCPU);
    const int frac = o_.auto_integer_bits
                         ? ntv::fraction_bits(wd.numel() ? wd.abs().max().item<double>() : 0.0, o_.word_bits)
                         : o_.word_bits - 1 - o_.integer_bits;
    ntv::ReadResult r = ntv::read(wd, o_.word_bits, frac, flip ? o_.flip_rate : 0.0, draws);
    reads_ += 1;
    flips_ += r.flips;
    bits_ += wd.numel() * o_.word_bits;
    return StoredReadFn::apply(w, r.value.to(w.device()), o_.ste == NtvStorageOptions::Ste::Clipped);
  }

  nlohmann::json stats() const override {
    nlohmann::json j = nlohmann::json::object();
    if (reads_ == 0) return j;
    j["reads"] = reads_;
    j["flips_per_read"] = static_cast<double>(flips_) / static_cast<double>(reads_);
    j["flip_fraction"] = static_cast<double>(flips_) / static_cast<double>(bits_);
    return j;
  }
  void reset_stats() override { reads_ = flips_ = bits_ = 0; }

 private:
  NtvStorageOptions o_;
  std::int64_t reads_ = 0, flips_ = 0, bits_ = 0;
};

// Ideal float arithmetic; the storage is attached by NtvOptions::make.
class NtvHardware final : public LayerHardware {};
}  // namespace

const config::Options<NtvStorageOptions>& NtvStorageOptions::options() {
  using O = NtvStorageOptions;
  static const config::Options<O> opts =
      config::Options<O>("storage (ntv)")
          .number("flip_rate", [](O& o) -> double& { return o.flip_rate; }, 0.0, 1.0,
                  "probability that a stored bit reads flipped")
          .integer("word_bits", [](O& o) -> int& { return o.word_bits; }, 2, 32, "bits per stored word, sign included")
          .custom(
              "integer_bits",
              [](config::Section& s, O& o) {
                if (s.has("integer_bits") && s.raw("integer_bits").Scalar() != "auto") {
                  o.auto_integer_bits = false;
                  o.integer_bits = static_cast<int>(s.require_int("integer_bits", -64, 31));
                  if (o.integer_bits > o.word_bits - 1)
                    s.fail("integer_bits", "must be at most word_bits − 1 (the sign bit takes one bit)");
                } else {
                  s.mark("integer_bits");
                }
              },
              [](const O& o, YAML::Node& n) {
                if (o.auto_integer_bits) n["integer_bits"] = "auto";
                else n["integer_bits"] = o.integer_bits;
              },
              {config::OptionRow{"integer_bits", "auto | int", "-64..31", "auto",
                                 "I, the word covers [−2^I, 2^I); auto per read"}})
          .choice<FlipIn>("flip_in", [](O& o) -> FlipIn& { return o.flip_in; },
                          {{"train_and_eval", FlipIn::TrainAndEval}, {"eval_only", FlipIn::EvalOnly}},
                          "when reads flip bits")
          .choice<Ste>("ste", [](O& o) -> Ste& { return o.ste; }, {{"plain", Ste::Plain}, {"clipped", Ste::Clipped}},
                       "gradient to the stored weight");
  return opts;
}

void NtvStorageOptions::dump(YAML::Node& out) const { options().dump(*this, out); }

std::shared_ptr<WeightStorage> NtvStorageOptions::make(const LayerInfo&) const {
  return std::make_shared<NtvStorage>(*this);
}

void NtvStorageOptions::parse_into(config::Section& s, NtvStorageOptions& o) { options().parse(s, o); }

std::shared_ptr<const StorageOptions> NtvStorageOptions::parse(config::Section& s) {
  auto o = std::make_shared<NtvStorageOptions>();
  parse_into(s, *o);
  return o;
}

std::shared_ptr<LayerHardware> NtvOptions::make(const LayerInfo& layer) const {
  auto hw = std::make_shared<NtvHardware>();
  hw->set_storage(storage.make(layer));
  return hw;
}

std::shared_ptr<const HardwareOptions> NtvOptions::parse(config::Section& s) {
  if (s.has("storage"))
    s.fail("storage", "type ntv is ideal arithmetic with ntv storage already; to combine ntv storage "
                      "with other arithmetic write e.g. {type: fixed_point, storage: {type: ntv}}");
  auto o = std::make_shared<NtvOptions>();
  NtvStorageOptions::parse_into(s, o->storage);
  return o;
}

}  // namespace ax::hw
