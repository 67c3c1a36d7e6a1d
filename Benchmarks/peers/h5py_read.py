"""Peer for the HDF5 import benchmark: reads every weight dataset of a Keras legacy HDF5
model into numpy, in model order (model_weights/layer_names, then each layer's
weight_names), the same datasets `nnmodel convert` reads. Prints one JSON line.

    python h5py_read.py MODEL.h5
"""
import json
import sys
import time

START = time.perf_counter()
import h5py  # noqa: E402
import numpy as np  # noqa: E402


def main():
    imported = time.perf_counter()
    t0 = time.perf_counter()
    total = 0
    count = 0
    with h5py.File(sys.argv[1], "r") as f:
        weights = f["model_weights"] if "model_weights" in f else f
        for layer in weights.attrs["layer_names"]:
            layer = layer.decode() if isinstance(layer, bytes) else str(layer)
            group = weights[layer]
            for name in group.attrs["weight_names"]:
                name = name.decode() if isinstance(name, bytes) else str(name)
                array = np.asarray(group[name][()])
                total += array.nbytes
                count += 1
                del array
    read_seconds = time.perf_counter() - t0
    print(json.dumps({
        "tool": "h5py",
        "read_seconds": read_seconds,
        "bytes": total,
        "datasets": count,
        "import_seconds": imported - START,
        "h5py": h5py.__version__,
        "hdf5": h5py.version.hdf5_version,
    }), flush=True)


if __name__ == "__main__":
    main()
