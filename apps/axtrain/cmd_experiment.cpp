// axtrain experiment list | run ID [--scale S] [--jobs N] [--emit slurm] | report ID [--scale S]
//                    | verdicts ID [--scale S]
// Named experiments (experiments/<id>/experiment.yaml; lib/axtrain/experiment/). Also `axtrain
// sweep`, an experiment made from a config and --grid axes.
#include <unistd.h>

#include <cmath>
#include <iostream>
#include <variant>

#include <boost/filesystem.hpp>
#include <fmt/format.h>

#include "axtrain/core/errors.h"
#include "axtrain/core/host.h"
#include "axtrain/core/text.h"
#include "axtrain/experiment/execute.h"
#include "axtrain/experiment/report.h"
#include "axtrain/experiment/table_plot.h"
#include "axtrain/experiment/verdicts.h"
#include "commands.h"

namespace fs = boost::filesystem;

namespace ax::cli {
namespace {

std::string self_binary() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "axtrain";
  buf[n] = '\0';
  // relative to the working directory when below it (scripts and Slurm files run from the repo root)
  fs::path rel = fs::path(buf).lexically_relative(fs::current_path());
  return !rel.empty() && rel.string().rfind("..", 0) != 0 ? rel.string() : std::string(buf);
}

struct RunArgs {
  std::string id, scale = "reduced", emit, results = "results", experiments = "experiments";
  int jobs = 1;
  std::int64_t threads = 0;
  bool require_numbers = false;
  std::vector<std::string> cells;
};

std::string experiment_file(const RunArgs& a) {
  std::string f = fs::is_regular_file(a.id) ? a.id : a.experiments + "/" + a.id + "/experiment.yaml";
  if (!fs::is_regular_file(f)) {
    std::vector<std::string> ids;
    for (const auto& p : experiment::experiment_files(a.experiments)) ids.push_back(fs::path(p).parent_path().filename().string());
    throw UsageError(fmt::format("no experiment '{}' (known: {})", a.id, join(ids, ", ")));
  }
  return f;
}

std::string number(double v) { return fmt::format("{}", v); }

// The flags of `run`, `eval` and `approxann` (cmd_run.cpp, cmd_eval.cpp, cmd_approxann.cpp) for
// the experiment's typed jobs.
struct JobFlags {
  std::vector<std::string> operator()(const experiment::TrainJob& j) const {
    std::vector<std::string> a{"run", j.config};
    for (const auto& o : j.overrides) a.insert(a.end(), {"--set", o.text()});
    a.insert(a.end(), {"--out", j.out_root, "--resume", "--quiet"});
    if (j.ranks > 1) a.insert(a.end(), {"--nproc", std::to_string(j.ranks)});
    return a;
  }
  std::vector<std::string> operator()(const run::EvalRequest& r) const {
    std::vector<std::string> a{"eval", "--checkpoint", r.checkpoint};
    if (!r.config.empty()) a.insert(a.end(), {"--config", r.config});
    if (!r.hardware.empty()) a.insert(a.end(), {"--hardware", r.hardware});
    if (r.repeats > 0) a.insert(a.end(), {"--repeats", std::to_string(r.repeats)});
    if (!r.mode.empty()) a.insert(a.end(), {"--mode", r.mode});
    for (const auto& o : r.sets) a.insert(a.end(), {"--set", o.text()});
    a.insert(a.end(), {"--out", r.opt.out_root});
    if (r.opt.resume) a.push_back("--resume");
    if (r.opt.quiet) a.push_back("--quiet");
    return a;
  }
  std::vector<std::string> operator()(const experiment::ApproxAnnJob& j) const {
    std::vector<std::string> a{"approxann", "--checkpoint", j.checkpoint};
    if (!j.hardware.empty()) a.insert(a.end(), {"--hardware", j.hardware});
    a.insert(a.end(), {"--bound", number(j.bound), "--step", number(j.step), "--retrain-epochs",
                       number(j.retrain_epochs), "--out", j.out, "--quiet"});
    return a;
  }
};

}  // namespace

