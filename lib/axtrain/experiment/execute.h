// Runs a plan's tasks on this machine: up to `jobs` tasks at a time (each a child process running
// its axtrain commands in order, output in the task's log), a task only after its dependencies
// succeeded; finished tasks are skipped (so an interrupted experiment resumes).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "axtrain/experiment/plan.h"

namespace ax::experiment {

struct ExecuteOptions {
  std::string binary;     // the axtrain executable
  JobArguments arguments;  // how the binary is told each job (apps/)
  int jobs = 1;
  std::int64_t threads = 0;  // threads of every job (0 = cores / jobs)
  std::vector<std::string> cells;  // run only cells matching one of these ids ('*' = any text)
                                   // and what they depend on; empty = every cell
};

struct ExecuteResult {
  int ran = 0, skipped = 0, failed = 0, not_run = 0;  // not_run: a dependency failed
};

ExecuteResult execute(Plan& plan, const ExecuteOptions& o, const std::function<void(const std::string&)>& log);

}  // namespace ax::experiment
