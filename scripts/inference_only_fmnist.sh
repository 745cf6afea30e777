#!/usr/bin/env bash
# "Inference Only" (li2022 Tab.4) on Fashion-MNIST: trains TinyConv (HardTanh(0,1)) as an INT8
# network until converged (12 epochs, `int8` preset), then evaluates that one checkpoint on the
# approximate presets and on analog_adc4 under a sweep of the ADC full-scale rule (G-20:
# percentiles of P⁺ ∪ P⁻ and mean + k·σ). Prints the markdown table of docs/results.md.
#   scripts/inference_only_fmnist.sh OUT_DIR [--set KEY=VALUE ...]   (extra --set go to training)
# An existing complete training run under OUT_DIR is reused (axtrain run skips a finished run);
# CHECKPOINT=final.pt skips training and evaluates that INT8 checkpoint instead.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/inference_only_fmnist.sh OUT_DIR [--set KEY=VALUE ...]}
shift
mkdir -p "$out/presets"
ckpt=${CHECKPOINT:-}
if [ -z "$ckpt" ]; then
  build/axtrain run configs/tinyconv_fmnist_hw.yaml --out "$out" --quiet \
    --set name=tinyconv_fmnist_int8 --set hardware=configs/hw/int8.yaml \
    --set "phases=[{name: int8, mode: exact, epochs: ${EPOCHS:-12}}]" --set eval.every=1 "$@" >/dev/null
  ckpt=$(ls -t "$out"/tinyconv_fmnist_int8/*/final.pt | head -1)
fi

# Full-scale variants of the analog preset (the same file with its `percentile` line replaced).
variants=()
for p in 99.9 99 97 95 93 90; do
  sed "s/^  percentile: .*/  percentile: $p/" configs/hw/analog_adc4.yaml >"$out/presets/analog_p$p.yaml"
  variants+=("$out/presets/analog_p$p.yaml")
done
for k in 3 2.5 2 1.5 1; do
  sed "s/^  percentile: .*/  sigmas: $k/" configs/hw/analog_adc4.yaml >"$out/presets/analog_s$k.yaml"
  variants+=("$out/presets/analog_s$k.yaml")
done

printf '| hardware (Inference Only) | full scale | test accuracy | drop vs INT8 (points) | output deviation |\n|---|---|---|---|---|\n'
int8_acc=""
for h in configs/hw/int8.yaml configs/hw/mul7u_09Y.yaml configs/hw/sc32.yaml configs/hw/drum_k4.yaml "${variants[@]}"; do
  f=$(build/axtrain eval --checkpoint "$ckpt" --hardware "$h" --out "$out/eval" --quiet --resume | tail -1)
  name=$(basename "$h" .yaml)
  /usr/bin/python3 - "$f" "$name" "$int8_acc" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
name, base = sys.argv[2], sys.argv[3]
t = m["final"]["test"]
rule = "—"
if name.startswith("analog_"):
    rule = ("percentile " + name[8:]) if name[7] == "p" else ("mean + " + name[8:] + "·σ")
drop = "—" if not base else f"{(float(base) - t['accuracy']) * 100:.2f}"
dev = t.get("output_deviation")
print(f"| {name} | {rule} | {t['accuracy']:.4f} | {drop} | {'—' if dev is None else f'{dev:.4f}'} |")
EOF
  if [ -z "$int8_acc" ]; then
    int8_acc=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["final"]["test"]["accuracy"])' "$f")
  fi
done
