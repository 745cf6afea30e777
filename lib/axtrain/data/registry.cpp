// One line per dataset type.
#include "axtrain/data/cifar10.h"
#include "axtrain/data/idx.h"
#include "axtrain/data/image_folder.h"
#include "axtrain/data/spec.h"
#include "axtrain/data/synthetic.h"
#include "axtrain/data/tabular.h"

namespace ax::data {

void register_all() {
  auto& r = dataset_registry();
  if (!r.names().empty()) return;
  r.add("fashion_mnist", "Fashion-MNIST IDX files (default: Debian dataset-fashion-mnist)",
        IdxOptions::parser("fashion_mnist", "/usr/share/datasets/fashion-mnist"),
        IdxOptions::keys("fashion_mnist", "/usr/share/datasets/fashion-mnist"));
  r.add("mnist", "MNIST IDX files (default: ${AXTRAIN_DATA:-../shared/data}/mnist)",
        IdxOptions::parser("mnist", "${AXTRAIN_DATA:-../shared/data}/mnist"),
        IdxOptions::keys("mnist", "${AXTRAIN_DATA:-../shared/data}/mnist"));
  r.add("idx", "any IDX image/label set in a directory", IdxOptions::parser("idx", ""),
        IdxOptions::keys("idx", ""));
  r.add("cifar10", "CIFAR-10 binary version (data_batch_1..5.bin, test_batch.bin) in data.path",
        Cifar10Options::parse, Cifar10Options::options().rows());
  r.add("csv", "numeric CSV table, header row, integer label last (UCI sets)",
        TabularOptions::parser(TabularOptions::Format::Csv), TabularOptions::keys(TabularOptions::Format::Csv));
  r.add("arff", "ARFF table: numeric attributes, nominal class attribute last",
        TabularOptions::parser(TabularOptions::Format::Arff), TabularOptions::keys(TabularOptions::Format::Arff));
  r.add("image_folder", "JPEG class-folder trees ROOT/train/<class>/*.jpg and ROOT/val|test",
        ImageFolderOptions::parse, ImageFolderOptions::options().rows());
  r.add("synthetic", "deterministic learnable images or rows of any shape", SyntheticOptions::parse,
        SyntheticOptions::options().rows());
}

}  // namespace ax::data
