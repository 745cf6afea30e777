// axtrain list models|datasets|hardware|optimizers|schedules|keys
#include <iostream>

#include <fmt/format.h>

#include "axtrain/hw/analog/analog.h"
#include "axtrain/hw/ntv/ntv.h"
#include "axtrain/hw/sc/options.h"
#include "axtrain/data/spec.h"
#include "axtrain/hw/hardware.h"
#include "axtrain/models/model.h"
#include "axtrain/run/run_config.h"
#include "axtrain/train/optim.h"
#include "commands.h"

namespace ax::cli {

namespace {
template <class R>
void print(const R& registry) {
  for (const auto& [name, desc] : registry.descriptions()) std::cout << fmt::format("  {:<16} {}\n", name, desc);
}

// The keys declared with config::Options (run::declared_keys, then the hardware types declared so
// far): section.key, type, range, default, doc.
void print_keys() {
  auto sections = run::declared_keys();
  sections.emplace_back("hardware[type: sc]", hw::sc::ScOptions::options().rows());
  sections.emplace_back("hardware[type: analog]", hw::AnalogOptions::options().rows());
  sections.emplace_back("storage[type: ntv]", hw::NtvStorageOptions::options().rows());
  for (const auto& [section, rows] : sections)
    for (const auto& r : rows)
      std::cout << fmt::format("  {:<26} {:<36} {:<14} {:<14} {}\n", section + "." + r.key, r.type,
                               r.range.empty() ? "-" : r.range, r.fallback, r.doc);
}
}  // namespace

void add_list(CLI::App& app) {
  auto what = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("list", "list registered models, datasets, hardware, optimizers, schedules, or declared config keys");
  cmd->add_option("what", *what, "models | datasets | hardware | optimizers | schedules | keys")
      ->required()
      ->check(CLI::IsMember({"models", "datasets", "hardware", "optimizers", "schedules", "keys"}));
  cmd->callback([what] {
    models::register_all();
    data::register_all();
    hw::register_all();
    train::register_all();
    if (*what == "keys") print_keys();
    else if (*what == "models") print(models::model_registry());
    else if (*what == "datasets") print(data::dataset_registry());
    else if (*what == "hardware") {
      print(hw::hardware_registry());
      std::cout << "storage (hardware.storage.type):\n";
      print(hw::storage_registry());
    } else if (*what == "optimizers") print(train::optimizer_registry());
    else print(train::schedule_registry());
  });
}

}  // namespace ax::cli
