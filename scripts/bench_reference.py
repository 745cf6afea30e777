#!/usr/bin/python3
"""Float reference of `axtrain bench`: the same TinyConv and ResNet-tiny written in plain PyTorch
(Debian's python3-torch, the same LibTorch as axtrain), timed the same way (synthetic batch, SGD
with momentum, cross-entropy; medians of interleaved repetitions). It is what a researcher would
otherwise write; scripts/bench.sh prints it beside axtrain's figures.

    /usr/bin/python3 scripts/bench_reference.py [--batch 64] [--batches 5] [--repetitions 5] [--json F]
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyConv(nn.Module):
    """lib/axtrain/models/tinyconv.cpp: 3 × (conv5x5 → BN → ReLU → avgpool2 → HardTanh(0,1)), conv classifier, BN."""

    def __init__(self, c=3, hw=32, classes=10):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(c, 32, 5, 1, 2, bias=False), nn.BatchNorm2d(32)
        self.conv2, self.bn2 = nn.Conv2d(32, 32, 5, 1, 2, bias=False), nn.BatchNorm2d(32)
        self.conv3, self.bn3 = nn.Conv2d(32, 64, 5, 1, 2, bias=False), nn.BatchNorm2d(64)
        self.fc, self.bn4 = nn.Conv2d(64, classes, hw // 8, 1, 0, bias=False), nn.BatchNorm1d(classes)

    def forward(self, x):
        for conv, bn in ((self.conv1, self.bn1), (self.conv2, self.bn2), (self.conv3, self.bn3)):
            x = torch.clamp(F.avg_pool2d(F.relu(bn(conv(x))), 2), 0.0, 1.0)
        return self.bn4(self.fc(x).flatten(1))


class Stack(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, 0) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu((self.shortcut(x) if self.shortcut is not None else x) + y)


class ResNetTiny(nn.Module):
    """lib/axtrain/models/resnet_tiny.cpp: MLPerf Tiny ResNet-8, filters [16, 32, 64]."""

    def __init__(self, c=3, classes=10, filters=(16, 32, 64)):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(c, filters[0], 3, 1, 1), nn.BatchNorm2d(filters[0], eps=1e-3, momentum=0.01)
        stacks, cin = [], filters[0]
        for i, f in enumerate(filters):
            stacks.append(Stack(cin, f, 1 if i == 0 else 2))
            cin = f
        self.stacks = nn.Sequential(*stacks)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.stacks(F.relu(self.bn1(self.conv1(x))))
        return self.fc(x.mean((2, 3)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--batches", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads or os.cpu_count())
    torch.manual_seed(0)
    cases = []
    for name, model in (("tinyconv", TinyConv()), ("resnet_tiny", ResNetTiny())):
        x, y = torch.rand(a.batch, 3, 32, 32), torch.randint(0, 10, (a.batch,))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

        def train(n, model=model, x=x, y=y, opt=opt):
            model.train()
            t0 = time.perf_counter()
            for _ in range(n):
                opt.zero_grad()
                F.cross_entropy(model(x), y).backward()
                opt.step()
            return 1000 * (time.perf_counter() - t0) / n

        def infer(n, model=model, x=x):
            model.eval()
            with torch.no_grad():
                t0 = time.perf_counter()
                for _ in range(n):
                    model(x)
            return 1000 * (time.perf_counter() - t0) / n

        train(a.warmup)
        infer(max(1, a.warmup))
        cases.append({"model": name, "train": train, "infer": infer, "train_ms": [], "forward_ms": []})
    for _ in range(a.repetitions):
        for c in cases:
            c["train_ms"].append(c["train"](a.batches))
            c["forward_ms"].append(c["infer"](a.batches))
    print(f"# PyTorch {torch.__version__} float reference: batch {a.batch}, {a.batches} timed batches x "
          f"{a.repetitions} interleaved repetitions (medians), {torch.get_num_threads()} threads")
    print(f"{'model':<14} {'train img/s':>11} {'train ms':>10} {'infer img/s':>11} {'infer ms':>10}")
    out = []
    for c in cases:
        tr, fw = statistics.median(c["train_ms"]), statistics.median(c["forward_ms"])
        print(f"{c['model']:<14} {1000 * a.batch / tr:>11.0f} {tr:>10.1f} {1000 * a.batch / fw:>11.0f} {fw:>10.1f}")
        out.append({"model": c["model"], "train_step_ms": tr, "forward_ms": fw,
                    "train_ms_repetitions": c["train_ms"], "forward_ms_repetitions": c["forward_ms"]})
    if a.json:
        with open(a.json + ".tmp", "w") as f:
            json.dump({"torch": torch.__version__, "batch": a.batch, "results": out}, f, indent=2)
        os.replace(a.json + ".tmp", a.json)


if __name__ == "__main__":
    main()
