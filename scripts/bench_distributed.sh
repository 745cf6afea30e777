#!/usr/bin/env bash
# Data-parallel training on this machine (issue 16), a benchmark: prints figures, asserts nothing.
#  1. TinyConv on Fashion-MNIST (ideal hardware, the same global batch of 128 and seed): one process
#     with 2 threads against 2 ranks (--nproc 2) with 1 thread each; img/s of training and the test
#     accuracy after the same epochs.
#  2. The gradient averaging of ResNet-18 (ImageNet head, 11.7 M parameters) over Gloo on loopback,
#     2 ranks: ms per step (axtrain bench --allreduce).
# Usage: scripts/bench_distributed.sh [OUT_DIR]   (EPOCHS=3 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
epochs=${EPOCHS:-3}
bin=build/axtrain
grep -m1 "model name" /proc/cpuinfo || true
echo "cores: $(nproc)   date: $(date -u +%F)   git: $(git rev-parse --short HEAD)"
common=(--set "phases=[{name: train, mode: ideal, epochs: $epochs}]" --set "hardware={type: ideal}" --set data.type=fashion_mnist
        --set data.test_batch_size=1000 --set "optimizer={type: sgd, lr: 0.05, momentum: 0.9}" --quiet --out "$out")
summary() {
  python3 - "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
ep = m["epochs"]
ips = [e["images_per_s"] for e in ep]
print(f"  world size {m.get('world_size', 1)}, global batch {m.get('global_batch_size')}, "
      f"train img/s per epoch {[round(x) for x in ips]}, test accuracy {m['final']['test']['accuracy']:.4f}, "
      f"wall {m['wall_seconds']:.1f} s")
PY
}
echo "1 process x 2 threads, batch 128:"
one=$($bin run configs/tinyconv_fmnist_hw.yaml "${common[@]}" --set data.batch_size=128 --threads 2)
summary "$one"
echo "2 ranks x 1 thread, batch 64 per rank:"
two=$($bin run configs/tinyconv_fmnist_hw.yaml "${common[@]}" --set data.batch_size=64 --threads 1 --nproc 2)
summary "$two"
echo "gradient averaging, 2 ranks x 1 thread:"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env="MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=2"
env $env RANK=1 $bin bench --allreduce --models resnet18_imagenet,resnet_tiny,tinyconv --batches 10 --threads 1 >/dev/null &
env $env RANK=0 $bin bench --allreduce --models resnet18_imagenet,resnet_tiny,tinyconv --batches 10 --threads 1
wait
