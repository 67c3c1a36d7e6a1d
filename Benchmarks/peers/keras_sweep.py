"""Peer worker for the shape sweep: MLPs in Keras 3 on TensorFlow (CPU).

Reads one JSON request per line on stdin ({"hidden": [512, 256], "batch": 128, "samples": 60000,
"seed": 1}) and answers each with one JSON line on stdout. Per request: builds
Flatten -> Dense(h, relu)... -> Dense(10, softmax), Adam (Keras defaults), sparse categorical
cross-entropy; runs a warm-up fit of a few batches (Keras traces its train function there), then
times one model.fit epoch over the first `samples` training images (shuffled, verbose=0).
TensorFlow keeps its default threading (both cores). One process serves the whole sweep, so
TensorFlow is imported once.

    python keras_sweep.py < requests.jsonl
"""
import json
import os
import sys
import time

os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import keras  # noqa: E402

import fmnist  # noqa: E402


def main():
    x, y = fmnist.load("train")
    x = (x / 255.0).astype("float32").reshape(len(x), 784)
    print(json.dumps({"ready": True, "keras": keras.__version__}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        keras.utils.set_random_seed(req.get("seed", 1))
        batch, samples = req["batch"], req["samples"]
        model = keras.Sequential([keras.Input(shape=(784,))]
                                 + [keras.layers.Dense(h, activation="relu") for h in req["hidden"]]
                                 + [keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        warm = min(len(x), batch * 3)
        model.fit(x[:warm], y[:warm], epochs=1, batch_size=batch, verbose=0)
        t0 = time.perf_counter()
        model.fit(x[:samples], y[:samples], epochs=1, batch_size=batch, verbose=0, shuffle=True)
        seconds = time.perf_counter() - t0
        print(json.dumps({"seconds": seconds, "samples": samples}), flush=True)
        del model
        keras.backend.clear_session()


if __name__ == "__main__":
    main()
