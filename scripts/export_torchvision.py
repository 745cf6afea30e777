#!/usr/bin/env python3
"""Export torchvision's pretrained ResNet-18 for axtrain (`init: {checkpoint: FILE.safetensors}`).

Run wherever PyTorch and torchvision are installed (e.g. the GPU machine; axtrain itself needs
neither):

    python3 scripts/export_torchvision.py --out resnet18_imagenet1k_v1.safetensors

Format: safetensors (8-byte little-endian header length, JSON header with dtype, shape and
data_offsets per tensor, raw little-endian data), written here with the standard library only, so
the `safetensors` package is not needed. Tensor names are torchvision's state_dict keys
(conv1.weight, bn1.running_mean, layer1.0.conv1.weight, ..., fc.bias), which are also the names of
axtrain's resnet18 model (tests/unit/models_test.cpp checks them). BatchNorm num_batches_tracked
is kept (axtrain ignores it). `--self-test OUT` writes a small file of known tensors without
importing torch; the C++ tests read it back to check both implementations agree.
"""
import argparse
import json
import struct
import sys

DTYPES = {"float32": ("F32", "f"), "float64": ("F64", "d"), "int64": ("I64", "q"), "int32": ("I32", "i")}


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, dtype key of DTYPES or safetensors name, shape, raw little-endian bytes)."""
    header, blobs, offset = {}, [], 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": DTYPES.get(dtype, (dtype,))[0], "shape": list(shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    import os
    os.replace(tmp, path)


def self_test(path):
    """Known tensors: a[i] = i / 4 (F32, 2x3), b = [-3, 5] (I64), c = 0.1 * (i + 1) (F64, 4)."""
    a = struct.pack("<6f", *[i / 4 for i in range(6)])
    b = struct.pack("<2q", -3, 5)
    c = struct.pack("<4d", *[0.1 * (i + 1) for i in range(4)])
    write_safetensors(path, [("a", "float32", (2, 3), a), ("b", "int64", (2,), b), ("c", "float64", (4,), c)],
                      {"source": "export_torchvision.py --self-test"})


def export(model_name, weights, path):
    import torch  # noqa: F401  (imported here so --self-test runs without PyTorch)
    import torchvision
    model = getattr(torchvision.models, model_name)(weights=weights)
    tensors = []
    for name, t in model.state_dict().items():
        t = t.detach().cpu().contiguous()
        dtype = str(t.dtype).replace("torch.", "")
        if dtype not in DTYPES:
            sys.exit(f"export_torchvision: tensor {name} has unsupported dtype {dtype}")
        tensors.append((name, dtype, tuple(t.shape), t.numpy().tobytes()))
    write_safetensors(path, tensors, {"source": f"torchvision {torchvision.__version__} {model_name} {weights}"})
    print(f"wrote {len(tensors)} tensors to {path}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="resnet18", help="torchvision model name (default resnet18)")
    p.add_argument("--weights", default="IMAGENET1K_V1", help="torchvision weights enum (default IMAGENET1K_V1)")
    p.add_argument("--out", help="output .safetensors file")
    p.add_argument("--self-test", metavar="OUT", help="write known test tensors to OUT and exit")
    a = p.parse_args()
    if a.self_test:
        self_test(a.self_test)
        return
    if not a.out:
        p.error("--out is required")
    export(a.model, a.weights, a.out)


if __name__ == "__main__":
    main()
