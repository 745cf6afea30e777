#!/usr/bin/env python3
"""Markdown summary of scripts/axtrain_grid.sh tables (AxTrain Fig. 4/6/7/8/9 pattern).

    scripts/axtrain_grid_summary.py [OUT]      (default results/axtrain_grid)

Reads OUT/<dataset>.tsv and OUT/<dataset>_approxann.tsv; prints S(w), the DRUM loss ratios
(Fig. 6), the NTV accuracies over 50 draws (Fig. 7), the ApproxANN counts (Fig. 8) and the
lowest relative power within 2 points of the float BP accuracy (Fig. 9). Standard library only.
"""
import csv
import glob
import json
import os
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "results/axtrain_grid"
order = ["breast_cancer", "segment", "ionosphere", "satimage", "mnist"]
methods = ["bp", "act", "pas", "axtrain"]
drum = ["drum_k2", "drum_k3", "drum_k4", "drum_k5"]  # K1..K4 (G-40, experiments/axtrain-drum-k)
K = {h: f"K{i + 1}" for i, h in enumerate(drum)}


def read(path):
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


grid = {d: read(f"{out}/{d}.tsv") for d in order if os.path.exists(f"{out}/{d}.tsv")}
grid = {d: rows for d, rows in grid.items() if len(rows) == 24}  # finished data sets only (4 methods × 6 hardware)
aa = {d: read(f"{out}/{d}_approxann.tsv") for d in order if os.path.exists(f"{out}/{d}_approxann.tsv")}
cell = {(r["dataset"], r["method"], r["hardware"]): r for rows in grid.values() for r in rows}
ntv = {d: [h for h in dict.fromkeys(r["hardware"] for r in rows) if h.startswith("ntv")] for d, rows in grid.items()}


def f(x, nd=4):
    return "—" if x in (None, "-", "") else f"{float(x):.{nd}f}"


def float_accuracy(d):
    """Final test accuracy of the float BP run (its metrics.json under OUT/runs)."""
    for path in sorted(glob.glob(f"{out}/runs/axtrain_{d}_bp/*/metrics.json")):
        with open(path) as fh:
            j = json.load(fh)
        if j.get("status") == "complete":
            return j["final"]["test"]["accuracy"]
    return None


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


print("S(w) on the test set (`axtrain sensitivity`; AxTrain-pas / AxTrain: the K1-trained network)\n")
print("| data set | BP | AxTrain-act | AxTrain-pas | AxTrain |\n|---|---|---|---|---|")
for d in grid:
    print(f"| {d} | " + " | ".join(f(cell[(d, m, drum[0])]['S'], 3) for m in methods) + " |")

print("\nFig. 6 — test loss on DRUM ÷ test loss of the same network with accurate multipliers\n")
print("| data set | " + " | ".join(f"{K[h]} {m}" for h in drum for m in ("bp", "act", "axtrain")) + " |")
print("|---|" + "---|" * 12)
for d in grid:
    print(f"| {d} | " + " | ".join(f(cell[(d, m, h)]["loss_ratio"], 3) for h in drum for m in ("bp", "act", "axtrain")) + " |")
print("\nAverage over the data sets of the reduction of that ratio's excess over 1 vs BP, 1 − (r − 1)/(r_BP − 1):\n")
print("| | " + " | ".join(K[h] for h in drum) + " |\n|---|" + "---|" * 4)
for m in ("act", "axtrain"):
    row = []
    for h in drum:
        xs = []
        for d in grid:
            rb = float(cell[(d, "bp", h)]["loss_ratio"]) - 1
            rm = float(cell[(d, m, h)]["loss_ratio"]) - 1
            if abs(rb) > 1e-9:
                xs.append(1 - rm / rb)
        row.append(f(mean(xs), 2))
    print(f"| {'AxTrain-act' if m == 'act' else 'AxTrain'} vs BP | " + " | ".join(row) + " |")

print("\nFig. 7 — accuracy under NTV weight storage, mean ± std over the fault draws\n")
print("| data set | voltage | BP | AxTrain-act | AxTrain-pas | AxTrain | AxTrain ÷ BP − 1 |\n|---|---|---|---|---|---|---|")
gains = {"agg": [], "con": []}
for d in grid:
    for i, h in enumerate(ntv[d]):
        rs = [cell[(d, m, h)] for m in methods]
        g = float(rs[3]["accuracy"]) / float(rs[0]["accuracy"]) - 1
        gains["agg" if i == 0 else "con"].append(g)
        print(f"| {d} | {h[4:]} ({'Agg' if i == 0 else 'Con'}) | " +
              " | ".join(f"{f(r['accuracy'])} ± {f(r['accuracy_std'])}" for r in rs) + f" | {g:+.2%} |")
print(f"\nAverage AxTrain gain over BP: Agg {mean(gains['agg']):+.2%}, Con {mean(gains['con']):+.2%} "
      "(paper: +32.10 %, +8.163 %)")

if aa:
    print("\nFig. 8 — ApproxANN (2-point bound): share of the multipliers on the approximate design\n")
    hws = list(dict.fromkeys(r["hardware"] for rows in aa.values() for r in rows))
    print("| data set | " + " | ".join(f"{h} from BP | {h} from act" for h in hws) + " |\n|---|" + "---|" * (2 * len(hws)))
    more = {h: [] for h in hws}
    for d, rows in aa.items():
        a = {(r["start"], r["hardware"]): r for r in rows}
        cells = []
        for h in hws:
            b, c = a.get(("bp", h)), a.get(("act", h))
            cells += [f(b and b["fraction"]), f(c and c["fraction"])]
            if b and c and float(b["fraction"]) > 0:
                more[h].append(float(c["fraction"]) / float(b["fraction"]) - 1)
        print(f"| {d} | " + " | ".join(cells) + " |")
    print("\nAverage extra approximate multipliers from the AxTrain-act network: " +
          ", ".join(f"{h} {mean(v):+.2%}" for h, v in more.items() if v) + " (paper: K1 +25.51 %, K2 +23.33 %)")

print("\nFig. 9 — lowest relative power within 2 points of the float BP network's accuracy (static configurations)\n")
print("| data set | method | compute (static DRUM) | chosen | storage (NTV) | chosen |\n|---|---|---|---|---|---|")
for d in grid:
    base = float_accuracy(d)
    for m in ("bp", "axtrain"):
        ok = [(float(cell[(d, m, h)]["rel_compute"]), h) for h in drum
              if float(cell[(d, m, h)]["accuracy"]) >= base - 0.02]
        st = [(float(cell[(d, m, h)]["rel_storage"]), h) for h in ntv[d]
              if float(cell[(d, m, h)]["accuracy"]) >= base - 0.02]
        c, s = min(ok) if ok else (None, "none"), min(st) if st else (1.0, "nominal")
        print(f"| {d} | {m} | {f(c[0], 3) if ok else '—'} | {c[1]} | {f(s[0], 3)} | {s[1]} |")

if aa:
    print("\nFig. 9 (per-neuron) — relative compute power of the ApproxANN result (reference: accurate "
          "multipliers of the same width)\n")
    hws = list(dict.fromkeys(r["hardware"] for rows in aa.values() for r in rows))
    print("| data set | " + " | ".join(f"{h} from BP | {h} from act" for h in hws) + " |\n|---|" + "---|" * (2 * len(hws)))
    for d, rows in aa.items():
        a = {(r["start"], r["hardware"]): r for r in rows}
        print(f"| {d} | " + " | ".join(f(a.get((m, h), {}).get("rel_compute"), 3) for h in hws for m in ("bp", "act")) + " |")
