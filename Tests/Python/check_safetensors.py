"""Reads a safetensors file nnmodel wrote with the safetensors package, for the Swift tests.

    check_safetensors.py MODEL.safetensors COPY.safetensors

Opens MODEL with safe_open (numpy), checks every tensor against load_file's, prints a JSON line
with the metadata and each tensor's dtype, shape and float64 sum, then writes the same tensors
and metadata with safetensors.numpy.save_file to COPY (so nnmodel can read a file the reference
writer made).
"""
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file


def main():
    source, copy = sys.argv[1:3]
    loaded = load_file(source)
    with safe_open(source, framework="numpy") as f:
        metadata = f.metadata() or {}
        tensors = {name: f.get_tensor(name) for name in f.keys()}
    assert tensors.keys() == loaded.keys()
    for name, value in tensors.items():
        assert np.array_equal(value, loaded[name], equal_nan=True), name
    summary = {
        "metadata_keys": sorted(metadata),
        "tensors": {name: [str(v.dtype), list(v.shape), float(v.astype(np.float64).sum())] for name, v in tensors.items()},
    }
    print(json.dumps(summary, sort_keys=True))
    save_file(tensors, copy, metadata=metadata)


if __name__ == "__main__":
    main()
