#!/usr/bin/env bash
# The AxTrain grid (He et al., ISLPED'18; PAPERS.md §7.10–7.12, §9.3) on one data set of Table 1:
# BP, AxTrain-act, AxTrain-pas and AxTrain (configs/axtrain/<ds>_*.yaml), each evaluated on DRUM
# K1–K4 (configs/hw/drum_k2..k5: G-40 by the rule of experiments/axtrain-drum-k) and the data set's two NTV voltages (aggressive, conservative;
# NTV over 50 fault draws), plus the multiplier results normalised to the same network with
# accurate multipliers (Fig. 6: test loss on DRUM ÷ test loss in float) and S(w) of every trained
# network on the test set (`axtrain sensitivity`), the relative compute / storage power of each
# hardware (`axtrain power`, configs/power/default.yaml), and the ApproxANN search (Fig. 8) from the
# BP and the AxTrain-act networks on K1 and K2 (OUT/DATASET_approxann.tsv).
#   scripts/axtrain_grid.sh DATASET [OUT]    DATASET: breast_cancer segment ionosphere satimage mnist
# Runs go to OUT/runs (default results/axtrain_grid), finished runs are skipped (--resume); the table
# is OUT/DATASET.tsv: dataset method hardware accuracy accuracy_std loss float_loss loss_ratio S
# rel_compute rel_storage.
# AXTRAIN_EXTRA: extra arguments for every run (e.g. "--set phases.0.epochs=1 --threads 1").
set -euo pipefail
cd "$(dirname "$0")/.."
ds=${1:?usage: scripts/axtrain_grid.sh DATASET [OUT]}
out=${2:-results/axtrain_grid}
runs=$out/runs
mkdir -p "$runs"
bin=${AXTRAIN_BIN:-build/axtrain}  # a copy keeps long grids safe from rebuilds
extra=(${AXTRAIN_EXTRA:-})
repeats=${AXTRAIN_NTV_REPEATS:-50}
case $ds in
  breast_cancer) ntv=(ntv_400mV ntv_660mV) ;;
  *) ntv=(ntv_660mV ntv_850mV) ;;
esac
drum=(drum_k2 drum_k3 drum_k4 drum_k5)

run() { "$bin" run "$@" --out "$runs" --resume --quiet "${extra[@]}" | tail -1 | xargs dirname; }
hw_args() {  # the preset; NTV storage with the clipped STE of Eq. 12
  printf -- '--set\nhardware=configs/hw/%s.yaml\n' "$1"
  [[ $1 == ntv_* ]] && printf -- '--set\nhardware.ste=clipped\n'
  return 0
}
# eval DIR HW [MODE]: prints "accuracy std loss" of DIR/final.pt on HW
evaluate() {
  local n=1 mode=${3:-exact}
  [[ $2 == ntv_* ]] && n=$repeats
  local m
  m=$("$bin" eval --checkpoint "$1/final.pt" --hardware "configs/hw/$2.yaml" --mode "$mode" --repeats "$n" \
      --out "$runs" --quiet "${extra[@]}" | tail -1)
  "$bin" report --csv "$m" | awk -F, 'NR==2 {print $8, ($9 == "" ? 0 : $9), $11}'
}
sens() { "$bin" sensitivity --checkpoint "$1/final.pt" --quiet | awk '/^S\(w\)/ {print $2}'; }

table=$out/$ds.tsv
printf 'dataset\tmethod\thardware\taccuracy\taccuracy_std\tloss\tfloat_loss\tloss_ratio\tS\trel_compute\trel_storage\n' > "$table"
power() { "$bin" power "configs/axtrain/${ds}_bp.yaml" --set "hardware=configs/hw/$1.yaml" | awk '{print $3, $NF}'; }
row() {  # method hardware run_dir
  read -r acc std loss < <(evaluate "$3" "$2")
  local fl=- ratio=-
  if [[ $2 == drum_* ]]; then
    read -r _ _ fl < <(evaluate "$3" "$2" ideal)
    ratio=$(awk -v a="$loss" -v b="$fl" 'BEGIN {printf "%.4f", a / b}')
  fi
  local s
  s=$(sens "$3" 2>/dev/null) || s=-
  read -r pc ps < <(power "$2")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ds" "$1" "$2" "$acc" "$std" "$loss" "$fl" "$ratio" "$s" "$pc" "$ps" \
    | tee -a "$table"
}

bp=$(run "configs/axtrain/${ds}_bp.yaml")
act=$(run "configs/axtrain/${ds}_act.yaml")
for h in "${drum[@]}" "${ntv[@]}"; do
  mapfile -t ha < <(hw_args "$h")
  pas=$(run "configs/axtrain/${ds}_pas.yaml" "${ha[@]}")
  ax=$(AXTRAIN_ACT="$act/final.pt" run "configs/axtrain/${ds}_axtrain.yaml" "${ha[@]}")
  row bp "$h" "$bp"
  row act "$h" "$act"
  row pas "$h" "$pas"
  row axtrain "$h" "$ax"
done

# Fig. 8: ApproxANN from the BP and the AxTrain-act network, K1 and K2, bound 2 points; and with
# mul8u_17MJ, harsh enough that the search stops short of 100 % (the DRUM designs do not here).
aa=$out/${ds}_approxann.tsv
printf 'dataset\tstart\thardware\tapprox_multipliers\tmultipliers\tfraction\taccurate_accuracy\tfinal_accuracy\trel_compute\n' > "$aa"
for h in drum_k2 drum_k3 mul8u_17MJ; do
  for m in bp act; do
    d=$bp; [[ $m == act ]] && d=$act
    j=$runs/approxann/$m-$h
    "$bin" approxann --checkpoint "$d/final.pt" --hardware "configs/hw/$h.yaml" --out "$j" --quiet "${extra[@]}" >/dev/null
    python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("\t".join(map(str, [sys.argv[2], sys.argv[3], sys.argv[4], round(j["approx_multipliers"]), round(j["multipliers"]), round(j["approx_multiplier_fraction"], 4), j["accurate_accuracy"], j["final_accuracy"], round(j["power"]["relative_compute"], 4)])))' \
      "$j/approxann.json" "$ds" "$m" "$h" | tee -a "$aa"
  done
done
