#include "axtrain/dist/world.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "axtrain/core/errors.h"

namespace ax::dist {

namespace {
int read_int(const std::function<const char*(const char*)>& getenv, const char* name, int lo, int hi) {
  const char* v = getenv(name);
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (!*v || *end || x < lo || x > hi)
    throw UsageError(fmt::format("environment: {}={} is not allowed; allowed: an integer in {}..{}", name, v, lo, hi));
  return static_cast<int>(x);
}
}  // namespace

World world_from_env(const std::function<const char*(const char*)>& getenv) {
  World w;
  const bool torchrun = getenv("WORLD_SIZE") != nullptr;
  const bool slurm = !torchrun && getenv("SLURM_NTASKS") && getenv("SLURM_PROCID") && getenv("MASTER_ADDR");
  if (!torchrun && !slurm) return w;
  const char* size = torchrun ? "WORLD_SIZE" : "SLURM_NTASKS";
  const char* rank = torchrun ? "RANK" : "SLURM_PROCID";
  const char* local = torchrun ? "LOCAL_RANK" : "SLURM_LOCALID";
  const char* local_size = torchrun ? "LOCAL_WORLD_SIZE" : "SLURM_NTASKS_PER_NODE";
  w.size = read_int(getenv, size, 1, 1 << 20);
  if (!getenv(rank)) throw UsageError(fmt::format("environment: {} is set but {} is not", size, rank));
  w.rank = read_int(getenv, rank, 0, w.size - 1);
  w.local_rank = getenv(local) ? read_int(getenv, local, 0, w.size - 1) : w.rank;
  // SLURM_NTASKS_PER_NODE may read "2(x3)" on heterogeneous allocations: take the leading count.
  if (const char* ls = getenv(local_size)) {
    w.local_size = std::atoi(ls);
    if (w.local_size < 1 || w.local_size > w.size)
      throw UsageError(fmt::format("environment: {}={} is not allowed; allowed: 1..{}", local_size, ls, w.size));
  } else {
    w.local_size = w.size;  // unknown: assume one machine (the safe choice for threads per rank)
  }
  if (w.local_rank >= w.local_size)
    throw UsageError(fmt::format("environment: {}={} is not below {}={}", local, w.local_rank, local_size, w.local_size));
  if (w.size > 1) {
    if (!getenv("MASTER_ADDR") || !*getenv("MASTER_ADDR"))
      throw UsageError("environment: WORLD_SIZE > 1 needs MASTER_ADDR (the host of rank 0's store)");
    if (!getenv("MASTER_PORT")) throw UsageError("environment: WORLD_SIZE > 1 needs MASTER_PORT");
    w.master_addr = getenv("MASTER_ADDR");
    w.master_port = read_int(getenv, "MASTER_PORT", 1, 65535);
  }
  return w;
}

World world_from_env() {
  return world_from_env([](const char* name) -> const char* { return std::getenv(name); });
}

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw IoError("cannot open a socket to find a free port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw IoError("cannot bind a socket on 127.0.0.1 to find a free port");
  }
  const int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

}  // namespace ax::dist
