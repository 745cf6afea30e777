#!/usr/bin/env bash
# Every approximate multiplier we have: the EvoApproxLib tables in ../shared/data/multipliers
# (7- and 8-bit, signed operands one bit wider) and DRUM k = 2..8 (16-bit), each trained with the
# accurate model (TinyConv, Fashion-MNIST), one table and plot. The presets are written beside
# the results (OUT/presets), so the sweep's experiment.yaml stays reproducible.
#   scripts/sweep_multipliers.sh [--jobs N] [more axtrain sweep arguments]
# EPOCHS (default 1); OUT (default results/sweeps/multipliers).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-results/sweeps/multipliers}
data=${AXTRAIN_DATA:-../shared/data}
mkdir -p "$out/presets"
presets=()
for t in "$data"/multipliers/mul*.txt; do
  name=$(basename "$t" .txt)
  bits=$(( ${name:3:1} + 1 ))  # mul7u → 8-bit signed operands, mul8u → 9
  cat > "$out/presets/$name.yaml" <<YAML
hardware:
  type: approx_mul
  multiplier: {type: table, path: "\${AXTRAIN_DATA:-../shared/data}/multipliers/$name.txt"}
  activation_port: a
  input: {bits: $bits, scale: max_abs, signed: true}
  weight: {bits: $bits, scale: max_abs, signed: true}
YAML
  presets+=("$out/presets/$name.yaml")
done
for k in 2 3 4 5 6 7 8; do
  cat > "$out/presets/drum16_k$k.yaml" <<YAML
hardware:
  type: approx_mul
  multiplier: {type: drum, bits: 16, k: $k}
  activation_port: a
  input: {bits: 16, scale: pow2, signed: true}
  weight: {bits: 16, scale: pow2, signed: true}
YAML
  presets+=("$out/presets/drum16_k$k.yaml")
done
grid=$(IFS=,; echo "${presets[*]}")
build/axtrain sweep configs/tinyconv_fmnist_hw.yaml --set "phases.0.epochs=${EPOCHS:-1}" \
  --grid "hardware=$grid" --out "$out" "$@"
