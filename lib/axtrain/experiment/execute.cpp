#include "axtrain/experiment/execute.h"

#include <spawn.h>
#include <sys/wait.h>

#include <map>

#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"
#include "axtrain/core/host.h"

extern char** environ;

namespace ax::experiment {
ExecuteResult execute(Plan& plan, const ExecuteOptions& o, const std::function<void(const std::string&)>& log) {
  enum class State { Waiting, Running, Done, Failed, Blocked, Excluded };
  const std::size_t n = plan.tasks.size();
  std::vector<State> state(n, State::Waiting);
  ExecuteResult r;
  const std::int64_t threads = o.threads > 0 ? o.threads : std::max<std::int64_t>(1, ax::cpu_cores() / std::max(1, o.jobs));
  if (!o.cells.empty()) {  // --cells: the matching tasks and, transitively, their dependencies
    std::vector<bool> keep(n, false);
    for (std::size_t i = n; i-- > 0;) {
      for (const auto& pattern : o.cells) keep[i] = keep[i] || glob_match(pattern, plan.tasks[i].cell->id);
      if (keep[i])
        for (auto d : plan.tasks[i].deps) keep[d] = true;
    }
    for (std::size_t i = 0; i < n; ++i)
      if (!keep[i]) state[i] = State::Excluded;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (state[i] == State::Waiting && plan.tasks[i].done()) state[i] = State::Done, ++r.skipped;
  std::map<pid_t, std::size_t> running;
  auto start = [&](std::size_t i) {
    Task& t = plan.tasks[i];
    make_dirs(t.log_dir);
    const std::string line = task_line(t, o.binary, o.arguments, threads);
    const std::string sh = "(" + line + ") > " + shell_line(t.log, {}) + " 2>&1";
    const char* argv[] = {"/bin/sh", "-c", sh.c_str(), nullptr};
    pid_t pid;
    if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0)
      throw std::runtime_error("experiment: could not start /bin/sh");
    running[pid] = i;
    state[i] = State::Running;
    log(fmt::format("start {} (seed {})", t.cell->id, t.seed));
  };
  while (true) {
    bool progress = true;
    while (progress) {  // tasks whose dependency failed never run
      progress = false;
      for (std::size_t i = 0; i < n; ++i)
        if (state[i] == State::Waiting)
          for (auto d : plan.tasks[i].deps)
            if (state[d] == State::Failed || state[d] == State::Blocked) {
              state[i] = State::Blocked, ++r.not_run, progress = true;
              log(fmt::format("skip {} (seed {}): {} failed", plan.tasks[i].cell->id, plan.tasks[i].seed,
                              plan.tasks[d].cell->id));
              break;
            }
    }
    for (std::size_t i = 0; i < n && static_cast<int>(running.size()) < o.jobs; ++i) {
      if (state[i] != State::Waiting) continue;
      bool ready = true;
      for (auto d : plan.tasks[i].deps) ready = ready && state[d] == State::Done;
      if (ready) start(i);
    }
    if (running.empty()) break;
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) throw std::runtime_error("experiment: waitpid failed");
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const std::size_t i = it->second;
    running.erase(it);
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    state[i] = ok ? State::Done : State::Failed;
    ok ? ++r.ran : ++r.failed;
    log(fmt::format("{} {} (seed {}){}", ok ? "done" : "FAILED", plan.tasks[i].cell->id, plan.tasks[i].seed,
                    ok ? "" : " — see " + plan.tasks[i].log));
  }
  return r;
}

}  // namespace ax::experiment