std::vector<std::string> job_arguments(const experiment::Job& job, std::int64_t threads) {
  std::vector<std::string> a = std::visit(JobFlags{}, job);
  // A task's threads are shared by its ranks.
  const auto* train = std::get_if<experiment::TrainJob>(&job);
  if (threads >= 0 && train && train->ranks > 1) threads = std::max<std::int64_t>(1, threads / train->ranks);
  if (threads >= 0) a.insert(a.end(), {"--threads", std::to_string(threads)});
  return a;
}

// Runs (or emits) a plan and writes its report; shared with `sweep`.
void run_and_report(experiment::Plan& plan, const std::string& emit, int jobs, std::int64_t threads,
                    const std::string& command, bool require_numbers, const std::vector<std::string>& cells) {
  const std::string bin = self_binary();
  if (emit == "slurm") {
    std::cout << experiment::write_slurm(plan, bin, job_arguments,
                                         {"experiment", "report", plan.spec->id, "--scale", experiment::scale_name(plan.scale)})
              << "\n";
    return;
  }
  experiment::ExecuteOptions o;
  o.binary = bin;
  o.arguments = job_arguments;
  o.jobs = jobs;
  o.threads = threads;
  o.cells = cells;
  experiment::ExecuteResult r =
      experiment::execute(plan, o, [](const std::string& s) { std::cerr << s << "\n"; });
  const std::string table = experiment::write_report(plan, {command});
  std::cerr << fmt::format("{} task(s) ran, {} already done, {} failed, {} not run\n", r.ran, r.skipped, r.failed, r.not_run);
  std::cout << table << "\n";
  if (r.failed + r.not_run > 0) throw UsageError(fmt::format("{} task(s) did not complete; see the logs named above", r.failed + r.not_run));
  if (require_numbers) {
    std::string missing;
    for (const auto& row : experiment::table_rows(plan))
      if (!row.ours || std::isnan(*row.ours)) missing += (missing.empty() ? "" : ", ") + row.id;
    if (!missing.empty()) throw UsageError(fmt::format("{}: no number for: {}", table, missing));
  }
}

