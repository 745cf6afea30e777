// An operand's quantiser (QuantSpec, quant.h) as one key of a hardware type's declaration
// (config/options.h): `key: {bits, scale, signed, calibration_batches}` read by QuantSpec::parse —
// its defaults the field's current value, or `defaults(v)` when they depend on other keys — then
// `rule` (which may fail the operand's section), and written back by QuantSpec::dump.
//   config::Options<O>("hardware (x)").with(operand_key<O>("input", &O::input, 24, true, row))
#pragma once
#include <functional>
#include <string>

#include "axtrain/config/options.h"
#include "axtrain/hw/quant.h"

namespace ax::hw {

template <class T>
std::function<void(config::Options<T>&)> operand_key(
    std::string key, QuantSpec T::*member, int max_bits, bool activation, config::OptionRow row,
    std::function<void(config::Section&, const T&, const QuantSpec&)> rule = {},
    std::function<QuantSpec(const T&)> defaults = {}) {
  return [=](config::Options<T>& o) {
    o.custom(
        key,
        [=](config::Section& s, T& v) {
          config::Section q = s.section(key);
          v.*member = QuantSpec::parse(q, defaults ? defaults(v) : v.*member, max_bits, activation);
          if (rule) rule(q, v, v.*member);
          q.finish();
        },
        [=](const T& v, YAML::Node& n) {
          YAML::Node q;
          (v.*member).dump(q);
          n[key] = q;
        },
        {row});
  };
}

}  // namespace ax::hw
