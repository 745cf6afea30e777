// Comm: the collectives of a data-parallel run, on LibTorch's own distributed engine (c10d):
// a TCPStore rendezvous at MASTER_ADDR:MASTER_PORT (rank 0 serves it) and a ProcessGroupGloo
// (CPU tensors). Every call blocks until all ranks took part; a rank that is gone or late makes
// the others fail within the timeout with a DistributedError naming the operation, not hang.
// The header needs no c10d: the Gloo group lives in comm.cpp.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <torch/types.h>

#include "axtrain/core/errors.h"
#include "axtrain/dist/world.h"

namespace ax::dist {

struct DistributedError : Error {
  using Error::Error;
};

class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // In place, on every rank: the element-wise sum (or max) over the ranks.
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
  virtual void all_reduce_max(std::vector<torch::Tensor>& tensors) = 0;
  // The ranks' tensors concatenated along dimension 0 in rank order (sizes may differ in dim 0).
  virtual torch::Tensor all_gather(const torch::Tensor& t) = 0;
  // Every rank's tensors become rank `root`'s.
  virtual void broadcast(std::vector<torch::Tensor>& tensors, int root) = 0;
  virtual void barrier() = 0;

  // Joins the group of `world` (world.size > 1), waiting up to `timeout` for the others.
  static std::shared_ptr<Comm> connect(const World& world, std::chrono::milliseconds timeout);
  // Whether this build has the Gloo backend (Debian: libgloo-dev).
  static bool available();
};

// Helpers on top of the collectives.
double all_reduce_sum(Comm& comm, double value);
// DDP's gradient averaging: the tensors packed into flat buckets of about `bucket_bytes`, each
// summed over the ranks in one all-reduce, divided by the world size and unpacked in place.
void average_in_buckets(Comm& comm, std::vector<torch::Tensor>& tensors, std::int64_t bucket_bytes = 25 << 20);

// The group of this process while a data-parallel run trains (null in a single process). The
// layers' calibrations read it, where their statistics must span every rank's batch (the inject
// error model's fit, the activation ranges, the analog ADC's histogram) so that all ranks freeze
// the same values: a calibration runs at the same step and in the same layer order on every rank.
Comm* current();
// Whether BatchNorm layers in training share their batch statistics over the ranks
// (distributed.sync_batchnorm; layers/batch_norm.h).
bool sync_batchnorm();
class CurrentScope {  // makes `comm` current for its lifetime
 public:
  explicit CurrentScope(Comm* comm, bool sync_batchnorm = false);
  ~CurrentScope();
  CurrentScope(const CurrentScope&) = delete;
  CurrentScope& operator=(const CurrentScope&) = delete;

 private:
  Comm* previous_;
  bool previous_sync_;
};

}  // namespace ax::dist
