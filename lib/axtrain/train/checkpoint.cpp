#include "axtrain/train/checkpoint.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"
#include "axtrain/train/safetensors.h"

namespace ax::train {

namespace {
bool is_hw(const std::string& name) {
  return name.find(".hw.") != std::string::npos || name.rfind("hw.", 0) == 0;
}
}  // namespace

void save_model(torch::nn::Module& model, torch::serialize::OutputArchive& archive) {
  for (const auto& p : model.named_parameters()) archive.write("p:" + p.key(), p.value().detach().cpu());
  for (const auto& b : model.named_buffers()) archive.write("b:" + b.key(), b.value().detach().cpu());
}

void load_model(torch::nn::Module& model, torch::serialize::InputArchive& archive,
                const std::string& file) {
  torch::NoGradGuard guard;
  auto restore = [&](const std::string& key, torch::Tensor& dst, bool required) {
    torch::Tensor t;
    if (!archive.try_read(key, t)) {
      if (required)
        throw DataError(fmt::format("{}: checkpoint has no tensor '{}' (different model?)", file, key.substr(2)));
      return;
    }
    if (t.sizes() != dst.sizes()) {
      if (!required) return;
      throw DataError(fmt::format("{}: tensor '{}' has shape {} in the checkpoint but {} in the model",
                                  file, key.substr(2), fmt::join(t.sizes(), "x"), fmt::join(dst.sizes(), "x")));
    }
    dst.copy_(t);
  };
  for (auto& p : model.named_parameters()) restore("p:" + p.key(), p.value(), true);
  for (auto& b : model.named_buffers()) restore("b:" + b.key(), b.value(), !is_hw(b.key()));
}

void load_model_file(torch::nn::Module& model, const std::string& file) {
  if (!file_exists(file)) throw DataError(fmt::format("{}: checkpoint file not found", file));
  const std::string ext = ".safetensors";
  if (file.size() > ext.size() && file.compare(file.size() - ext.size(), ext.size(), ext) == 0) {
    load_model_safetensors(model, file);
    return;
  }
  torch::serialize::InputArchive root;
  try {
    root.load_from(file);
  } catch (const c10::Error& e) {
    throw DataError(fmt::format("{}: not a readable axtrain checkpoint ({})", file, e.what_without_backtrace()));
  }
  torch::serialize::InputArchive m;
  if (!root.try_read("model", m))
    throw DataError(fmt::format("{}: not an axtrain checkpoint (no 'model' entry)", file));
  load_model(model, m, file);
}

}  // namespace ax::train
