// One line per model architecture: its parser and its own keys ({} = none beyond model's common keys).
#include "axtrain/models/lenet5.h"
#include "axtrain/models/mlp.h"
#include "axtrain/models/mobilenetv2.h"
#include "axtrain/models/model.h"
#include "axtrain/models/resnet18.h"
#include "axtrain/models/resnet_tiny.h"
#include "axtrain/models/tinyconv.h"
#include "axtrain/models/vgg16.h"

namespace ax::models {

void register_all() {
  auto& r = model_registry();
  if (!r.names().empty()) return;
  r.add("mlp", "fully connected network; hidden sizes from `hidden`", MlpOptions::parse, MlpOptions::options().rows());
  r.add("lenet5", "LeNet-5 (6-16-120-84), AxTrain's MNIST-CNN; `pool: avg|max` (PAPERS §8.4)",
        LeNet5Options::parse, LeNet5Options::options().rows());
  r.add("tinyconv", "TinyConv: 3 conv(5x5) + conv classifier, CMSIS-NN/Li et al. (PAPERS §8.1)",
        plain_parser<TinyConv>("tinyconv", Activation::HardTanh01), {});
  r.add("resnet_tiny", "MLPerf Tiny ResNet-8; `filters: [16, 32, 64]` (PAPERS §8.2)", ResNetTinyOptions::parse,
        ResNetTinyOptions::options().rows());
  r.add("resnet18", "ResNet-18, torchvision names; `stem: auto|imagenet|cifar` (PAPERS §8.3)",
        ResNet18Options::parse, ResNet18Options::options().rows());
  r.add("vgg16", "VGG16 with BN, kuangliu CIFAR layout (PAPERS §8.6)", plain_parser<Vgg16>("vgg16"), {});
  r.add("mobilenetv2", "MobileNetV2, kuangliu CIFAR layout, global pool (PAPERS §8.7)",
        plain_parser<MobileNetV2>("mobilenetv2"), {});
}

}  // namespace ax::models
