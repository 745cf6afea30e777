#include "axtrain/experiment/plan.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <boost/filesystem.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "axtrain/core/errors.h"
#include "axtrain/core/files.h"
#include "axtrain/core/text.h"
#include "axtrain/report/summary.h"
#include "axtrain/run/run_config.h"
#include "axtrain/run/runner.h"

namespace fs = boost::filesystem;

namespace ax::experiment {
namespace {

bool complete_metrics(const std::string& path) {
  const auto s = report::read_summary(path);
  return s && s->complete();
}

}  // namespace

std::string Task::eval_dir() const {
  if (!eval || !fs::is_regular_file(fs::path(checkpoint).parent_path() / "config.yaml")) return "";
  return run::evaluation_dir(*eval);
}

bool Task::done() const {
  if (!train_dir.empty() && !complete_metrics(train_dir + "/metrics.json")) return false;
  if (eval) {
    const std::string d = eval_dir();
    if (d.empty()) return false;
    // An evaluation written before the output deviation existed lacks its marker: a cell that
    // reports the deviation is not done on it (`axtrain eval --resume` then runs it again).
    const auto e = report::read_summary(d + "/metrics.json");
    if (!e || !e->complete()) return false;
    if (cell->metric == Metric::OutputDeviation && !e->output_deviation_computed) return false;
  }
  if (cell->approxann && !fs::is_regular_file(approxann_dir + "/approxann.json")) return false;
  return true;
}

const Task* Plan::task(const std::string& cell, std::int64_t seed) const {
  for (const auto& t : tasks)
    if (t.cell->id == cell && t.seed == seed) return &t;
  return nullptr;
}

Plan make_plan(const ExperimentSpec& spec, Scale scale, const std::string& results_root) {
  Plan p;
  p.spec = &spec;
  p.scale = scale;
  p.dir = (fs::path(results_root) / spec.id / scale_name(scale)).string();
  p.runs = (fs::path(results_root) / "runs").string();
  const ScaleSpec& sc = spec.scale(scale);
  std::map<std::pair<std::string, std::int64_t>, std::size_t> index;
  for (std::int64_t seed = 1; seed <= spec.seeds; ++seed)
    for (const auto& c : spec.cells) {
      Task t;
      t.cell = &c;
      t.seed = seed;
      std::string flat = c.id;
      std::replace(flat.begin(), flat.end(), '/', '_');
      t.log_dir = p.dir + "/logs";
      t.log = fmt::format("{}/{}-seed{}.log", t.log_dir, flat, seed);
      auto dep = [&](const std::string& id) {
        std::size_t i = index.at({id, seed});
        t.deps.push_back(i);
        return i;
      };
      if (c.trains()) {
        std::vector<config::Override> sets = config::parse_overrides(c.set);
        sets.push_back(config::Override::of("seed", seed));
        if (!c.init_of.empty()) {
          const Task& from = p.tasks[dep(c.init_of)];
          if (from.train_dir.empty())
            throw ConfigError(fmt::format("{}: cell {}: init_of '{}' trains no network", spec.file, c.id, c.init_of));
          sets.push_back(config::Override::of("init.checkpoint", from.train_dir + "/final.pt"));
        }
        for (const auto& o : config::parse_overrides(sc.set)) sets.push_back(o);
        const ScaleCells* own = sc.for_cell(c.id);
        if (own)
          for (const auto& o : config::parse_overrides(own->set)) sets.push_back(o);
        const double factor = own && own->epochs ? *own->epochs : sc.epochs;
        run::RunConfig cfg = run::load_run_config(c.config, sets);
        if (factor != 1.0)
          for (std::size_t i = 0; i < cfg.phases.size(); ++i)
            sets.push_back(config::Override::of(fmt::format("phases.{}.epochs", i), cfg.phases[i].epochs * factor));
        cfg = run::load_run_config(c.config, sets);
        cfg.world_size = c.ranks;  // part of the run id
        run::RunOptions o;
        o.out_root = p.runs;
        t.train_dir = run::run_dir_of(cfg, o);
        t.checkpoint = t.train_dir + "/final.pt";
        t.jobs.push_back(TrainJob{c.config, sets, p.runs, c.ranks});
      } else {
        const Task& from = p.tasks[dep(c.checkpoint_of)];
        if (from.checkpoint.empty())
          throw ConfigError(fmt::format("{}: cell {}: checkpoint_of '{}' has no network", spec.file, c.id, c.checkpoint_of));
        t.checkpoint = from.checkpoint;
      }
      if (c.eval) {
        run::EvalRequest r;
        r.checkpoint = t.checkpoint;
        r.hardware = c.eval->hardware;
        r.repeats = c.eval->repeats;
        r.mode = c.eval->mode;
        r.sets = config::parse_overrides(c.eval->set);
        r.opt.out_root = p.runs;
        r.opt.resume = true;
        r.opt.quiet = true;
        t.eval = r;
        t.jobs.push_back(r);
      }
      if (c.approxann) {
        const std::string key = fmt::format("{}|{}|{}|{}|{}", fs::absolute(t.checkpoint).lexically_normal().string(),
                                            c.approxann->hardware, c.approxann->bound, c.approxann->step,
                                            c.approxann->retrain_epochs);
        t.approxann_dir = fmt::format("{}/approxann/{}", p.runs, short_hash(key));
        t.jobs.push_back(ApproxAnnJob{t.checkpoint, c.approxann->hardware, c.approxann->bound, c.approxann->step,
                                      c.approxann->retrain_epochs, t.approxann_dir});
      }
      index[{c.id, seed}] = p.tasks.size();
      p.tasks.push_back(std::move(t));
    }
  return p;
}

std::string shell_line(const std::string& binary, const std::vector<std::string>& args) {
  auto quote = [](const std::string& s) {
    std::string q = "'";
    for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return q + "'";
  };
  std::string line = quote(binary);
  for (const auto& a : args) line += " " + quote(a);
  return line;
}

std::int64_t task_ranks(const Task& t) {
  for (const auto& j : t.jobs)
    if (const auto* train = std::get_if<TrainJob>(&j)) return train->ranks;
  return 1;
}

std::string task_line(const Task& t, const std::string& binary, const JobArguments& args, std::int64_t threads,
                      bool srun) {
  std::string line;
  for (const auto& j : t.jobs) {
    const auto* train = std::get_if<TrainJob>(&j);
    if (srun && train && train->ranks > 1) {
      TrainJob one = *train;
      one.ranks = 1;  // the ranks are srun's tasks; each runs the one-rank command
      line += (line.empty() ? "" : " && ") + fmt::format("srun --ntasks={} --kill-on-bad-exit=1 ", train->ranks) +
              shell_line(binary, args(Job{one}, threads));
    } else {
      line += (line.empty() ? "" : " && ") + shell_line(binary, args(j, threads));
    }
  }
  return line;
}

std::string write_slurm(const Plan& plan, const std::string& binary, const JobArguments& args,
                        const std::vector<std::string>& report) {
  const std::string dir = plan.dir + "/slurm";
  make_dirs(dir);
  std::vector<int> level(plan.tasks.size(), 0);
  int levels = 0;
  for (std::size_t i = 0; i < plan.tasks.size(); ++i) {
    for (auto d : plan.tasks[i].deps) level[i] = std::max(level[i], level[d] + 1);
    levels = std::max(levels, level[i] + 1);
  }
  std::string submit = "#!/usr/bin/env bash\n# Submits the experiment's tasks, one Slurm job array per dependency level; each level\n"
                       "# starts after the previous one succeeded. Run from the repository root.\nset -euo pipefail\n"
                       "cd \"$(dirname \"$0\")\"/" + fs::relative(fs::current_path(), fs::absolute(dir)).string() + "\n";
  std::string previous;
  for (int l = 0; l < levels; ++l) {
    // One job array per level and rank count: a cell of N ranks asks for N tasks per array
    // element (one srun step, rank 0's node the rendezvous).
    std::set<std::int64_t> counts;
    for (std::size_t i = 0; i < plan.tasks.size(); ++i)
      if (level[i] == l) counts.insert(task_ranks(plan.tasks[i]));
    std::vector<std::string> jobs;
    for (std::int64_t ranks : counts) {
      std::string lines;
      int n = 0;
      for (std::size_t i = 0; i < plan.tasks.size(); ++i) {
        if (level[i] != l || task_ranks(plan.tasks[i]) != ranks) continue;
        lines += task_line(plan.tasks[i], binary, args, -1, /*srun=*/true) + "\n";
        ++n;
      }
      const std::string name = ranks == 1 ? fmt::format("level{}", l) : fmt::format("level{}-ranks{}", l, ranks);
      const std::string list = fmt::format("{}/{}.txt", dir, name);
      write_file_atomic(list, lines);
      const std::string multi =
          ranks == 1 ? ""
                     : fmt::format("#SBATCH --ntasks={}\n", ranks);
      const std::string rendezvous =
          ranks == 1 ? ""
                     : "# the data-parallel ranks meet at the first node of the allocation\n"
                       "export MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\n"
                       "export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))\n";
      write_file_atomic(fmt::format("{}/{}.sbatch", dir, name),
                        fmt::format("#!/usr/bin/env bash\n#SBATCH --job-name={}-{}\n#SBATCH --array=1-{}\n{}"
                                    "#SBATCH --output={}/slurm/{}-%a.log\n{}"
                                    "# one task per line of {}.txt (run from the repository root)\n"
                                    "eval \"$(sed -n \"${{SLURM_ARRAY_TASK_ID}}p\" {})\"\n",
                                    plan.spec->id, name, n, multi, plan.dir, name, rendezvous, name, list));
      const std::string job = ranks == 1 ? fmt::format("job{}", l) : fmt::format("job{}_{}", l, ranks);
      submit += fmt::format("{}=$(sbatch --parsable {}{}/{}.sbatch)\n", job,
                            previous.empty() ? "" : "--dependency=afterok:" + previous + " ", dir, name);
      jobs.push_back("$" + job);
    }
    previous.clear();
    for (const auto& j : jobs) previous += (previous.empty() ? "" : ":") + j;
  }
  submit += fmt::format("echo \"submitted; when done: {}\"\n", shell_line(binary, report));
  write_file_atomic(dir + "/submit.sh", submit);
  fs::permissions(dir + "/submit.sh", fs::owner_all | fs::group_read | fs::others_read);
  return dir + "/submit.sh";
}

}  // namespace ax::experiment
