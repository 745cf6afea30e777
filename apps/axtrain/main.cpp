// axtrain: train neural networks for approximate hardware. Parse, dispatch, map errors to exit
// codes: 0 ok, 1 internal error or a failed write (full disk, I/O error), 2 bad input (config, data,
// arguments, a run directory in use or already complete), 3 training diverged (loss not finite).
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "axtrain/core/allocator.h"
#include "axtrain/core/errors.h"
#include "axtrain/core/host.h"
#include "axtrain/dist/comm.h"
#include "commands.h"

int main(int argc, char** argv) {
  ax::keep_freed_memory();  // see core/allocator.h: page faults otherwise cost a third of an epoch
  CLI::App app{"axtrain: training neural networks for approximate hardware"};
  app.set_version_flag("--version",
                       [] {
                         return fmt::format("axtrain {} (git {}), LibTorch {}, CUDA {}", ax::version(),
                                            ax::git_revision(), ax::torch_version(),
                                            ax::cuda_available() ? "available" : "not available");
                       });
  app.require_subcommand(1);
  ax::cli::add_run(app);
  ax::cli::add_validate(app);
  ax::cli::add_list(app);
  ax::cli::add_bench(app);
  ax::cli::add_probe(app);
  ax::cli::add_lut(app);
  ax::cli::add_eval(app);
  ax::cli::add_report(app);
  ax::cli::add_sensitivity(app);
  ax::cli::add_approxann(app);
  ax::cli::add_power(app);
  ax::cli::add_experiment(app);
  ax::cli::add_sweep(app);
  ax::cli::add_inject_check(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const ax::ConfigError& e) {
    std::fprintf(stderr, "config error: %s\n", e.what());
    return 2;
  } catch (const ax::DataError& e) {
    std::fprintf(stderr, "data error: %s\n", e.what());
    return 2;
  } catch (const ax::UsageError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const ax::DivergedError& e) {
    std::fprintf(stderr, "diverged: %s\n", e.what());
    return 3;
  } catch (const ax::cli::ExitStatus& e) {
    return e.code;
  } catch (const ax::dist::DistributedError& e) {
    std::fprintf(stderr, "distributed: %s\n", e.what());
    return 1;
  } catch (const ax::IoError& e) {
    std::fprintf(stderr, "I/O error: %s\n", e.what());
    return 1;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "internal error (LibTorch): %s\n", e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
