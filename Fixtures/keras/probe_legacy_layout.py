#!/usr/bin/env python
"""Probe: which hand-written Keras-2 legacy HDF5 layouts do real Keras 3 and tf_keras load?

nnmodel writes `.h5` files in the Keras 2 legacy layout (what tf_keras's `model.save('x.h5')`
writes).  This script writes such a file with h5py alone -- no Keras involved in writing -- and
checks that BOTH `keras.models.load_model` (Keras 3) and `tf_keras.models.load_model` load it
with compile=True, compile it from `training_config`, and predict exactly what a NumPy forward
pass of the written weights gives.

The baseline layout:

    /                             attrs backend="tensorflow", keras_version="2.15.0",
                                        model_config (Keras-2 Sequential JSON), training_config
    /model_weights                attrs backend, keras_version, layer_names
    /model_weights/<layer>        attr  weight_names (["<layer>/kernel:0", "<layer>/bias:0"],
                                        or an EMPTY float64 array for weightless layers)
    /model_weights/<layer>/<layer>/kernel:0, bias:0   float32 datasets
    /model_weights/top_level_model_weights  attr weight_names = empty float64 array

Then variants of it (string attribute types, encodings of empty weight_names, missing parts,
nnmodel's own extra attributes and group, float64 weights, minimal layer configs, ...), so that
the writer knows what freedom it has.  Each variant is loaded in a fresh subprocess (so one
library's global state cannot affect the other) and the results are printed as a table and,
with --json FILE, written as JSON.

    /work/venv-keras/bin/python Fixtures/keras/probe_legacy_layout.py [--keep DIR] [--json OUT]
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import h5py  # noqa: E402

# --------------------------------------------------------------------------------------
# the Keras-2-style config and training config
# --------------------------------------------------------------------------------------

GLOROT = {"class_name": "GlorotUniform", "config": {"seed": None}}
ZEROS = {"class_name": "Zeros", "config": {}}


def init(name, **config):
    return {"class_name": name, "config": config}


# Every initializer nnmodel's KerasConfig writes, as it writes them (kernel1, bias1, kernel2, bias2).
INITIALIZER_SETS = {
    "glorot": (GLOROT, ZEROS, GLOROT, ZEROS),
    "he-lecun-constant-ones": (init("HeNormal", seed=None), init("Constant", value=0.1),
                               init("LecunUniform", seed=None), init("Ones")),
    "random": (init("RandomNormal", mean=0.0, stddev=0.05, seed=None),
               init("RandomUniform", minval=-0.05, maxval=0.05, seed=None),
               init("TruncatedNormal", mean=0.0, stddev=0.05, seed=None), ZEROS),
    "normal-variants": (init("GlorotNormal", seed=None), ZEROS, init("HeUniform", seed=None),
                        init("LecunNormal", seed=None)),
}


def dense_config(name, units, activation, dtype, minimal=False, kinit=GLOROT, binit=ZEROS):
    if minimal:
        return {"class_name": "Dense",
                "config": {"name": name, "units": units, "activation": activation, "use_bias": True,
                           "dtype": dtype}}
    return {"class_name": "Dense",
            "config": {"name": name, "trainable": True, "dtype": dtype, "units": units,
                       "activation": activation, "use_bias": True,
                       "kernel_initializer": kinit, "bias_initializer": binit,
                       "kernel_regularizer": None, "bias_regularizer": None,
                       "activity_regularizer": None, "kernel_constraint": None,
                       "bias_constraint": None}}


def model_config(dtype="float32", minimal=False, input_layer_name="flatten_input",
                 hidden_activation="relu", extra_layers=False, initializers="glorot"):
    k1, b1, k2, b2 = INITIALIZER_SETS[initializers]
    layers = [
        {"class_name": "InputLayer",
         "config": {"batch_input_shape": [None, 28, 28], "dtype": dtype, "sparse": False,
                    "ragged": False, "name": input_layer_name}},
        {"class_name": "Flatten",
         "config": ({"name": "flatten", "dtype": dtype} if minimal else
                    {"name": "flatten", "trainable": True, "dtype": dtype,
                     "data_format": "channels_last"})},
        dense_config("dense", 16, hidden_activation, dtype, minimal, k1, b1),
        dense_config("dense_1", 10, "softmax", dtype, minimal, k2, b2),
    ]
    if extra_layers:  # Dense(16, linear) -> Activation -> Dropout, as nnmodel writes them
        layers[2] = dense_config("dense", 16, "linear", dtype, minimal, k1, b1)
        layers[3:3] = [
            {"class_name": "Activation",
             "config": {"name": "activation", "trainable": True, "dtype": dtype,
                        "activation": hidden_activation}},
            {"class_name": "Dropout",
             "config": {"name": "dropout", "trainable": True, "dtype": dtype, "rate": 0.25,
                        "noise_shape": None, "seed": None}},
        ]
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": layers}}


ADAM = {"class_name": "Adam",
        "config": {"name": "Adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                   "epsilon": 1e-07, "amsgrad": False}}
OPTIMIZERS = {  # what nnmodel's KerasTrainingConfig.optimizerJSON emits for each of its optimizers
    "adam": ADAM,
    "sgd-momentum-nesterov": {"class_name": "SGD", "config": {"name": "SGD", "learning_rate": 0.01,
                                                             "momentum": 0.9, "nesterov": True}},
    "rmsprop": {"class_name": "RMSprop", "config": {"name": "RMSprop", "learning_rate": 0.001, "rho": 0.9,
                                                    "momentum": 0.0, "epsilon": 1e-07, "centered": False}},
    "adagrad": {"class_name": "Adagrad", "config": {"name": "Adagrad", "learning_rate": 0.001,
                                                    "initial_accumulator_value": 0.1, "epsilon": 1e-07}},
}

TRAINING_CONFIG = {
    "loss": "sparse_categorical_crossentropy",
    "metrics": ["accuracy"],
    "weighted_metrics": None,
    "loss_weights": None,
    "optimizer_config": {"class_name": "Adam",
                         "config": {"name": "Adam", "learning_rate": 0.001, "beta_1": 0.9,
                                    "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}},
}

# --------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------

VLEN_UTF8 = h5py.string_dtype("utf-8")
VLEN_ASCII = h5py.string_dtype("ascii")


def put_str(obj, name, value, kind):
    """One string attribute as the given HDF5 string type."""
    if kind == "vlen-utf8":
        obj.attrs.create(name, value, dtype=VLEN_UTF8)
    elif kind == "vlen-ascii":
        obj.attrs.create(name, value.encode("utf-8"), dtype=VLEN_ASCII)
    elif kind == "fixed":
        obj.attrs.create(name, np.bytes_(value.encode("utf-8")))
    else:
        raise ValueError(kind)


def put_str_array(obj, name, values, kind):
    if kind == "vlen-utf8":
        obj.attrs.create(name, np.array(values, dtype=object), dtype=VLEN_UTF8)
    elif kind == "vlen-ascii":
        obj.attrs.create(name, np.array([v.encode("utf-8") for v in values], dtype=object),
                         dtype=VLEN_ASCII)
    elif kind == "fixed":
        obj.attrs.create(name, np.array([v.encode("utf-8") for v in values], dtype="S"))
    else:
        raise ValueError(kind)


def put_empty_names(obj, kind):
    if kind == "float64":
        obj.attrs.create("weight_names", np.zeros((0,), dtype=np.float64))
    elif kind == "vlen-str":
        obj.attrs.create("weight_names", np.zeros((0,), dtype=object), dtype=VLEN_UTF8)
    elif kind == "fixed-str":
        obj.attrs.create("weight_names", np.zeros((0,), dtype="S1"))
    elif kind == "absent":
        pass
    else:
        raise ValueError(kind)


def make_weights(seed, dtype):
    rng = np.random.default_rng(seed)

    def glorot(i, o):
        lim = np.sqrt(6.0 / (i + o))
        return rng.uniform(-lim, lim, size=(i, o))
    w = {"dense": [glorot(784, 16), rng.normal(0, 0.1, 16)],
         "dense_1": [glorot(16, 10), rng.normal(0, 0.1, 10)]}
    return {k: [a.astype(dtype) for a in v] for k, v in w.items()}


BASELINE = {
    "root_str": "vlen-utf8",          # backend, keras_version, model_config, training_config
    "group_str": "vlen-utf8",         # model_weights backend/keras_version, layer_names, weight_names
    "empty_weight_names": "float64",  # weightless layers and top_level_model_weights
    "top_level_group": True,
    "training_config": True,
    "nnmodel_extras": False,
    "dtype": "float32",
    "minimal_config": False,
    "keras_version": "2.15.0",
    "input_layer_name": "flatten_input",
    "list_input_layer": False,        # InputLayer in layer_names (tf_keras never lists it)
    "hidden_activation": "relu",
    "extra_layers": False,            # Dense(linear) -> Activation -> Dropout instead of Dense(relu)
    "optimizer": "adam",
    "loss": "sparse_categorical_crossentropy",
    "initializers": "glorot",
}


def write_file(path, v, weights):
    dt = v["dtype"]
    with h5py.File(path, "w") as f:
        put_str(f, "backend", "tensorflow", v["root_str"])
        put_str(f, "keras_version", v["keras_version"], v["root_str"])
        put_str(f, "model_config",
                json.dumps(model_config(dt, v["minimal_config"], v["input_layer_name"],
                                        v["hidden_activation"], v["extra_layers"], v["initializers"])),
                v["root_str"])
        if v["training_config"]:
            tc = dict(TRAINING_CONFIG, loss=v["loss"], optimizer_config=OPTIMIZERS[v["optimizer"]])
            put_str(f, "training_config", json.dumps(tc), v["root_str"])
        if v["nnmodel_extras"]:
            put_str(f, "nnmodel_version", "nnmodel 0.1.0", v["root_str"])
            put_str(f, "nnmodel_format_version", "1.0", v["root_str"])
            put_str(f, "nnmodel_metadata", json.dumps({"loss": "sparse_categorical_crossentropy"}),
                    v["root_str"])
        g = f.create_group("model_weights")
        put_str(g, "backend", "tensorflow", v["group_str"])
        put_str(g, "keras_version", v["keras_version"], v["group_str"])
        names = ["flatten", "dense"] + (["activation", "dropout"] if v["extra_layers"] else []) + ["dense_1"]
        if v["list_input_layer"]:
            names = [v["input_layer_name"]] + names
        put_str_array(g, "layer_names", names, v["group_str"])
        for ln in names:
            lg = g.create_group(ln)
            if ln not in weights:
                put_empty_names(lg, v["empty_weight_names"])
                continue
            wn = [f"{ln}/kernel:0", f"{ln}/bias:0"]
            put_str_array(lg, "weight_names", wn, v["group_str"])
            for n, a in zip(wn, weights[ln]):
                lg.create_dataset(n, data=a)
        if v["top_level_group"]:
            put_empty_names(g.create_group("top_level_model_weights"), v["empty_weight_names"])
        if v["nnmodel_extras"]:
            og = f.create_group("nnmodel_optimizer_state")
            put_str(og, "config", json.dumps({"class_name": "Adam", "iterations": 3}), v["root_str"])
            for slot in ("m", "v"):
                for ln, arrs in weights.items():
                    for var, a in zip(("kernel", "bias"), arrs):
                        og.create_dataset(f"{slot}/{ln}/{var}", data=np.zeros_like(a, dtype=np.float32))


_erf = np.vectorize(math.erf)


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _hsig(x):  # Keras 3 definition; tf_keras's is clip(0.2 x + 0.5, 0, 1)
    return np.clip(x / 6 + 0.5, 0, 1)


ACTS = {  # Keras 3 definitions
    "linear": lambda x: x, "relu": lambda x: np.maximum(x, 0), "sigmoid": _sig, "tanh": np.tanh,
    "softmax": lambda x: np.exp(x - x.max(1, keepdims=True)) / np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0))),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))),
    "softplus": _softplus, "softsign": lambda x: x / (1 + np.abs(x)), "silu": lambda x: x * _sig(x),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x), "exponential": np.exp,
    "hard_sigmoid": _hsig, "relu6": lambda x: np.clip(x, 0, 6), "hard_silu": lambda x: x * _hsig(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
}


def numpy_forward(weights, x, act="relu"):
    h = x.reshape(x.shape[0], -1).astype(np.float64)
    k, b = (a.astype(np.float64) for a in weights["dense"])
    h = ACTS[act](h @ k + b)
    k, b = (a.astype(np.float64) for a in weights["dense_1"])
    z = h @ k + b
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# --------------------------------------------------------------------------------------
# loading (runs in a child process: `probe_legacy_layout.py --load LIB FILE X.npy`)
# --------------------------------------------------------------------------------------

def child_load(lib, path, xpath):
    import logging
    import warnings
    import tensorflow as tf
    tf.config.experimental.enable_op_determinism()
    tf.random.set_seed(0)
    np.random.seed(0)
    msgs = []

    class H(logging.Handler):
        def emit(self, r):
            if r.levelno >= logging.WARNING:
                msgs.append(r.getMessage().splitlines()[0][:200])
    logging.getLogger().addHandler(H())
    logging.getLogger("tensorflow").addHandler(H())
    x = np.load(xpath)
    out = {"ok": False}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if lib == "keras":
                import keras
                keras.utils.set_random_seed(0)
                m = keras.models.load_model(path, compile=True)
            else:
                import tf_keras
                tf_keras.utils.set_random_seed(0)
                m = tf_keras.models.load_model(path, compile=True)
            p = np.asarray(m.predict(x, verbose=0))
            np.save(xpath + f".{lib}.pred.npy", p)
            fit = None
            if getattr(m, "optimizer", None) is not None:
                try:
                    y = (np.arange(len(x)) % 10).astype(np.int64)
                    if "sparse" not in str(getattr(m, "loss", "")):
                        y = np.eye(10, dtype=np.float32)[y]
                    h = m.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
                    fit = "ok loss=%.4f" % h.history["loss"][-1]
                except Exception as e:  # noqa: BLE001
                    fit = f"FAIL {type(e).__name__}: {str(e).strip()[:300]}"
            opt = getattr(m, "optimizer", None)
            out.update(ok=True, predict_dtype=str(p.dtype), fit_after_load=fit,
                       optimizer=None if opt is None else type(opt).__name__,
                       learning_rate=None if opt is None else float(np.asarray(opt.learning_rate)),
                       loss=str(getattr(m, "loss", None)),
                       compiled=bool(getattr(m, "compiled", getattr(m, "_is_compiled", False))),
                       layers=[type(L).__name__ for L in m.layers],
                       weight_dtypes=sorted({str(np.asarray(w).dtype) for w in m.get_weights()}))
        except Exception as e:  # noqa: BLE001 -- the probe reports every failure
            out.update(error=f"{type(e).__name__}: {str(e).strip()[:600]}")
        out["warnings"] = [str(w.message).splitlines()[0][:200] for w in caught] + msgs
    print("PROBE-RESULT " + json.dumps(out))


def run_child(lib, path, xpath):
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--load", lib, path, xpath],
                       capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if line.startswith("PROBE-RESULT "):
            return json.loads(line[len("PROBE-RESULT "):])
    return {"ok": False, "error": f"child exited {r.returncode}: {r.stderr.strip()[-600:]}"}


VARIANTS = [
    ("baseline (vlen UTF-8 strings, empty float64 weight_names)", {}),
    ("all strings vlen ASCII (what tf_keras writes for most attrs)", {"root_str": "vlen-ascii", "group_str": "vlen-ascii"}),
    ("root vlen UTF-8, model_weights attrs vlen ASCII (exactly tf_keras's mix)", {"group_str": "vlen-ascii"}),
    ("all strings fixed-length (numpy S)", {"root_str": "fixed", "group_str": "fixed"}),
    ("empty weight_names as empty vlen-string array", {"empty_weight_names": "vlen-str"}),
    ("empty weight_names as empty fixed-string array", {"empty_weight_names": "fixed-str"}),
    ("weight_names attribute absent on weightless layers", {"empty_weight_names": "absent"}),
    ("no top_level_model_weights group", {"top_level_group": False}),
    ("no training_config", {"training_config": False}),
    ("nnmodel extras (root nnmodel_* attrs + nnmodel_optimizer_state group)", {"nnmodel_extras": True}),
    ("float64 model (dtype 'float64' strings, float64 datasets)", {"dtype": "float64"}),
    ("minimal layer configs (no initializers/regularizers/trainable)", {"minimal_config": True}),
    ("keras_version '3.0.0' instead of '2.15.0'", {"keras_version": "3.0.0"}),
    ("InputLayer named 'input_1' instead of 'flatten_input'", {"input_layer_name": "input_1"}),
    ("InputLayer listed in layer_names (with empty weight_names)", {"list_input_layer": True}),
    ("separate Activation(relu) and Dropout(0.25) layers", {"extra_layers": True}),
    ("optimizer SGD(momentum=0.9, nesterov=True)", {"optimizer": "sgd-momentum-nesterov"}),
    ("optimizer RMSprop", {"optimizer": "rmsprop"}),
    ("optimizer Adagrad", {"optimizer": "adagrad"}),
    ("loss categorical_crossentropy", {"loss": "categorical_crossentropy"}),
    ("loss mean_squared_error", {"loss": "mean_squared_error"}),
] + [(f"initializers {k}", {"initializers": k}) for k in INITIALIZER_SETS if k != "glorot"] + [
    (f"hidden activation {a!r} (diff vs Keras 3's definition)", {"hidden_activation": a})
    for a in ["linear", "sigmoid", "tanh", "elu", "selu", "gelu", "softplus", "softsign", "silu",
               "leaky_relu", "exponential", "hard_sigmoid", "relu6", "hard_silu", "mish"]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keep", help="directory to keep the probe files in")
    ap.add_argument("--json", help="write the results as JSON here")
    ap.add_argument("--only", help="comma-separated variant numbers to run (default: all; 0 = baseline)")
    ap.add_argument("--load", nargs=3, metavar=("LIB", "FILE", "X"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.load:
        child_load(*a.load)
        return 0

    versions = {"h5py": h5py.__version__, "hdf5": h5py.version.hdf5_version, "numpy": np.__version__}
    r = subprocess.run([sys.executable, "-c",
                        "import tensorflow as t, keras as k, tf_keras as f; print(t.__version__, k.__version__, f.__version__)"],
                       capture_output=True, text=True)
    if r.returncode == 0:
        versions.update(zip(("tensorflow", "keras", "tf_keras"), r.stdout.split()))
    print("versions:", versions)

    if a.keep:
        os.makedirs(a.keep, exist_ok=True)
        return run_probe(a.keep, a.json, versions, a.only)
    with tempfile.TemporaryDirectory(prefix="nnmodel-probe-") as work:
        return run_probe(work, a.json, versions, a.only)


def short(r):
    if not r.get("ok"):
        return "FAIL " + r["error"][:300]
    return (f"ok diff={r['max_abs_diff_vs_numpy']:.2e} opt={r['optimizer']} fit={r['fit_after_load']} "
            f"dtype={r['predict_dtype']}" + (f" warnings={r['warnings']}" if r["warnings"] else ""))


def run_probe(work, json_out, versions, only=None):
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 1, size=(8, 28, 28)).astype(np.float32)
    xpath = os.path.join(work, "x.npy")
    np.save(xpath, x)
    results = []
    chosen = None if not only else {int(n) for n in only.split(",")}
    for i, (label, change) in enumerate(VARIANTS):
        if chosen is not None and i not in chosen:
            continue
        v = dict(BASELINE, **change)
        weights = make_weights(11, np.dtype(v["dtype"]))
        path = os.path.join(work, f"probe_{i:02d}.h5")
        write_file(path, v, weights)
        ref = numpy_forward(weights, x, v["hidden_activation"])
        row = {"variant": label, "changes": change, "file": path}
        for lib in ("keras", "tf_keras"):
            res = run_child(lib, path, xpath)
            if res.get("ok"):
                p = np.load(xpath + f".{lib}.pred.npy")
                res["max_abs_diff_vs_numpy"] = float(np.abs(p.astype(np.float64) - ref).max())
            row[lib] = res
        results.append(row)
        print(f"[{i:02d}] {label}\n     keras 3 : {short(row['keras'])}\n     tf_keras: {short(row['tf_keras'])}",
              flush=True)
    if json_out:
        with open(json_out, "w") as fh:
            json.dump({"versions": versions, "results": results}, fh, indent=1)
            fh.write("\n")
    # exit status: 0 when the baseline (or every chosen variant) loads in both libraries
    rows = [r for r in results if r["changes"] == {}] or results
    return 0 if all(r["keras"].get("ok") and r["tf_keras"].get("ok") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
