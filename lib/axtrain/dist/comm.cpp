#include "axtrain/dist/comm.h"

#include <fmt/format.h>

#ifdef AXTRAIN_WITH_GLOO
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace ax::dist {

#ifdef AXTRAIN_WITH_GLOO
namespace {
class GlooComm final : public Comm {
 public:
  GlooComm(const World& w, std::chrono::milliseconds timeout) : world_(w) {
    try {
      c10d::TCPStoreOptions so;
      so.port = static_cast<std::uint16_t>(w.master_port);
      so.isServer = w.rank == 0;
      so.numWorkers = static_cast<std::size_t>(w.size);
      so.waitWorkers = true;
      so.timeout = timeout;
      store_ = c10::make_intrusive<c10d::TCPStore>(w.master_addr, so);
      auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
      // The interface that reaches the master: loopback for local runs, the host's name otherwise.
      const bool local = w.master_addr == "127.0.0.1" || w.master_addr == "localhost";
      opts->devices.push_back(local ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                    : c10d::ProcessGroupGloo::createDefaultDevice());
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, w.rank, w.size, opts);
      // Heartbeats on a connection of their own: every rank bumps its counter each second, so a
      // rank whose collective fails can name the ranks that stopped (lost_ranks).
      c10d::TCPStoreOptions ho = so;
      ho.isServer = false;
      ho.numWorkers = c10::nullopt;
      ho.waitWorkers = false;
      ho.timeout = std::chrono::milliseconds(5000);
      beat_store_ = c10::make_intrusive<c10d::TCPStore>(w.master_addr, ho);
      beat_ = std::thread([this] { heartbeat(); });
    } catch (const std::exception& e) {
      throw DistributedError(fmt::format("rank {} of {}: cannot join the group at {}:{} within {} s: {}", w.rank,
                                         w.size, w.master_addr, w.master_port, timeout.count() / 1000.0,
                                         first_line(e.what())));
    }
  }
  ~GlooComm() override {
    {
      std::lock_guard<std::mutex> l(beat_mutex_);
      stop_ = true;
    }
    beat_cv_.notify_all();
    if (beat_.joinable()) beat_.join();
  }
  int rank() const override { return world_.rank; }
  int size() const override { return world_.size; }
  void all_reduce_sum(std::vector<torch::Tensor>& t) override { reduce(t, c10d::ReduceOp::SUM, "all-reduce (sum)"); }
  void all_reduce_max(std::vector<torch::Tensor>& t) override { reduce(t, c10d::ReduceOp::MAX, "all-reduce (max)"); }
  void broadcast(std::vector<torch::Tensor>& t, int root) override {
    for (auto& x : t) {
      // Gloo has no bool: such tensors (flags among a model's buffers) travel as bytes.
      const bool flag = x.scalar_type() == torch::kBool;
      std::vector<torch::Tensor> one{flag ? x.to(torch::kUInt8) : x};
      c10d::BroadcastOptions o;
      o.rootRank = root;
      run("broadcast", [&] { group_->broadcast(one, o)->wait(); });
      if (flag) x.copy_(one[0]);
    }
  }
  torch::Tensor all_gather(const torch::Tensor& t) override {
    const torch::Tensor x = t.contiguous();
    // Rows per rank first, then every rank's block padded to the largest.
    std::vector<std::vector<torch::Tensor>> counts_out(1);
    for (int r = 0; r < world_.size; ++r) counts_out[0].push_back(torch::zeros({1}, torch::kInt64));
    std::vector<torch::Tensor> count_in{torch::full({1}, x.size(0), torch::kInt64)};
    run("all-gather (sizes)", [&] { group_->allgather(counts_out, count_in)->wait(); });
    std::int64_t rows = 0;
    for (const auto& c : counts_out[0]) rows = std::max(rows, c.item<std::int64_t>());
    std::vector<std::int64_t> shape = x.sizes().vec();
    shape[0] = rows;
    torch::Tensor padded = torch::zeros(shape, x.options());
    padded.narrow(0, 0, x.size(0)).copy_(x);
    std::vector<std::vector<torch::Tensor>> out(1);
    for (int r = 0; r < world_.size; ++r) out[0].push_back(torch::empty(shape, x.options()));
    std::vector<torch::Tensor> in{padded};
    run("all-gather", [&] { group_->allgather(out, in)->wait(); });
    std::vector<torch::Tensor> parts;
    for (int r = 0; r < world_.size; ++r) parts.push_back(out[0][r].narrow(0, 0, counts_out[0][r].item<std::int64_t>()));
    return torch::cat(parts, 0);
  }
  void barrier() override {
    run("barrier", [&] { group_->barrier()->wait(); });
  }

 private:
  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }
  static std::string beat_key(int r) { return "axtrain/heartbeat/" + std::to_string(r); }
  void heartbeat() {
    std::unique_lock<std::mutex> l(beat_mutex_);
    while (!stop_) {
      try {
        beat_store_->add(beat_key(world_.rank), 1);
      } catch (const std::exception&) {
        return;  // the store is gone (rank 0 stopped): nothing left to tell
      }
      beat_cv_.wait_for(l, std::chrono::seconds(1), [this] { return stop_; });
    }
  }
  // The ranks whose heartbeat stood still for 2.5 s, as text ("rank 1", "ranks 1, 3"), or why
  // they cannot be told.
  std::string lost_ranks() {
    try {
      auto read = [&] {
        std::vector<std::int64_t> c;
        for (int r = 0; r < world_.size; ++r) c.push_back(beat_store_->add(beat_key(r), 0));
        return c;
      };
      const auto before = read();
      std::this_thread::sleep_for(std::chrono::milliseconds(2500));
      const auto after = read();
      std::string lost;
      int n = 0;
      for (int r = 0; r < world_.size; ++r)
        if (r != world_.rank && after[r] == before[r]) lost += (n++ ? ", " : "") + std::to_string(r);
      if (n == 0) return "no rank has stopped its heartbeat: a rank is stuck, or the network failed";
      return fmt::format("rank{} {} stopped", n > 1 ? "s" : "", lost);
    } catch (const std::exception&) {
      return world_.rank == 0 ? "the rendezvous store does not answer"
                              : "rank 0 (it serves the rendezvous store) stopped";
    }
  }
  void reduce(std::vector<torch::Tensor>& t, c10d::ReduceOp op, const char* what) {
    for (auto& x : t) {
      std::vector<torch::Tensor> one{x};
      c10d::AllreduceOptions o;
      o.reduceOp = op;
      run(what, [&] { group_->allreduce(one, o)->wait(); });
    }
  }
  template <class F>
  void run(const char* what, F f) {
    try {
      f();
    } catch (const std::exception& e) {
      throw DistributedError(fmt::format("rank {} of {}: {} failed: {} (its log says why); {}", world_.rank,
                                         world_.size, what, lost_ranks(), first_line(e.what())));
    }
  }
  World world_;
  c10::intrusive_ptr<c10d::Store> store_, beat_store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
  std::thread beat_;
  std::mutex beat_mutex_;
  std::condition_variable beat_cv_;
  bool stop_ = false;
};
}  // namespace

