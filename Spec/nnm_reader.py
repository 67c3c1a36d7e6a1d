#!/usr/bin/env python3
"""An independent .nnm reader: loads a model per Spec/FORMAT.md and runs its forward pass.

Written from the spec alone, with numpy and the standard library only, to show the format can be
implemented without nnmodel's code.

    python3 Spec/nnm_reader.py MODEL.nnm X.npy [OUT.npy]   # predictions as float32 .npy
    python3 Spec/nnm_reader.py MODEL.nnm                    # print the header summary
"""
import json
import math
import struct
import sys
import zlib

import numpy as np

MAGIC = b"\x89NNM\r\n\x1a\n"
DTYPES = {"float32": np.dtype("<f4"), "float16": np.dtype("<f2"), "float64": np.dtype("<f8"), "bfloat16": None}


def load(path):
    """Returns (header, {tensor name: float32 array}) after checking everything the spec requires."""
    data = open(path, "rb").read()
    if len(data) < 24 or data[:8] != MAGIC:
        raise ValueError(f"{path}: not an nnm file")
    major, minor, header_crc, length = struct.unpack("<HHIQ", data[8:24])
    if major != 1:
        raise ValueError(f"{path}: format version {major}.{minor} is not supported (1.x)")
    if length > 16 << 20 or 24 + length > len(data):
        raise ValueError(f"{path}: bad header length {length}")
    text = data[24:24 + length]
    if zlib.crc32(text) != header_crc:
        raise ValueError(f"{path}: header checksum mismatch")
    header = json.loads(text.decode("utf-8"))
    start = (24 + length + 63) // 64 * 64
    tensors = {}
    for t in header["tensors"]:
        lo, hi = start + t["offset"], start + t["offset"] + t["length"]
        if t["offset"] % 64 or hi > len(data):
            raise ValueError(f"{path}: tensor {t['name']} is misplaced")
        raw = data[lo:hi]
        if zlib.crc32(raw) != t["crc32"]:
            raise ValueError(f"{path}: checksum mismatch in tensor {t['name']}")
        if t["dtype"] == "bfloat16":
            values = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            values = np.frombuffer(raw, DTYPES[t["dtype"]]).astype(np.float32)
        tensors[t["name"]] = values.reshape(t["shape"])
    return header, tensors


def sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def hard_sigmoid(x):
    return np.clip(x / 6 + 0.5, 0, 1)


ERF = np.vectorize(math.erf, otypes=[np.float64])
ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "selu": lambda x: 1.05070098 * np.where(x > 0, x, 1.67326324 * np.expm1(np.minimum(x, 0))),
    "gelu": lambda x: 0.5 * x * (1 + ERF(x / math.sqrt(2))),
    "softplus": softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "swish": lambda x: x * sigmoid(x),
    "silu": lambda x: x * sigmoid(x),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "exponential": np.exp,
    "hard_sigmoid": hard_sigmoid,
    "relu6": lambda x: np.clip(x, 0, 6),
    "hard_silu": lambda x: x * hard_sigmoid(x),
    "hard_swish": lambda x: x * hard_sigmoid(x),
    "mish": lambda x: x * np.tanh(softplus(x)),
}


def activate(name, x):
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return ACTIVATIONS[name](x)


def predict(header, tensors, x):
    """Runs the Sequential model of the header's Keras config on x ([N, ...])."""
    x = np.asarray(x, dtype=np.float64)
    for layer in header["architecture"]["config"]["layers"]:
        kind, config = layer["class_name"], layer["config"]
        if kind in ("InputLayer", "Dropout"):
            continue
        if kind == "Flatten":
            x = x.reshape(len(x), -1)
        elif kind == "Activation":
            x = activate(config["activation"], x)
        elif kind == "Dense":
            x = x @ tensors[config["name"] + "/kernel"].astype(np.float64)
            if config.get("use_bias", True):
                x = x + tensors[config["name"] + "/bias"]
            x = activate(config.get("activation") or "linear", x)
        else:
            raise ValueError(f"layer class {kind} is not in the spec")
    return x.astype(np.float32)


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    header, tensors = load(argv[1])
    if len(argv) == 2:
        layers = [l["class_name"] for l in header["architecture"]["config"]["layers"]]
        print(f"layers: {layers}; tensors: {[(n, list(t.shape)) for n, t in tensors.items()]}")
        return 0
    x = np.load(argv[2])
    if x.dtype == np.uint8:
        x = x / 255.0
    y = predict(header, tensors, x)
    if len(argv) > 3:
        np.save(argv[3], y)
    else:
        np.savetxt(sys.stdout, y, fmt="%.6f")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
