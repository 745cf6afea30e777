// axtrain list models|datasets|hardware|optimizers|schedules
#include <iostream>

#include <fmt/format.h>

#include "axtrain/data/spec.h"
#include "axtrain/hw/hardware.h"
#include "axtrain/models/model.h"
#include "axtrain/train/optim.h"
#include "commands.h"

namespace ax::cli {

namespace {
template <class R>
void print(const R& registry) {
  for (const auto& [name, desc] : registry.descriptions()) std::cout << fmt::format("  {:<16} {}\n", name, desc);
}
}  // namespace

void add_list(CLI::App& app) {
  auto what = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("list", "list registered models, datasets, hardware, optimizers, schedules");
  cmd->add_option("what", *what, "models | datasets | hardware | optimizers | schedules")
      ->required()
      ->check(CLI::IsMember({"models", "datasets", "hardware", "optimizers", "schedules"}));
  cmd->callback([what] {
    models::register_all();
    data::register_all();
    hw::register_all();
    train::register_all();
    if (*what == "models") print(models::model_registry());
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
