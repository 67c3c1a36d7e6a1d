#!/usr/bin/env python3
"""Writes a large, valid .nnm model (Spec/FORMAT.md) with random float32 weights, streaming.

Default: Input [4096] -> Flatten -> 16 x Dense(4096, relu) -> Dense(10, softmax),
268,541,962 parameters, 1,074,169,... bytes (about 1.07 GB). Nothing bigger than one
16 MiB chunk is held in memory: the tensors are generated chunk by chunk from a seeded
generator twice, once to compute their CRC-32s for the header and once to write them.

    python3 make_big_model.py OUT.nnm [--width 4096] [--layers 16] [--classes 10] [--seed 0]

Prints one JSON line (path, bytes, parameters, seconds). numpy and the standard library only.
make_big_h5.py imports this module so that both files hold the same architecture and weights.
"""
import argparse
import datetime
import json
import os
import struct
import sys
import time
import zlib

import numpy as np

MAGIC = b"\x89NNM\r\n\x1a\n"
CHUNK_ELEMENTS = 4 << 20  # 16 MiB of float32 per chunk


def align64(n):
    return (n + 63) // 64 * 64


def architecture(width, layers, classes, name="big"):
    """Keras 2 style Sequential config (what FORMAT.md section 3.1 says writers write)."""
    def dense(layer_name, units, activation):
        return {"class_name": "Dense", "config": {
            "name": layer_name, "trainable": True, "dtype": "float32", "units": units,
            "activation": activation, "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None}}

    config = [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, width], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "input_layer"}},
        {"class_name": "Flatten", "config": {"name": "flatten", "trainable": True, "dtype": "float32",
                                             "data_format": "channels_last"}},
    ]
    for i in range(layers):
        config.append(dense("dense" if i == 0 else f"dense_{i}", width, "relu"))
    config.append(dense(f"dense_{layers}" if layers else "dense", classes, "softmax"))
    return {"class_name": "Sequential", "config": {"name": name, "layers": config}}


def weights(arch):
    """[(layer name, weight name, shape)] in model order: kernel then bias of each Dense."""
    out = []
    inputs = arch["config"]["layers"][0]["config"]["batch_input_shape"][1]
    for layer in arch["config"]["layers"]:
        if layer["class_name"] != "Dense":
            continue
        c = layer["config"]
        out.append((c["name"], "kernel", (inputs, c["units"])))
        out.append((c["name"], "bias", (c["units"],)))
        inputs = c["units"]
    return out


def chunks(index, shape, seed):
    """The tensor's values, row block by row block, float32 little-endian, C order.

    Deterministic in (seed, index): every call yields the same bytes. Kernels are uniform in
    the Glorot range, biases small."""
    rng = np.random.default_rng([seed, index])
    if len(shape) == 2:
        limit = np.float32((6.0 / (shape[0] + shape[1])) ** 0.5)
        rows = max(1, CHUNK_ELEMENTS // shape[1])
        for r0 in range(0, shape[0], rows):
            n = min(rows, shape[0] - r0)
            block = rng.random((n, shape[1]), dtype=np.float32)
            block *= 2 * limit
            block -= limit
            yield block
    else:
        yield (rng.random(shape, dtype=np.float32) - np.float32(0.5)) * np.float32(0.02)


def write_nnm(path, arch, seed):
    table = []
    offset = 0
    specs = weights(arch)
    for index, (layer, kind, shape) in enumerate(specs):
        length = 4 * int(np.prod(shape))
        crc = 0
        for block in chunks(index, shape, seed):
            crc = zlib.crc32(memoryview(np.ascontiguousarray(block, "<f4")).cast("B"), crc)
        table.append({"name": f"{layer}/{kind}", "dtype": "float32", "shape": list(shape),
                      "offset": offset, "length": length, "crc32": crc})
        offset = align64(offset + length)
    header = {
        "architecture": arch,
        "tensors": table,
        "metadata": {
            "producer": "nnmodel Benchmarks/make_big_model.py",
            "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "user": {"note": "random weights for load-time benchmarks"},
        },
    }
    text = json.dumps(header, separators=(", ", ": "), ensure_ascii=False).encode("utf-8")
    data_start = align64(24 + len(text))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(MAGIC + struct.pack("<HHIQ", 1, 0, zlib.crc32(text), len(text)))
        f.write(text)
        f.write(b"\0" * (data_start - 24 - len(text)))
        for index, (entry, (_, _, shape)) in enumerate(zip(table, specs)):
            pad = data_start + entry["offset"] - f.tell()
            f.write(b"\0" * pad)
            for block in chunks(index, shape, seed):
                f.write(memoryview(np.ascontiguousarray(block, "<f4")).cast("B"))
    os.replace(tmp, path)
    return parameter_count(specs)


def run(doc, writer, **extra):
    """Parses the shared options, builds the architecture, runs `writer(path, arch, seed)` (which
    returns the parameter count) and prints what was written as one JSON line."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--width", type=int, default=4096)
    p.add_argument("--layers", type=int, default=16, help="hidden Dense(width, relu) layers")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    t0 = time.perf_counter()
    arch = architecture(args.width, args.layers, args.classes)
    parameters = writer(args.out, arch, args.seed)
    print(json.dumps({"path": args.out, "bytes": os.path.getsize(args.out), "parameters": parameters,
                      "seconds": time.perf_counter() - t0, **extra}))


def parameter_count(specs):
    return sum(int(np.prod(s)) for _, _, s in specs)


def main():
    run(__doc__, write_nnm)


if __name__ == "__main__":
    sys.exit(main())
