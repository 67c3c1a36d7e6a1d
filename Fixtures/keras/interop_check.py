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

  check-keras-archive MODEL.keras --input X.npy --expected P.npy [--tolerance 1e-5] [--resave-dir DIR]
      Loads a .keras archive nnmodel wrote with Keras 3 (`keras.saving.load_model`, compile=True),
      predicts X and compares with P. When the archive holds optimizer variables, Keras must restore
      them (no "Skipping variable loading" warning; every optimizer variable equal to the stored one,
      the step count included) and take a training step from them. Also tries tf_keras, whose
      failure is reported but not a failure of the check (tf_keras cannot load archives in Keras 3's
      layout, its own files included). With --resave-dir, Keras 3's own .keras of what it loaded
      goes there for nnmodel to read back.

  make-activation-model --config CFG.json --data DATA.csv --input X.npy
      A Keras model config with a Dense layer for every activation nnmodel knows (as Keras 3 names
      them), an Activation and a Dropout layer, on 6 features with 3 classes; a CSV training set
      for it (label first, 512 rows); and 64 inputs to predict, all seeded.

  compare A.npy B.npy [--tolerance 1e-6] [--label TEXT]
      max |A - B| <= tolerance (same shape required).

  make-cnn-model --output-dir DIR
      A small seeded CNN written by Keras itself: Input(8,8,1) -> Conv2D(4, 3, same) -> BatchNormalization ->
      ReLU -> MaxPooling2D(2) -> Conv2D(6, 3, strides 2, same, relu) -> AveragePooling2D(2, strides 1, same) ->
      GlobalAveragePooling2D -> Dense(3, softmax), Adam, trained 2 epochs on seeded synthetic images (so BN has
      real moving statistics and Adam has state). Writes DIR/cnn.keras, DIR/cnn.h5 (Keras 3), DIR/cnn_tfk.h5
      (tf_keras twin, same weights), DIR/x_cnn.npy (16 inputs [16, 8, 8, 1]), DIR/p_cnn.npy (Keras 3's predictions
      of the re-loaded cnn.keras), DIR/cnn.json + DIR/cnn.csv (the model config and 512 labelled rows of 64
      pixels, for `nnmodel train --config`). Exits 0 printing SKIPPED (and writes nothing) when TensorFlow is
      not importable.

  cnn-round-trip --nnmodel BIN [--dir DIR] [--tolerance 1e-5]
      make-cnn-model, then with nnmodel: convert each Keras file to .nnm and predict (must match Keras's
      predictions), convert the .nnm to .h5 and .keras, and run check-keras / check-keras-archive on those
      (Keras 3 and tf_keras load nnmodel's CNN files and match). Exits 0 with SKIPPED when TensorFlow is not
      importable. scripts/keras-interop.sh can call it as one step:
          run "$py" "$check" cnn-round-trip --nnmodel "$nnmodel" --dir "$dir/cnn" --tolerance "$tolerance" || status=1

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
        if "units" in cfg:
            detail = f"({cfg['units']}, {act})"
        elif "filters" in cfg:
            detail = (f"({cfg['filters']}, {list(cfg['kernel_size'])}, strides {list(cfg['strides'])}, "
                      f"{cfg['padding']}, {act})")
        elif "pool_size" in cfg:
            detail = f"({list(cfg['pool_size'])}, strides {list(cfg['strides'])}, {cfg['padding']})"
        else:
            detail = ""
        layers.append(type(L).__name__ + detail)
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


ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu", "softplus", "softsign", "silu",
               "leaky_relu", "exponential", "hard_sigmoid", "relu6", "hard_silu", "mish"]


