#include "axtrain/train/checkpoint.h"

#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"
#include "axtrain/core/sha256.h"
#include "axtrain/train/safetensors.h"

namespace ax::train {

namespace {
bool is_hw(const std::string& name) {
  return name.find(".hw.") != std::string::npos || name.rfind("hw.", 0) == 0;
}
const std::string kMagic = "AXTRAIN-CHECKPOINT 1\n";
constexpr std::size_t kHashHex = 64;
}  // namespace

void save_checkpoint_file(torch::serialize::OutputArchive& archive, const std::string& file) {
  std::ostringstream payload;
  archive.save_to(payload);
  const std::string body = payload.str();
  const std::string head = kMagic + sha256_hex(body) + "\n";
  write_atomic_with(file, [&](const std::string& tmp) {
    std::string all;
    all.reserve(head.size() + body.size());
    all += head;
    all += body;
    write_bytes(tmp, all.data(), all.size());
  });
}

void load_checkpoint_file(torch::serialize::InputArchive& archive, const std::string& file) {
  if (!file_exists(file)) throw DataError(fmt::format("{}: checkpoint file not found", file));
  const std::string bytes = read_file(file);
  const char* data = bytes.data();
  std::size_t size = bytes.size();
  if (bytes.compare(0, kMagic.size(), kMagic) == 0) {
    const std::size_t start = kMagic.size() + kHashHex + 1;
    if (size < start || bytes[start - 1] != '\n')
      throw DataError(fmt::format("{}: checkpoint is truncated (its header is incomplete)", file));
    const std::string want = bytes.substr(kMagic.size(), kHashHex);
    const std::string got = sha256_hex(data + start, size - start);
    if (want != got)
      throw DataError(fmt::format("{}: checkpoint is corrupt: its content has SHA-256 {} but the header says {} "
                                  "(changed or truncated after it was written)", file, got, want));
    data += start;
    size -= start;
  } else if (bytes.compare(0, 2, "PK") != 0) {
    throw DataError(fmt::format("{}: not an axtrain checkpoint (neither a checksummed checkpoint nor a LibTorch "
                                "archive)", file));
  }
  try {
    archive.load_from(data, size);
  } catch (const c10::Error& e) {
    throw DataError(fmt::format("{}: not a readable axtrain checkpoint ({})", file, e.what_without_backtrace()));
  }
}

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
  load_checkpoint_file(root, file);
  torch::serialize::InputArchive m;
  if (!root.try_read("model", m))
    throw DataError(fmt::format("{}: not an axtrain checkpoint (no 'model' entry)", file));
  load_model(model, m, file);
}

}  // namespace ax::train
