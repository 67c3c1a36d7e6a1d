#!/usr/bin/env python3
"""Writes the inputs of the ONNX inference rows as .npy files, once per run:

    python make_test_npy.py test OUT.npy            Fashion-MNIST's 10,000 test images as float32
                                                    [10000, 28, 28], scaled to [0, 1] (x / 255)
    python make_test_npy.py random OUT.npy ROWS COLS   uniform [-1, 1) float32 [ROWS, COLS], seed 0

Prints one JSON line (path, shape, bytes). numpy and the standard library only.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
import fmnist  # noqa: E402


def main():
    kind, out = sys.argv[1:3]
    if kind == "test":
        x, _ = fmnist.load("test")
        x = (x / 255.0).astype(np.float32)
    elif kind == "random":
        rows, cols = int(sys.argv[3]), int(sys.argv[4])
        x = np.random.default_rng(0).uniform(-1, 1, (rows, cols)).astype(np.float32)
    else:
        raise SystemExit(f"unknown kind {kind!r} (test or random)")
    np.save(out, x)
    print(json.dumps({"path": out, "shape": list(x.shape), "bytes": os.path.getsize(out)}))


if __name__ == "__main__":
    sys.exit(main())
