#include "axtrain/train/safetensors.h"

#include <cstring>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"

namespace ax::train {

namespace {

struct DtypeName {
  const char* name;
  torch::ScalarType type;
};
constexpr DtypeName kDtypes[] = {{"F64", torch::kFloat64}, {"F32", torch::kFloat32}, {"F16", torch::kFloat16},
                                 {"BF16", torch::kBFloat16}, {"I64", torch::kInt64},  {"I32", torch::kInt32},
                                 {"I16", torch::kInt16},     {"I8", torch::kInt8},    {"U8", torch::kUInt8},
                                 {"BOOL", torch::kBool}};

std::string dtype_name(torch::ScalarType t) {
  for (const auto& d : kDtypes)
    if (d.type == t) return d.name;
  throw DataError(fmt::format("safetensors: dtype {} cannot be stored", c10::toString(t)));
}

std::uint64_t le64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

bool is_optional_buffer(const std::string& name) {
  return name.size() >= 19 && name.compare(name.size() - 19, 19, "num_batches_tracked") == 0;
}
bool is_hw(const std::string& name) {
  return name.find(".hw.") != std::string::npos || name.rfind("hw.", 0) == 0;
}

}  // namespace

NamedTensors read_safetensors(const std::string& path) {
  const std::string bytes = read_file(path);
  auto fail = [&](const std::string& what) { return DataError(fmt::format("{}: not a valid safetensors file: {}", path, what)); };
  if (bytes.size() < 8) throw fail(fmt::format("{} bytes, shorter than the 8-byte header length", bytes.size()));
  const std::uint64_t n = le64(reinterpret_cast<const unsigned char*>(bytes.data()));
  if (n > bytes.size() - 8) throw fail(fmt::format("header length {} exceeds the file ({} bytes)", n, bytes.size()));
  nlohmann::json header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n),
                                                nullptr, false);
  if (header.is_discarded() || !header.is_object()) throw fail("the header is not a JSON object");
  const std::uint64_t data_size = bytes.size() - 8 - n;
  const char* data = bytes.data() + 8 + n;
  NamedTensors out;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) throw fail("__metadata__ is not an object");
      for (const auto& [k, v] : info.items())
        if (v.is_string()) out.metadata[k] = v.get<std::string>();
      continue;
    }
    auto bad = [&](const std::string& what) { return fail(fmt::format("tensor '{}': {}", name, what)); };
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
      throw bad("needs dtype, shape and data_offsets");
    const std::string dt = info["dtype"].is_string() ? info["dtype"].get<std::string>() : "";
    torch::ScalarType type = torch::kFloat32;
    bool known = false;
    for (const auto& d : kDtypes)
      if (dt == d.name) type = d.type, known = true;
    if (!known) throw bad(fmt::format("unsupported dtype '{}'", dt));
    std::vector<std::int64_t> shape;
    std::uint64_t count = 1;
    for (const auto& s : info["shape"]) {
      if (!s.is_number_unsigned()) throw bad("shape entries must be non-negative integers");
      shape.push_back(s.get<std::int64_t>());
      count *= s.get<std::uint64_t>();
    }
    const auto& off = info["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw bad("data_offsets must be [begin, end]");
    const std::uint64_t b = off[0], e = off[1];
    if (b > e || e > data_size) throw bad(fmt::format("data_offsets [{}, {}] outside the {} data bytes", b, e, data_size));
    const std::uint64_t need = count * c10::elementSize(type);
    if (e - b != need) throw bad(fmt::format("{} bytes for shape [{}] of {} (needs {})", e - b, fmt::join(shape, ", "), dt, need));
    ranges.emplace_back(b, e);
    torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(type));
    if (need) std::memcpy(t.data_ptr(), data + b, need);
    out.tensors.emplace_back(name, t);
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) throw fail("tensor data ranges overlap");
  return out;
}

void write_safetensors(const std::string& path, const NamedTensors& t) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, tensor] : t.tensors) {
    torch::Tensor c = tensor.detach().to(torch::kCPU).contiguous();
    const std::size_t nbytes = static_cast<std::size_t>(c.numel()) * c.element_size();
    header[name] = {{"dtype", dtype_name(c.scalar_type())},
                    {"shape", c.sizes().vec()},
                    {"data_offsets", {data.size(), data.size() + nbytes}}};
    data.append(static_cast<const char*>(c.data_ptr()), nbytes);
  }
  if (!t.metadata.empty()) header["__metadata__"] = t.metadata;
  std::string h = header.dump();
  while ((8 + h.size()) % 8) h += ' ';  // the format pads the header so the data is 8-byte aligned
  std::string out(8, '\0');
  std::uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  out += h;
  out += data;
  write_file_atomic(path, out);
}

void load_model_safetensors(torch::nn::Module& model, const std::string& path) {
  NamedTensors file = read_safetensors(path);
  std::map<std::string, torch::Tensor> by_name(file.tensors.begin(), file.tensors.end());
  std::set<std::string> used;
  torch::NoGradGuard guard;
  auto restore = [&](const std::string& name, torch::Tensor& dst, bool required) {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      if (required) throw DataError(fmt::format("{}: has no tensor '{}' (a different model?)", path, name));
      return;
    }
    used.insert(name);
    if (it->second.sizes() != dst.sizes())
      throw DataError(fmt::format("{}: tensor '{}' has shape [{}] in the file but [{}] in the model", path, name,
                                  fmt::join(it->second.sizes(), ", "), fmt::join(dst.sizes(), ", ")));
    dst.copy_(it->second.to(dst.scalar_type()));
  };
  for (auto& p : model.named_parameters()) restore(p.key(), p.value(), true);
  for (auto& b : model.named_buffers()) restore(b.key(), b.value(), !is_optional_buffer(b.key()) && !is_hw(b.key()));
  std::vector<std::string> extra;
  for (const auto& [name, tensor] : file.tensors)
    if (!used.count(name)) extra.push_back(name);
  if (!extra.empty())
    throw DataError(fmt::format("{}: {} tensor(s) the model does not have (a different model?), e.g. '{}'", path,
                                extra.size(), extra.front()));
}

}  // namespace ax::train
