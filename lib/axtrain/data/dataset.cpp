#include "axtrain/data/dataset.h"

#include <fmt/format.h>

#include "axtrain/core/text.h"

namespace ax::data {

const char* part_name(Part p) { return p == Part::Train ? "train" : "test"; }

std::string Dataset::describe() const {
  std::vector<std::string> dims;
  for (auto d : input_shape()) dims.push_back(std::to_string(d));
  return fmt::format("{} train / {} test, {}, {} classes", size(Part::Train), size(Part::Test),
                     join(dims, "x"), num_classes());
}

}  // namespace ax::data
