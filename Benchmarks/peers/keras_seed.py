"""Peer: the seed job in Keras 3 on TensorFlow (CPU), timed as a Keras user sees it.

Flatten(28x28) -> Dense(128, relu) -> Dense(10, softmax), Adam (Keras defaults),
sparse categorical cross-entropy, batch 32, verbose=0, data from Debian's IDX files.
Prints one JSON line on stdout. fit_seconds is the whole model.fit call, so it
includes the tracing and graph building that Keras does during the first epoch;
epoch_seconds shows how that splits over the epochs.

    python keras_seed.py [--epochs 5] [--batch-size 32] [--save model.keras]
"""
import argparse
import json
import os
import sys
import time

START = time.perf_counter()
# CPU only, whatever is installed; TensorFlow keeps its default threading (both cores).
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

import fmnist  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.t0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--save", help="save the trained model here (.keras or .h5)")
    p.add_argument("--seed", type=int, help="seed Python, NumPy and TensorFlow (keras.utils.set_random_seed)")
    args = p.parse_args()
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)
    imported = time.perf_counter()

    x_train, y_train = fmnist.load("train")
    x_test, y_test = fmnist.load("test")
    x_train = (x_train / 255.0).astype("float32")
    x_test = (x_test / 255.0).astype("float32")

    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    t0 = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        verbose=0, callbacks=[timer])
    fit_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    evaluate_seconds = time.perf_counter() - t0
    if args.save:
        model.save(args.save)

    print(json.dumps({
        "tool": "keras",
        "fit_seconds": fit_seconds,
        "epoch_seconds": timer.seconds,
        "train_loss": history.history["loss"],
        "test_accuracy": float(accuracy),
        "test_loss": float(loss),
        "evaluate_seconds": evaluate_seconds,
        "import_seconds": imported - START,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "gpus": len(tf.config.list_physical_devices("GPU")),
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }), flush=True)


if __name__ == "__main__":
    main()
