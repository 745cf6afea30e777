#!/usr/bin/env bash
# Random-number throughput (issue 15 part 6): the Philox generator of core/random.cpp against the
# hash generator it replaced (taken from git history) and a scalar Random123 loop, one thread.
# Usage: scripts/bench_rng.sh   (needs g++ and librandom123-dev; builds in a temporary folder)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$root" show ee3c502:lib/axtrain/inject/normal_rng.cpp > "$tmp/normal_rng.cpp"
git -C "$root" show ee3c502:lib/axtrain/inject/normal_rng.h > "$tmp/normal_rng.h"
mkdir -p "$tmp/axtrain/inject" && cp "$tmp/normal_rng.h" "$tmp/axtrain/inject/"
flags=(-std=c++17 -O2 -I"$root/lib" -I"$tmp")
g++ "${flags[@]}" -ffast-math -c "$root/lib/axtrain/core/random.cpp" -o "$tmp/random.o"
g++ "${flags[@]}" -ffast-math -c "$tmp/normal_rng.cpp" -o "$tmp/normal_rng.o"
g++ "${flags[@]}" "$root/scripts/bench_rng.cpp" "$tmp/random.o" "$tmp/normal_rng.o" -o "$tmp/bench_rng"
grep -m1 "model name" /proc/cpuinfo || true
"$tmp/bench_rng"
