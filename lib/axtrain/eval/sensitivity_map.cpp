#include "axtrain/eval/sensitivity_map.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "axtrain/core/files.h"
#include "axtrain/core/png.h"
#include "axtrain/layers/attach.h"
#include "axtrain/train/sensitivity.h"

namespace ax::eval {

SensitivityResult sensitivity_of(train::TrainedModel& t, std::int64_t max_examples) {
  SensitivityResult r;
  auto layers = layers::mac_layers(*t.model);
  std::vector<torch::Tensor> ws;
  for (const auto& l : layers) {
    ws.push_back(l.layer->weight);
    r.layers.push_back({l.name, torch::zeros(l.layer->weight.sizes(), torch::kFloat64), 0.0});
  }
  t.model->eval();
  std::int64_t n = t.data->size(data::Part::Test);
  if (max_examples > 0) n = std::min(n, max_examples);
  const std::int64_t bs = t.options.test_batch_size;
  std::mt19937_64 unused(0);
  for (std::int64_t start = 0; start < n; start += bs) {
    std::vector<std::int64_t> idx(static_cast<std::size_t>(std::min(bs, n - start)));
    std::iota(idx.begin(), idx.end(), start);
    torch::Tensor x = t.data->load(data::Part::Test, idx, false, unused).x.to(t.device);
    torch::Tensor out = t.model->forward(x);
    torch::Tensor o = t.options.loss.kind == train::LossSpec::Kind::Mse ? out : torch::softmax(out, 1);
    auto maps = train::sensitivity_maps(o, ws);
    for (std::size_t i = 0; i < maps.size(); ++i) r.layers[i].map += maps[i].to(torch::kCPU, torch::kFloat64);
    ++r.batches;
  }
  for (auto& l : r.layers) {
    if (r.batches > 0) l.map /= static_cast<double>(r.batches);
    l.total = l.map.sum().item<double>();
    r.total += l.total;
  }
  return r;
}

namespace {
torch::Tensor as_matrix(const LayerSensitivity& l) { return l.map.reshape({l.map.size(0), -1}).contiguous(); }
}  // namespace

void write_sensitivity_csv(const std::string& path, const LayerSensitivity& l) {
  torch::Tensor m = as_matrix(l);
  auto a = m.accessor<double, 2>();
  std::ostringstream out;
  out << "# " << l.name << ": |w|*sum_k|dO_k/dw|, rows = output neurons, columns = inputs\n";
  for (std::int64_t i = 0; i < m.size(0); ++i)
    for (std::int64_t j = 0; j < m.size(1); ++j) out << fmt::format("{:.6g}", a[i][j]) << (j + 1 < m.size(1) ? ',' : '\n');
  write_file_atomic(path, out.str());
}

void write_sensitivity_png(const std::string& path, const LayerSensitivity& l, double max) {
  torch::Tensor m = as_matrix(l);
  std::vector<double> v(m.data_ptr<double>(), m.data_ptr<double>() + m.numel());
  // cells large enough that the longer side spans ≥ 512 pixels (capped at 32 px per cell)
  const std::int64_t scale = std::clamp<std::int64_t>(512 / std::max(m.size(0), m.size(1)), 1, 32);
  ax::write_heatmap_png(path, m.size(0), m.size(1), v, scale, max);
}

}  // namespace ax::eval
