#include "axtrain/hw/probe.h"

#include <fmt/format.h>

#include "axtrain/config/section.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"
#include "axtrain/hw/spec.h"

namespace ax::hw {

namespace {

void shape_of(const nlohmann::json& j, std::vector<std::int64_t>& shape, const std::string& file) {
  if (j.is_number()) return;
  if (!j.is_array() || j.empty())
    throw DataError(fmt::format("{}: expected a nested array of numbers, found {}", file,
                                j.is_array() ? "an empty array" : j.type_name()));
  shape.push_back(static_cast<std::int64_t>(j.size()));
  shape_of(j[0], shape, file);
}

void flatten(const nlohmann::json& j, const std::vector<std::int64_t>& shape, std::size_t depth,
             std::vector<float>& out, const std::string& file, const std::string& at) {
  if (depth == shape.size()) {
    if (!j.is_number())
      throw DataError(fmt::format("{}: element {} is {}, expected a number", file, at, j.type_name()));
    out.push_back(j.get<float>());
    return;
  }
  if (!j.is_array() || static_cast<std::int64_t>(j.size()) != shape[depth])
    throw DataError(fmt::format("{}: element {} should be an array of {} entries (the array is not rectangular)",
                                file, at.empty() ? "[]" : at, shape[depth]));
  for (std::size_t i = 0; i < j.size(); ++i) flatten(j[i], shape, depth + 1, out, file, fmt::format("{}[{}]", at, i));
}

template <class T>
nlohmann::json to_json_rec(const T* data, const std::vector<std::int64_t>& shape, std::size_t depth,
                           std::int64_t& pos) {
  if (depth == shape.size()) return nlohmann::json(data[pos++]);
  nlohmann::json a = nlohmann::json::array();
  for (std::int64_t i = 0; i < shape[depth]; ++i) a.push_back(to_json_rec(data, shape, depth + 1, pos));
  return a;
}

}  // namespace

torch::Tensor tensor_from_json(const nlohmann::json& j, const std::string& file) {
  std::vector<std::int64_t> shape;
  shape_of(j, shape, file);
  if (shape.empty()) throw DataError(fmt::format("{}: expected an array, found a single number", file));
  std::vector<float> values;
  flatten(j, shape, 0, values, file, "");
  return torch::tensor(values).reshape(shape);
}

torch::Tensor read_json_tensor(const std::string& file) {
  std::string text = read_file(file);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError(fmt::format("{}: invalid JSON: {}", file, e.what()));
  }
  return tensor_from_json(j, file);
}

nlohmann::json tensor_to_json(const torch::Tensor& t) {
  torch::Tensor c = t.detach().cpu().contiguous();
  std::vector<std::int64_t> shape = c.sizes().vec();
  std::int64_t pos = 0;
  if (c.is_floating_point()) {
    c = c.to(torch::kFloat64);
    return to_json_rec(c.data_ptr<double>(), shape, 0, pos);
  }
  c = c.to(torch::kInt64);
  return to_json_rec(c.data_ptr<std::int64_t>(), shape, 0, pos);
}

nlohmann::json run_probe(const ProbeRequest& r) {
  torch::Tensor x = read_json_tensor(r.input_file), w = read_json_tensor(r.weight_file);
  const bool linear = r.op.kind == MacOp::Kind::Linear;
  const std::int64_t rank = linear ? 2 : 4;
  if (x.dim() != rank)
    throw DataError(fmt::format("{}: the input of {} must be {}, got a {}-d array", r.input_file,
                                linear ? "linear" : "conv2d", linear ? "[batch][in]" : "NCHW", x.dim()));
  if (w.dim() != rank)
    throw DataError(fmt::format("{}: the weight of {} must be {}, got a {}-d array", r.weight_file,
                                linear ? "linear" : "conv2d", linear ? "[out][in]" : "OIHW", w.dim()));
  if (x.size(1) != w.size(1))
    throw DataError(fmt::format("{} and {}: input has {} {} but the weight expects {}", r.input_file, r.weight_file,
                                x.size(1), linear ? "features" : "channels", w.size(1)));
  if (!linear) {
    std::int64_t ho = x.size(2) + 2 * r.op.padding - w.size(2), wo = x.size(3) + 2 * r.op.padding - w.size(3);
    // Checked before the padded input (N·C·(H+2p)·(W+2p) values) is allocated.
    constexpr double kMaxValues = 1 << 26;
    const double padded = static_cast<double>(x.size(0)) * static_cast<double>(x.size(1)) *
                          static_cast<double>(x.size(2) + 2 * r.op.padding) * static_cast<double>(x.size(3) + 2 * r.op.padding);
    const double outputs = static_cast<double>(x.size(0)) * static_cast<double>(w.size(0)) *
                           static_cast<double>(std::max<std::int64_t>(ho + 1, 1)) * static_cast<double>(std::max<std::int64_t>(wo + 1, 1));
    if (padded > kMaxValues || outputs > kMaxValues)
      throw DataError(fmt::format("{}: with padding {} the padded input has {:.0f} values and the output {:.0f}; "
                                  "allowed: at most {:.0f} each (a probe is a few golden vectors)",
                                  r.input_file, r.op.padding, padded, outputs, kMaxValues));
    if (ho < 0 || wo < 0)
      throw DataError(fmt::format("{}: a {}×{} kernel does not fit the {}×{} input with padding {}", r.weight_file,
                                  w.size(2), w.size(3), x.size(2), x.size(3), r.op.padding));
  }

  // The preset, overlaid with forced scales, parsed like a run config's `hardware:`.
  YAML::Node doc, hwnode;
  hwnode["preset"] = r.hardware;
  if (r.input_scale) hwnode["input"]["scale"] = fmt::format("{:.17g}", *r.input_scale);
  if (r.weight_scale) hwnode["weight"]["scale"] = fmt::format("{:.17g}", *r.weight_scale);
  doc["hardware"] = hwnode;
  config::Section root({{doc, "<probe>"}}, "");
  HardwareSpec spec = HardwareSpec::parse_from(root, "<probe>");
  auto hw = spec.base.make(LayerInfo{"probe", 0, r.seed});
  torch::NoGradGuard g;

  nlohmann::json out;
  out["ideal"] = tensor_to_json(r.op.apply(x, w));
  // The layer's draws are keyed by r.seed at step 0: trace and exact see the same randomness.
  IntegerTrace t = hw->trace(x, w, r.op);
  out["exact"] = tensor_to_json(hw->exact(x, w, r.op));
  out["proxy"] = tensor_to_json(hw->proxy(x, w, r.op));
  if (t.input_int.defined() && t.weight_int.defined()) {
    out["quantized"] = tensor_to_json(
        r.op.apply(t.input_int.to(torch::kFloat64) * t.input_scale, t.weight_int.to(torch::kFloat64) * t.weight_scale));
    out["scales"] = {{"input", t.input_scale}, {"weight", t.weight_scale}};
    out["input_int"] = tensor_to_json(t.input_int.to(torch::kInt64));
    out["weight_int"] = tensor_to_json(t.weight_int.to(torch::kInt64));
  } else {
    out["quantized"] = nullptr;  // no integer operands: this hardware does not quantise
    out["scales"] = nullptr;
  }
  if (t.exact_int.defined()) {
    out["exact_int"] = tensor_to_json(t.exact_int.is_floating_point() ? t.exact_int : t.exact_int.to(torch::kInt64));
    out["exact_int_unit"] = t.exact_int_unit;
  }
  out["hardware"] = spec.base.type();
  return out;
}

}  // namespace ax::hw
