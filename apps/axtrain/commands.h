// Subcommands of the axtrain CLI. Each add_* registers one subcommand whose callback does the work;
// library errors propagate to main(), which maps them to exit codes.
#pragma once
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

}  // namespace ax::cli
