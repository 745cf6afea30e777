// `axtrain probe`: evaluate one layer's hardware on operands given as JSON, and report every view
// of the computation (float, quantised, accurate emulation, proxy, integer operands/accumulator).
// Generic over LayerHardware: works for every registered hardware model.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "axtrain/hw/mac_op.h"

namespace ax::hw {

struct ProbeRequest {
  std::string hardware;     // preset file with a top-level `hardware:` mapping
  std::string input_file;   // JSON nested array: [batch][in] (linear) or NCHW (conv2d)
  std::string weight_file;  // JSON nested array: [out][in] or OIHW
  MacOp op;                 // kind, stride, padding (dilation 1, groups 1)
  std::uint64_t seed = 1;   // torch seed before each stochastic evaluation
  std::optional<double> input_scale, weight_scale;  // overlay `input.scale` / `weight.scale`
};

// A nested JSON array of numbers as a float32 tensor; DataError naming `file` when the JSON is
// not a rectangular array of numbers.
torch::Tensor tensor_from_json(const nlohmann::json& j, const std::string& file);
torch::Tensor read_json_tensor(const std::string& file);
// Nested arrays; integral dtypes as JSON integers.
nlohmann::json tensor_to_json(const torch::Tensor& t);

// {ideal, quantized, exact, proxy, scales: {input, weight}, input_int, weight_int, exact_int,
//  exact_int_unit}; the integer fields only when the hardware has an integer trace.
nlohmann::json run_probe(const ProbeRequest& r);

}  // namespace ax::hw
