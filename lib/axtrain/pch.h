// Precompiled header of the axtrain library, its app and its tests (see lib/CMakeLists.txt).
// Only heavy, stable third-party headers belong here.
#pragma once
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>
#include <fmt/format.h>
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
