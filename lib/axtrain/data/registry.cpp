// One line per dataset type.
#include "axtrain/data/idx.h"
#include "axtrain/data/spec.h"
#include "axtrain/data/synthetic.h"

namespace ax::data {

void register_all() {
  auto& r = dataset_registry();
  if (!r.names().empty()) return;
  r.add("fashion_mnist", "Fashion-MNIST IDX files (default: Debian dataset-fashion-mnist)",
        IdxOptions::parser("fashion_mnist", "/usr/share/datasets/fashion-mnist"));
  r.add("mnist", "MNIST IDX files (default: ${AXTRAIN_DATA:-../shared/data}/mnist)",
        IdxOptions::parser("mnist", "${AXTRAIN_DATA:-../shared/data}/mnist"));
  r.add("idx", "any IDX image/label set in a directory", IdxOptions::parser("idx", ""));
  r.add("synthetic", "deterministic learnable images or rows of any shape", SyntheticOptions::parse);
}

}  // namespace ax::data
