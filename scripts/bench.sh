#!/usr/bin/env bash
# The benchmarks of docs/performance.md (figures, not tests):
#  1. training and inference images/s of MLP, LeNet-5, TinyConv, ResNet-tiny at batch 256 on
#     synthetic data, float (issue 2);
#  2. forward and training-step time of TinyConv and ResNet-tiny at batch 64 in ideal, proxy and
#     exact mode for every approximate hardware preset (issue 3; Li et al. Tab.1/7 "With Model").
#   scripts/bench.sh [BATCHES]     (timed batches per case, default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}
echo "## float training throughput, batch 256"
build/axtrain bench --batch 256 --batches "$n"
echo
echo "## hardware emulation, batch 64"
build/axtrain bench --models tinyconv,resnet_tiny --batch 64 --batches "$n" --modes ideal,proxy,exact \
  --hardware configs/hw/sc32.yaml configs/hw/mul7u_09Y.yaml configs/hw/drum_k4.yaml configs/hw/analog_adc4.yaml \
  configs/hw/ntv_660mV.yaml
