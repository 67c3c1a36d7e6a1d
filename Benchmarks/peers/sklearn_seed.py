"""Peer: the seed job in scikit-learn.

MLPClassifier(hidden_layer_sizes=(128,), solver='adam', batch_size=32, max_iter=5,
learning_rate_init=0.001, shuffle=True) on X/255 (flattened to 784 features), data from
Debian's IDX files. max_iter is the number of epochs for the adam solver, so 5 means the
same 5 passes as the Keras job (the ConvergenceWarning this raises is expected and muted).
Prints one JSON line.

    python sklearn_seed.py [--epochs 5] [--save model.pickle]
"""
import argparse
import json
import os
import pickle
import sys
import time
import warnings

START = time.perf_counter()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

import fmnist  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--save", help="pickle the fitted classifier here")
    p.add_argument("--seed", type=int, help="random_state of the classifier")
    args = p.parse_args()
    imported = time.perf_counter()

    x_train, y_train = fmnist.load("train")
    x_test, y_test = fmnist.load("test")
    X = x_train.reshape(len(x_train), -1) / 255
    X_test = x_test.reshape(len(x_test), -1) / 255

    clf = MLPClassifier(hidden_layer_sizes=(128,), solver="adam", batch_size=32,
                        max_iter=args.epochs, learning_rate_init=0.001, shuffle=True, random_state=args.seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y_train)
    fit_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    accuracy = clf.score(X_test, y_test)
    score_seconds = time.perf_counter() - t0
    if args.save:
        with open(args.save, "wb") as f:
            pickle.dump(clf, f)

    print(json.dumps({
        "tool": "sklearn",
        "fit_seconds": fit_seconds,
        "test_accuracy": float(accuracy),
        "score_seconds": score_seconds,
        "import_seconds": imported - START,
        "epochs": int(clf.n_iter_),
        "train_loss": [float(v) for v in clf.loss_curve_],
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "dtype": str(X.dtype),
    }), flush=True)


if __name__ == "__main__":
    main()
