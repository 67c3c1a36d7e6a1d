#!/usr/bin/env python
"""The Python half of scripts/keras-interop.sh: does real Keras load what nnmodel writes?

Subcommands (each exits 0 on success, 1 when a check fails, 2 on bad usage or a missing input):

  make-input --output X.npy [--count 64]
      The first COUNT Fashion-MNIST test images / 255 as a float32 [COUNT, 28, 28] .npy, from the
      IDX files in $NNMODEL_FASHION_DIR (default /usr/share/datasets/fashion-mnist), or else from
      Fixtures/keras/reference/fashion_test64.input.npy (COUNT <= 64).

  check-keras MODEL.h5 --input X.npy --expected P.npy [--tolerance 1e-5] [--resave-dir DIR]
      Loads MODEL.h5 with Keras 3 (`keras.models.load_model`) AND tf_keras
      (`tf_keras.models.load_model`), both with compile=True, predicts X and compares with P
      (nnmodel's predictions): max |keras - P| <= tolerance for each.  Prints the numbers and what
      each library made of the file (layers, dtype, optimizer, loss).  With --resave-dir it also
      saves what each library loaded back to disk (Keras 3: .keras and .h5; tf_keras: .h5) so that
      the shell script can check nnmodel reads Keras's own writing of the same model.

  compare A.npy B.npy [--tolerance 1e-6] [--label TEXT]
      max |A - B| <= tolerance (same shape required).

Run it with the Python that has TensorFlow, Keras 3 and tf_keras (see scripts/keras-interop.sh).
"""
import argparse
import gzip
import json
import os
import struct
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FALLBACK_INPUT = os.path.join(HERE, "reference", "fashion_test64.input.npy")


def fail(msg, status=1):
    print(f"interop: FAIL: {msg}", file=sys.stderr)
    sys.exit(status)


# ---------------------------------------------------------------------------------------------

