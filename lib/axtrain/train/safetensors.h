// safetensors files (https://github.com/huggingface/safetensors, format v0): an 8-byte
// little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [b, e]}, ...,
// "__metadata__": {str: str}}, then the raw little-endian tensor bytes (offsets relative to the
// end of the header). A plain, version-independent way to bring weights from PyTorch (e.g.
// torchvision's ResNet-18, scripts/export_torchvision.py) into axtrain without pickle.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

namespace ax::train {

struct NamedTensors {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;  // sorted by name when read
  std::map<std::string, std::string> metadata;
};

// Reads every tensor (dtypes F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL). Any problem
// (truncated file, bad JSON, offsets out of range or overlapping, unknown dtype, size not matching
// the shape) is a DataError naming the file and the tensor.
NamedTensors read_safetensors(const std::string& path);
// Writes the tensors (contiguous CPU copies) atomically.
void write_safetensors(const std::string& path, const NamedTensors& t);

// Copies tensors into the model's parameters and buffers of the same dotted name (torchvision
// names; see models/resnet18.h). Every parameter and every BatchNorm running statistic must be
// present with the same shape; `num_batches_tracked` and hardware buffers are optional; tensors
// the model does not have are an error (a different architecture). Dtypes are converted.
void load_model_safetensors(torch::nn::Module& model, const std::string& path);

}  // namespace ax::train
