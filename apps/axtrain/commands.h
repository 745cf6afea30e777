// Subcommands of the axtrain CLI. Each add_* registers one subcommand whose callback does the work;
// library errors propagate to main(), which maps them to exit codes.
#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ax::cli {

void add_run(CLI::App& app);
void add_validate(CLI::App& app);
void add_list(CLI::App& app);
void add_bench(CLI::App& app);
void add_probe(CLI::App& app);
void add_lut(CLI::App& app);
void add_eval(CLI::App& app);
void add_report(CLI::App& app);
void add_sensitivity(CLI::App& app);
void add_approxann(CLI::App& app);
void add_power(CLI::App& app);
void add_experiment(CLI::App& app);
void add_sweep(CLI::App& app);
void add_inject_check(CLI::App& app);

// A command's exit status other than 0 that is not an error of its own (e.g. a launched rank's).
struct ExitStatus {
  int code;
};
// Starts `nproc` ranks of the command `args` (args[0] the program name) on this machine with
// torchrun's environment and waits for them (launch.cpp); the first failing rank's status.
int launch_local_ranks(int nproc, const std::vector<std::string>& args);

}  // namespace ax::cli
