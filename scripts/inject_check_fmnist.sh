#!/usr/bin/env bash
# Error injection vs the accurate model (issue 13 part 3) on the converged INT8 TinyConv of
# docs/results.md ("Inference Only on Fashion-MNIST"): per layer, the error model calibrated on
# 1024 training images (batch A), compared on 1024 others (batch B), for sc32 and mul7u_09Y with
# both type-1 fits and for analog_adc4 (type 2). Usage: scripts/inject_check_fmnist.sh CHECKPOINT [AXTRAIN]
set -euo pipefail
ck=${1:?checkpoint (final.pt of the INT8 TinyConv run)}
ax=${2:-build/axtrain}
out=results/inject_check_fmnist
mkdir -p "$out"
run() {  # name hardware fit
  local extra=()
  [ -n "$3" ] && extra=(--set "inject.fit=$3")
  "$ax" inject-check --checkpoint "$ck" --hardware "configs/hw/$2.yaml" --batch 1024 --seed 1 "${extra[@]}" \
    --json "$out/$1.json" > "$out/$1.md"
}
run sc32_table sc32 table
run sc32_polynomial sc32 polynomial
run mul7u_09Y_table mul7u_09Y table
run mul7u_09Y_polynomial mul7u_09Y polynomial
run analog_adc4 analog_adc4 ""
