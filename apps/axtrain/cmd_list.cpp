// axtrain list models|datasets|hardware|optimizers|schedules|keys
#include <iostream>

#include <fmt/format.h>

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

// Every declared key (run::declared_keys: the sections and each registered type's own keys, then
// each hardware and storage type's): section.key, type, range, default, doc.
void print_keys(bool markdown) {
  auto sections = run::declared_keys();
  for (const auto& [name, desc] : hw::hardware_registry().descriptions())
    if (!hw::hardware_registry().keys(name).empty())
      sections.emplace_back("hardware[type: " + name + "]", hw::hardware_registry().keys(name));
  for (const auto& [name, desc] : hw::storage_registry().descriptions())
    sections.emplace_back("hardware.storage[type: " + name + "]", hw::storage_registry().keys(name));
  if (markdown) {  // the tables of docs/config.md and docs/hardware/*.md, ready to paste
    for (const auto& [section, rows] : sections) {
      std::cout << fmt::format("\n### {}\n\n| key | type | range | default | meaning |\n|---|---|---|---|---|\n", section);
      auto cell = [](std::string t) {
        for (std::size_t i = 0; (i = t.find('|', i)) != std::string::npos; i += 2) t.insert(i, "\\");
        return t;
      };
      for (const auto& r : rows)
        std::cout << fmt::format("| `{}` | {} | {} | {} | {} |\n", r.key, cell(r.type), cell(r.range), cell(r.fallback),
                                 cell(r.doc));
    }
    return;
  }
  for (const auto& [section, rows] : sections)
    for (const auto& r : rows) {
      const std::string key = section == "Top level" ? r.key : section + "." + r.key;
      std::cout << fmt::format("  {:<40} {:<36} {:<14} {:<14} {}\n", key, r.type, r.range.empty() ? "-" : r.range,
                               r.fallback.empty() ? "-" : r.fallback, r.doc);
    }
}
}  // namespace

void add_list(CLI::App& app) {
  auto what = std::make_shared<std::string>();
  auto markdown = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("list", "list registered models, datasets, hardware, optimizers, schedules, or declared config keys");
  cmd->add_option("what", *what, "models | datasets | hardware | optimizers | schedules | keys")
      ->required()
      ->check(CLI::IsMember({"models", "datasets", "hardware", "optimizers", "schedules", "keys"}));
  cmd->add_flag("--markdown", *markdown, "keys: one markdown table per section (the docs' key tables)");
  cmd->callback([what, markdown] {
    models::register_all();
    data::register_all();
    hw::register_all();
    train::register_all();
    if (*what == "keys") print_keys(*markdown);
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
