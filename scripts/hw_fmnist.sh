#!/usr/bin/env bash
# TinyConv on Fashion-MNIST trained "with model" (exact mode) on each approximate hardware preset,
# as in docs/results.md. Extra arguments go to every `axtrain run` (e.g. --set phases.0.epochs=1).
#   scripts/hw_fmnist.sh [--out DIR] [--set KEY=VALUE ...]
set -euo pipefail
cd "$(dirname "$0")/.."
presets=(${AXTRAIN_PRESETS:-sc32 mul7u_09Y drum_k4 analog_adc4 ntv_660mV})
printf '| hardware | final test accuracy | metrics |\n|---|---|---|\n'
for p in "${presets[@]}"; do
  log=$(mktemp)
  build/axtrain run configs/tinyconv_fmnist_hw.yaml --set hardware=configs/hw/$p.yaml "$@" 2>"$log" >"$log.out"
  acc=$(sed -n 's/^final test accuracy \([0-9.]*\).*/\1/p' "$log" | tail -1)
  printf '| %s | %s | %s |\n' "$p" "$acc" "$(cat "$log.out")"
  rm -f "$log" "$log.out"
done
