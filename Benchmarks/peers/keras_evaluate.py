"""Peer: a whole Keras evaluation process. Imports TensorFlow, loads a saved model,
reads the 10,000 test images from Debian's IDX files and calls model.evaluate.

Prints one JSON line: evaluate_seconds is the first model.evaluate call (as a user
sees it, tracing included), evaluate_warm_seconds a second identical call.

    python keras_evaluate.py MODEL.keras
"""
import json
import os
import sys
import time

START = time.perf_counter()
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tensorflow as tf  # noqa: E402,F401
import keras  # noqa: E402

import fmnist  # noqa: E402


def main():
    path = sys.argv[1]
    imported = time.perf_counter()
    t0 = time.perf_counter()
    model = keras.models.load_model(path)
    load_seconds = time.perf_counter() - t0
    x_test, y_test = fmnist.load("test")
    x_test = (x_test / 255.0).astype("float32")

    t0 = time.perf_counter()
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    evaluate_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.evaluate(x_test, y_test, verbose=0)
    warm_seconds = time.perf_counter() - t0
    print(json.dumps({
        "tool": "keras",
        "evaluate_seconds": evaluate_seconds,
        "evaluate_warm_seconds": warm_seconds,
        "load_seconds": load_seconds,
        "import_seconds": imported - START,
        "accuracy": float(accuracy),
        "loss": float(loss),
        "samples": int(len(y_test)),
    }), flush=True)


if __name__ == "__main__":
    main()
