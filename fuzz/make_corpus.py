#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora: small valid files of each format, under
fuzz/corpus/<target>/. Deterministic (gzip with mtime 0), so re-running changes nothing.

    python3 fuzz/make_corpus.py
"""
import gzip
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def idx_images(count, rows, cols):
    pixels = bytes((7 * i + 13) % 256 for i in range(count * rows * cols))
    return struct.pack(">IIII", 2051, count, rows, cols) + pixels


def idx_labels(labels):
    return struct.pack(">II", 2049, len(labels)) + bytes(labels)


def cifar_batch(labels):
    out = b""
    for n, label in enumerate(labels):
        out += bytes([label]) + bytes((n * 31 + i) % 256 for i in range(3 * 32 * 32))
    return out


def safetensors(tensors, metadata=None):
    """tensors: (name, dtype, shape, raw bytes) in data order, as axon writes them."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(raw for *_, raw in tensors)


def gz(data):
    return gzip.compress(data, mtime=0)


def corpora():
    mnist = {
        "images_2x28x28": idx_images(2, 28, 28),
        "images_3x4x5": idx_images(3, 4, 5),
        "images_empty": idx_images(0, 28, 28),
        "labels_10": idx_labels(list(range(10))),
        "labels_empty": idx_labels([]),
    }
    yield "mnist_idx", mnist
    gzipped = {name + ".gz": gz(data) for name, data in mnist.items()}
    # Two gzip members decompress to their concatenation.
    labels = mnist["labels_10"]
    gzipped["labels_two_members.gz"] = gz(labels[:9]) + gz(labels[9:])
    yield "mnist_idx_gz", gzipped
    yield "cifar10", {"batch_1": cifar_batch([3]), "batch_2": cifar_batch([0, 9])}
    f32 = struct.pack("<6f", 0.5, -1.0, 2.0, 3.25, 0.0, -0.125)
    yield "safetensors", {
        "one_f32.safetensors": safetensors([("weight", "F32", [2, 3], f32)]),
        "all_dtypes.safetensors": safetensors(
            [
                ("f64", "F64", [2], struct.pack("<2d", 1.5, -2.0)),
                ("i64", "I64", [1, 2], struct.pack("<2q", 7, -3)),
                ("f32", "F32", [], struct.pack("<f", 4.0)),
                ("u8", "U8", [3], bytes([0, 128, 255])),
                ("mask", "BOOL", [2, 2], bytes([1, 0, 0, 1])),
            ]
        ),
        "metadata.safetensors": safetensors(
            [("step", "I64", [1], struct.pack("<q", 42)), ("empty", "F32", [0, 4], b"")],
            {"format": "pt", "epoch": "3"},
        ),
        "no_tensors.safetensors": safetensors([]),
    }


def main():
    for target, files in corpora():
        folder = os.path.join(HERE, "corpus", target)
        os.makedirs(folder, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
