// World: where this process stands in a data-parallel run, read from the environment the way
// torchrun and Slurm launch PyTorch jobs (issue 16):
//   RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT   (torchrun)
//   SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_NTASKS_PER_NODE           (srun; MASTER_ADDR
//   and MASTER_PORT exported by the job script)
// No variables: a single process (rank 0 of 1). No LibTorch here.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace ax::dist {

struct World {
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  int local_size = 1;  // ranks on this machine (threads per rank default to cores / local_size)
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  bool distributed() const { return size > 1; }
};

// `getenv` is injectable for tests. Throws UsageError naming the variable on a malformed or
// inconsistent value (RANK ≥ WORLD_SIZE, a missing MASTER_PORT with WORLD_SIZE > 1, ...).
World world_from_env(const std::function<const char*(const char*)>& getenv);
World world_from_env();

// A free TCP port on 127.0.0.1 (for `--nproc`'s local rendezvous).
int free_local_port();

}  // namespace ax::dist
