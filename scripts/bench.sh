#!/usr/bin/env bash
# The benchmarks of docs/performance.md (figures, not tests):
#  1. float training and inference images/s of MLP, LeNet-5, TinyConv, ResNet-tiny at batch 256;
#  2. TinyConv and ResNet-tiny at batch 64 in ideal, proxy and exact mode for every approximate
#     hardware preset, with GMAC/s and the ratio to float measured in the same run (medians of
#     interleaved repetitions);
#  3. the same float networks written in plain PyTorch (Debian's python3-torch, same LibTorch):
#     what a researcher would otherwise run. python3-torch is installed here if it is missing
#     (never a runtime dependency of axtrain); AXTRAIN_NO_PYTHON=1 skips part 3.
#   [BATCHES=5] scripts/bench.sh [REPETITIONS] [OUT_DIR]   (default 5; JSON files land in OUT_DIR if given;
#   BATCHES: timed batches per repetition of the hardware part)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
out=${2:-}
json() { [[ -n "$out" ]] && echo "--json $out/$1.json" || true; }
[[ -n "$out" ]] && mkdir -p "$out"
echo "## float training throughput, batch 256"
build/axtrain bench --batch 256 --repetitions "$reps" $(json float)
echo
echo "## hardware emulation, batch 64 (ratios: ÷ the same model's float case in this run)"
build/axtrain bench --models tinyconv,resnet_tiny --batch 64 --batches "${BATCHES:-5}" --repetitions "$reps" --modes proxy,exact \
  --hardware configs/hw/sc32.yaml configs/hw/mul7u_09Y.yaml configs/hw/drum_k4.yaml configs/hw/analog_adc4.yaml \
  configs/hw/ntv_660mV.yaml $(json hardware)
if [[ "${AXTRAIN_NO_PYTHON:-0}" != 1 ]]; then
  if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "bench: installing Debian's python3-torch for the reference script" >&2
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
  fi
  echo
  echo "## the same float networks in plain PyTorch, batch 64"
  /usr/bin/python3 scripts/bench_reference.py --batch 64 --repetitions "$reps" $(json pytorch_reference)
fi
