// axtrain lut from-c FILE.c --function NAME --bits N --out TABLE.txt [--signature ab|ba] [--timeout S]
// Tabulates a C multiplier into the EvoApprox text table format (lib/axtrain/hw/approx_mul/lut_from_c.h).
#include <iostream>

#include "axtrain/hw/approx_mul/lut_from_c.h"
#include "commands.h"

namespace ax::cli {

namespace {
struct LutArgs {
  hw::amul::LutFromC req;
  std::string signature = "ab";
};
}  // namespace

void add_lut(CLI::App& app) {
  auto a = std::make_shared<LutArgs>();
  CLI::App* lut = app.add_subcommand("lut", "multiplier truth tables");
  lut->require_subcommand(1);
  CLI::App* cmd = lut->add_subcommand("from-c", "tabulate a C multiplier function (compiled with the system cc)");
  cmd->add_option("file", a->req.source, "C source defining the multiplier")->required()->check(CLI::ExistingFile);
  cmd->add_option("--function", a->req.function, "the function's name, e.g. mul7u_09Y")->required();
  cmd->add_option("--bits", a->req.bits, "operand width n (table 2^n × 2^n)")->required()->check(CLI::Range(1, 8));
  cmd->add_option("--out", a->req.out, "table to write (text format)")->required();
  cmd->add_option("--signature", a->signature,
                  "ab: first C argument is port A (mul7u_*); ba: first is port B (EvoApprox mul8u_*(B, A))")
      ->check(CLI::IsMember({"ab", "ba"}));
  cmd->add_option("--timeout", a->req.timeout_s, "seconds allowed for the compile and for the tabulation, each")
      ->capture_default_str()->check(CLI::Range(1, 86400));
  cmd->callback([a] {
    hw::amul::LutFromC r = a->req;
    r.first_arg_is_a = a->signature == "ab";
    hw::amul::lut_from_c(r);
    std::cout << r.out << "\n";
  });
}

}  // namespace ax::cli
