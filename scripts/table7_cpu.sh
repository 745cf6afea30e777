#!/usr/bin/env bash
# Li et al. (tinyML'22) Tab.7 on this machine's CPU: seconds per training epoch of TinyConv,
# batch 256, for stochastic computing (sc32), approximate multiplication (mul7u_09Y) and analog
# 4-bit ADCs (analog_adc4):
#   without model  SC, AM: the split positive/negative float computation the proxy needs (proxy
#                  mode); analog: the plain float convolution (ideal mode)
#   with model     the accurate hardware model forward, proxy backward (exact mode)
#   inject         error injection (inject mode), calibration included, and its share shown apart
# on Fashion-MNIST (60,000 images) and synthetic 32x32x3 data (SYNTH_SIZE images, default 50,000
# like CIFAR-10). Evaluation is excluded (1,000 test images, accurate model).
#   scripts/table7_cpu.sh [OUT_DIR]         (AXTRAIN_EXTRA: extra arguments for every run)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/table7_cpu}
ax=build/axtrain
read -r -a extra <<<"${AXTRAIN_EXTRA:-}"
synth=${SYNTH_SIZE:-50000}
common=(--set data.batch_size=256 --set data.limit_test=1000 --set data.augmentation=none --quiet "${extra[@]}")
# One epoch; prints "train_s calibration_s test_accuracy" of the run.
epoch() {
  local m
  m=$("$ax" run configs/tinyconv_fmnist_hw.yaml --out "$out" "${common[@]}" "$@")
  "$ax" report --csv "$m" | awk -F, 'NR == 2 { printf "%.1f %.1f %.4f\n", $12, $13, $8 }'
}
printf '| data | method | ideal float s/epoch | without model s/epoch | with model s/epoch | inject s/epoch (calibration s, share) | with/inject | inject/without | inject without calibration / without |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for data in fmnist synth32; do
  d=()
  [[ $data == synth32 ]] && d=(--set "data={type: synthetic, shape: [3, 32, 32], classes: 10, train_size: $synth, test_size: 1000, noise: 0.35}")
  read -r ideal _ _ < <(epoch "${d[@]}" --set 'hardware={type: ideal}' --set 'phases=[{name: ideal, mode: ideal, epochs: 1}]')
  for hw in sc32 mul7u_09Y analog_adc4; do
    base=proxy
    [[ $hw == analog_adc4 ]] && base=ideal
    h=(--set "hardware=configs/hw/$hw.yaml")
    read -r without _ _ < <(epoch "${d[@]}" "${h[@]}" --set "phases=[{name: without, mode: $base, epochs: 1}]")
    read -r with _ _ < <(epoch "${d[@]}" "${h[@]}" --set 'phases=[{name: with, mode: exact, epochs: 1}]')
    read -r inj cal _ < <(epoch "${d[@]}" "${h[@]}" --set 'phases=[{name: inject, mode: inject, epochs: 1}]')
    awk -v d="$data" -v h="$hw" -v i="$ideal" -v wo="$without" -v w="$with" -v j="$inj" -v c="$cal" 'BEGIN {
      printf "| %s | %s | %.1f | %.1f | %.1f | %.1f (%.1f, %.0f%%) | %.2fx | %.2fx | %.2fx |\n", d, h, i, wo, w, j, c, 100 * c / j, w / j, j / wo, (j - c) / wo }'
  done
done