def read_idx_images(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = fh.read()
    zero, kind, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08 or ndim != 3:
        raise ValueError(f"{path}: not a uint8 image IDX file")
    shape = struct.unpack(">III", data[4:16])
    return np.frombuffer(data, np.uint8, offset=16).reshape(shape)


def make_input(a):
    folder = os.environ.get("NNMODEL_FASHION_DIR", "/usr/share/datasets/fashion-mnist")
    x = None
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"):
        p = os.path.join(folder, name)
        if os.path.exists(p):
            x = (read_idx_images(p)[: a.count].astype(np.float32) / np.float32(255.0)).astype(np.float32)
            source = p
            break
    if x is None:
        if a.count > 64 or not os.path.exists(FALLBACK_INPUT):
            fail(f"no Fashion-MNIST test images in {folder} (set NNMODEL_FASHION_DIR)", 2)
        x = np.load(FALLBACK_INPUT)[: a.count]
        source = FALLBACK_INPUT
    np.save(a.output, np.ascontiguousarray(x, dtype=np.float32))
    print(f"interop: input {a.output}: float32 {list(x.shape)} from {source}")


# ---------------------------------------------------------------------------------------------

def describe(model):
    opt = getattr(model, "optimizer", None)
    lr = None
    if opt is not None:
        try:
            lr = float(np.asarray(opt.learning_rate))
        except Exception:  # noqa: BLE001 -- schedules have no single value
            lr = str(opt.learning_rate)
    loss = getattr(model, "loss", None)
    loss = getattr(loss, "__name__", None) or (None if loss is None else str(loss))
    layers = []
    for L in model.layers:
        cfg = L.get_config()
        act = cfg.get("activation")
        layers.append(type(L).__name__ + (f"({cfg['units']}, {act})" if "units" in cfg else ""))
    return {"layers": layers, "weights": [list(np.shape(w)) for w in model.get_weights()],
            "weight_dtypes": sorted({str(np.asarray(w).dtype) for w in model.get_weights()}),
            "optimizer": None if opt is None else type(opt).__name__, "learning_rate": lr, "loss": loss}


def check_keras(a):
    import tensorflow as tf
    tf.config.experimental.enable_op_determinism()
    import keras
    import tf_keras

    x = np.load(a.input)
    p = np.load(a.expected)
    print(f"interop: {a.model}: input {list(x.shape)} {x.dtype}, nnmodel predictions {list(p.shape)} {p.dtype}")
    print(f"interop: keras {keras.__version__}, tf_keras {tf_keras.__version__}, tensorflow {tf.__version__}")
    failures = []
    for label, lib in (("keras 3", keras), ("tf_keras", tf_keras)):
        try:
            lib.utils.set_random_seed(0)
            model = lib.models.load_model(a.model, compile=True)
        except Exception as e:  # noqa: BLE001 -- report whatever Keras raises
            failures.append(f"{label} cannot load {a.model}: {type(e).__name__}: {str(e).strip()[:800]}")
            print(f"interop: {label:8s} LOAD FAILED: {type(e).__name__}: {str(e).strip()[:800]}")
            continue
        info = describe(model)
        got = np.asarray(model.predict(x, batch_size=256, verbose=0))
        if got.shape != p.shape:
            failures.append(f"{label}: predictions {list(got.shape)}, nnmodel's {list(p.shape)}")
            print(f"interop: {label:8s} shape mismatch {list(got.shape)} vs {list(p.shape)}")
            continue
        diff = float(np.abs(got.astype(np.float64) - p.astype(np.float64)).max())
        agree = int((got.argmax(-1) == p.argmax(-1)).sum()) if got.ndim == 2 else None
        ok = diff <= a.tolerance
        print(f"interop: {label:8s} max|keras - nnmodel| = {diff:.3e} (tolerance {a.tolerance:g}) "
              f"argmax agree {agree}/{len(p)}  {'ok' if ok else 'FAIL'}")
        print(f"interop: {label:8s} {json.dumps(info)}")
        if info["optimizer"] is None:
            print(f"interop: {label:8s} note: the file has no usable training_config (model not compiled)")
        if not ok:
            failures.append(f"{label}: max abs diff {diff:.3e} > {a.tolerance:g}")
        if a.resave_dir:
            os.makedirs(a.resave_dir, exist_ok=True)
            if lib is keras:
                # .keras first: Keras 3's legacy-h5 writer drops the optimizer from the compile config
                model.save(os.path.join(a.resave_dir, "keras3_resaved.keras"))
                model.save(os.path.join(a.resave_dir, "keras3_resaved.h5"))
            else:
                model.save(os.path.join(a.resave_dir, "tfkeras_resaved.h5"))
            np.save(os.path.join(a.resave_dir, f"{'keras3' if lib is keras else 'tfkeras'}_predictions.npy"),
                    got.astype(np.float32))
    if failures:
        for f in failures:
            print(f"interop: FAIL: {f}", file=sys.stderr)
        sys.exit(1)
    print("interop: both Keras 3 and tf_keras load the file and match nnmodel's predictions")


def compare(a):
    x, y = np.load(a.a), np.load(a.b)
    label = a.label or f"{a.a} vs {a.b}"
    if x.shape != y.shape:
        fail(f"{label}: shapes {list(x.shape)} and {list(y.shape)} differ")
    diff = float(np.abs(x.astype(np.float64) - y.astype(np.float64)).max()) if x.size else 0.0
    ok = diff <= a.tolerance
    print(f"interop: {label}: max abs diff {diff:.3e} (tolerance {a.tolerance:g}) {'ok' if ok else 'FAIL'}")
    if not ok:
        fail(f"{label}: max abs diff {diff:.3e} > {a.tolerance:g}")


def main():
    ap = argparse.ArgumentParser(description="Keras interoperability checks for nnmodel (see module doc).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("make-input")
    s.add_argument("--output", required=True)
    s.add_argument("--count", type=int, default=64)
    s = sub.add_parser("check-keras")
    s.add_argument("model")
    s.add_argument("--input", required=True)
    s.add_argument("--expected", required=True)
    s.add_argument("--tolerance", type=float, default=1e-5)
    s.add_argument("--resave-dir")
    s = sub.add_parser("compare")
    s.add_argument("a")
    s.add_argument("b")
    s.add_argument("--tolerance", type=float, default=1e-6)
    s.add_argument("--label")
    a = ap.parse_args()
    for attr in ("input", "expected", "model", "a", "b"):
        p = getattr(a, attr, None)
        if p is not None and not os.path.exists(p):
            fail(f"{p}: no such file", 2)
    {"make-input": make_input, "check-keras": check_keras, "compare": compare}[a.cmd](a)


if __name__ == "__main__":
    main()
