// Precompiled header of the axtrain library, its app and its tests (see lib/CMakeLists.txt).
// Only heavy, stable third-party headers belong here, and only those most sources include: the
// narrow LibTorch headers (tensors, modules, autograd), not <torch/torch.h> — its 640 MB image
// cost about 12 s to load in every translation unit, more than it saved in most (measured in
// docs/performance.md, "Build").
#pragma once
#include <torch/autograd.h>
#include <torch/nn/module.h>
#include <torch/types.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>
#include <fmt/format.h>
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
