"""Peer for the ONNX inference benchmark: a whole onnxruntime process doing what
`nnmodel predict MODEL.onnx --input X.npy --output Y.npy` does. Imports onnxruntime, creates
an InferenceSession (CPUExecutionProvider, onnxruntime's default threading and graph
optimizations), loads X.npy with numpy, runs every sample in one `run` call and saves the
outputs with np.save. Prints one JSON line; run_warm_seconds is a second identical `run`
call, after the output is saved (not part of the work nnmodel does).

    python onnxruntime_predict.py MODEL.onnx X.npy Y.npy
"""
import json
import os
import sys
import time

START = time.perf_counter()
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402


def main():
    model, x_path, y_path = sys.argv[1:4]
    imported = time.perf_counter()
    t0 = time.perf_counter()
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    session_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    x = np.load(x_path)
    if x.dtype != np.float32:
        x = x.astype(np.float32) / (255 if x.dtype == np.uint8 else 1)
    input_seconds = time.perf_counter() - t0
    name = session.get_inputs()[0].name
    t0 = time.perf_counter()
    (y,) = session.run(None, {name: x})
    run_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    np.save(y_path, np.ascontiguousarray(y, dtype=np.float32))
    save_seconds = time.perf_counter() - t0
    total = time.perf_counter() - START
    t0 = time.perf_counter()
    session.run(None, {name: x})
    warm_seconds = time.perf_counter() - t0
    options = session.get_session_options()
    print(json.dumps({
        "tool": "onnxruntime",
        "seconds_to_saved_output": total,
        "import_seconds": imported - START,
        "session_seconds": session_seconds,
        "input_seconds": input_seconds,
        "run_seconds": run_seconds,
        "save_seconds": save_seconds,
        "run_warm_seconds": warm_seconds,
        "samples": int(x.shape[0]),
        "outputs": int(y.shape[-1]),
        "providers": session.get_providers(),
        "intra_op_threads": options.intra_op_num_threads,
        "onnxruntime": ort.__version__,
        "numpy": np.__version__,
        "cpu_count": os.cpu_count(),
    }), flush=True)


if __name__ == "__main__":
    main()
