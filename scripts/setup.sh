#!/usr/bin/env bash
# Installs what axtrain needs from Debian's archive (only what is missing; a no-op when all is
# there), then configures and builds it (Release) into build/. The binary lands at build/axtrain.
#   scripts/setup.sh            # install + build
#   AXTRAIN_SKIP_INSTALL=1 scripts/setup.sh   # build only
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ pkg-config
  libtorch-dev            # LibTorch 1.13 (CPU): tensors, autograd, nn, optim
  libopenblas0-pthread    # BLAS for LibTorch's matrix products (else netlib reference BLAS)
  libyaml-cpp-dev         # YAML configs
  libcli11-dev            # command line
  libfmt-dev              # formatting
  nlohmann-json3-dev      # metrics JSON
  libboost-filesystem-dev # paths, directories
  libgtest-dev            # unit tests
  libturbojpeg0-dev       # JPEG decoding for image-folder datasets
  zlib1g-dev              # gzip-compressed IDX files
  libpng-dev              # PNG heat maps (sensitivity maps)
  librandom123-dev        # Philox4x32: the counter-based generator of every random draw
  libgloo-dev             # headers of c10d's Gloo backend (data-parallel runs; the code is in LibTorch)
  gnuplot-nox             # PNG plots of sweeps and experiments
  dataset-fashion-mnist   # the default data (/usr/share/datasets/fashion-mnist)
)

if [[ "${AXTRAIN_SKIP_INSTALL:-0}" != 1 ]]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f build/CMakeCache.txt ]]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release
fi
# The app only: what the quickstart needs (scripts/test.sh builds the test binary).
cmake --build build --parallel "$(nproc)" --target axtrain
echo "setup: built build/axtrain" >&2
