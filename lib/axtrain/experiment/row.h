// One row of an experiment's table: a cell or a summary, our value beside the paper's.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace ax::experiment {

struct Row {
  std::string id, label;
  std::optional<double> ours, std, paper;
  std::optional<double> draws_std;  // std over repeated fault draws (evaluations with repeats)
  std::int64_t n = 0;  // seeds with a result
  std::int64_t diverged = 0;  // seeds whose training diverged (metrics.json status: diverged)
};

}  // namespace ax::experiment
