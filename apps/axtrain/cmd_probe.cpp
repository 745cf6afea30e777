// axtrain probe --hardware HW.yaml --op linear|conv2d --input X.json --weight W.json [--seed S]
//               [--input-scale S] [--weight-scale S] [--stride N] [--padding N]
// Prints one JSON object: ideal, quantized, exact, proxy, scales, input_int, weight_int, exact_int.
#include <iostream>

#include "axtrain/hw/probe.h"
#include "commands.h"

namespace ax::cli {

namespace {
struct ProbeArgs {
  hw::ProbeRequest req;
  std::string op = "linear";
  double input_scale = 0.0, weight_scale = 0.0;
  std::int64_t stride = 1, padding = 0;
};
}  // namespace

void add_probe(CLI::App& app) {
  auto a = std::make_shared<ProbeArgs>();
  CLI::App* cmd = app.add_subcommand("probe", "evaluate one layer on given operands under a hardware preset (JSON out)");
  cmd->add_option("--hardware", a->req.hardware, "preset file with a top-level `hardware:` mapping")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--op", a->op, "linear (x [batch][in], w [out][in]) or conv2d (NCHW, OIHW)")
      ->check(CLI::IsMember({"linear", "conv2d"}));
  cmd->add_option("--input", a->req.input_file, "input operand as a nested JSON array")->required();
  cmd->add_option("--weight", a->req.weight_file, "weight operand as a nested JSON array")->required();
  cmd->add_option("--seed", a->req.seed, "torch seed before each evaluation (stochastic models)");
  auto* is = cmd->add_option("--input-scale", a->input_scale, "force input.scale (quantisation step)")
                 ->check(CLI::PositiveNumber);
  auto* ws = cmd->add_option("--weight-scale", a->weight_scale, "force weight.scale (quantisation step)")
                 ->check(CLI::PositiveNumber);
  cmd->add_option("--stride", a->stride, "conv2d stride")->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--padding", a->padding, "conv2d zero padding")->check(CLI::Range(0, 1 << 16));
  cmd->callback([a, is, ws] {
    hw::ProbeRequest r = a->req;
    r.op.kind = a->op == "conv2d" ? hw::MacOp::Kind::Conv2d : hw::MacOp::Kind::Linear;
    r.op.stride = a->stride;
    r.op.padding = a->padding;
    if (is->count()) r.input_scale = a->input_scale;
    if (ws->count()) r.weight_scale = a->weight_scale;
    std::cout << hw::run_probe(r).dump() << "\n";
  });
}

}  // namespace ax::cli
