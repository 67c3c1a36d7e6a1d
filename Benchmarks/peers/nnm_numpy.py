"""Reads the weights of an .nnm file (Spec/FORMAT.md) into numpy arrays, for the peers that
need the same tensors nnmodel reads: the architecture (a Keras Sequential config) and
{tensor name: float32 array} for the model's Dense kernels and biases, in model order.

No checksums are verified (nnmodel's own reads do verify them); float32 tensors only, which
is what nnmodel writes by default and make_big_model.py writes. numpy and the standard library only.
"""
import json
import struct

import numpy as np

MAGIC = b"\x89NNM\r\n\x1a\n"


def read(path):
    """(architecture, {name: float32 array}) of the model's weights, each array its own copy."""
    with open(path, "rb") as f:
        pre = f.read(24)
        if pre[:8] != MAGIC:
            raise ValueError(f"{path}: not an .nnm file")
        length = struct.unpack("<Q", pre[16:24])[0]
        header = json.loads(f.read(length))
        start = (24 + length + 63) // 64 * 64
        table = {t["name"]: t for t in header["tensors"]}
        tensors = {}
        for layer in header["architecture"]["config"]["layers"]:
            if layer["class_name"] != "Dense":
                continue
            for kind in ("kernel", "bias"):
                t = table[f"{layer['config']['name']}/{kind}"]
                if t["dtype"] != "float32":
                    raise ValueError(f"{path}: {t['name']} is {t['dtype']}; this reader takes float32 only")
                f.seek(start + t["offset"])
                count = t["length"] // 4
                array = np.fromfile(f, dtype="<f4", count=count)
                if array.size != count:
                    raise ValueError(f"{path}: {t['name']} is truncated")
                tensors[t["name"]] = array.reshape(t["shape"])
    return header["architecture"], tensors