def make_activation_model(a):
    rng = np.random.default_rng(1234)
    layers = [{"class_name": "InputLayer", "config": {"batch_shape": [None, 6], "dtype": "float32", "name": "features"}}]
    for i, act in enumerate(ACTIVATIONS):
        layers.append({"class_name": "Dense", "config": {"name": f"dense_{act}", "units": 8, "activation": act}})
    layers.append({"class_name": "Activation", "config": {"name": "activation", "activation": "tanh"}})
    layers.append({"class_name": "Dropout", "config": {"name": "dropout", "rate": 0.1}})
    layers.append({"class_name": "Dense", "config": {"name": "out", "units": 3, "activation": "softmax"}})
    config = {"class_name": "Sequential", "config": {"name": "every_activation", "layers": layers}}
    with open(a.config, "w") as fh:
        json.dump(config, fh)
    x = rng.normal(size=(512, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 1).astype(int)
    with open(a.data, "w") as fh:
        for label, row in zip(y, x):
            fh.write(f"{label}," + ",".join(f"{v:.6f}" for v in row) + "\n")
    np.save(a.input, rng.normal(size=(64, 6)).astype(np.float32) * np.float32(2))
    print(f"interop: {len(ACTIVATIONS)} activations in {a.config}, 512 rows in {a.data}, input {a.input}")


def check_keras_archive(a):
    import io
    import warnings
    import zipfile

    import h5py
    import tensorflow as tf
    tf.config.experimental.enable_op_determinism()
    import keras
    import tf_keras

    x = np.load(a.input)
    p = np.load(a.expected)
    with zipfile.ZipFile(a.model) as z:
        store = h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")
        stored = [np.asarray(store["optimizer/vars"][str(i)]) for i in range(len(store["optimizer/vars"]))] \
            if "optimizer" in store else []
        written_by = store.attrs.get("nnmodel_version")
    print(f"interop: {a.model}: written by {written_by}, {len(stored)} optimizer variables stored; "
          f"keras {keras.__version__}, tf_keras {tf_keras.__version__}")
    failures = []
    keras.utils.set_random_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = keras.saving.load_model(a.model, compile=True)
        except Exception as e:  # noqa: BLE001 -- report whatever Keras raises
            fail(f"keras 3 cannot load {a.model}: {type(e).__name__}: {str(e).strip()[:800]}")
    for w in caught:
        print(f"interop: keras 3   warning: {w.message}")
        if "Skipping variable loading" in str(w.message) or "retain their freshly-initialized" in str(w.message):
            failures.append(f"keras 3 did not restore everything: {w.message}")
    got = np.asarray(model.predict(x, batch_size=256, verbose=0))
    if got.shape != p.shape:
        fail(f"keras 3: predictions {list(got.shape)}, nnmodel's {list(p.shape)}")
    diff = float(np.abs(got.astype(np.float64) - p.astype(np.float64)).max())
    agree = int((got.argmax(-1) == p.argmax(-1)).sum())
    ok = diff <= a.tolerance
    print(f"interop: keras 3   max|keras - nnmodel| = {diff:.3e} (tolerance {a.tolerance:g}) "
          f"argmax agree {agree}/{len(p)}  {'ok' if ok else 'FAIL'}")
    print(f"interop: keras 3   {json.dumps(describe(model))}")
    if not ok:
        failures.append(f"keras 3: max abs diff {diff:.3e} > {a.tolerance:g}")
    if stored:
        restored = [np.asarray(v) for v in model.optimizer.variables]
        same = len(restored) == len(stored) and all(
            r.shape == s.shape and np.array_equal(r.astype(np.float64), s.astype(np.float64)) for r, s in zip(restored, stored))
        print(f"interop: keras 3   optimizer {type(model.optimizer).__name__} restored: {len(restored)} variables, "
              f"iterations {int(model.optimizer.iterations.numpy())}, equal to the stored ones: {same}")
        if not same:
            failures.append("keras 3: the optimizer variables differ from the stored ones")
        labels = got.argmax(-1)
        history = model.fit(x, labels, batch_size=len(x), epochs=1, verbose=0)
        print(f"interop: keras 3   one more training step from the restored state: loss {history.history['loss'][-1]:.4f}, "
              f"iterations {int(model.optimizer.iterations.numpy())}")
    if a.resave_dir:
        os.makedirs(a.resave_dir, exist_ok=True)
        fresh = keras.saving.load_model(a.model, compile=True)
        fresh.save(os.path.join(a.resave_dir, "keras3_resaved.keras"))
    try:
        tf_model = tf_keras.models.load_model(a.model, compile=True)
        tf_got = np.asarray(tf_model.predict(x, batch_size=256, verbose=0))
        print(f"interop: tf_keras  loads it: max|tf_keras - nnmodel| = {float(np.abs(tf_got - p).max()):.3e}")
    except Exception as e:  # noqa: BLE001 -- expected: tf_keras does not read Keras 3's layout
        print(f"interop: tf_keras  cannot load it (as with Keras 3's own archives): {type(e).__name__}: "
              f"{str(e).strip().splitlines()[-1][:300]}")
    if failures:
        for f in failures:
            print(f"interop: FAIL: {f}", file=sys.stderr)
        sys.exit(1)
    print("interop: Keras 3 loads the archive, restores its state and matches nnmodel's predictions")


def tensorflow_missing():
    """True (after printing SKIPPED) when TensorFlow / Keras 3 / tf_keras cannot be imported."""
    try:
        import tensorflow  # noqa: F401
        import keras  # noqa: F401
        import tf_keras  # noqa: F401
    except ImportError as e:
        print(f"interop: SKIPPED: {e} (run this with a Python that has tensorflow-cpu, tf_keras and h5py)")
        return True
    return False


CNN_SHAPE = (8, 8, 1)


def cnn_layers(lib):
    L = lib.layers
    return [L.Conv2D(4, 3, padding="same", name="conv_a"), L.BatchNormalization(momentum=0.5, name="bn"),
            L.ReLU(name="relu"), L.MaxPooling2D(2, name="pool_max"),
            L.Conv2D(6, 3, strides=2, padding="same", activation="relu", name="conv_b"),
            L.AveragePooling2D(2, strides=1, padding="same", name="pool_avg"), L.GlobalAveragePooling2D(name="gap"),
            L.Dense(3, activation="softmax", name="probs")]


def make_cnn_model(a):
    if tensorflow_missing():
        return
    import tensorflow as tf
    tf.config.experimental.enable_op_determinism()
    import keras
    import tf_keras

    os.makedirs(a.output_dir, exist_ok=True)
    out = lambda n: os.path.join(a.output_dir, n)  # noqa: E731
    rng = np.random.default_rng(4321)
    # 512 synthetic 8x8 images: a bright blob in one of three places (the class), plus noise
    y = rng.integers(0, 3, 512)
    x = rng.normal(0.2, 0.15, (512,) + CNN_SHAPE).astype(np.float32)
    for i, c in enumerate(y):
        r, col = [(1, 1), (1, 5), (5, 3)][c]
        x[i, r:r + 2, col:col + 2, 0] += 0.8
    xin = x[:16].copy()
    keras.utils.set_random_seed(4321)
    m = keras.Sequential([keras.Input(CNN_SHAPE, name="image")] + cnn_layers(keras), name="interop_cnn")
    m.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x, y, epochs=2, batch_size=32, shuffle=True, verbose=0)
    m.save(out("cnn.keras"))   # .keras first: Keras 3's .h5 writer drops the optimizer from the compile config
    m.save(out("cnn.h5"))
    p = np.asarray(keras.models.load_model(out("cnn.keras")).predict(xin, verbose=0)).astype(np.float32)
    tf_keras.utils.set_random_seed(4321)
    t = tf_keras.Sequential([tf_keras.Input(CNN_SHAPE, name="image")] + cnn_layers(tf_keras), name="interop_cnn")
    t.set_weights(m.get_weights())
    t.compile(optimizer=tf_keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    t.save(out("cnn_tfk.h5"))
    pt = np.asarray(tf_keras.models.load_model(out("cnn_tfk.h5")).predict(xin, verbose=0))
    np.save(out("x_cnn.npy"), xin)
    np.save(out("p_cnn.npy"), p)
    cfg = json.loads(m.to_json())
    with open(out("cnn.json"), "w") as fh:
        json.dump({"class_name": cfg["class_name"], "config": cfg["config"]}, fh)
    with open(out("cnn.csv"), "w") as fh:
        for label, row in zip(y, x.reshape(len(x), -1)):
            fh.write(f"{label}," + ",".join(f"{v:.6f}" for v in row) + "\n")
    bn = m.get_layer("bn").get_weights()
    print(f"interop: CNN in {a.output_dir}: cnn.keras, cnn.h5, cnn_tfk.h5 (tf_keras vs Keras 3 max diff "
          f"{float(np.abs(pt - p).max()):.1e}), x_cnn.npy {list(xin.shape)}, p_cnn.npy; BN moving_mean "
          f"{[round(float(v), 3) for v in bn[2]]} moving_variance {[round(float(v), 3) for v in bn[3]]}")


def cnn_round_trip(a):
    import subprocess
    import tempfile

    if tensorflow_missing():
        return
    d = a.dir or tempfile.mkdtemp(prefix="nnmodel-cnn-interop.")
    os.makedirs(d, exist_ok=True)
    me = [sys.executable, os.path.abspath(__file__)]
    path = lambda n: os.path.join(d, n)  # noqa: E731
    failures = []

    def run(cmd, what):
        print("interop: $ " + " ".join(cmd), flush=True)
        r = subprocess.run(cmd)
        if r.returncode != 0:
            failures.append(f"{what} (exit {r.returncode})")
        return r.returncode == 0

    if not run(me + ["make-cnn-model", "--output-dir", d], "make-cnn-model"):
        fail("could not write the Keras CNN", 2)
    x, p = path("x_cnn.npy"), path("p_cnn.npy")
    for src in ("cnn.keras", "cnn.h5", "cnn_tfk.h5"):
        nnm = path(f"from_{src.replace('.', '_')}.nnm")
        pred = nnm[:-4] + ".npy"
        if (run([a.nnmodel, "convert", path(src), nnm], f"nnmodel convert {src}")
                and run([a.nnmodel, "predict", nnm, "--input", x, "--output", pred], f"nnmodel predict {src}")):
            run(me + ["compare", pred, p, "--tolerance", str(a.tolerance), "--label", f"nnmodel reading Keras's {src}"],
                f"nnmodel's predictions of {src}")
    base = path("from_cnn_keras.nnm")
    if os.path.exists(base):
        # Keras's own optimizer slots are not carried over from a Keras-written archive (nnmodel
        # reads slots only from archives it wrote), so the weights go through without them, as a
        # legacy .h5. (A .keras of it would load with Keras's warning that the compiled Adam's
        # variables were not restored; the archive check below uses a CNN nnmodel trained.)
        if run([a.nnmodel, "convert", base, path("nnmodel_cnn.h5"), "--strip-optimizer"], "nnmodel convert .nnm -> .h5"):
            run(me + ["check-keras", path("nnmodel_cnn.h5"), "--input", x, "--expected", p,
                      "--tolerance", str(a.tolerance)], "Keras loading nnmodel's CNN .h5")
    # A CNN trained by nnmodel (with its Adam state): Keras loads nnmodel's .h5 and .keras of it
    # and predicts what nnmodel does.
    config, data = path("cnn.json"), path("cnn.csv")
    if os.path.exists(config) and os.path.exists(data):
        trained = path("nnmodel_trained.keras")
        if run([a.nnmodel, "train", "--config", config, "--data", data, "--epochs", "1", "--quiet", "--output", trained],
               "nnmodel train the CNN config"):
            ours = path("p_trained.npy")
            if run([a.nnmodel, "predict", trained, "--input", x, "--output", ours], "nnmodel predict its CNN"):
                run(me + ["check-keras-archive", trained, "--input", x, "--expected", ours,
                          "--tolerance", str(a.tolerance)], "Keras loading nnmodel's trained CNN .keras")
                h5 = path("nnmodel_trained.h5")
                if run([a.nnmodel, "convert", trained, h5], "nnmodel convert its CNN to .h5"):
                    run(me + ["check-keras", h5, "--input", x, "--expected", ours,
                              "--tolerance", str(a.tolerance)], "Keras loading nnmodel's trained CNN .h5")
    if failures:
        for f in failures:
            print(f"interop: FAIL: {f}", file=sys.stderr)
        print(f"interop: CNN files kept in {d}")
        sys.exit(1)
    print(f"interop: nnmodel reads Keras's CNN files, and Keras reads nnmodel's CNN .h5 and .keras ({d})")


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
    s = sub.add_parser("check-keras-archive")
    s.add_argument("model")
    s.add_argument("--input", required=True)
    s.add_argument("--expected", required=True)
    s.add_argument("--tolerance", type=float, default=1e-5)
    s.add_argument("--resave-dir")
    s = sub.add_parser("make-activation-model")
    s.add_argument("--config", required=True)
    s.add_argument("--data", required=True)
    s.add_argument("--input", required=True)
    s = sub.add_parser("make-cnn-model")
    s.add_argument("--output-dir", required=True)
    s = sub.add_parser("cnn-round-trip")
    s.add_argument("--nnmodel", required=True)
    s.add_argument("--dir")
    s.add_argument("--tolerance", type=float, default=1e-5)
    s = sub.add_parser("compare")
    s.add_argument("a")
    s.add_argument("b")
    s.add_argument("--tolerance", type=float, default=1e-6)
    s.add_argument("--label")
    a = ap.parse_args()
    for attr in (("input", "expected", "model", "a", "b", "nnmodel")
                 if a.cmd not in ("make-activation-model", "make-cnn-model") else ()):
        p = getattr(a, attr, None)
        if p is not None and not os.path.exists(p):
            fail(f"{p}: no such file", 2)
    {"make-input": make_input, "check-keras": check_keras, "check-keras-archive": check_keras_archive,
     "make-activation-model": make_activation_model, "make-cnn-model": make_cnn_model,
     "cnn-round-trip": cnn_round_trip, "compare": compare}[a.cmd](a)


if __name__ == "__main__":
    main()
