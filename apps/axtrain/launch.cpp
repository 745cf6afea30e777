// `axtrain run CONFIG --nproc N`: N local ranks of the same command, each a process started the way
// torchrun starts them (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT
// in its environment; a rendezvous on a free port of 127.0.0.1). The launcher waits for all of
// them and returns the first failing rank's status, naming it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/dist/world.h"
#include "commands.h"

namespace ax::cli {

int launch_local_ranks(int nproc, const std::vector<std::string>& args) {
  if (std::getenv("WORLD_SIZE") || std::getenv("RANK"))
    throw UsageError("--nproc starts the ranks itself; it cannot run inside a launched rank (WORLD_SIZE or RANK "
                     "is set): drop --nproc, or unset them");
  const int port = dist::free_local_port();
  std::vector<pid_t> pids;
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) throw IoError(fmt::format("--nproc: cannot start rank {}: {}", r, std::strerror(errno)));
    if (pid == 0) {
      ::setenv("RANK", std::to_string(r).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv("/proc/self/exe", argv.data());
      std::fprintf(stderr, "--nproc: cannot run rank %d: %s\n", r, std::strerror(errno));
      std::_Exit(127);
    }
    pids.push_back(pid);
  }
  int result = 0;
  for (std::size_t left = pids.size(); left > 0; --left) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) break;
    const int rank = static_cast<int>(std::find(pids.begin(), pids.end(), pid) - pids.begin());
    int code = 0;
    if (WIFEXITED(status)) code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) code = 128 + WTERMSIG(status);
    if (code != 0) {
      std::cerr << fmt::format("axtrain run --nproc {}: rank {} {} {}\n", nproc, rank,
                               WIFSIGNALED(status) ? "was killed by signal" : "exited with status",
                               WIFSIGNALED(status) ? WTERMSIG(status) : code);
      if (result == 0) result = code;
    }
  }
  return result;
}

}  // namespace ax::cli