bool Comm::available() { return true; }

std::shared_ptr<Comm> Comm::connect(const World& world, std::chrono::milliseconds timeout) {
  return std::make_shared<GlooComm>(world, timeout);
}
#else
bool Comm::available() { return false; }

std::shared_ptr<Comm> Comm::connect(const World& world, std::chrono::milliseconds) {
  throw UsageError(fmt::format("rank {} of {}: this axtrain was built without c10d's Gloo backend (install "
                               "Debian's libgloo-dev and rebuild)", world.rank, world.size));
}
#endif

namespace {
Comm* g_current = nullptr;
bool g_sync_batchnorm = false;
}  // namespace

Comm* current() { return g_current; }
bool sync_batchnorm() { return g_current && g_sync_batchnorm; }
CurrentScope::CurrentScope(Comm* comm, bool sync) : previous_(g_current), previous_sync_(g_sync_batchnorm) {
  g_current = comm;
  g_sync_batchnorm = sync;
}
CurrentScope::~CurrentScope() {
  g_current = previous_;
  g_sync_batchnorm = previous_sync_;
}

void average_in_buckets(Comm& comm, std::vector<torch::Tensor>& tensors, std::int64_t bucket_bytes) {
  torch::NoGradGuard g;
  std::size_t i = 0;
  while (i < tensors.size()) {
    std::size_t j = i;
    std::int64_t bytes = 0;
    std::vector<torch::Tensor> flat;
    while (j < tensors.size() && (j == i || bytes + static_cast<std::int64_t>(tensors[j].nbytes()) <= bucket_bytes) &&
           tensors[j].scalar_type() == tensors[i].scalar_type()) {
      bytes += static_cast<std::int64_t>(tensors[j].nbytes());
      flat.push_back(tensors[j].reshape(-1));
      ++j;
    }
    std::vector<torch::Tensor> bucket{torch::cat(flat)};
    comm.all_reduce_sum(bucket);
    bucket[0].div_(static_cast<double>(comm.size()));
    std::int64_t at = 0;
    for (std::size_t k = i; k < j; ++k) {
      const std::int64_t n = tensors[k].numel();
      tensors[k].copy_(bucket[0].narrow(0, at, n).view_as(tensors[k]));
      at += n;
    }
    i = j;
  }
}

double all_reduce_sum(Comm& comm, double value) {
  std::vector<torch::Tensor> t{torch::tensor({value}, torch::kFloat64)};
  comm.all_reduce_sum(t);
  return t[0].item<double>();
}

}  // namespace ax::dist
