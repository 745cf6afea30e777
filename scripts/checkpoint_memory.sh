#!/usr/bin/env bash
# Li et al. (tinyML'22) Tab.6 on CPU: gradient checkpointing of the added point-wise nodes (the
# SC_act proxy and the error-injection op) on vs off, for TinyConv in error-injection training on
# stochastic computing (sc32), synthetic 32x32x3 data: peak resident memory and seconds per batch
# for growing batches, and the largest batch that stays under CAP_MB (default 4096 MiB).
# Each point is its own process (peak RSS is a process-wide high-water mark) running 4 batches; the
# calibration (first batch) runs the accurate model on 1/8 of the batch, so the peak is the
# training step's.
#   scripts/checkpoint_memory.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/checkpoint_memory}
ax=build/axtrain
cap=${CAP_MB:-4096}
batches=(${BATCHES:-128 256 512 1024 2048})
printf '| batch | checkpoint | peak RSS MiB | s/batch |\n|---|---|---|---|\n'
declare -A best=([true]=0 [false]=0)
for b in "${batches[@]}"; do
  for ck in true false; do
    m=$("$ax" run configs/tinyconv_fmnist_hw.yaml --out "$out" --quiet --set checkpoint=$ck \
        --set hardware=configs/hw/sc32.yaml --set "phases=[{name: inject, mode: inject, epochs: 1, calibrate: {fraction: 0.125}}]" \
        --set "data={type: synthetic, shape: [3, 32, 32], classes: 10, train_size: $((4 * b)), test_size: 16, batch_size: $b, test_batch_size: 16}")
    read -r rss secs < <("$ax" report --csv "$m" | awk -F, 'NR == 2 { printf "%.0f %.3f\n", $17 / 1048576, $12 / 4 }')
    printf '| %d | %s | %d | %s |\n' "$b" "$ck" "$rss" "$secs"
    (( rss <= cap )) && best[$ck]=$b
  done
done
printf '\nlargest batch under %d MiB: with checkpointing %d, without %d\n' "$cap" "${best[true]}" "${best[false]}"
