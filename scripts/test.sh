#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run the unit and CLI tests (ctest).
# This is exactly what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --build build --parallel "$(nproc)"  # the test binary (setup builds the app only)
ctest --test-dir build --output-on-failure --parallel "$(nproc)"