void add_experiment(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("experiment", "named experiments: the papers' tables (experiments/<id>/)");
  cmd->require_subcommand(1);
  auto dir = std::make_shared<std::string>("experiments");
  auto with_dir = [dir](CLI::App* sub) { sub->add_option("--experiments", *dir, "folder of experiments")->capture_default_str(); };

  CLI::App* list = cmd->add_subcommand("list", "every experiment: id, title, cells, data needed and whether present");
  with_dir(list);
  list->callback([dir] {
    for (const auto& f : experiment::experiment_files(*dir)) {
      experiment::ExperimentSpec e = experiment::load_experiment(f);
      std::string data;
      for (const auto& d : e.data)
        data += fmt::format("{}{} ({})", data.empty() ? "" : ", ", d.name, d.present() ? "present" : "absent" + (d.prepare.empty() ? std::string() : ": " + d.prepare));
      std::cout << fmt::format("{:<20} {} — {} cell(s); data: {}\n", e.id, e.title, e.cells.size(), data.empty() ? "none" : data);
    }
  });

  auto a = std::make_shared<RunArgs>();
  CLI::App* run = cmd->add_subcommand("run", "run every cell (finished ones are skipped), then write results/<id>/<scale>/table.md");
  run->add_option("id", a->id, "experiment id (or an experiment.yaml)")->required();
  run->add_option("--scale", a->scale, "smoke | reduced | cpu | full")->capture_default_str()->check(CLI::IsMember({"smoke", "reduced", "cpu", "full"}));
  run->add_option("--jobs", a->jobs, "tasks at a time")->capture_default_str()->check(CLI::Range(1, 256));
  run->add_option("--threads", a->threads, "CPU threads per task (0 = cores / jobs)")->check(CLI::Range(0, 4096));
  run->add_option("--emit", a->emit, "write the tasks as Slurm job arrays instead of running them")->check(CLI::IsMember({"slurm"}));
  run->add_option("--results", a->results, "results root")->capture_default_str();
  run->add_option("--cells", a->cells, "only cells matching these ids ('*' = any text) and what they need, e.g. 'tc/*'");
  run->add_flag("--resume", "finished cells are always skipped; accepted for clarity");
  run->add_flag("--require-numbers", a->require_numbers, "fail unless every row of the table has a number (CI)");
  with_dir(run);
  run->callback([a, dir] {
    a->experiments = *dir;
    experiment::ExperimentSpec e = experiment::load_experiment(experiment_file(*a));
    experiment::Plan plan = experiment::make_plan(e, experiment::parse_scale(a->scale), a->results);
    std::string command = fmt::format("axtrain experiment run {} --scale {}", e.id, a->scale);
    for (const auto& c : a->cells) command += fmt::format(" --cells '{}'", c);
    if (a->jobs != 1) command += fmt::format(" --jobs {}", a->jobs);  // timings depend on what runs beside them
    if (a->threads != 0) command += fmt::format(" --threads {}", a->threads);
    run_and_report(plan, a->emit, a->jobs, a->threads, command, a->require_numbers, a->cells);
  });

  auto r = std::make_shared<RunArgs>();
  CLI::App* report = cmd->add_subcommand("report", "write the tables from the finished cells (e.g. after a Slurm run)");
  report->add_option("id", r->id, "experiment id")->required();
  report->add_option("--scale", r->scale, "smoke | reduced | cpu | full")->capture_default_str()->check(CLI::IsMember({"smoke", "reduced", "cpu", "full"}));
  report->add_option("--results", r->results, "results root")->capture_default_str();
  with_dir(report);
  report->callback([r, dir] {
    r->experiments = *dir;
    experiment::ExperimentSpec e = experiment::load_experiment(experiment_file(*r));
    experiment::Plan plan = experiment::make_plan(e, experiment::parse_scale(r->scale), r->results);
    std::cout << experiment::write_report(plan, {fmt::format("axtrain experiment run {0} --scale {1}; table by axtrain experiment report {0} --scale {1}", e.id, r->scale)}) << "\n";
  });

  auto v = std::make_shared<RunArgs>();
  CLI::App* verdicts = cmd->add_subcommand(
      "verdicts", "judge the experiment's claims on its table.csv (no runs needed): claims.csv, claims.png, table.md's Claims section; redraws a bars or sweep plot.png from it");
  verdicts->add_option("id", v->id, "experiment id")->required();
  verdicts->add_option("--scale", v->scale, "smoke | reduced | cpu | full")->capture_default_str()->check(CLI::IsMember({"smoke", "reduced", "cpu", "full"}));
  verdicts->add_option("--results", v->results, "results root")->capture_default_str();
  with_dir(verdicts);
  verdicts->callback([v, dir] {
    v->experiments = *dir;
    experiment::ExperimentSpec e = experiment::load_experiment(experiment_file(*v));
    const experiment::Scale scale = experiment::parse_scale(v->scale);
    const std::string out = (fs::path(v->results) / e.id / experiment::scale_name(scale)).string();
    const std::vector<experiment::Row> rows = experiment::rows_from_csv(out + "/table.csv");
    const auto judged = experiment::judge_claims(e, rows, scale);
    if (judged.empty()) throw UsageError(fmt::format("{}: declares no claims", e.file));
    experiment::plot_rows(out, e, rows);  // the bars / sweep plot, redrawn from the same rows
    experiment::write_verdicts(out, e, judged, scale,
                               fmt::format("Judged from this table.csv by `axtrain experiment verdicts {} --scale {}` ({}).",
                                           e.id, v->scale, ax::utc_now().substr(0, 10)));
    for (const auto& j : judged)
      std::cout << fmt::format("{:<28} {:<15} {}\n", j.claim->id, experiment::verdict_name(j.judgement.verdict), j.judgement.reason);
    std::cout << out << "/claims.csv\n";
  });
}

}  // namespace ax::cli
