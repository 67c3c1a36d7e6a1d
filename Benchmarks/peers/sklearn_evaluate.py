"""Peer: a whole scikit-learn evaluation process. Unpickles a fitted MLPClassifier,
reads the test images from Debian's IDX files and calls score. Prints one JSON line.

    python sklearn_evaluate.py MODEL.pickle
"""
import json
import os
import pickle
import sys
import time

START = time.perf_counter()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sklearn  # noqa: E402,F401
from sklearn.neural_network import MLPClassifier  # noqa: E402,F401

import fmnist  # noqa: E402


def main():
    imported = time.perf_counter()
    t0 = time.perf_counter()
    with open(sys.argv[1], "rb") as f:
        clf = pickle.load(f)
    load_seconds = time.perf_counter() - t0
    x_test, y_test = fmnist.load("test")
    X_test = x_test.reshape(len(x_test), -1) / 255
    t0 = time.perf_counter()
    accuracy = clf.score(X_test, y_test)
    score_seconds = time.perf_counter() - t0
    print(json.dumps({
        "tool": "sklearn",
        "score_seconds": score_seconds,
        "load_seconds": load_seconds,
        "import_seconds": imported - START,
        "accuracy": float(accuracy),
        "samples": int(len(y_test)),
    }), flush=True)


if __name__ == "__main__":
    main()
