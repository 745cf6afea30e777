// One line per model architecture.
#include "axtrain/models/mlp.h"
#include "axtrain/models/model.h"
#include "axtrain/models/tinyconv.h"

namespace ax::models {

void register_all() {
  auto& r = model_registry();
  if (!r.names().empty()) return;
  r.add("mlp", "fully connected network; hidden sizes from `hidden`", MlpOptions::parse);
  r.add("tinyconv", "TinyConv: 3 conv(5x5) + conv classifier, CMSIS-NN/Li et al. (PAPERS §8.1)",
        plain_parser<TinyConv>("tinyconv", Activation::HardTanh01));
}

}  // namespace ax::models
