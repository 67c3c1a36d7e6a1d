"""Peer for the safetensors benchmark, one operation per process (so that every round starts
from the same page-cache state as nnmodel's process does):

    python safetensors_io.py save MODEL.nnm OUT.safetensors
        Reads MODEL.nnm's weights with numpy (peers/nnm_numpy.py; not timed: `read_seconds`), then
        times safetensors.numpy.save_file of them, named as nnmodel names them (`dense/kernel`,
        [in, out]) with the architecture in __metadata__ as nnmodel does: `save_seconds`. Then an
        fsync of the file, timed separately (`fsync_seconds`): nnmodel fsyncs what it writes.
    python safetensors_io.py load FILE.safetensors
        Times safetensors.numpy.load_file (every tensor into a numpy array): `load_seconds`; then,
        separately, the statistics `nnmodel inspect --tensors` prints for every tensor (minimum,
        maximum, mean, standard deviation, NaN and infinity counts): `statistics_seconds`.

Prints one JSON line.
"""
import json
import os
import sys
import time

START = time.perf_counter()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import safetensors  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402

import nnm_numpy  # noqa: E402


def save(source, out):
    imported = time.perf_counter()
    t0 = time.perf_counter()
    arch, tensors = nnm_numpy.read(source)
    read_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    save_file(tensors, out, metadata={"nnmodel.architecture": json.dumps(arch)})
    save_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    fd = os.open(out, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    fsync_seconds = time.perf_counter() - t0
    return {"read_seconds": read_seconds, "save_seconds": save_seconds, "fsync_seconds": fsync_seconds,
            "import_seconds": imported - START, "tensors": len(tensors),
            "bytes": os.path.getsize(out)}


def statistics(array):
    values = array.astype(np.float64, copy=False).ravel()
    finite = np.isfinite(values)
    nan = int(np.isnan(values).sum())
    inf = int(values.size - finite.sum()) - nan
    if nan or inf:
        values = values[finite]
    if values.size == 0:
        return (0.0, 0.0, 0.0, 0.0, nan, inf)
    return (float(values.min()), float(values.max()), float(values.mean(dtype=np.float64)),
            float(values.std(dtype=np.float64)), nan, inf)


def load(path):
    imported = time.perf_counter()
    t0 = time.perf_counter()
    tensors = load_file(path)
    load_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    stats = {name: statistics(a) for name, a in tensors.items()}
    statistics_seconds = time.perf_counter() - t0
    return {"load_seconds": load_seconds, "statistics_seconds": statistics_seconds,
            "import_seconds": imported - START, "tensors": len(tensors),
            "bytes": int(sum(a.nbytes for a in tensors.values())), "checked_tensors": len(stats)}


def main():
    op = sys.argv[1]
    if op == "save":
        out = save(sys.argv[2], sys.argv[3])
    elif op == "load":
        out = load(sys.argv[2])
    else:
        raise SystemExit(f"unknown operation {op!r} (save or load)")
    out.update({"tool": "safetensors", "operation": op, "safetensors": safetensors.__version__,
                "numpy": np.__version__})
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
