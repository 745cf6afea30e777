#!/usr/bin/env bash
# Li et al. (tinyML'22) Tab.4/5 pattern on Fashion-MNIST with TinyConv, on CPU, for stochastic
# computing (sc32), approximate multiplication (mul7u_09Y) and analog 4-bit ADCs (analog_adc4):
#   Inference Only  an INT8 (fixed_point) model evaluated on the hardware (axtrain eval)
#   With Model      the accurate hardware model in every training step (exact mode)
#   Error Inj.      error injection (inject mode, calibrated) then a short fine-tune with the
#                   accurate model, at the same total epochs as With Model
# SC and AM train from scratch for EPOCHS (default 4; fine-tune 1 and 0.5 epochs); analog starts
# from the INT8 model and trains ANALOG_EPOCHS (default 2; fine-tune the last 0.25), as in the
# paper. Prints the `axtrain report` table of every run (docs/results.md records one).
#   scripts/fast_training_fmnist.sh [OUT_DIR]
# AXTRAIN_EXTRA adds arguments to every run and eval, e.g. a smoke version:
#   AXTRAIN_EXTRA="--set data.limit_train=512 --set data.limit_test=256" scripts/fast_training_fmnist.sh /tmp/smoke
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/fast_training_fmnist}
E=${EPOCHS:-4}
EA=${ANALOG_EPOCHS:-2}
ax=build/axtrain
read -r -a extra <<<"${AXTRAIN_EXTRA:-}"
cfg=configs/tinyconv_fmnist_hw.yaml
run() { "$ax" run "$cfg" --out "$out" --quiet "${extra[@]}" "$@"; }

int8=$(run --set 'hardware={type: fixed_point}' --set "phases=[{name: int8, mode: exact, epochs: $E}]")
int8_ckpt=$(dirname "$int8")/final.pt
echo "INT8 baseline: $int8" >&2

for hw in sc32 mul7u_09Y analog_adc4; do
  preset=configs/hw/$hw.yaml
  "$ax" eval --checkpoint "$int8_ckpt" --hardware "$preset" --out "$out" --quiet "${extra[@]}" >/dev/null
  if [[ $hw == analog_adc4 ]]; then
    common=(--set "hardware=$preset" --set "init={checkpoint: $int8_ckpt}" --set optimizer.lr=0.001)
    run "${common[@]}" --set "phases=[{name: with_model, mode: exact, epochs: $EA}]" >/dev/null
    run "${common[@]}" --set "phases=[{name: inject, mode: inject, epochs: $(awk "BEGIN{print $EA - 0.25}")}, {name: finetune, mode: exact, epochs: 0.25}]" >/dev/null
  else
    ft=1
    [[ $hw == mul7u_09Y ]] && ft=0.5
    run --set "hardware=$preset" --set "phases=[{name: with_model, mode: exact, epochs: $E}]" >/dev/null
    run --set "hardware=$preset" --set "phases=[{name: inject, mode: inject, epochs: $(awk "BEGIN{print $E - $ft}")}, {name: finetune, mode: exact, epochs: $ft}]" >/dev/null
  fi
  echo "done: $hw" >&2
done
"$ax" report "$out"
