// Model weights in checkpoints: every parameter and buffer by its dotted name. Loading is strict
// for parameters and BatchNorm statistics, and lenient for hardware state (".hw." buffers), so a
// model trained on one hardware model can be evaluated on another.
#pragma once
#include <string>

#include <torch/nn/module.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

namespace ax::train {

// Checkpoint files: "AXTRAIN-CHECKPOINT 1\n", the SHA-256 of the payload in hex and "\n", then the
// payload, a LibTorch archive. save writes it atomically and durably (temp file, fsync, rename);
// load verifies the checksum first, so a changed byte anywhere is a DataError naming the file.
// Files of older versions (a bare archive, no checksum) still load.
void save_checkpoint_file(torch::serialize::OutputArchive& archive, const std::string& file);
void load_checkpoint_file(torch::serialize::InputArchive& archive, const std::string& file);

void save_model(torch::nn::Module& model, torch::serialize::OutputArchive& archive);
void load_model(torch::nn::Module& model, torch::serialize::InputArchive& archive,
                const std::string& file);
// Loads just the model from a checkpoint file written by the trainer (init / eval), or from a
// .safetensors file of named tensors (e.g. torchvision weights, train/safetensors.h).
void load_model_file(torch::nn::Module& model, const std::string& file);

}  // namespace ax::train
