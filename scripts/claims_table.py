#!/usr/bin/env python3
"""The README's "What we reproduce" claim rows, generated from the committed verdicts.

Reads every results/<id>/<scale>/claims.csv (written by `axtrain experiment run|report|verdicts`)
and prints one markdown table row per claim: the claim, our effect (± spread over seeds), the
paper's, the verdict and the file it comes from. tests/unit/claims_test.cpp
(Claims.ReadmeMatchesTheCommittedVerdicts) checks the README against the same files.

  scripts/claims_table.py            # rows to paste into README.md
"""
import csv
import glob
import os
import sys

SCALES = ["smoke", "reduced", "cpu", "full"]


def number(text, points):
    if text == "":
        return "—"
    v = float(text)
    return f"{v * 100:+.1f} pt" if points else f"{v:+.3g}"


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    os.chdir(root)
    print("| experiment | claim | ours | paper | verdict | file |")
    print("|---|---|---|---|---|---|")
    files = sorted(glob.glob("results/*/*/claims.csv"),
                   key=lambda f: (f.split("/")[1], SCALES.index(f.split("/")[2]) if f.split("/")[2] in SCALES else 9))
    for f in files:
        exp, scale = f.split("/")[1], f.split("/")[2]
        with open(f, newline="") as fh:
            for r in csv.DictReader(fh):
                # an accuracy difference reads best in points; the file keeps fractions
                points = r["accuracy"] == "yes"
                ours = number(r["ours"], points)
                if r["spread"]:
                    ours += f" ± {float(r['spread']) * (100 if points else 1):.2g}"
                if r["within"]:
                    bound = float(r["within"]) * (100 if points else 1)
                    unit = " pt" if points else ""
                    claim = f"at most {bound:g}{unit} below" if r["side"] == "lower" else f"within ±{bound:g}{unit}"
                    paper = f"{number(r['paper'], points)} (claim: {claim})" if r["paper"] else f"claim: {claim}"
                elif r["expect"]:
                    paper = "> 0 (no number)" if r["expect"] == "positive" else "< 0 (no number)"
                else:
                    paper = number(r["paper"], points)
                print(f"| {exp} ({scale}) | {r['label']} | {ours} | {paper} | {r['verdict']} | "
                      f"[`{exp}#{r['claim']}`]({f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
