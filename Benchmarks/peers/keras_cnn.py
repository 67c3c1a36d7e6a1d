"""Peer: the Fashion-MNIST tutorial CNN in Keras 3 on TensorFlow (CPU), as `nnmodel train --model cnn` trains it.

Conv2D(32, 3, relu) -> MaxPooling2D -> Conv2D(64, 3, relu) -> MaxPooling2D -> Flatten ->
Dense(128, relu) -> Dense(10, softmax) on (28, 28, 1), Adam (Keras defaults), sparse categorical
cross-entropy, batch 32, verbose=0. Prints one JSON line; fit_seconds is the whole model.fit call.

    python keras_cnn.py [--epochs 5] [--batch-size 32] [--seed N]
"""
import argparse
import json
import os
import sys
import time

START = time.perf_counter()
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

import fmnist  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int)
    args = p.parse_args()
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)
    imported = time.perf_counter()
    x_train, y_train = fmnist.load("train")
    x_test, y_test = fmnist.load("test")
    x_train = (x_train / 255.0).astype("float32")[..., None]
    x_test = (x_test / 255.0).astype("float32")[..., None]
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t0 = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size, verbose=0)
    fit_seconds = time.perf_counter() - t0
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(json.dumps({
        "tool": "keras", "fit_seconds": fit_seconds, "train_loss": history.history["loss"],
        "test_accuracy": float(accuracy), "test_loss": float(loss), "import_seconds": imported - START,
        "epochs": args.epochs, "batch_size": args.batch_size, "tensorflow": tf.__version__, "keras": keras.__version__,
    }), flush=True)


if __name__ == "__main__":
    main()
