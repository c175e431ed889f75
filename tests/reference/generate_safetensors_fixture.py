#!/usr/bin/env python3
"""The safetensors interop fixture: files made by PyTorch that axon must read, and a check that
PyTorch reads the files axon writes.

Needs torch and the `safetensors` package (PyPI), e.g. in a venv that sees Debian's torch:
    /usr/bin/python3 -m venv --system-site-packages /work/venv-st
    /work/venv-st/bin/pip install safetensors

Write the fixture (from the repository root):
    /work/venv-st/bin/python tests/reference/generate_safetensors_fixture.py
writes safetensors_fixture.safetensors (by safetensors.torch.save_file) and, beside it,
safetensors_fixture.json: the values it holds, the order of its header and the versions that
made it. tests/serialize/safetensors_fixture_test.cpp loads the first and compares it with the
second, bit for bit.

Check a file axon wrote (that test writes one from the JSON's values and prints its path):
    /work/venv-st/bin/python tests/reference/generate_safetensors_fixture.py --check FILE
loads FILE with safetensors.torch.load_file and compares its tensors and metadata with the JSON.

The output is deterministic: fixed values, and one metadata entry (safetensors writes the
metadata from a hash map, so the order of several entries would change from run to run).
"""

import argparse
import json
import math
import os
import struct
import sys

import safetensors
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "safetensors_fixture.safetensors")
EXPECTED = os.path.join(HERE, "safetensors_fixture.json")

METADATA = {"comment": "written by safetensors.torch \u2713 \u00fcn\u00efc\u00f8d\u00e9"}

DTYPE_NAMES = {
    torch.bool: "BOOL",
    torch.uint8: "U8",
    torch.int64: "I64",
    torch.float32: "F32",
    torch.float64: "F64",
}


def fixture_tensors():
    nan, inf = float("nan"), float("inf")
    return {
        # Signed zero, infinities, NaN and the smallest float32 subnormal (1e-45 rounds to it).
        "layer.weight": torch.tensor([[1.5, -0.0, inf], [-inf, nan, 1e-45]], dtype=torch.float32),
        "layer.bias": torch.tensor([3.4028234663852886e38, -1.0, 0.1], dtype=torch.float32),
        "f64_values": torch.tensor([math.pi, -1e-300, nan, 1 / 3, 5e-324], dtype=torch.float64),
        "f64_scalar": torch.tensor(2.5, dtype=torch.float64),
        "step": torch.tensor(-(2**63), dtype=torch.int64),
        "i64_3d": torch.tensor([[[2**63 - 1, -1]], [[0, 42]]], dtype=torch.int64),
        "pixels": torch.tensor([0, 1, 127, 128, 255], dtype=torch.uint8),
        "mask": torch.tensor([[True, False], [False, True]]),
        "empty_f32": torch.zeros(0, 3, dtype=torch.float32),
        "empty_bool": torch.zeros(0, dtype=torch.bool),
    }


def encode_value(x):
    """JSON has no NaN or infinity: spell them as strings."""
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
    return x


def encode(t):
    return {
        "dtype": DTYPE_NAMES[t.dtype],
        "shape": list(t.shape),
        "values": [encode_value(x) for x in t.flatten().tolist()],
    }


def decode(enc):
    dtype = {v: k for k, v in DTYPE_NAMES.items()}[enc["dtype"]]
    values = [float(v) if isinstance(v, str) else v for v in enc["values"]]
    return torch.tensor(values, dtype=dtype).reshape(enc["shape"])


def header_order(path):
    """The names in the order the file's JSON header lists them."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n), object_pairs_hook=lambda pairs: pairs)
    return [key for key, _ in header if key != "__metadata__"]


def same(actual, expected):
    """Equal shapes, dtypes and values; NaN equals NaN and the sign of zero counts."""
    if actual.dtype != expected.dtype or actual.shape != expected.shape:
        return False
    if not actual.is_floating_point():
        return torch.equal(actual, expected)
    both_nan = torch.isnan(actual) & torch.isnan(expected)
    equal = (actual == expected) & (torch.signbit(actual) == torch.signbit(expected))
    return bool((both_nan | equal).all())


def generate():
    tensors = fixture_tensors()
    save_file(tensors, FIXTURE, metadata=METADATA)
    expected = {
        "torch_version": torch.__version__,
        "safetensors_version": safetensors.__version__,
        "metadata": METADATA,
        "header_order": header_order(FIXTURE),
        "tensors": {name: encode(t) for name, t in tensors.items()},
    }
    with open(EXPECTED, "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {FIXTURE} ({os.path.getsize(FIXTURE)} bytes) and {EXPECTED}")


def check(path):
    with open(EXPECTED, encoding="utf-8") as f:
        expected = json.load(f)
    loaded = load_file(path)
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
    problems = []
    if set(loaded) != set(expected["tensors"]):
        problems.append(f"names {sorted(loaded)} != {sorted(expected['tensors'])}")
    for name, enc in expected["tensors"].items():
        if name in loaded and not same(loaded[name], decode(enc)):
            problems.append(f"tensor {name}: {loaded[name]!r} != {decode(enc)!r}")
    if metadata != expected["metadata"]:
        problems.append(f"metadata {metadata} != {expected['metadata']}")
    if problems:
        print(f"FAILED: {path}\n  " + "\n  ".join(problems))
        return 1
    print(
        f"OK: {path}: {len(loaded)} tensors and the metadata match "
        f"(torch {torch.__version__}, safetensors {safetensors.__version__})"
    )
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", metavar="PATH", help="check a file axon wrote")
    args = parser.parse_args()
    if args.check:
        sys.exit(check(args.check))
    generate()


if __name__ == "__main__":
    main()
