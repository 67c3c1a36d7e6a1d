#!/usr/bin/env python
"""Writes nnmodel's Keras test fixtures (this directory) with real Keras 3 and tf_keras.

    python3 -m venv /work/venv-keras
    /work/venv-keras/bin/pip install tensorflow-cpu==2.21.0 tf_keras==2.21.0 h5py
    /work/venv-keras/bin/python Fixtures/keras/make_fixtures.py [OUTDIR]
        [--reference-from /work/shared/keras-reference] [--only GROUP[,GROUP...]]

--only regenerates just the named groups (fashion, functional, float64, layers, zoo, refusals,
damaged, cnn) and keeps every other manifest entry and file exactly as it is (the files of the
other groups are not rewritten: float32 rounding of predictions can differ in the last bit
between CPUs, so a full re-run may touch tensors that did not need to change).  LAYOUTS-EXTRA.md
and manifest.json are always rewritten.  `--only cnn` writes the fixtures of the layers beyond
Dense (Conv2D, pooling, BatchNormalization, LayerNormalization, activation layers, Reshape).

Every model file comes with FILE.expected.npy: Keras's own `model.predict` (float32) of the
model RE-LOADED from that file (weights-only files: of the model rebuilt in code with those
weights loaded) on the input named in manifest.json.  manifest.json describes each file
(producer, API, layout, whether converting it on its own must succeed, and for refusals the
substrings the error message must contain); LAYOUTS-EXTRA.md documents the layouts that
reference/LAYOUTS.md does not (tf_keras's new saving library, functional and float64
configs, ...), generated from the files written here.

Everything is seeded and TensorFlow runs with op determinism, so re-running on the same
versions rewrites the same tensors (the zip members' timestamps and `date_saved` differ).
Real Fashion-MNIST comes from /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist);
the small models train on seeded synthetic data.  Nothing outside OUTDIR is written.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import shutil
import struct
import subprocess
import tempfile
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("PYTHONHASHSEED", "0")

import numpy as np  # noqa: E402
import h5py  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
import tf_keras  # noqa: E402

tf.config.experimental.enable_op_determinism()

HERE = os.path.dirname(os.path.abspath(__file__))
FASHION = "/usr/share/datasets/fashion-mnist"
FASHION_INPUT = "reference/fashion_test64.input.npy"   # shared with the copied reference files
FASHION_LABELS = "reference/fashion_test64.labels.npy"
K3 = {"library": "keras", "version": keras.__version__}
TFK = {"library": "tf_keras", "version": tf_keras.__version__}

# Every activation nnmodel knows, by its Keras 3 name.
ZOO = ["linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu", "softplus", "softsign",
       "silu", "leaky_relu", "exponential", "hard_sigmoid", "relu6", "hard_silu", "mish"]
# Hidden-layer biases of the zoo models: they push units into every regime (large positive, large
# negative, around zero), so clipping activations (relu6, hard_sigmoid, hard_silu) saturate on
# both sides.  exponential gets milder ones so that its outputs stay below ~1e3.
ZOO_BIAS = [6.5, -4.0, 0.0, 2.0, -1.5]
ZOO_BIAS_EXP = [1.0, -3.0, 0.0, 0.5, -1.0]
# The tf_keras zoo is one chain (one file) of the activations whose tf_keras definition equals
# Keras 3's; hard_sigmoid (different definition) has its own file, hard_silu does not exist there.
TFK_CHAIN = ["linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu", "softplus",
             "softsign", "silu", "leaky_relu", "exponential", "relu6", "mish"]


# ----------------------------------------------------------------------------------------------
# small utilities
# ----------------------------------------------------------------------------------------------

def idx_images(path):
    """uint8 array from a gzip'd IDX file (big-endian header: magic, then one u32 per dim)."""
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    zero, kind, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def seed_all(seed):
    """Fresh name counters and seeds for both libraries."""
    keras.backend.clear_session()
    tf_keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    tf_keras.utils.set_random_seed(seed)


def sha256_of(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def predict(model, x):
    return np.asarray(model.predict(x, batch_size=256, verbose=0))


def first_line(e):
    s = f"{type(e).__name__}: {e}".strip()
    return s.splitlines()[0][:300]


def try_load(lib, path):
    """'loads' or 'fails: <first line of the error>' for the other library's load_model."""
    try:
        lib.models.load_model(path)
        return "loads"
    except Exception as e:  # noqa: BLE001 -- any failure is the answer
        return "fails: " + first_line(e)[:200]


def h5_bytes_of_keras(path):
    with zipfile.ZipFile(path) as zf:
        return zf.read("model.weights.h5")


def open_store(path):
    """h5py.File of an .h5 / .weights.h5 file, or of the model.weights.h5 member of a .keras."""
    if path.endswith(".keras"):
        return h5py.File(io.BytesIO(h5_bytes_of_keras(path)), "r")
    return h5py.File(path, "r")


def weight_list(path, layout):
    """[{layer, hdf5_path, shape, dtype}] in the order a reader must consume them (from the
    layer_names / weight_names attributes, or from the numeric vars/<i> keys)."""
    out = []
    with open_store(path) as f:
        if layout.startswith(("legacy-h5", "legacy-weights")):
            g = f["model_weights"] if "model_weights" in f else f
            base = "model_weights/" if "model_weights" in f else ""
            for ln in [text(n) for n in g.attrs["layer_names"]]:
                for wn in [text(n) for n in g[ln].attrs["weight_names"]]:
                    d = g[ln][wn]
                    out.append({"layer": ln, "hdf5_path": f"{base}{ln}/{wn}", "shape": list(d.shape),
                                "dtype": str(d.dtype)})
        else:
            prefix = "model.weights.h5:" if path.endswith(".keras") else ""
            for grp in f["layers"]:
                for sub, vg in store_vars(f["layers"][grp]):
                    for k in sorted(vg.keys(), key=int):
                        d = vg[k]
                        out.append({"layer": text(vg.attrs.get("name", grp)), "store_group": grp + sub,
                                    "hdf5_path": f"{prefix}layers/{grp}{sub}/vars/{k}", "shape": list(d.shape),
                                    "dtype": str(d.dtype)})
    return out


def store_vars(g, sub=""):
    """(subpath, vars group) of a layer group of a weights store: its own vars, then nested layers' (LSTM cell,
    attention projections), depth first in HDF5 order."""
    if "vars" in g:
        yield sub, g["vars"]
    for k in g:
        if k != "vars" and isinstance(g[k], h5py.Group):
            yield from store_vars(g[k], f"{sub}/{k}")


def config_of(path):
    if path.endswith(".keras"):
        with zipfile.ZipFile(path) as zf:
            return json.loads(zf.read("config.json"))
    with h5py.File(path, "r") as f:
        return json.loads(text(f.attrs["model_config"])) if "model_config" in f.attrs else None


# Config fields the manifest's architecture summary also lists for the layers beyond Dense.
BASIC_CLASSES = {"InputLayer", "Dense", "Flatten", "Activation", "Dropout"}
LAYER_KEYS = ("strides", "padding", "dilation_rate", "groups", "data_format", "pool_size", "axis", "center",
              "scale", "epsilon", "momentum", "renorm", "max_value", "negative_slope", "threshold", "alpha",
              "shared_axes", "target_shape", "keepdims", "rms_scaling", "num_heads", "key_dim")


def summarize(cfg):
    """Layer list (class, name, the fields nnmodel cares about) of a model config."""
    if cfg is None:
        return None
    layers = []
    for L in cfg["config"]["layers"]:
        c = L["config"]
        dt = c.get("dtype")
        if isinstance(dt, dict):
            dt = dt.get("config", {}).get("name")
        d = {"class": L["class_name"], "name": c.get("name"), "dtype": dt}
        for k in ("batch_shape", "batch_input_shape", "units", "activation", "use_bias", "rate",
                  "filters", "kernel_size"):
            if k in c:
                d[k] = c[k]
        if L["class_name"] not in BASIC_CLASSES:
            for k in LAYER_KEYS:
                if k in c:
                    d[k] = c[k]
        if L.get("inbound_nodes"):
            d["inbound_layers"] = sorted({a["config"]["keras_history"][0]
                                          for n in L["inbound_nodes"] for a in _tensor_args(n)})
        layers.append(d)
    return {"model_class": cfg["class_name"], "model_name": cfg["config"].get("name"), "layers": layers}


def _tensor_args(node):
    """The __keras_tensor__ arguments of a Keras 3 functional inbound node."""
    found = []

    def walk(v):
        if isinstance(v, dict):
            if v.get("class_name") == "__keras_tensor__":
                found.append(v)
            else:
                for x in v.values():
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(node)
    return found


def cross_load(lib, path, x, ref):
    """What the OTHER library makes of a file: 'loads (max |diff| ...)' or 'fails: <first line>'."""
    try:
        m = lib.models.load_model(path)
    except Exception as e:  # noqa: BLE001 -- any failure is the answer
        return "fails: " + first_line(e)[:200]
    try:
        got = predict(m, x)
    except Exception as e:  # noqa: BLE001
        return "loads, but predict fails: " + first_line(e)[:180]
    return f"loads (max |diff| to expected_file {float(np.abs(got.astype(np.float64) - ref).max()):.2e})"


# Seeded values for every parameter that is not a kernel (kernels keep their seeded initialization).
SEEDED_RANGES = {"bias": (-0.5, 0.5), "beta": (-0.5, 0.5), "gamma": (0.5, 1.5), "moving_mean": (-0.5, 0.5),
                 "moving_variance": (0.25, 2.0), "alpha": (-0.25, 0.6)}


def var_kind(w):
    n = w.path if isinstance(w, keras.Variable) else w.name
    return n.split("/")[-1].split(":")[0]


def seeded_weights(model, seed, kernel_scale=1.0):
    """Biases, BN/LN parameters and statistics, PReLU alphas -> seeded random values; kernels x kernel_scale."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if not layer.weights:
            continue
        new = []
        for w in layer.weights:
            v = np.array(w.numpy())
            k = var_kind(w)
            if k == "kernel":
                v = v * kernel_scale
            elif k in SEEDED_RANGES:
                v = rng.uniform(*SEEDED_RANGES[k], v.shape)
            new.append(v.astype(w.numpy().dtype))
        layer.set_weights(new)


ACT_CLASSES = ("ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax")


def activation_input_stats(model, x):
    """For each activation layer of a Keras 3 model: the range of what enters it on x (regimes hit)."""
    acts = [L for L in model.layers if type(L).__name__ in ACT_CLASSES]
    if not acts:
        return None
    probe = keras.Model(model.inputs, [L.input for L in acts])
    outs = probe.predict(x, verbose=0)
    outs = outs if isinstance(outs, list) else [outs]
    stats = {}
    for L, v in zip(acts, outs):
        c = L.get_config()
        s = {"class": type(L).__name__, "min": float(v.min()), "max": float(v.max()),
             "fraction_negative": float((v < 0).mean())}
        if c.get("max_value") is not None:
            s["fraction_above_max_value"] = float((v > c["max_value"]).mean())
        if c.get("threshold"):
            s["fraction_between_0_and_threshold"] = float(((v >= 0) & (v < c["threshold"])).mean())
        stats[L.name] = s
    return stats


def _same_pad(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def np_window(x, k, strides, padding, dilation, fill):
    """[N, OH, OW, KH*KW, C] windows of x (NHWC) and the in-bounds mask [OH, OW, KH*KW], Keras/TF padding."""
    kh, kw = k
    (sh, sw), (dh, dw) = strides, dilation
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    n, h, w, c = x.shape
    if padding == "valid":
        oh, ow, pt, pb, pl, pr = (h - ekh) // sh + 1, (w - ekw) // sw + 1, 0, 0, 0, 0
    else:
        oh, pt, pb = _same_pad(h, ekh, sh)
        ow, pl, pr = _same_pad(w, ekw, sw)
    xp = np.full((n, h + pt + pb, w + pl + pr, c), fill, np.float64)
    xp[:, pt:pt + h, pl:pl + w] = x
    inb = np.zeros((h + pt + pb, w + pl + pr), bool)
    inb[pt:pt + h, pl:pl + w] = True
    wins, masks = [], []
    for i in range(kh):
        for j in range(kw):
            rs = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
            cs = slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)
            wins.append(xp[:, rs, cs])
            masks.append(inb[rs, cs])
    return np.stack(wins, 3), np.stack(masks, 2), (pt, pb, pl, pr)


def numpy_layer_checks(model, x):
    """Recomputes every Conv2D / pooling layer of a Keras 3 model with numpy (TF's padding rule: 'same' puts the
    extra padding row/column at the bottom/right; max pooling ignores padding; average pooling divides by the
    in-bounds count) and returns {layer: {padding, max_abs_diff}}; fails if Keras disagrees."""
    kinds = ("Conv2D", "MaxPooling2D", "AveragePooling2D")
    todo = [L for L in model.layers if type(L).__name__ in kinds]
    if not todo:
        return None
    probe = keras.Model(model.inputs, [t for L in todo for t in (L.input, L.output)])
    outs = probe.predict(x, verbose=0)
    res = {}
    for i, L in enumerate(todo):
        xin, got = outs[2 * i].astype(np.float64), outs[2 * i + 1].astype(np.float64)
        c = L.get_config()
        if type(L).__name__ == "Conv2D":
            ws = [w.astype(np.float64) for w in L.get_weights()]
            win, _, pads = np_window(xin, c["kernel_size"], c["strides"], c["padding"], c["dilation_rate"], 0.0)
            kh, kw, ci, co = ws[0].shape
            ref = np.einsum("nhwkc,kco->nhwo", win, ws[0].reshape(kh * kw, ci, co))
            if c["use_bias"]:
                ref = ref + ws[1]
            ref = {"linear": lambda v: v, "relu": lambda v: np.maximum(v, 0), "tanh": np.tanh,
                   "elu": lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0)))}[c["activation"]](ref)
        elif type(L).__name__ == "MaxPooling2D":
            win, _, pads = np_window(xin, c["pool_size"], c["strides"], c["padding"], (1, 1), -np.inf)
            ref = win.max(3)
        else:
            win, mask, pads = np_window(xin, c["pool_size"], c["strides"], c["padding"], (1, 1), 0.0)
            ref = win.sum(3) / mask.sum(2)[None, :, :, None]
        diff = float(np.abs(ref - got).max())
        tol = 1e-12 if got.dtype == np.float64 and L.dtype == "float64" else 1e-5
        assert ref.shape == got.shape and diff <= max(tol, 1e-5 * float(np.abs(ref).max())), (L.name, diff)
        res[L.name] = {"class": type(L).__name__, "input_hw": list(xin.shape[1:3]), "output_hw": list(got.shape[1:3]),
                       "padding_top_bottom_left_right": list(pads), "numpy_reference_max_abs_diff": diff}
    return res


# ----------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------

class Data:
    def __init__(self, out):
        xtr = idx_images(f"{FASHION}/train-images-idx3-ubyte.gz")
        ytr = idx_images(f"{FASHION}/train-labels-idx1-ubyte.gz")
        xte = idx_images(f"{FASHION}/t10k-images-idx3-ubyte.gz")
        yte = idx_images(f"{FASHION}/t10k-labels-idx1-ubyte.gz")
        scale = lambda a: (a.astype(np.float32) / np.float32(255.0)).astype(np.float32)
        # 512 training images picked with a fixed seed (not the first 512, which are class-skewed).
        pick = np.random.default_rng(2024).choice(len(xtr), 512, replace=False)
        self.fx, self.fy = scale(xtr[pick]), ytr[pick].astype(np.int64)
        self.fashion64 = np.ascontiguousarray(scale(xte[:64]))
        self.fashion64_labels = yte[:64].astype(np.int64)
        # The shared input must be exactly the first 64 test images / 255 (also what the
        # reference corpus and scripts/keras-interop.sh use).
        p = os.path.join(out, FASHION_INPUT)
        if os.path.exists(p):
            if not np.array_equal(np.load(p), self.fashion64):
                raise SystemExit(f"{p} is not the first 64 Fashion-MNIST test images / 255")
        else:
            os.makedirs(os.path.dirname(p), exist_ok=True)
            np.save(p, self.fashion64)
            np.save(os.path.join(out, FASHION_LABELS), self.fashion64_labels)

        rng = np.random.default_rng(77)
        # Tiny synthetic problems: 6 features -> 3 classes, [3,4] -> 3 classes, 5x5x1 images.
        self.t6x = rng.uniform(-1, 1, (256, 6)).astype(np.float32)
        self.t6y = np.argmax(self.t6x @ rng.normal(size=(6, 3)), axis=1).astype(np.int64)
        self.t34x = rng.uniform(0, 1, (256, 3, 4)).astype(np.float32)
        self.t34y = np.argmax(self.t34x.reshape(256, 12) @ rng.normal(size=(12, 3)), axis=1).astype(np.int64)
        self.zx = rng.uniform(-2, 2, (128, 6)).astype(np.float32)
        self.zy = np.tanh(self.zx @ rng.normal(0, 0.5, size=(6, 3))).astype(np.float32)
        self.c5 = rng.uniform(0, 1, (16, 5, 5, 1)).astype(np.float32)
        # fixed prediction inputs
        self.inputs = {
            "tiny6.input.npy": rng.uniform(-1, 1, (16, 6)).astype(np.float32),
            "tiny3x4.input.npy": rng.uniform(0, 1, (16, 3, 4)).astype(np.float32),
            "zoo.input.npy": rng.uniform(-2, 2, (32, 6)).astype(np.float32),
            "conv5x5.input.npy": self.c5,
        }
        # Inputs of the layers beyond Dense: their own generator, so the draws above stay as they were.
        rng2 = np.random.default_rng(78)
        self.inputs.update({
            "img8x8x3.input.npy": rng2.uniform(-1, 1, (16, 8, 8, 3)).astype(np.float32),
            "img9x7x2.input.npy": rng2.uniform(-1, 1, (16, 9, 7, 2)).astype(np.float32),
            "fashion16_28x28x1.input.npy": np.ascontiguousarray(self.fashion64[:16].reshape(16, 28, 28, 1)),
        })
        for name, arr in self.inputs.items():
            save_input(os.path.join(out, name), arr)
        self.inputs[FASHION_INPUT] = self.fashion64
        self.fx_img = self.fx.reshape(-1, 28, 28, 1)


def save_input(path, arr):
    """np.save unless the file already holds exactly this array (then it is left untouched)."""
    if os.path.exists(path):
        old = np.load(path)
        if old.dtype == arr.dtype and old.shape == arr.shape and np.array_equal(old, arr):
            return
    np.save(path, arr)


# ----------------------------------------------------------------------------------------------
# the generator
# ----------------------------------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="nnmodel_fixtures")
class ScaleBy(keras.layers.Layer):
    """A custom layer (y = x * factor): nnmodel must refuse it by name and class."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = float(factor)

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class Generator:
    def __init__(self, out):
        self.out = out
        self.data = Data(out)
        self.entries = []

    def path(self, name):
        return os.path.join(self.out, name)

    # -- one saved file -------------------------------------------------------------------------

    def record(self, fname, *, producer, api, layout, category, description, loaded, input_file,
               in_memory=None, succeed=True, must_contain=None, must_contain_any=None,
               architecture_from=None, notes=None, extra=None):
        """Writes FILE.expected.npy from the re-loaded model and adds the manifest entry.
        loaded=None: Keras cannot run the model (refusals only): no input, no expected file."""
        p = self.path(fname)
        for stale in (p + ".expected.npy", p + ".expected_f64.npy"):
            if os.path.exists(stale):
                os.remove(stale)
        pred = None
        if loaded is not None:
            x = self.data.inputs[input_file]
            pred = predict(loaded, x)
            np.save(p + ".expected.npy", pred.astype(np.float32))
        e = {"file": fname, "size_bytes": os.path.getsize(p), "sha256": sha256_of(p),
             "category": category, "description": description,
             "producer": dict(producer), "api": api, "layout": layout,
             "expected_to_succeed": succeed}
        if must_contain:
            e["error_must_contain"] = must_contain
        if must_contain_any:
            e["error_must_contain_any"] = must_contain_any
        e["architecture_from"] = architecture_from or "this file"
        if pred is None:
            e["input_file"] = None
            e["expected_file"] = None
        else:
            e["input_file"] = input_file
            e["input_shape"] = list(x.shape)
            e["expected_file"] = fname + ".expected.npy"
            e["expected_shape"] = list(pred.shape)
            e["expected_computed_by"] = (f"{producer['library']} {producer['version']} model.predict of the model "
                                         + ("re-loaded from this file" if architecture_from is None else
                                            "rebuilt in code with this file's weights loaded (load_weights)"))
            e["predict_dtype"] = str(pred.dtype)
            if pred.dtype == np.float64:
                np.save(p + ".expected_f64.npy", pred)
                e["expected_f64_file"] = fname + ".expected_f64.npy"
            if in_memory is not None:
                e["reloaded_vs_in_memory_max_abs_diff"] = float(np.abs(pred - predict(in_memory, x)).max())
        cfg = None
        try:
            cfg = config_of(p)
        except Exception:  # noqa: BLE001 -- weights-only files have none
            pass
        e["architecture"] = summarize(cfg) if cfg else summarize(json.loads((loaded or in_memory).to_json()))
        e["weights"] = weight_list(p, layout)
        if notes:
            e["notes"] = notes
        if extra:
            e.update(extra)
        self.entries.append(e)
        print(f"  {fname:44s} {e['size_bytes']:>8d} B  ok={succeed}", flush=True)
        return e

    # -- training ---------------------------------------------------------------------------------

    @staticmethod
    def fit(model, x, y, batch=32):
        before = [np.array(w) for w in model.get_weights()]
        h = model.fit(x, y, epochs=1, batch_size=batch, shuffle=True, verbose=0)
        after = model.get_weights()
        assert all(np.isfinite(a).all() for a in after), "training diverged"
        assert any(not np.array_equal(a, b) for a, b in zip(after, before)), "training changed nothing"
        return float(h.history["loss"][-1])

    # -- 1. the main formats on a small Fashion-MNIST model ---------------------------------------

    def fashion(self):
        print("== fashion-mnist Flatten(28x28) -> Dense(8, relu) -> Dense(10, softmax)")
        d = self.data
        desc = ("Flatten(28x28) -> Dense(8, relu) -> Dense(10, softmax); Adam(1e-3), "
                "sparse_categorical_crossentropy, metrics=['accuracy']; trained 1 epoch (batch 32) on 512 "
                "real Fashion-MNIST training images (seeded pick).")

        def k3_model():
            return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                     keras.layers.Dense(8, activation="relu"),
                                     keras.layers.Dense(10, activation="softmax")])

        def tfk_model():
            return tf_keras.Sequential([tf_keras.layers.Flatten(input_shape=(28, 28)),
                                        tf_keras.layers.Dense(8, activation="relu"),
                                        tf_keras.layers.Dense(10, activation="softmax")])

        seed_all(501)
        m = k3_model()
        m.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        loss = self.fit(m, d.fx, d.fy)
        train = {"training": {"epochs": 1, "batch_size": 32, "samples": 512, "final_loss": loss, "seed": 501}}
        # .keras and .weights.h5 BEFORE .h5: Keras 3's legacy-h5 writer removes `optimizer` from
        # the in-memory compile config, so a later .keras would lose compile_config.optimizer.
        m.save(self.path("fmnist8_k3.keras"))
        m.save_weights(self.path("fmnist8_k3.weights.h5"))
        m.save(self.path("fmnist8_k3.h5"))
        self.record("fmnist8_k3.keras", producer=K3, api="model.save('x.keras')", layout="keras-zip-keras3",
                    category="format", description=desc, in_memory=m, input_file=FASHION_INPUT,
                    extra=dict(train, tf_keras_load_model=try_load(tf_keras, self.path("fmnist8_k3.keras"))),
                    loaded=keras.models.load_model(self.path("fmnist8_k3.keras")))
        seed_all(0)
        w = k3_model()
        w.load_weights(self.path("fmnist8_k3.weights.h5"))
        self.record("fmnist8_k3.weights.h5", producer=K3, api="model.save_weights('x.weights.h5')",
                    layout="weights-store-keras3", category="format-weights-only", description=desc,
                    in_memory=m, input_file=FASHION_INPUT, loaded=w, succeed=False,
                    must_contain=["weights only"], architecture_from="fmnist8_k3.keras", extra=train,
                    notes="Keras 3 save_weights also stores the Adam state under optimizer/vars.")
        self.record("fmnist8_k3.h5", producer=K3, api="model.save('x.h5')", layout="legacy-h5-keras3",
                    category="format", description=desc, in_memory=m, input_file=FASHION_INPUT,
                    extra=dict(train, tf_keras_load_model=try_load(tf_keras, self.path("fmnist8_k3.h5"))),
                    loaded=keras.models.load_model(self.path("fmnist8_k3.h5")))

        seed_all(502)
        t = tfk_model()
        t.compile(optimizer=tf_keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        loss = self.fit(t, d.fx, d.fy)
        train = {"training": {"epochs": 1, "batch_size": 32, "samples": 512, "final_loss": loss, "seed": 502}}
        t.save(self.path("fmnist8_tfk.keras"))
        t.save_weights(self.path("fmnist8_tfk.weights.h5"))
        t.save(self.path("fmnist8_tfk.h5"))
        t.save_weights(self.path("fmnist8_tfk_legacy_weights.h5"))
        tk_loaded = tf_keras.models.load_model(self.path("fmnist8_tfk.keras"))
        k3_reads = try_load(keras, self.path("fmnist8_tfk.keras"))
        self.record("fmnist8_tfk.keras", producer=TFK, api="model.save('x.keras') (tf_keras >= 2.13 saving lib)",
                    layout="keras-zip-tfkeras", category="format", description=desc, in_memory=t,
                    input_file=FASHION_INPUT, loaded=tk_loaded, extra=dict(train, keras3_load_model=k3_reads),
                    notes=("tf_keras's .keras differs from Keras 3's: config.json uses Keras-2 config fields "
                           "(batch_input_shape, string dtypes), the weights store has NO 'name' attribute on "
                           "vars groups, and it also stores metric state under metrics/. See LAYOUTS-EXTRA.md."))
        seed_all(0)
        w = tfk_model()
        w.load_weights(self.path("fmnist8_tfk.weights.h5"))
        self.record("fmnist8_tfk.weights.h5", producer=TFK,
                    api="model.save_weights('x.weights.h5') (tf_keras >= 2.13 saving lib)",
                    layout="weights-store-tfkeras", category="format-weights-only", description=desc, in_memory=t,
                    input_file=FASHION_INPUT, loaded=w, succeed=False, must_contain=["weights only"],
                    architecture_from="fmnist8_tfk.keras", extra=train)
        self.record("fmnist8_tfk.h5", producer=TFK, api="model.save('x.h5')", layout="legacy-h5-tfkeras",
                    category="format", description=desc, in_memory=t, input_file=FASHION_INPUT,
                    extra=dict(train, keras3_load_model=try_load(keras, self.path("fmnist8_tfk.h5"))),
                    loaded=tf_keras.models.load_model(self.path("fmnist8_tfk.h5")))
        seed_all(0)
        w = tfk_model()
        w.load_weights(self.path("fmnist8_tfk_legacy_weights.h5"))
        self.record("fmnist8_tfk_legacy_weights.h5", producer=TFK, api="model.save_weights('x.h5')",
                    layout="legacy-weights-h5-tfkeras", category="format-weights-only", description=desc,
                    in_memory=t, input_file=FASHION_INPUT, loaded=w, succeed=False, must_contain=["weights only"],
                    architecture_from="fmnist8_tfk.h5", extra=train)

    # -- 2. a Keras 3 functional plain chain ---------------------------------------------------------

    def functional(self):
        print("== functional plain chain")
        d = self.data
        seed_all(601)
        inp = keras.Input((3, 4), name="pixels")
        h = keras.layers.Flatten(name="flat")(inp)
        h = keras.layers.Dense(8, activation="relu", name="hidden")(h)
        out = keras.layers.Dense(3, activation="softmax", name="probs")(h)
        m = keras.Model(inp, out, name="chain")
        m.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        self.fit(m, d.t34x, d.t34y)
        desc = ("Keras 3 functional model that is a plain chain: Input([3,4], name='pixels') -> Flatten -> "
                "Dense(8, relu) -> Dense(3, softmax); Adam, trained 1 epoch on synthetic data.")
        m.save(self.path("functional_chain_k3.keras"))
        m.save(self.path("functional_chain_k3.h5"))
        for fname, layout, api in (("functional_chain_k3.keras", "keras-zip-keras3", "model.save('x.keras')"),
                                   ("functional_chain_k3.h5", "legacy-h5-keras3", "model.save('x.h5')")):
            self.record(fname, producer=K3, api=api, layout=layout, category="functional", description=desc,
                        in_memory=m, input_file="tiny3x4.input.npy",
                        loaded=keras.models.load_model(self.path(fname)))

    # -- 3. float64 -----------------------------------------------------------------------------------

    def float64(self):
        print("== float64")
        d = self.data
        seed_all(701)
        previous = keras.config.floatx()
        keras.config.set_floatx("float64")  # scoped: restored below whatever happens
        try:
            m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="tanh"),
                                  keras.layers.Dense(3, activation="softmax")], name="f64")
            m.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
            self.fit(m, d.t6x.astype(np.float64), d.t6y)
            m.save(self.path("float64_k3.keras"))
            m.save(self.path("float64_k3.h5"))
        finally:
            keras.config.set_floatx(previous)
        assert keras.config.floatx() == "float32"
        desc = ("Input(6) -> Dense(8, tanh) -> Dense(3, softmax) built under keras.config.set_floatx('float64') "
                "(scoped); weights stored as float64; Adam, trained 1 epoch on synthetic data. predict returns "
                "float64: FILE.expected.npy is it cast to float32, FILE.expected_f64.npy the float64 values.")
        for fname, layout, api in (("float64_k3.keras", "keras-zip-keras3", "model.save('x.keras')"),
                                   ("float64_k3.h5", "legacy-h5-keras3", "model.save('x.h5')")):
            self.record(fname, producer=K3, api=api, layout=layout, category="float64", description=desc,
                        in_memory=m, input_file="tiny6.input.npy", loaded=keras.models.load_model(self.path(fname)))
        seed_all(702)
        t = tf_keras.Sequential([tf_keras.layers.Dense(8, activation="tanh", dtype="float64", input_shape=(6,)),
                                 tf_keras.layers.Dense(3, activation="softmax", dtype="float64")], name="f64")
        t.compile(optimizer=tf_keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
        self.fit(t, d.t6x.astype(np.float64), d.t6y)
        t.save(self.path("float64_tfk.h5"))
        self.record("float64_tfk.h5", producer=TFK, api="model.save('x.h5')", layout="legacy-h5-tfkeras",
                    category="float64",
                    description="tf_keras Dense(8, tanh, dtype='float64', input_shape=(6,)) -> Dense(3, softmax, "
                                "dtype='float64'); float64 datasets; Adam, trained 1 epoch on synthetic data.",
                    in_memory=t, input_file="tiny6.input.npy",
                    loaded=tf_keras.models.load_model(self.path("float64_tfk.h5")))

    # -- 4. use_bias=False, separate Activation and Dropout layers -------------------------------------

    def layers(self):
        print("== use_bias=False + Activation + Dropout")
        d = self.data
        desc = ("Input(6) -> Dense(8, use_bias=False) -> Activation(tanh) -> Dropout(0.25) -> Dense(3) -> "
                "Activation(softmax); Adam, trained 1 epoch on synthetic data (Dropout is identity in predict).")
        seed_all(801)
        m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, use_bias=False),
                              keras.layers.Activation("tanh"), keras.layers.Dropout(0.25),
                              keras.layers.Dense(3), keras.layers.Activation("softmax")])
        m.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
        self.fit(m, d.t6x, d.t6y)
        m.save(self.path("nobias_act_dropout_k3.keras"))
        m.save(self.path("nobias_act_dropout_k3.h5"))
        for fname, layout, api in (("nobias_act_dropout_k3.keras", "keras-zip-keras3", "model.save('x.keras')"),
                                   ("nobias_act_dropout_k3.h5", "legacy-h5-keras3", "model.save('x.h5')")):
            self.record(fname, producer=K3, api=api, layout=layout, category="layers", description=desc,
                        in_memory=m, input_file="tiny6.input.npy", loaded=keras.models.load_model(self.path(fname)))
        seed_all(802)
        t = tf_keras.Sequential([tf_keras.layers.Dense(8, use_bias=False, input_shape=(6,)),
                                 tf_keras.layers.Activation("tanh"), tf_keras.layers.Dropout(0.25),
                                 tf_keras.layers.Dense(3), tf_keras.layers.Activation("softmax")])
        t.compile(optimizer=tf_keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
        self.fit(t, d.t6x, d.t6y)
        t.save(self.path("nobias_act_dropout_tfk.h5"))
        self.record("nobias_act_dropout_tfk.h5", producer=TFK, api="model.save('x.h5')", layout="legacy-h5-tfkeras",
                    category="layers", description=desc, in_memory=t, input_file="tiny6.input.npy",
                    loaded=tf_keras.models.load_model(self.path("nobias_act_dropout_tfk.h5")))

    # -- 5. the activation zoo ------------------------------------------------------------------------

    def zoo(self):
        print("== activation zoo")
        d = self.data
        x = d.inputs["zoo.input.npy"]
        for i, act in enumerate(ZOO):
            seed_all(900 + i)
            m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation=act, name="act"),
                                  keras.layers.Dense(3, name="out")], name=f"zoo_{act}")
            k, _ = m.layers[0].get_weights()
            m.layers[0].set_weights([k, np.array(ZOO_BIAS_EXP if act == "exponential" else ZOO_BIAS, np.float32)])
            m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.001), loss="mse")
            self.fit(m, d.zx, d.zy)
            # saved from an uncompiled twin with the trained weights: no optimizer state, smaller file
            twin = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation=act, name="act"),
                                     keras.layers.Dense(3, name="out")], name=f"zoo_{act}")
            twin.set_weights(m.get_weights())
            m = twin
            fname = f"zoo_{act}_k3.keras"
            m.save(self.path(fname))
            k, b = m.layers[0].get_weights()
            pre = x @ k + b
            regimes = {"pre_activation_min": float(pre.min()), "pre_activation_max": float(pre.max()),
                       "fraction_below_-3": float((pre < -3).mean()), "fraction_negative": float((pre < 0).mean()),
                       "fraction_above_3": float((pre > 3).mean()), "fraction_above_6": float((pre > 6).mean())}
            self.record(fname, producer=K3, api="model.save('x.keras')", layout="keras-zip-keras3",
                        category="activation-zoo",
                        description=(f"Input(6) -> Dense(5, activation='{act}', name='act') -> Dense(3, linear); hidden "
                                     f"biases set to {ZOO_BIAS_EXP if act == 'exponential' else ZOO_BIAS} before "
                                     "training so every regime of the activation is hit; SGD(1e-3), mse, 1 epoch; saved uncompiled "
                                     "(no optimizer state) to keep the zoo small."),
                        in_memory=m, input_file="zoo.input.npy", loaded=keras.models.load_model(self.path(fname)),
                        extra={"activation": act, "hidden_pre_activation_regimes": regimes})

        # tf_keras: one chain of the activations tf_keras defines like Keras 3
        seed_all(950)
        layers = [tf_keras.layers.Dense(6, activation=a, name=f"act_{a}", **({"input_shape": (6,)} if j == 0 else {}))
                  for j, a in enumerate(TFK_CHAIN)] + [tf_keras.layers.Dense(3, name="out")]
        t = tf_keras.Sequential(layers, name="zoo_chain")
        for L in t.layers[:-1]:
            k, _ = L.get_weights()
            L.set_weights([k, np.array([2.5, -2.5, 0.0, 1.0, -1.0, 0.5], np.float32)])
        t.compile(optimizer=tf_keras.optimizers.SGD(learning_rate=0.001), loss="mse")
        self.fit(t, d.zx, d.zy)
        t.save(self.path("zoo_chain_tfk.h5"), include_optimizer=False)
        with h5py.File(self.path("zoo_chain_tfk.h5"), "r") as f:
            saved = [L["config"]["activation"] for L in json.loads(text(f.attrs["model_config"]))["config"]["layers"]
                     if L["class_name"] == "Dense"][:-1]
        self.record("zoo_chain_tfk.h5", producer=TFK, api="model.save('x.h5')", layout="legacy-h5-tfkeras",
                    category="activation-zoo",
                    description=("tf_keras chain Dense(6, a) for a in " + ", ".join(TFK_CHAIN) + " -> Dense(3, linear) "
                                 "(each hidden Dense gets biases [2.5, -2.5, 0, 1, -1, 0.5]); SGD(1e-3), mse, 1 epoch; "
                                 "saved with include_optimizer=False. "
                                 "These are the activations whose tf_keras definition equals Keras 3's."),
                    in_memory=t, input_file="zoo.input.npy",
                    loaded=tf_keras.models.load_model(self.path("zoo_chain_tfk.h5")),
                    extra={"activations": TFK_CHAIN, "activation_names_as_saved": saved},
                    notes=("tf_keras writes 'silu' as 'swish'; 'leaky_relu' and 'relu6' resolve to tf.nn.leaky_relu "
                           "(alpha 0.2, as Keras 3's negative_slope 0.2) and tf.nn.relu6. hard_silu does not exist "
                           "in tf_keras (Dense(activation='hard_silu') raises); hard_sigmoid differs, see "
                           "zoo_hard_sigmoid_tfk.h5."))

        # tf_keras hard_sigmoid: 0.2 x + 0.5 clipped to [0, 1], not Keras 3's relu6(x + 3) / 6
        seed_all(951)
        t = tf_keras.Sequential([tf_keras.layers.Dense(5, activation="hard_sigmoid", name="act", input_shape=(6,)),
                                 tf_keras.layers.Dense(3, name="out")], name="zoo_hard_sigmoid")
        k, _ = t.layers[0].get_weights()
        t.layers[0].set_weights([k, np.array(ZOO_BIAS, np.float32)])
        t.compile(optimizer=tf_keras.optimizers.SGD(learning_rate=0.001), loss="mse")
        self.fit(t, d.zx, d.zy)
        t.save(self.path("zoo_hard_sigmoid_tfk.h5"))
        k, b = t.layers[0].get_weights()
        k2, b2 = t.layers[1].get_weights()
        pre = x.astype(np.float64) @ k + b
        k3_def = (np.clip(pre / 6 + 0.5, 0, 1) @ k2 + b2).astype(np.float32)
        np.save(self.path("zoo_hard_sigmoid_tfk.h5.keras3-definition.npy"), k3_def)
        e = self.record("zoo_hard_sigmoid_tfk.h5", producer=TFK, api="model.save('x.h5')", layout="legacy-h5-tfkeras",
                        category="activation-semantics",
                        description=("tf_keras Dense(5, 'hard_sigmoid') -> Dense(3, linear). tf_keras's hard_sigmoid is "
                                     "clip(0.2 x + 0.5, 0, 1); Keras 3's (and nnmodel's) is clip(x / 6 + 0.5, 0, 1). The "
                                     "config says only 'hard_sigmoid'; keras_version '2.x' tells which one is meant."),
                        in_memory=t, input_file="zoo.input.npy", succeed=False, must_contain=["hard_sigmoid"],
                        loaded=tf_keras.models.load_model(self.path("zoo_hard_sigmoid_tfk.h5")),
                        extra={"activation": "hard_sigmoid", "tf_keras_definition": "clip(0.2 * x + 0.5, 0, 1)",
                               "keras3_definition": "clip(x / 6 + 0.5, 0, 1)",
                               "keras3_definition_file": "zoo_hard_sigmoid_tfk.h5.keras3-definition.npy"})
        diff = float(np.abs(np.load(self.path("zoo_hard_sigmoid_tfk.h5.expected.npy")) - k3_def).max())
        e["keras3_definition_max_abs_diff"] = diff
        e["notes"] = (f"Reading this with Keras 3's hard_sigmoid changes the outputs by up to {diff:.3g}. nnmodel has "
                      "only the Keras 3 definition, so it must refuse (naming hard_sigmoid) rather than convert "
                      "silently; a converter that implements the tf_keras definition may instead succeed and must "
                      "then match expected_file.")

    # -- 6. refusals ----------------------------------------------------------------------------------

    def refusals(self):
        print("== refusals")

        def rec(fname, lib, desc, model, input_file, must=None, any_=None, load_kw=None):
            loader = keras.models.load_model if lib is K3 else tf_keras.models.load_model
            layout = ("keras-zip-keras3" if fname.endswith(".keras") else
                      "legacy-h5-keras3" if lib is K3 else "legacy-h5-tfkeras")
            api = "model.save('x.keras')" if fname.endswith(".keras") else "model.save('x.h5')"
            self.record(fname, producer=lib, api=api, layout=layout, category="refusal", description=desc,
                        in_memory=model, input_file=input_file, succeed=False, must_contain=must,
                        must_contain_any=any_, loaded=loader(self.path(fname), **(load_kw or {})))

        # Conv2D (seed 1001) and BatchNormalization (seed 1002) used to be refused here; they are
        # supported now: see conv_small_k3.keras and batchnorm_dense_k3.* in beyond_dense().

        seed_all(1003)
        m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Lambda(lambda v: v * 2.0, name="double"),
                              keras.layers.Dense(3, activation="softmax")])
        m.save(self.path("refuse_lambda_k3.keras"))
        rec("refuse_lambda_k3.keras", K3, "Input(6) -> Dense(4, relu) -> Lambda(x * 2, name='double') -> Dense(3, softmax) "
            "(untrained; Keras loads it only with safe_mode=False). Lambda layers hold Python code: refuse.",
            m, "tiny6.input.npy", must=["double", "Lambda"], load_kw={"safe_mode": False})

        seed_all(1004)
        t = tf_keras.Sequential([tf_keras.layers.Dense(4, activation="relu", input_shape=(6,)),
                                 tf_keras.layers.Lambda(lambda v: v * 2.0, name="double"),
                                 tf_keras.layers.Dense(3, activation="softmax")])
        t.save(self.path("refuse_lambda_tfk.h5"))
        rec("refuse_lambda_tfk.h5", TFK, "tf_keras Dense(4, relu) -> Lambda(x * 2, name='double') -> Dense(3, softmax) "
            "(untrained); the Lambda's Python bytecode is in model_config. Refuse.",
            t, "tiny6.input.npy", must=["double", "Lambda"])

        seed_all(1005)
        m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="relu"), ScaleBy(3.0, name="scale"),
                              keras.layers.Dense(3, activation="softmax")])
        m.save(self.path("refuse_custom_k3.keras"))
        rec("refuse_custom_k3.keras", K3, "Input(6) -> Dense(4, relu) -> ScaleBy(3, name='scale') -> Dense(3, softmax) "
            "(untrained); ScaleBy is a custom layer registered with "
            "keras.saving.register_keras_serializable(package='nnmodel_fixtures'). Refuse.",
            m, "tiny6.input.npy", must=["scale", "ScaleBy"])

        seed_all(1006)
        inp = keras.Input((6,), name="features")
        left = keras.layers.Dense(4, activation="relu", name="left")(inp)
        right = keras.layers.Dense(4, activation="tanh", name="right")(inp)
        joined = keras.layers.Add(name="join")([left, right])
        out = keras.layers.Dense(3, activation="softmax", name="probs")(joined)
        m = keras.Model(inp, out, name="branching")
        m.save(self.path("refuse_branching_k3.keras"))
        m.save(self.path("refuse_branching_k3.h5"))
        for fname in ("refuse_branching_k3.keras", "refuse_branching_k3.h5"):
            rec(fname, K3, "Functional Input(6) -> {Dense(4, relu, 'left'), Dense(4, tanh, 'right')} -> Add('join') -> "
                "Dense(3, softmax) (untrained, uncompiled); not a plain chain. The error names either the chain problem or the Add layer.",
                m, "tiny6.input.npy", any_=["chain", "Add"])

    # -- 7. damaged files -------------------------------------------------------------------------------

    def damaged(self):
        print("== damaged (and their intact base)")
        d = self.data
        seed_all(1101)
        m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu", name="hidden"),
                              keras.layers.Dense(3, activation="softmax", name="head")], name="tiny")
        m.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy")
        self.fit(m, d.t6x, d.t6y)
        m.save(self.path("tiny_k3.keras"))
        m.save(self.path("tiny_k3.h5"))
        desc = ("Input(6) -> Dense(8, relu, name='hidden') -> Dense(3, softmax, name='head'); Adam, trained 1 epoch "
                "on synthetic data. Intact base of the damaged_* files.")
        for fname, layout, api in (("tiny_k3.keras", "keras-zip-keras3", "model.save('x.keras')"),
                                   ("tiny_k3.h5", "legacy-h5-keras3", "model.save('x.h5')")):
            self.record(fname, producer=K3, api=api, layout=layout, category="damage-base", description=desc,
                        in_memory=m, input_file="tiny6.input.npy", loaded=keras.models.load_model(self.path(fname)))

        with open(self.path("tiny_k3.h5"), "rb") as fh:
            h5 = fh.read()
        with open(self.path("tiny_k3.keras"), "rb") as fh:
            kz = fh.read()

        def write(name, data):
            with open(self.path(name), "wb") as fh:
                fh.write(data)

        write("damaged_truncated.h5", h5[: len(h5) // 2])
        junk = np.random.default_rng(1102).integers(0, 256, 4096, dtype=np.uint8).tobytes()
        assert not junk.startswith((b"\x89HDF", b"PK"))
        write("damaged_random.h5", junk)
        write("damaged_empty.h5", b"")

        # .keras without config.json
        with zipfile.ZipFile(io.BytesIO(kz)) as src, zipfile.ZipFile(self.path("damaged_no_config.keras"), "w") as dst:
            for info in src.infolist():
                if info.filename != "config.json":
                    dst.writestr(info, src.read(info.filename))

        # .keras whose model.weights.h5 headers (local and central) declare a 4 GiB uncompressed size
        write("damaged_zip_declared_size.keras", patch_declared_size(kz, "model.weights.h5", 0xFFFFFFF0))

        # .keras whose model.weights.h5 is 50 MiB of zeros, deflated (a real zip bomb member)
        with zipfile.ZipFile(io.BytesIO(kz)) as src, \
                zipfile.ZipFile(self.path("damaged_zip_bomb.keras"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
            for info in src.infolist():
                if info.filename == "model.weights.h5":
                    zi = zipfile.ZipInfo("model.weights.h5", info.date_time)
                    zi.compress_type = zipfile.ZIP_DEFLATED
                    with dst.open(zi, "w", force_zip64=False) as w:
                        chunk = bytes(1 << 20)
                        for _ in range(50):
                            w.write(chunk)
                else:
                    dst.writestr(info, src.read(info.filename))

        # .h5 whose hidden kernel is [6, 9] while model_config says Dense(8) on 6 inputs
        shutil.copyfile(self.path("tiny_k3.h5"), self.path("damaged_kernel_shape.h5"))
        with h5py.File(self.path("damaged_kernel_shape.h5"), "r+") as f:
            g = f["model_weights/hidden"]
            kn = [text(n) for n in g.attrs["weight_names"]][0]
            del g[kn]
            g.create_dataset(kn, data=np.full((6, 9), 0.1, np.float32))
        # .h5 whose head bias is listed in weight_names but missing
        shutil.copyfile(self.path("tiny_k3.h5"), self.path("damaged_missing_weight.h5"))
        with h5py.File(self.path("damaged_missing_weight.h5"), "r+") as f:
            g = f["model_weights/head"]
            bn = [text(n) for n in g.attrs["weight_names"]][1]
            del g[bn]
        # h5py leaves freed space behind; repack is not needed for these sizes.

        cases = [
            ("damaged_truncated.h5", "tiny_k3.h5", "the first half of tiny_k3.h5 (HDF5 superblock intact, EOF short)",
             ["damaged_truncated.h5"], None),
            ("damaged_random.h5", None, "4096 seeded random bytes named .h5", ["damaged_random.h5"], None),
            ("damaged_empty.h5", None, "a zero-byte file named .h5", ["damaged_empty.h5"], None),
            ("damaged_no_config.keras", "tiny_k3.keras", "tiny_k3.keras rewritten (zipfile) without config.json",
             ["config.json"], None),
            ("damaged_zip_declared_size.keras", "tiny_k3.keras",
             "tiny_k3.keras with the uncompressed size of model.weights.h5 set to 0xFFFFFFF0 (4 GiB) in its local "
             "header and central directory entry; the stored bytes are the real (small) member",
             ["model.weights.h5"], None),
            ("damaged_zip_bomb.keras", "tiny_k3.keras",
             "tiny_k3.keras with model.weights.h5 replaced by 50 MiB of zeros, deflated (honest headers); a reader "
             "must not hold more than that, and zeros are not HDF5",
             ["model.weights.h5"], None),
            ("damaged_kernel_shape.h5", "tiny_k3.h5",
             "tiny_k3.h5 with the 'hidden' kernel replaced by a [6, 9] array (model_config: Dense(8) on 6 inputs)",
             ["hidden", "kernel"], None),
            ("damaged_missing_weight.h5", "tiny_k3.h5",
             "tiny_k3.h5 with the 'head' bias dataset deleted (still listed in weight_names)",
             ["head", "bias"], None),
        ]
        for fname, base, what, must, any_ in cases:
            p = self.path(fname)
            try:
                keras.models.load_model(p)
                k3 = "loads"
            except Exception as e:  # noqa: BLE001
                k3 = first_line(e).replace(self.out + "/", "")
            e = {"file": fname, "size_bytes": os.path.getsize(p), "sha256": sha256_of(p), "category": "damaged",
                 "description": what, "producer": {"library": "make_fixtures.py", "version": None,
                                                   "derived_from": base},
                 "api": None, "layout": "damaged", "expected_to_succeed": False, "error_must_contain": must}
            if any_:
                e["error_must_contain_any"] = any_
            e.update({"architecture_from": None, "input_file": None, "expected_file": None,
                      "keras3_load_model_error": k3})
            if fname == "damaged_zip_bomb.keras":
                with zipfile.ZipFile(p) as zf:
                    i = zf.getinfo("model.weights.h5")
                    e["member_sizes"] = {"compressed": i.compress_size, "uncompressed": i.file_size,
                                         "ratio": round(i.file_size / i.compress_size, 1)}
            self.entries.append(e)
            print(f"  {fname:44s} {e['size_bytes']:>8d} B  keras3: {k3[:70]}", flush=True)

    # -- 8. layers beyond Dense (`--only cnn`) ------------------------------------------------------------

    def family(self, stem, lib, build, *, seed, formats, input_file, category, description, prepare=None,
               kernel_scale=1.0, extra=None, notes=None, checks=False):
        """Builds `build()` (seeded), gives it weights (prepare(model) -> extra dict, e.g. training; else
        seeded_weights), saves it in `formats` (of keras, weights, h5, legacy_weights; written in that
        order) and records every file.  Returns the in-memory model."""
        is_k3 = lib is K3
        mod, other = (keras, tf_keras) if is_k3 else (tf_keras, keras)
        other_key = "tf_keras_load_model" if is_k3 else "keras3_load_model"
        seed_all(seed)
        m = build()
        more = dict(extra or {})
        if prepare is not None:
            more.update(prepare(m) or {})
        else:
            seeded_weights(m, seed, kernel_scale)
        x = self.data.inputs[input_file]
        if is_k3:
            stats = activation_input_stats(m, x)
            if stats:
                more["activation_layer_inputs"] = stats
            lc = numpy_layer_checks(m, x) if checks else None
            if lc:
                more["layer_checks"] = lc
        suffix = {"keras": ".keras", "weights": ".weights.h5", "h5": ".h5", "legacy_weights": "_legacy_weights.h5"}
        order = [f for f in ("keras", "weights", "h5", "legacy_weights") if f in formats]
        names = {f: stem + suffix[f] for f in order}
        for f in order:  # .keras and .weights.h5 before .h5 (Keras 3's .h5 writer edits the compile config)
            (m.save_weights if f in ("weights", "legacy_weights") else m.save)(self.path(names[f]))
        tag = "" if is_k3 else " (tf_keras >= 2.13 saving lib)"
        kinds = {"keras": (f"model.save('x.keras'){tag}", "keras-zip-keras3" if is_k3 else "keras-zip-tfkeras"),
                 "h5": ("model.save('x.h5')", "legacy-h5-keras3" if is_k3 else "legacy-h5-tfkeras"),
                 "weights": (f"model.save_weights('x.weights.h5'){tag}",
                             "weights-store-keras3" if is_k3 else "weights-store-tfkeras"),
                 "legacy_weights": ("model.save_weights('x.h5')", "legacy-weights-h5-tfkeras")}
        for f in order:
            fname, p = names[f], self.path(names[f])
            api, layout = kinds[f]
            if f in ("keras", "h5"):
                loaded = mod.models.load_model(p)
                ex = dict(more)
                ex[other_key] = cross_load(other, p, x, predict(loaded, x))
                self.record(fname, producer=lib, api=api, layout=layout, category=category, description=description,
                            in_memory=m, input_file=input_file, loaded=loaded, extra=ex, notes=notes)
            else:
                arch = names.get("keras", names.get("h5")) if f == "weights" else names["h5"]
                seed_all(0)
                w = build()
                w.load_weights(p)
                self.record(fname, producer=lib, api=api, layout=layout, category="format-weights-only",
                            description=description, in_memory=m, input_file=input_file, loaded=w, succeed=False,
                            must_contain=["weights only"], architecture_from=arch, extra=more, notes=notes)
        return m

    def refusal(self, fname, lib, build, *, seed, input_file, description, must=None, any_=None, predicts=True,
                notes=None, attempt_input=None):
        """A refusal fixture (one file); predicts=False: Keras itself cannot run it, only the file is written
        (and why Keras cannot predict it, on attempt_input(input) -- e.g. NCHW -- is recorded)."""
        seed_all(seed)
        m = build()
        seeded_weights(m, seed)
        m.save(self.path(fname))
        mod = keras if lib is K3 else tf_keras
        layout = ("keras-zip-keras3" if fname.endswith(".keras") else
                  "legacy-h5-keras3" if lib is K3 else "legacy-h5-tfkeras")
        if fname.endswith(".keras") and lib is TFK:
            layout = "keras-zip-tfkeras"
        api = "model.save('x.keras')" if fname.endswith(".keras") else "model.save('x.h5')"
        extra = {}
        loaded = mod.models.load_model(self.path(fname))
        if predicts:
            x = self.data.inputs[input_file]
            extra["tf_keras_load_model" if lib is K3 else "keras3_load_model"] = cross_load(
                tf_keras if lib is K3 else keras, self.path(fname), x, predict(loaded, x))
        else:
            try:
                predict(loaded, (attempt_input or (lambda v: v))(self.data.inputs[input_file]))
                raise SystemExit(f"{fname}: Keras predicts it after all; record it with predictions")
            except Exception as e:  # noqa: BLE001 -- the failure is what is recorded
                chain, c = [], e
                while c is not None and len(chain) < 10:
                    chain.append(c)
                    c = c.__cause__ or c.__context__
                why = [f"{type(c).__name__}: {ln.strip()}" for c in chain for ln in str(c).splitlines()
                       if "only supports" in ln or "NHWC" in ln]
                extra["keras_predict_error"] = (why[0] if why else first_line(e))[:200]
            loaded = None
        self.record(fname, producer=lib, api=api, layout=layout, category="refusal", description=description,
                    in_memory=m if predicts else None, input_file=input_file, succeed=False, must_contain=must,
                    must_contain_any=any_, loaded=loaded, extra=extra or None, notes=notes)

    def beyond_dense(self):
        print("== layers beyond Dense")
        d = self.data
        L, T = keras.layers, tf_keras.layers
        sm = dict(activation="softmax")

        # -- the two former refusals, now success fixtures (same models, same seeds as before) --
        self.family("conv_small_k3", K3, lambda: keras.Sequential([
            keras.Input((5, 5, 1)), L.Conv2D(2, 3, activation="relu", name="conv"), L.Flatten(), L.Dense(3, **sm)]),
            seed=1001, formats=("keras",), input_file="conv5x5.input.npy", category="layers-beyond-dense",
            prepare=lambda m: None, checks=True,
            description="Input(5,5,1) -> Conv2D(2, 3x3, relu, name='conv') -> Flatten -> Dense(3, softmax) (untrained, "
                        "uncompiled: zero biases). Was refuse_conv2d_k3.keras (same model, same seed).")

        def bn_fixed(m):
            # gamma, beta, moving mean, moving variance away from 1, 0, 0, 1 so that BN is not an identity
            m.get_layer("bn").set_weights([np.array(v, np.float32) for v in
                                           ([1.5, 0.5, 1.0, 2.0], [0.1, -0.2, 0.3, 0.0], [0.2, -0.1, 0.0, 0.4],
                                            [0.5, 2.0, 1.0, 0.25])])
        self.family("batchnorm_dense_k3", K3, lambda: keras.Sequential([
            keras.Input((6,)), L.Dense(4), L.BatchNormalization(name="bn"), L.Dense(3, **sm)]),
            seed=1002, formats=("keras", "h5"), input_file="tiny6.input.npy", category="layers-beyond-dense",
            prepare=bn_fixed,
            description="Input(6) -> Dense(4) -> BatchNormalization(name='bn') -> Dense(3, softmax); uncompiled; BN "
                        "gamma/beta/moving_mean/moving_variance set to non-trivial values. BN after Dense (2-D input). "
                        "The .h5 was refuse_batchnorm_k3.h5 (same model, same seed).")

        # -- each new layer in a tiny model (Keras 3 .keras and .h5; some .weights.h5) --
        seeded = ("Weights: kernels as initialized (seeded), biases / BN / LN / PReLU parameters set to seeded "
                  "random values (BN moving_variance in [0.25, 2]); uncompiled.")
        specs = [
            ("bn_image_k3", 1201, "img8x8x3.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((8, 8, 3)), L.BatchNormalization(), L.Flatten(), L.Dense(3, **sm)]),
             "Input(8,8,3) -> BatchNormalization() (axis -1 = channels) -> Flatten -> Dense(3, softmax)."),
            ("bn_variants_k3", 1202, "tiny6.input.npy", ("keras", "weights", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((6,)), L.Dense(8), L.BatchNormalization(scale=False), L.Dense(8),
                L.BatchNormalization(center=False), L.Dense(8),
                L.BatchNormalization(center=False, scale=False, epsilon=0.01), L.Dense(3, **sm)]),
             "Input(6) -> Dense(8) -> BatchNormalization(scale=False) [beta, mean, var] -> Dense(8) -> "
             "BatchNormalization(center=False) [gamma, mean, var] -> Dense(8) -> BatchNormalization(center=False, "
             "scale=False, epsilon=0.01) [mean, var] -> Dense(3, softmax)."),
            ("layernorm_k3", 1203, "tiny6.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((6,)), L.Dense(8), L.LayerNormalization(), L.Dense(8), L.LayerNormalization(center=False),
                L.Dense(8), L.LayerNormalization(scale=False, epsilon=0.01), L.Dense(3, **sm)]),
             "Input(6) -> Dense(8) -> LayerNormalization() -> Dense(8) -> LayerNormalization(center=False) [gamma] -> "
             "Dense(8) -> LayerNormalization(scale=False, epsilon=0.01) [beta] -> Dense(3, softmax)."),
            ("layernorm_image_k3", 1204, "img8x8x3.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same"), L.LayerNormalization(), L.Flatten(),
                L.Dense(3, **sm)]),
             "Input(8,8,3) -> Conv2D(4, 3, same) -> LayerNormalization() (axis -1: over the 4 channels of each "
             "pixel) -> Flatten -> Dense(3, softmax)."),
            ("relu_k3", 1205, "zoo.input.npy", ("keras", "h5"), 2.5, lambda: keras.Sequential([
                keras.Input((6,)), L.Dense(8), L.ReLU(max_value=6.0), L.Dense(8),
                L.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.25), L.Dense(8), L.ReLU(),
                L.Dense(8), L.ReLU(negative_slope=0.2, threshold=0.5), L.Dense(3, **sm)]),
             "Input(6) -> Dense(8) -> ReLU(max_value=6) -> Dense(8) -> ReLU(max_value=1.5, negative_slope=0.1, "
             "threshold=0.25) -> Dense(8) -> ReLU() -> Dense(8) -> ReLU(negative_slope=0.2, threshold=0.5) -> "
             "Dense(3, softmax); kernels x2.5 so every regime is hit (manifest: activation_layer_inputs)."),
            ("leakyrelu_k3", 1206, "zoo.input.npy", ("keras", "h5"), 1.5, lambda: keras.Sequential([
                keras.Input((6,)), L.Dense(8), L.LeakyReLU(), L.Dense(8), L.LeakyReLU(negative_slope=0.05),
                L.Dense(3, **sm)]),
             "Input(6) -> Dense(8) -> LeakyReLU() (Keras 3 default negative_slope 0.3) -> Dense(8) -> "
             "LeakyReLU(negative_slope=0.05) -> Dense(3, softmax)."),
            ("elu_k3", 1207, "zoo.input.npy", ("keras", "h5"), 1.5, lambda: keras.Sequential([
                keras.Input((6,)), L.Dense(8), L.ELU(), L.Dense(8), L.ELU(alpha=0.5), L.Dense(3, **sm)]),
             "Input(6) -> Dense(8) -> ELU() (alpha 1) -> Dense(8) -> ELU(alpha=0.5) -> Dense(3, softmax)."),
            ("softmax_layer_k3", 1208, "zoo.input.npy", ("keras", "h5"), 1.5, lambda: keras.Sequential([
                keras.Input((6,)), L.Dense(5), L.Softmax(), L.Dense(3), L.Softmax()]),
             "Input(6) -> Dense(5) -> Softmax() -> Dense(3) -> Softmax() (Softmax layers, axis -1)."),
            ("prelu_k3", 1209, "zoo.input.npy", ("keras", "h5"), 1.5, lambda: keras.Sequential([
                keras.Input((6,)), L.Dense(8), L.PReLU(), L.Dense(3, **sm)]),
             "Input(6) -> Dense(8) -> PReLU() (alpha [8], seeded values in [-0.25, 0.6]) -> Dense(3, softmax)."),
            ("prelu_image_k3", 1210, "img8x8x3.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same"), L.PReLU(shared_axes=[1, 2]),
                L.Conv2D(2, 3), L.PReLU(), L.Flatten(), L.Dense(3, **sm)]),
             "Input(8,8,3) -> Conv2D(4, 3, same) -> PReLU(shared_axes=[1, 2]) (alpha [1,1,4]) -> Conv2D(2, 3) -> "
             "PReLU() (alpha [6,6,2], one per position and channel) -> Flatten -> Dense(3, softmax)."),
            ("conv_valid_k3", 1211, "img8x8x3.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((8, 8, 3)), L.Conv2D(4, 3, activation="relu"),
                L.Conv2D(2, (3, 2), activation="tanh", use_bias=False), L.Flatten(), L.Dense(3, **sm)]),
             "Input(8,8,3) -> Conv2D(4, 3x3, valid, relu) [6,6,4] -> Conv2D(2, 3x2, valid, tanh, use_bias=False) "
             "[4,5,2] -> Flatten -> Dense(3, softmax)."),
            ("conv_same_even_k3", 1212, "img9x7x2.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((9, 7, 2)), L.Conv2D(3, (2, 2), padding="same"),
                L.Conv2D(2, (4, 4), padding="same", activation="relu"), L.Flatten(), L.Dense(3, **sm)]),
             "Input(9,7,2) -> Conv2D(3, 2x2, same) -> Conv2D(2, 4x4, same, relu) -> Flatten -> Dense(3, softmax): "
             "'same' with even kernels pads more at the bottom/right (manifest: layer_checks)."),
            ("conv_strides_k3", 1213, "img9x7x2.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((9, 7, 2)), L.Conv2D(4, (4, 4), strides=2, padding="same", activation="relu"),
                L.Conv2D(3, (3, 2), strides=(2, 1)), L.Flatten(), L.Dense(3, **sm)]),
             "Input(9,7,2) -> Conv2D(4, 4x4, strides 2, same, relu) [5,4,4] -> Conv2D(3, 3x2, strides (2,1), valid) "
             "[2,3,3] -> Flatten -> Dense(3, softmax)."),
            ("conv_dilated_k3", 1214, "img9x7x2.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((9, 7, 2)), L.Conv2D(3, 3, dilation_rate=2, activation="elu"),
                L.Conv2D(2, (2, 3), dilation_rate=(2, 1), padding="same", use_bias=False), L.Flatten(),
                L.Dense(3, **sm)]),
             "Input(9,7,2) -> Conv2D(3, 3x3, dilation 2, valid, elu) [5,3,3] -> Conv2D(2, 2x3, dilation (2,1), same, "
             "use_bias=False) [5,3,2] -> Flatten -> Dense(3, softmax)."),
            ("maxpool_k3", 1215, "img9x7x2.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((9, 7, 2)), L.MaxPooling2D(3, strides=2, padding="same"), L.MaxPooling2D(2, strides=1),
                L.Flatten(), L.Dense(3, **sm)]),
             "Input(9,7,2) (values in [-1, 1]) -> MaxPooling2D(3, strides 2, same) [5,4,2] -> MaxPooling2D(2, "
             "strides 1, valid) [4,3,2] -> Flatten -> Dense(3, softmax). 'same' max pooling ignores the padding "
             "(it is not zeros)."),
            ("avgpool_k3", 1216, "img9x7x2.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((9, 7, 2)), L.AveragePooling2D((3, 2), strides=(2, 1), padding="same"),
                L.AveragePooling2D(2), L.Flatten(), L.Dense(3, **sm)]),
             "Input(9,7,2) -> AveragePooling2D((3,2), strides (2,1), same) [5,7,2] -> AveragePooling2D(2) (strides = "
             "pool, valid, floor) [2,3,2] -> Flatten -> Dense(3, softmax). 'same' average pooling divides by the "
             "number of in-bounds elements."),
            ("globalavg_k3", 1217, "img8x8x3.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same"), L.GlobalAveragePooling2D(),
                L.Dense(3, **sm)]),
             "Input(8,8,3) -> Conv2D(4, 3, same) -> GlobalAveragePooling2D() [4] -> Dense(3, softmax)."),
            ("globalmax_k3", 1218, "img8x8x3.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same"), L.GlobalMaxPooling2D(), L.Dense(3, **sm)]),
             "Input(8,8,3) -> Conv2D(4, 3, same) -> GlobalMaxPooling2D() [4] -> Dense(3, softmax)."),
            ("globalavg_keepdims_k3", 1219, "img8x8x3.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same"), L.GlobalAveragePooling2D(keepdims=True),
                L.Flatten(), L.Dense(3, **sm)]),
             "Input(8,8,3) -> Conv2D(4, 3, same) -> GlobalAveragePooling2D(keepdims=True) [1,1,4] -> Flatten -> "
             "Dense(3, softmax)."),
            ("globalmax_keepdims_k3", 1220, "img8x8x3.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same"), L.GlobalMaxPooling2D(keepdims=True),
                L.Conv2D(3, 1), L.Reshape((3,)), L.Softmax()]),
             "Input(8,8,3) -> Conv2D(4, 3, same) -> GlobalMaxPooling2D(keepdims=True) [1,1,4] -> Conv2D(3, 1x1) "
             "[1,1,3] -> Reshape((3,)) -> Softmax()."),
            ("reshape_k3", 1221, "tiny6.input.npy", ("keras", "h5"), 1.0, lambda: keras.Sequential([
                keras.Input((6,)), L.Dense(48), L.Reshape((4, 4, 3)), L.Conv2D(2, 2, activation="relu"),
                L.Reshape((-1,)), L.Dense(3, **sm)]),
             "Input(6) -> Dense(48) -> Reshape((4, 4, 3)) -> Conv2D(2, 2x2, relu) [3,3,2] -> Reshape((-1,)) [18] -> "
             "Dense(3, softmax) (Reshape of a flat vector into an image, row-major, channels last)."),
        ]
        for stem, seed, inp, formats, ks, build, desc in specs:
            self.family(stem, K3, build, seed=seed, formats=formats, input_file=inp, category="layers-beyond-dense",
                        kernel_scale=ks, description=desc + " " + seeded, checks=True)

        # -- tf_keras: the same layers as tf_keras writes them (Keras-2 configs) --
        self.family("layers_tfk", TFK, lambda: tf_keras.Sequential([
            T.Conv2D(4, (3, 2), padding="same", input_shape=(9, 7, 2)), T.BatchNormalization(),
            T.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.1),
            T.Conv2D(4, (2, 2), padding="same", dilation_rate=2), T.LeakyReLU(),
            T.MaxPooling2D(2, strides=1, padding="same"), T.PReLU(shared_axes=[1, 2]),
            T.AveragePooling2D((3, 2), strides=2, padding="same"), T.ELU(alpha=0.7), T.LayerNormalization(),
            T.Conv2D(3, 2, strides=2), T.PReLU(), T.GlobalMaxPooling2D(keepdims=True), T.Reshape((3,)),
            T.Dense(3), T.Softmax()], name="layers_tfk"),
            seed=1301, formats=("keras", "h5"), input_file="img9x7x2.input.npy", category="layers-beyond-dense",
            description="tf_keras Conv2D(4, 3x2, same, input_shape=(9,7,2)) -> BatchNormalization -> ReLU(6, 0.1, 0.1) "
                        "-> Conv2D(4, 2x2, same, dilation 2) -> LeakyReLU() (tf_keras default alpha 0.3) -> "
                        "MaxPooling2D(2, strides 1, same) -> PReLU(shared_axes=[1,2]) -> AveragePooling2D((3,2), "
                        "strides 2, same) -> ELU(0.7) -> LayerNormalization() -> Conv2D(3, 2, strides 2) -> PReLU() "
                        "-> GlobalMaxPooling2D(keepdims=True) -> Reshape((3,)) -> Dense(3) -> Softmax(). " + seeded)
        self.family("norm_tfk", TFK, lambda: tf_keras.Sequential([
            T.Dense(8, input_shape=(6,)), T.BatchNormalization(scale=False), T.Dense(8),
            T.BatchNormalization(center=False), T.LayerNormalization(center=False), T.Dense(8),
            T.LayerNormalization(scale=False), T.BatchNormalization(center=False, scale=False), T.Dense(3, **sm)],
            name="norm_tfk"),
            seed=1302, formats=("keras", "h5"), input_file="tiny6.input.npy", category="layers-beyond-dense",
            description="tf_keras Dense(8, input_shape=(6,)) -> BatchNormalization(scale=False) -> Dense(8) -> "
                        "BatchNormalization(center=False) -> LayerNormalization(center=False) -> Dense(8) -> "
                        "LayerNormalization(scale=False) -> BatchNormalization(center=False, scale=False) -> "
                        "Dense(3, softmax). " + seeded)

        # -- the combined CNN on 28x28x1 Fashion-MNIST --
        cnn_desc = ("Input(28,28,1) -> Conv2D(6, 3, same) -> BatchNormalization(momentum=0.9) -> ReLU -> "
                    "MaxPooling2D(2) -> Conv2D(8, 3, valid, relu) -> Conv2D(8, 3, strides 2, same, relu) -> "
                    "AveragePooling2D(2) -> GlobalAveragePooling2D -> Dense(10, softmax); Adam, "
                    "sparse_categorical_crossentropy, metrics=['accuracy']; trained 1 epoch (batch 32) on 512 real "
                    "Fashion-MNIST images (BN moving statistics from training). Input: the first 16 test images "
                    "as [16, 28, 28, 1].")

        def k3_cnn_layers():
            return [L.Conv2D(6, 3, padding="same"), L.BatchNormalization(momentum=0.9), L.ReLU(), L.MaxPooling2D(2),
                    L.Conv2D(8, 3, activation="relu"), L.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
                    L.AveragePooling2D(2), L.GlobalAveragePooling2D(), L.Dense(10, **sm)]

        def tfk_cnn_layers(first_kw):
            return [T.Conv2D(6, 3, padding="same", **first_kw), T.BatchNormalization(momentum=0.9), T.ReLU(),
                    T.MaxPooling2D(2), T.Conv2D(8, 3, activation="relu"),
                    T.Conv2D(8, 3, strides=2, padding="same", activation="relu"), T.AveragePooling2D(2),
                    T.GlobalAveragePooling2D(), T.Dense(10, **sm)]

        def chain(inp, layers):
            h = inp
            for layer in layers:
                h = layer(h)
            return h

        def train(lib, seed):
            mod = keras if lib is K3 else tf_keras

            def go(m):
                m.compile(optimizer=mod.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
                loss = self.fit(m, d.fx_img, d.fy)
                return {"training": {"epochs": 1, "batch_size": 32, "samples": 512, "final_loss": loss, "seed": seed}}
            return go

        self.family("cnn_k3", K3, lambda: keras.Sequential([keras.Input((28, 28, 1))] + k3_cnn_layers(), name="cnn"),
                    seed=1401, formats=("keras", "weights", "h5"), input_file="fashion16_28x28x1.input.npy",
                    category="cnn", prepare=train(K3, 1401), description=cnn_desc, checks=True)

        def k3_functional():
            inp = keras.Input((28, 28, 1), name="image")
            return keras.Model(inp, chain(inp, k3_cnn_layers()), name="cnn_functional")
        self.family("cnn_functional_k3", K3, k3_functional, seed=1402, formats=("keras", "h5"),
                    input_file="fashion16_28x28x1.input.npy", category="cnn", prepare=train(K3, 1402),
                    description="Keras 3 functional plain chain: " + cnn_desc)
        self.family("cnn_tfk", TFK, lambda: tf_keras.Sequential(tfk_cnn_layers({"input_shape": (28, 28, 1)}),
                                                               name="cnn"),
                    seed=1403, formats=("keras", "weights", "h5", "legacy_weights"),
                    input_file="fashion16_28x28x1.input.npy", category="cnn", prepare=train(TFK, 1403),
                    description="tf_keras (input_shape on the first Conv2D): " + cnn_desc)

        def tfk_functional():
            inp = tf_keras.Input((28, 28, 1), name="image")
            return tf_keras.Model(inp, chain(inp, tfk_cnn_layers({})), name="cnn_functional")
        self.family("cnn_functional_tfk", TFK, tfk_functional, seed=1404, formats=("keras", "h5"),
                    input_file="fashion16_28x28x1.input.npy", category="cnn", prepare=train(TFK, 1404),
                    description="tf_keras functional plain chain: " + cnn_desc,
                    notes="tf_keras's .keras names the model class by module path: config.json top level has "
                          "module 'tf_keras.src.engine.functional', class_name 'Functional', registered_name "
                          "'Functional' (its Sequential is module 'keras'). Keras 3 cannot load it.")

        # -- float64 CNN --
        f64 = dict(dtype="float64")
        f64_desc = ("Input(8,8,3, dtype float64) -> Conv2D(4, 3, same, relu) -> BatchNormalization -> MaxPooling2D(2) "
                    "-> Conv2D(4, 2x2, valid) -> GlobalAveragePooling2D -> Dense(3, softmax), every layer "
                    "dtype='float64'; float64 weights (seeded, BN statistics non-trivial); predict returns float64: "
                    "FILE.expected.npy is it cast to float32, FILE.expected_f64.npy the float64 values.")
        self.family("cnn_f64_k3", K3, lambda: keras.Sequential([
            keras.Input((8, 8, 3), dtype="float64"), L.Conv2D(4, 3, padding="same", activation="relu", **f64),
            L.BatchNormalization(**f64), L.MaxPooling2D(2, **f64), L.Conv2D(4, 2, **f64),
            L.GlobalAveragePooling2D(**f64), L.Dense(3, activation="softmax", **f64)], name="cnn_f64"),
            seed=1501, formats=("keras", "h5"), input_file="img8x8x3.input.npy", category="float64",
            description=f64_desc + " " + seeded, checks=True)
        self.family("cnn_f64_tfk", TFK, lambda: tf_keras.Sequential([
            T.Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 3), **f64),
            T.BatchNormalization(**f64), T.MaxPooling2D(2, **f64), T.Conv2D(4, 2, **f64),
            T.GlobalAveragePooling2D(**f64), T.Dense(3, activation="softmax", **f64)], name="cnn_f64"),
            seed=1502, formats=("h5",), input_file="img8x8x3.input.npy", category="float64",
            description="tf_keras " + f64_desc + " " + seeded)

        # -- refusals --
        self.refusal("refuse_lstm_k3.keras", K3, lambda: keras.Sequential([
            keras.Input((3, 4)), L.LSTM(4, name="recurrent"), L.Dense(3, **sm)]),
            seed=1601, input_file="tiny3x4.input.npy", must=["recurrent", "LSTM"],
            description="Input(3,4) -> LSTM(4, name='recurrent') -> Dense(3, softmax) (uncompiled); LSTM is not "
                        "supported. Keras 3 stores the LSTM's kernels under layers/lstm/cell/vars.")
        self.refusal("refuse_depthwise_k3.keras", K3, lambda: keras.Sequential([
            keras.Input((8, 8, 3)), L.DepthwiseConv2D(3, name="per_channel"), L.Flatten(), L.Dense(3, **sm)]),
            seed=1602, input_file="img8x8x3.input.npy", must=["per_channel", "DepthwiseConv2D"],
            description="Input(8,8,3) -> DepthwiseConv2D(3, name='per_channel') -> Flatten -> Dense(3, softmax); its "
                        "kernel [3,3,3,1] looks like a Conv2D kernel but is not one. Refuse.")

        def mha():
            inp = keras.Input((3, 4), name="tokens")
            h = L.MultiHeadAttention(num_heads=2, key_dim=2, name="attention")(inp, inp)
            return keras.Model(inp, L.Dense(3, **sm)(L.Flatten()(h)), name="attention_model")
        self.refusal("refuse_attention_k3.keras", K3, mha, seed=1603, input_file="tiny3x4.input.npy",
                     any_=["MultiHeadAttention", "chain"],
                     description="Functional Input(3,4) -> MultiHeadAttention(2 heads, key_dim 2, name='attention') "
                                 "called as attention(x, x) -> Flatten -> Dense(3, softmax). Refuse (the error names "
                                 "the class, or the node with two inputs).")
        self.refusal("refuse_conv2d_groups_k3.keras", K3, lambda: keras.Sequential([
            keras.Input((9, 7, 2)), L.Conv2D(4, 3, groups=2, name="grouped"), L.Flatten(), L.Dense(3, **sm)]),
            seed=1604, input_file="img9x7x2.input.npy", must=["grouped", "groups"],
            description="Input(9,7,2) -> Conv2D(4, 3, groups=2, name='grouped') (kernel [3,3,1,4]) -> Flatten -> "
                        "Dense(3, softmax). Grouped convolution is not supported: refuse naming 'groups'.")
        self.refusal("refuse_conv2d_channels_first_k3.keras", K3, lambda: keras.Sequential([
            keras.Input((2, 9, 7)), L.Conv2D(3, 3, data_format="channels_first", name="chw_conv"), L.Flatten(),
            L.Dense(3, **sm)]),
            seed=1605, input_file="img9x7x2.input.npy", must=["chw_conv", "channels_first"], predicts=False,
            attempt_input=lambda v: np.ascontiguousarray(v.transpose(0, 3, 1, 2)),
            description="Input(2,9,7) -> Conv2D(3, 3, data_format='channels_first', name='chw_conv') -> Flatten -> "
                        "Dense(3, softmax). Only channels_last is supported. TensorFlow on CPU cannot run an NCHW "
                        "Conv2D, so there are no predictions (input_file and expected_file are null).")
        self.refusal("refuse_bn_renorm_tfk.h5", TFK, lambda: tf_keras.Sequential([
            T.Dense(4, input_shape=(6,)), T.BatchNormalization(renorm=True, name="bnr"), T.Dense(3, **sm)]),
            seed=1606, input_file="tiny6.input.npy", must=["bnr", "renorm"],
            description="tf_keras Dense(4) -> BatchNormalization(renorm=True, name='bnr') -> Dense(3, softmax); the "
                        "layer has 7 weights (gamma, beta, moving_mean, moving_variance, moving_stddev, renorm_mean, "
                        "renorm_stddev). Refuse naming renorm.",
            notes="At inference renorm BN uses only moving_mean/moving_variance; Keras 3 load_model accepts the file "
                  "(it has no renorm) and predicts the same. nnmodel refuses it rather than drop weights silently.")


def patch_declared_size(data, member, size):
    """Sets `member`'s uncompressed size in the zip's local file header and central directory."""
    b = bytearray(data)
    name = member.encode()
    pos = 0
    patched = 0
    while True:
        i = b.find(b"PK\x03\x04", pos)
        if i < 0:
            break
        n, m = struct.unpack_from("<HH", b, i + 26)
        if bytes(b[i + 30:i + 30 + n]) == name:
            struct.pack_into("<I", b, i + 22, size)
            patched += 1
        pos = i + 4
    pos = 0
    while True:
        i = b.find(b"PK\x01\x02", pos)
        if i < 0:
            break
        n = struct.unpack_from("<H", b, i + 28)[0]
        if bytes(b[i + 46:i + 46 + n]) == name:
            struct.pack_into("<I", b, i + 24, size)
            patched += 1
        pos = i + 4
    assert patched == 2, f"patched {patched} headers"
    return bytes(b)


def compact_json(v, indent=0, width=110):
    """JSON with one item per line, except that objects and arrays short enough stay on one line."""
    flat = json.dumps(v)
    if len(flat) + indent <= width or not isinstance(v, (dict, list)) or not v:
        return flat
    pad = " " * (indent + 1)
    if isinstance(v, dict):
        items = [f"{pad}{json.dumps(k)}: {compact_json(x, indent + 1, width)}" for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + compact_json(x, indent + 1, width) for x in v]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


# ----------------------------------------------------------------------------------------------
# reference copies
# ----------------------------------------------------------------------------------------------

REFERENCE_PREFIXES = ("nobias_sigtanh_", "dropout_act_", "conv2d_")


def copy_reference(src, out):
    """Copies (does not regenerate) the small reference files and writes a manifest subset.

    The three conv2d_*.input.npy files (200 KB each) are NOT copied: they hold exactly the data of
    fashion_test64.input.npy with shape [64, 28, 28, 1] (checked here), so the subset manifest
    points the conv2d entries at that file with a reshape."""
    dst = os.path.join(out, "reference")
    os.makedirs(dst, exist_ok=True)
    with open(os.path.join(src, "manifest.json")) as fh:
        man = json.load(fh)
    base = np.load(os.path.join(src, "fashion_test64.input.npy"))
    copied = []
    for name in sorted(os.listdir(src)):
        if name.startswith("conv2d_") and name.endswith(".input.npy"):
            if not np.array_equal(np.load(os.path.join(src, name)), base.reshape(64, 28, 28, 1)):
                raise SystemExit(f"{name} is not fashion_test64.input.npy reshaped; copy it instead")
            continue
        if name.startswith(REFERENCE_PREFIXES) or name in ("fashion_test64.input.npy", "fashion_test64.labels.npy",
                                                           "LAYOUTS.md"):
            shutil.copyfile(os.path.join(src, name), os.path.join(dst, name))
            copied.append(name)
    files = []
    for e in man["files"]:
        if e["file"].startswith(REFERENCE_PREFIXES):
            e = dict(e)
            if e["input"]["file"].startswith("conv2d_"):
                e["input"] = dict(e["input"], file="fashion_test64.input.npy", reshape_to=[64, 28, 28, 1],
                                  original_file=e["input"]["file"],
                                  note="the original corpus ships this input as its own [64,28,28,1] .npy; it is "
                                       "fashion_test64.input.npy reshaped (verified), so it is not copied")
            files.append(e)
    sub = {k: v for k, v in man.items() if k != "files"}
    sub["note"] = ("Subset of the manifest of the shared keras-reference corpus (A): the entries of the files copied "
                   "here, unchanged except the conv2d input (see its 'input.note').")
    sub["files"] = files
    with open(os.path.join(dst, "manifest.json"), "w") as fh:
        fh.write(compact_json(sub) + "\n")
    print(f"copied {len(copied)} reference files into {dst}")


# ----------------------------------------------------------------------------------------------
# LAYOUTS-EXTRA.md
# ----------------------------------------------------------------------------------------------

def h5ls_lines(path, skip_prefixes=(), keep=3):
    """`h5ls -r` output (the real tool when installed, else the same format from h5py)."""
    lines = None
    if shutil.which("h5ls"):
        r = subprocess.run(["h5ls", "-r", path], capture_output=True, text=True)
        if r.returncode == 0:
            lines = [ln.rstrip() for ln in r.stdout.splitlines()]
    if lines is None:
        lines = ["/                        Group"]
        with h5py.File(path, "r") as f:
            def visit(name, obj):
                n = "/" + name
                if isinstance(obj, h5py.Dataset):
                    shape = "{SCALAR}" if obj.shape == () else "{" + ", ".join(map(str, obj.shape)) + "}"
                    lines.append(f"{n:<24} Dataset {shape}")
                else:
                    lines.append(f"{n:<24} Group")
            f.visititems(visit)
    out, counts, skipped = [], {}, {}
    for ln in lines:
        pre = next((p for p in skip_prefixes if ln.startswith(p)), None)
        if pre:
            counts[pre] = counts.get(pre, 0) + 1
            if counts[pre] > keep:
                skipped[pre] = skipped.get(pre, 0) + 1
                if skipped[pre] == 1:
                    out.append(f"... ({{n}} more {pre}* entries)")
                continue
        out.append(ln)
    for pre, n in skipped.items():
        out = [x.replace("{n}", str(n)) if x.endswith(f"more {pre}* entries)") else x for x in out]
    return out


def attr_type(obj, name):
    aid = obj.attrs.get_id(name)
    t, shape = aid.get_type(), aid.shape
    shp = "scalar" if shape == () else f"array{list(shape)}"
    if isinstance(t, h5py.h5t.TypeStringID):
        cs = "UTF-8" if t.get_cset() == h5py.h5t.CSET_UTF8 else "ASCII"
        return f"{'vlen str' if t.is_variable_str() else f'fixed str[{t.get_size()}]'} {cs}, {shp}"
    return f"{np.dtype(obj.attrs[name].dtype)} {shp}"


def all_attrs(f):
    rows = []

    def visit(name, obj):
        for k in obj.attrs:
            v = obj.attrs[k]
            if isinstance(v, np.ndarray):
                v = [text(x) for x in v.tolist()] if v.dtype == object or v.dtype.kind == "S" else v.tolist()
            s = json.dumps(v) if not isinstance(v, (str, bytes)) else repr(text(v))
            rows.append(f"| `/{name}` | `{k}` | {attr_type(obj, k)} | `{s[:70]}{'...' if len(s) > 70 else ''}` |")
    for k in f.attrs:
        v = f.attrs[k]
        s = repr(text(v)) if isinstance(v, (str, bytes)) else json.dumps(np.asarray(v).tolist())
        rows.append(f"| `/` | `{k}` | {attr_type(f, k)} | `{s[:70]}{'...' if len(s) > 70 else ''}` |")
    f.visititems(visit)
    return rows


NEW_CLASSES = ("Conv2D", "BatchNormalization", "LayerNormalization", "ReLU", "LeakyReLU", "ELU", "Softmax", "PReLU",
               "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "Reshape")


def probe_config_forms(td):
    """Which spellings of the layer configs each library's load_model / from_config accepts (rows of
    (what, library, result)).  Files are edited copies of a tiny Conv2D -> BN -> LeakyReLU model."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (4, 8, 8, 2)).astype(np.float32)
    seed_all(1701)
    t = tf_keras.Sequential([tf_keras.layers.Conv2D(3, 3, input_shape=(8, 8, 2), name="conv"),
                             tf_keras.layers.BatchNormalization(name="bn"),
                             tf_keras.layers.LeakyReLU(alpha=0.2, name="lrelu"), tf_keras.layers.Flatten(name="flat"),
                             tf_keras.layers.Dense(3, name="out")])
    seeded_weights(t, 1701)
    ref = predict(t, x)
    m = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.Conv2D(3, 3, name="conv"),
                          keras.layers.BatchNormalization(name="bn"),
                          keras.layers.LeakyReLU(negative_slope=0.2, name="lrelu"), keras.layers.Flatten(name="flat"),
                          keras.layers.Dense(3, name="out")])
    m.set_weights(t.get_weights())
    base = {"tfk.h5": os.path.join(td, "probe_tfk.h5"), "k3.h5": os.path.join(td, "probe_k3.h5"),
            "k3.keras": os.path.join(td, "probe_k3.keras")}
    t.save(base["tfk.h5"])
    m.save(base["k3.keras"])
    m.save(base["k3.h5"])

    def edit(kind, cls, fn):
        src = base[kind]
        dst = os.path.join(td, f"edit{len(os.listdir(td))}_{os.path.basename(src)}")

        def apply(c):
            for Lr in c["config"]["layers"]:
                if Lr["class_name"] == cls:
                    fn(Lr["config"])
            return c
        if kind.endswith(".keras"):
            with zipfile.ZipFile(src) as zs, zipfile.ZipFile(dst, "w") as zd:
                for info in zs.infolist():
                    data = zs.read(info.filename)
                    if info.filename == "config.json":
                        data = json.dumps(apply(json.loads(data))).encode()
                    zd.writestr(info, data)
        else:
            shutil.copyfile(src, dst)
            with h5py.File(dst, "r+") as f:
                f.attrs["model_config"] = json.dumps(apply(json.loads(text(f.attrs["model_config"]))))
        return dst

    def load(lib, path, layer, key):
        try:
            got_model = lib.models.load_model(path, compile=False)
        except Exception as e:  # noqa: BLE001 -- the failure is the answer
            return "fails: " + first_line(e)[:160]
        got = predict(got_model, x)
        v = got_model.get_layer(layer).get_config().get(key)
        v = list(v) if isinstance(v, (list, tuple)) or type(v).__name__ == "ListWrapper" else v
        v = round(float(v), 6) if isinstance(v, float) else v
        return f"loads (reads {key}={json.dumps(v)}; max |diff| {float(np.abs(got - ref).max()):.1e})"

    def from_config(lib, cls, cfg, key):
        try:
            layer = getattr(lib.layers, cls).from_config(dict(cfg))
        except Exception as e:  # noqa: BLE001
            return "fails: " + first_line(e)[:160]
        v = layer.get_config().get(key)
        v = list(v) if isinstance(v, (list, tuple)) or type(v).__name__ == "ListWrapper" else v
        return f"accepted (get_config: {key}={json.dumps(round(float(v), 6) if isinstance(v, float) else v)})"

    def ren(c, old, new):
        c[new] = c.pop(old)
    K, TK = "Keras 3", "tf_keras"
    rows = [
        ("tf_keras `.h5` as written: LeakyReLU `alpha`, BN `axis: [3]`, Conv2D `groups: 1`", K,
         load(keras, base["tfk.h5"], "lrelu", "negative_slope")),
        ("tf_keras `.h5` as written: LeakyReLU `alpha`, BN `axis: [3]`, Conv2D `groups: 1`", TK,
         load(tf_keras, base["tfk.h5"], "conv", "groups")),
        ("Keras 3 `.h5`, LeakyReLU `negative_slope` renamed `alpha`", K,
         load(keras, edit("k3.h5", "LeakyReLU", lambda c: ren(c, "negative_slope", "alpha")), "lrelu",
              "negative_slope")),
        ("Keras 3 `.h5`, LeakyReLU with both `alpha: 0.5` and `negative_slope: 0.2`", K,
         load(keras, edit("k3.h5", "LeakyReLU", lambda c: c.__setitem__("alpha", 0.5)), "lrelu", "negative_slope")),
        ("Keras 3 `.keras`, LeakyReLU `negative_slope` renamed `alpha`", K,
         load(keras, edit("k3.keras", "LeakyReLU", lambda c: ren(c, "negative_slope", "alpha")), "lrelu",
              "negative_slope")),
        ("tf_keras `.h5`, LeakyReLU `alpha` renamed `negative_slope`", TK,
         load(tf_keras, edit("tfk.h5", "LeakyReLU", lambda c: ren(c, "alpha", "negative_slope")), "lrelu", "alpha")),
        ("tf_keras `.h5`, BN `axis: -1`", K, load(keras, edit("tfk.h5", "BatchNormalization",
                                                             lambda c: c.__setitem__("axis", -1)), "bn", "axis")),
        ("tf_keras `.h5`, BN `axis: -1`", TK, load(tf_keras, edit("tfk.h5", "BatchNormalization",
                                                                 lambda c: c.__setitem__("axis", -1)), "bn", "axis")),
        ("Keras 3 `.h5` as written: BN `axis: -1`", K, load(keras, base["k3.h5"], "bn", "axis")),
        ("Keras 3 `.h5`, BN `axis: [3]`", K, load(keras, edit("k3.h5", "BatchNormalization",
                                                             lambda c: c.__setitem__("axis", [3])), "bn", "axis")),
        ("Keras 3 `.keras`, BN `axis: [3]`", K, load(keras, edit("k3.keras", "BatchNormalization",
                                                                lambda c: c.__setitem__("axis", [3])), "bn", "axis")),
        ("Keras 3 `.keras`, BN `axis: [-1]`", K, load(keras, edit("k3.keras", "BatchNormalization",
                                                                 lambda c: c.__setitem__("axis", [-1])), "bn", "axis")),
        ("Keras 3 `.keras`, BN `axis: 3`", K, load(keras, edit("k3.keras", "BatchNormalization",
                                                              lambda c: c.__setitem__("axis", 3)), "bn", "axis")),
        ("tf_keras `.h5`, Conv2D without `groups`", TK,
         load(tf_keras, edit("tfk.h5", "Conv2D", lambda c: c.pop("groups")), "conv", "groups")),
        ("tf_keras `.h5`, Conv2D without `groups`", K,
         load(keras, edit("tfk.h5", "Conv2D", lambda c: c.pop("groups")), "conv", "groups")),
        ("`keras.layers.LeakyReLU.from_config({'alpha': 0.2})`", K, from_config(keras, "LeakyReLU", {"alpha": 0.2},
                                                                               "negative_slope")),
        ("`tf_keras.layers.LeakyReLU.from_config({'negative_slope': 0.2})`", TK,
         from_config(tf_keras, "LeakyReLU", {"negative_slope": 0.2}, "alpha")),
        ("`keras.layers.BatchNormalization.from_config({'axis': -1})`", K,
         from_config(keras, "BatchNormalization", {"axis": -1}, "axis")),
        ("`keras.layers.BatchNormalization.from_config({'axis': [3]})`", K,
         from_config(keras, "BatchNormalization", {"axis": [3]}, "axis")),
        ("`tf_keras.layers.BatchNormalization.from_config({'axis': -1})`", TK,
         from_config(tf_keras, "BatchNormalization", {"axis": -1}, "axis")),
        ("`tf_keras.layers.Conv2D.from_config({'filters': 4, 'kernel_size': 3, 'groups': 1})`", TK,
         from_config(tf_keras, "Conv2D", {"filters": 4, "kernel_size": 3, "groups": 1}, "groups")),
        ("`keras.layers.Conv2D.from_config({'filters': 4, 'kernel_size': 3, 'groups': 1})`", K,
         from_config(keras, "Conv2D", {"filters": 4, "kernel_size": 3, "groups": 1}, "groups")),
    ]
    return rows


def write_layer_layouts(a, P):
    """LAYOUTS-EXTRA.md section for the layers beyond Dense (generated from the fixtures of `--only cnn`)."""
    new = [e for e in GEN.entries if e.get("category") in ("layers-beyond-dense", "cnn", "float64", "refusal")
           and e["layout"] in ("keras-zip-keras3", "legacy-h5-keras3", "keras-zip-tfkeras", "legacy-h5-tfkeras")
           and os.path.exists(P(e["file"]))]
    a("## Layers beyond Dense (`--only cnn`: Conv2D, pooling, BatchNormalization, LayerNormalization, activation "
      "layers, Reshape)")
    a("")
    a("All channels_last. Keras kernel layout for Conv2D is `[kh, kw, in_channels, filters]` in every file kind "
      "(PReLU alpha has the layer's input shape without the batch axis, with 1 on `shared_axes`). Config keys as "
      "written (every class also has `name`, `trainable`, `dtype`; Keras 3's `dtype` is a DTypePolicy dict, "
      "tf_keras's a string):")
    a("")
    seen = {}
    envelopes = {}
    for e in new:
        cfg = config_of(P(e["file"]))
        lib = "Keras 3" if e["producer"]["library"] == "keras" else "tf_keras"
        kind = f"{lib} {'.keras' if e['file'].endswith('.keras') else '.h5'}"
        for Lr in cfg["config"]["layers"]:
            cls = Lr["class_name"]
            if cls not in NEW_CLASSES:
                continue
            envelopes.setdefault(kind, sorted(Lr.keys()))
            keys, vals = seen.setdefault((cls, lib), ([], {}))
            for k, v in Lr["config"].items():
                if k not in keys:
                    keys.append(k)
                if k in LAYER_KEYS:
                    s = json.dumps(v)
                    if s not in vals.setdefault(k, []):
                        vals[k].append(s)
    skip = {"name", "trainable", "dtype"}
    for cls in NEW_CLASSES:
        a(f"* **`{cls}`**")
        for lib in ("Keras 3", "tf_keras"):
            if (cls, lib) not in seen:
                a(f"  * {lib}: (no fixture)")
                continue
            keys, vals = seen[(cls, lib)]
            a(f"  * {lib}: `" + "`, `".join(k for k in keys if k not in skip) + "`"
              + ("; values seen: " + "; ".join(f"`{k}` " + " / ".join(f"`{v}`" for v in vs)
                                               for k, vs in vals.items()) if vals else ""))
    a("")
    a("Layer entry envelope (keys of each `layers[i]`): " + "; ".join(f"{k}: `{v}`" for k, v in sorted(envelopes.items()))
      + ".")
    for fname in ("cnn_tfk.keras", "cnn_functional_tfk.keras", "cnn_k3.keras", "cnn_functional_k3.keras"):
        if os.path.exists(P(fname)):
            c = config_of(P(fname))
            a(f"* `{fname}` top level: `module` `{c.get('module')}`, `class_name` `{c.get('class_name')}`, "
              f"`registered_name` `{c.get('registered_name')}`.")
    a("")
    a("### Weights per layer, per file kind")
    a("")
    a("In the order a reader consumes them (legacy `.h5`: `weight_names`; weights stores: `vars/<i>`). "
      "Shapes in brackets.")
    a("")
    by_file = {e["file"]: e for e in GEN.entries}
    for fname in ("bn_variants_k3.h5", "bn_variants_k3.weights.h5", "norm_tfk.h5", "norm_tfk.keras",
                  "layernorm_k3.h5", "prelu_image_k3.h5", "prelu_image_k3.keras", "conv_valid_k3.h5",
                  "conv_small_k3.keras", "cnn_k3.h5", "cnn_k3.weights.h5", "cnn_tfk.h5", "cnn_tfk.keras",
                  "cnn_tfk.weights.h5", "cnn_tfk_legacy_weights.h5", "cnn_f64_k3.h5", "refuse_bn_renorm_tfk.h5",
                  "refuse_lstm_k3.keras", "refuse_conv2d_groups_k3.keras"):
        e = by_file.get(fname)
        if e is None:
            continue
        arch = {x["name"]: x for x in (e.get("architecture") or {"layers": []})["layers"]}
        groups = {}
        for w in e["weights"]:
            key = w.get("store_group", w["layer"])
            groups.setdefault((key, w["layer"]), []).append(w)
        parts = []
        for (key, lname), ws in groups.items():
            info = arch.get(lname, {})
            opts = ", ".join(f"{k}={info[k]}" for k in ("center", "scale", "use_bias", "shared_axes", "renorm")
                             if k in info)
            head = f"`{lname}`" + (f" (group `{key}`)" if key != lname else "")
            head += f" {info.get('class', '')}" + (f"({opts})" if opts else "")
            parts.append(head + ": " + ", ".join(f"`{w['hdf5_path']}` {w['shape']}" for w in ws))
        a(f"* **`{fname}`** ({e['layout']}):")
        for p in parts:
            a(f"  * {p}")
    a("")
    a("### Which variable is `vars/<i>` (weights stores matched by value against the same model's legacy `.h5`)")
    a("")
    for store, legacy in (("bn_variants_k3.weights.h5", "bn_variants_k3.h5"), ("layernorm_k3.keras", "layernorm_k3.h5"),
                          ("prelu_image_k3.keras", "prelu_image_k3.h5"), ("cnn_k3.keras", "cnn_k3.h5"),
                          ("norm_tfk.keras", "norm_tfk.h5"), ("layers_tfk.keras", "layers_tfk.h5"),
                          ("cnn_tfk.weights.h5", "cnn_tfk.h5")):
        if not (os.path.exists(P(store)) and os.path.exists(P(legacy))):
            continue
        named = []
        with h5py.File(P(legacy), "r") as f:
            g = f["model_weights"]
            for ln in [text(n) for n in g.attrs["layer_names"]]:
                for wn in [text(n) for n in g[ln].attrs["weight_names"]]:
                    named.append((wn, np.asarray(g[ln][wn])))
        rows = []
        with open_store(P(store)) as f:
            for grp in f["layers"]:
                if grp.startswith("dense"):
                    continue
                for sub, vg in store_vars(f["layers"][grp]):
                    if not len(vg):
                        continue
                    match = []
                    for k in sorted(vg.keys(), key=int):
                        v = np.asarray(vg[k])
                        hits = [wn.split("/")[-1].split(":")[0] for wn, arr in named
                                if arr.shape == v.shape and np.array_equal(arr, v)]
                        match.append(f"{k}={'|'.join(hits) if len(hits) == 1 else '?'}")
                    rows.append(f"`{grp}{sub}` " + " ".join(match))
        a(f"* `{store}`: " + "; ".join(rows))
    a("")
    a("### Padding and pooling arithmetic (checked against numpy for every Conv2D / pooling layer)")
    a("")
    a("`same`: output = ceil(in / stride); total padding = max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0); "
      "top/left get total // 2, bottom/right the rest. `valid`: output = floor((in - (k - 1) * dilation - 1) / "
      "stride) + 1. Max pooling never takes a padded position (TF pads with -inf); average pooling with `same` "
      "divides by the number of in-bounds positions of each window. Keras agrees with this numpy reference to "
      "float32 rounding on every layer below:")
    a("")
    a("| file | layer | class | in -> out (h, w) | padding t, b, l, r | max abs diff |")
    a("|---|---|---|---|---|---|")
    for e in GEN.entries:
        if e["file"].endswith(".keras") and e.get("layer_checks"):
            for ln, c in e["layer_checks"].items():
                a(f"| `{e['file']}` | `{ln}` | {c['class']} | {c['input_hw']} -> {c['output_hw']} | "
                  f"{c['padding_top_bottom_left_right']} | {c['numpy_reference_max_abs_diff']:.1e} |")
    a("")
    a("### Which library loads the new files")
    a("")
    k3_h5 = [e for e in new if e["producer"]["library"] == "keras" and "tf_keras_load_model" in e]
    k3_ok = [e["file"] for e in k3_h5 if e["tf_keras_load_model"].startswith("loads")]
    a(f"tf_keras loads {len(k3_ok)} of the {len(k3_h5)} Keras 3 `.keras` / `.h5` files here"
      + (f" ({', '.join(k3_ok)})" if k3_ok else "") + "; the first failure reads: "
      + (next((e["tf_keras_load_model"] for e in k3_h5 if not e["tf_keras_load_model"].startswith("loads")), "-")[:160])
      + ".")
    a("")
    a("| tf_keras file | Keras 3 `load_model` |")
    a("|---|---|")
    for e in new:
        if e["producer"]["library"] == "tf_keras" and "keras3_load_model" in e:
            a(f"| `{e['file']}` | {e['keras3_load_model'][:170]} |")
    a("")
    a("### Config spellings each library accepts (probe run by make_fixtures.py)")
    a("")
    a("A tiny Conv2D -> BatchNormalization -> LeakyReLU -> Flatten -> Dense model saved by each library, its "
      "config edited, loaded again (`load_model`, compile=False) and compared with the unedited predictions:")
    a("")
    a("| config | loaded by | result |")
    a("|---|---|---|")
    with tempfile.TemporaryDirectory() as td:
        for what, lib, res in probe_config_forms(td):
            a(f"| {what} | {lib} | {res} |")
    a("")


def write_layouts(out):
    P = lambda n: os.path.join(out, n)
    L = []
    a = L.append
    a("# Keras layouts beyond reference/LAYOUTS.md")
    a("")
    a(f"Generated by `make_fixtures.py` from the files in this directory (keras {keras.__version__}, tf_keras "
      f"{tf_keras.__version__}, h5py {h5py.__version__}). Read `reference/LAYOUTS.md` "
      "(the shared corpus's) first: it documents Keras 3 `.h5` / `.keras` / `.weights.h5` and tf_keras `.h5` / legacy "
      "`save_weights('x.h5')`. This file adds tf_keras's NEW saving library (case 6: `.keras` and "
      "`.weights.h5` written by tf_keras >= 2.13), the functional, float64, use_bias=False, zoo and refusal "
      "configs, and the layers beyond Dense (last section). Trees are `h5ls -r` output (optimizer entries shortened).")
    a("")

    with tempfile.TemporaryDirectory() as td:
        members = {}
        for name in ("fmnist8_tfk.keras", "fmnist8_k3.keras"):
            inner = os.path.join(td, name + ".model.weights.h5")
            with open(inner, "wb") as fh:
                fh.write(h5_bytes_of_keras(P(name)))
            members[name] = inner
        with zipfile.ZipFile(P("fmnist8_tfk.keras")) as zf:
            infos = zf.infolist()
            meta = json.loads(zf.read("metadata.json"))
            tcfg = json.loads(zf.read("config.json"))
        with zipfile.ZipFile(P("fmnist8_k3.keras")) as zf:
            kcfg = json.loads(zf.read("config.json"))

        a("## 6a. tf_keras `model.save('x.keras')` (`fmnist8_tfk.keras`)")
        a("")
        a("zip members: " + ", ".join(f"`{i.filename}` ({i.file_size} B, "
                                      f"{'stored' if i.compress_type == 0 else 'deflated'})" for i in infos))
        a(f"`metadata.json` = `{json.dumps({k: v for k, v in meta.items() if k != 'date_saved'})}` (+ `date_saved`).")
        a("")
        a("`model.weights.h5`:")
        a("```")
        L.extend(x.replace(members["fmnist8_tfk.keras"], "model.weights.h5")
                 for x in h5ls_lines(members["fmnist8_tfk.keras"], skip_prefixes=("/optimizer/vars/",)))
        a("```")
        with h5py.File(members["fmnist8_tfk.keras"], "r") as f:
            tattrs = all_attrs(f)
            t_opt = len(f["optimizer/vars"]) if "optimizer" in f else 0
            t_shapes = [list(f["optimizer/vars"][k].shape) for k in sorted(f["optimizer/vars"], key=int)]
            t_metrics = sorted(f["metrics"].keys()) if "metrics" in f else []
        with h5py.File(members["fmnist8_k3.keras"], "r") as f:
            kattrs = all_attrs(f)
            k_opt = len(f["optimizer/vars"]) if "optimizer" in f else 0
            k_shapes = [list(f["optimizer/vars"][k].shape) for k in sorted(f["optimizer/vars"], key=int)]
            k_has_metrics = "metrics" in f
        a("")
        a(f"HDF5 attributes in tf_keras's `model.weights.h5`: **{len(tattrs)}**" + (":" if tattrs else " (none at all)."))
        if tattrs:
            a("| object | attribute | HDF5 type | value |")
            a("|---|---|---|---|")
            L.extend(tattrs)
        a("")
        a("The same member written by Keras 3 (`fmnist8_k3.keras`) has these attributes:")
        a("")
        a("| object | attribute | HDF5 type | value |")
        a("|---|---|---|---|")
        L.extend(kattrs)
        a("")
        a("Differences from Keras 3's `.keras` (what a reader must not rely on):")
        a("* **No `name` attribute on any `vars` group** (Keras 3 writes `vars@name` = the layer name, and "
          "`/vars@name` = the model name). The only link between a `layers/<group>` and a model layer is the "
          "group name: snake_case class name + per-class counter in model-layer order (`dense`, `dense_1`, "
          "`flatten`), as in Keras 3. Match groups to layers by that rule, not by layer name.")
        a(f"* Optimizer state: {t_opt} tensors under `optimizer/vars` with shapes {t_shapes}: `0` = iteration, then "
          f"m and v interleaved per trainable variable; **no learning_rate tensor**. Keras 3 writes {k_opt} "
          f"({k_shapes}): iteration, learning_rate, then m, v per variable.")
        a(f"* A `metrics` group ({t_metrics}) with the metric state (total/count scalars under `vars/0`, `vars/1`); "
          f"Keras 3's store has {'one too' if k_has_metrics else 'no metrics group'}. Ignore it.")
        a("* `config.json` keeps Keras-2 layer configs inside the Keras-3 envelope: top-level keys "
          f"{sorted(tcfg.keys())} (`module` `{tcfg.get('module')}`; Keras 3: `{kcfg.get('module')}`); the "
          "InputLayer has `batch_input_shape` (not `batch_shape`) and is named "
          f"`{tcfg['config']['layers'][0]['config']['name']}`; `dtype` is a plain string "
          f"(`{tcfg['config']['layers'][1]['config']['dtype']!r}`), not a DTypePolicy dict; Flatten repeats "
          "`batch_input_shape`; initializers carry `module: keras.initializers`; Dense has no "
          "`quantization_config`.")
        cc = tcfg.get("compile_config") or {}
        kcc = kcfg.get("compile_config") or {}
        a(f"* `compile_config` keys: {sorted(cc.keys())}; optimizer = `{json.dumps(cc.get('optimizer'))[:160]}` "
          f"(Keras 3: {sorted(kcc.keys())}, optimizer class `{(kcc.get('optimizer') or {}).get('class_name')}`). "
          "When compiled with a string (`optimizer='adam'`) tf_keras stores just the string.")
        fm = next(e for e in GEN.entries if e["file"] == "fmnist8_tfk.keras")
        a(f"* Keras 3 cannot load it: `keras.models.load_model('fmnist8_tfk.keras')` {fm['keras3_load_model']}.")
        a("")

        a("## 6b. tf_keras `model.save_weights('x.weights.h5')` (`fmnist8_tfk.weights.h5`)")
        a("```")
        L.extend(h5ls_lines(P("fmnist8_tfk.weights.h5"), skip_prefixes=("/optimizer/vars/",)))
        a("```")
        with h5py.File(P("fmnist8_tfk.weights.h5"), "r") as f:
            wattrs = all_attrs(f)
            w_opt = len(f["optimizer/vars"]) if "optimizer" in f else 0
        a(f"Attributes: **{len(wattrs)}**" + (":" if wattrs else " (none: no root attributes, no `name` on `vars`)."))
        L.extend(wattrs)
        a(f"Same tree as the `.keras` member: layers by class-name groups, {w_opt} optimizer tensors, `metrics`. "
          "Nothing identifies the producer (no keras_version anywhere), so a reader cannot tell it from a Keras 3 "
          "`.weights.h5` except by the missing `vars@name` attributes and the optimizer tensor count.")
        a("")

    a("## Functional plain chain (Keras 3) (`functional_chain_k3.keras`, `.h5`)")
    cfg = config_of(P("functional_chain_k3.keras"))
    a(f"`class_name` = `{cfg['class_name']}`; `config` keys: {sorted(cfg['config'].keys())}.")
    a("Each layer entry has `name`, `inbound_nodes`; an inbound node is "
      f"`{json.dumps(cfg['config']['layers'][1]['inbound_nodes'])[:300]}`.")
    a(f"`input_layers` = `{json.dumps(cfg['config']['input_layers'])}`, `output_layers` = "
      f"`{json.dumps(cfg['config']['output_layers'])}`. The InputLayer is `{cfg['config']['layers'][0]['config']['name']}` "
      f"with `batch_shape` {cfg['config']['layers'][0]['config'].get('batch_shape')}.")
    with h5py.File(P("functional_chain_k3.h5"), "r") as f:
        hc = json.loads(text(f.attrs["model_config"]))
        a(f"In `.h5`: same config (`class_name` `{hc['class_name']}`); `layer_names` = "
          f"{[text(x) for x in f['model_weights'].attrs['layer_names']]} (the InputLayer IS listed for functional "
          "models, with empty `weight_names`); weight names like "
          f"{[text(x) for x in f['model_weights/hidden'].attrs['weight_names']]}.")
    a("")

    a("## float64 (`float64_k3.*`, `float64_tfk.h5`)")
    with h5py.File(P("float64_k3.h5"), "r") as f:
        ln = [text(x) for x in f["model_weights"].attrs["layer_names"]]
        g = f["model_weights"][ln[0]]
        d0 = g[text(g.attrs["weight_names"][0])]
        c = json.loads(text(f.attrs["model_config"]))
        a(f"Keras 3 `.h5`: datasets are `{d0.dtype}` (e.g. `{d0.name}` {d0.dtype}); layer `dtype` = "
          f"`{json.dumps(c['config']['layers'][1]['config']['dtype'])}`; InputLayer dtype "
          f"`{c['config']['layers'][0]['config'].get('dtype')}`.")
    with h5py.File(P("float64_tfk.h5"), "r") as f:
        c = json.loads(text(f.attrs["model_config"]))
        d0 = f["model_weights/dense/dense/kernel:0"]
        a(f"tf_keras `.h5`: datasets `{d0.dtype}`; layer `dtype` = `{json.dumps(c['config']['layers'][1]['config']['dtype'])}`.")
    a("Both Keras versions return float64 from predict; the fixtures keep float32 `expected.npy` and the raw "
      "float64 values in `FILE.expected_f64.npy`.")
    a("")

    a("## use_bias=False, Activation, Dropout (`nobias_act_dropout_*`)")
    for n in ("nobias_act_dropout_k3.h5", "nobias_act_dropout_tfk.h5"):
        with h5py.File(P(n), "r") as f:
            g = f["model_weights"]
            rows = [(text(x), [text(w) for w in g[text(x)].attrs["weight_names"]] if g[text(x)].attrs["weight_names"].dtype != np.float64 else "[] (float64)")
                    for x in g.attrs["layer_names"]]
        a(f"* `{n}`: " + "; ".join(f"`{a_}` {b}" for a_, b in rows))
    a("")

    a("## Activation names as written")
    a("Keras 3 writes each activation under its own name (`zoo_<name>_k3.keras`: `silu` stays `silu`, `hard_silu` "
      "stays `hard_silu`, `leaky_relu` is Keras 3's with negative_slope 0.2). tf_keras (`zoo_chain_tfk.h5`) writes: "
      + ", ".join(f"`{a_}` -> `{b}`" for a_, b in zip(
          TFK_CHAIN, next(e for e in GEN.entries if e["file"] == "zoo_chain_tfk.h5")["activation_names_as_saved"]))
      + ". tf_keras's `hard_sigmoid` is `clip(0.2 x + 0.5, 0, 1)` (Keras 3: `clip(x / 6 + 0.5, 0, 1)`), see "
        "`zoo_hard_sigmoid_tfk.h5`; `hard_silu` / `hard_swish` do not exist in tf_keras.")
    a("")

    a("## Which library loads which file (`load_model`)")
    a("| file | written by | the other library |")
    a("|---|---|---|")
    for n, key in (("fmnist8_k3.h5", "tf_keras_load_model"), ("fmnist8_k3.keras", "tf_keras_load_model"),
                   ("fmnist8_tfk.h5", "keras3_load_model"), ("fmnist8_tfk.keras", "keras3_load_model")):
        e = next(x for x in GEN.entries if x["file"] == n)
        other = "tf_keras" if key.startswith("tf") else "Keras 3"
        a(f"| `{n}` | {e['producer']['library']} {e['producer']['version']} | {other}: {e[key][:150]} |")
    a("")
    a("So a `.h5` meant for both libraries must use the tf_keras (Keras 2) config style, as nnmodel's "
      "exporter does (`batch_input_shape`, string dtypes; see `probe_legacy_layout.py`).")
    a("")

    a("## Refusals: how the unsupported parts appear")
    for n in ("refuse_lambda_k3.keras", "refuse_lambda_tfk.h5", "refuse_custom_k3.keras", "refuse_branching_k3.keras",
              "refuse_lstm_k3.keras", "refuse_depthwise_k3.keras", "refuse_attention_k3.keras",
              "refuse_conv2d_groups_k3.keras", "refuse_conv2d_channels_first_k3.keras", "refuse_bn_renorm_tfk.h5"):
        if not os.path.exists(P(n)):
            continue
        cfg = config_of(P(n))
        parts = []
        for Lr in cfg["config"]["layers"]:
            c = Lr["config"]
            odd = {k: c[k] for k, usual in (("groups", 1), ("data_format", "channels_last"), ("renorm", False))
                   if k in c and c[k] != usual or (k == "renorm" and c.get(k) is True)}
            if Lr["class_name"] not in ("InputLayer", "Dense", "Flatten") and (
                    Lr["class_name"] not in NEW_CLASSES or odd):
                parts.append(f"`{Lr['class_name']}` named `{c.get('name')}`"
                             + (f" with {json.dumps(odd)}" if odd else "")
                             + (f" (registered_name `{Lr.get('registered_name')}`, module `{Lr.get('module')}`)"
                                if Lr.get("registered_name") or Lr.get("module") else ""))
        a(f"* `{n}`: " + ", ".join(parts))
    a("")
    a("Conv2D and BatchNormalization used to be refused (`refuse_conv2d_k3.keras`, `refuse_batchnorm_k3.h5`); those "
      "models are now `conv_small_k3.keras` and `batchnorm_dense_k3.h5`.")
    a("")
    write_layer_layouts(a, P)
    with open(P("LAYOUTS-EXTRA.md"), "w") as fh:
        fh.write("\n".join(L) + "\n")


# ----------------------------------------------------------------------------------------------

GEN = None
# --only groups -> Generator methods, in the order a full run writes them (and the manifest lists them)
GROUPS = {"fashion": "fashion", "functional": "functional", "float64": "float64", "layers": "layers", "zoo": "zoo",
          "refusals": "refusals", "damaged": "damaged", "cnn": "beyond_dense"}
# files earlier versions wrote that are gone (their manifest entries are dropped): the Conv2D and
# BatchNormalization refusals, now success fixtures conv_small_k3.keras and batchnorm_dense_k3.h5
REMOVED = ("refuse_conv2d_k3.keras", "refuse_batchnorm_k3.h5")


def main():
    global GEN
    ap = argparse.ArgumentParser(description="Write nnmodel's Keras fixtures.")
    ap.add_argument("out", nargs="?", default=HERE)
    ap.add_argument("--reference-from", help="copy the small reference files from this keras-reference directory")
    ap.add_argument("--only", help="comma-separated groups to regenerate (" + ", ".join(GROUPS) + "); every other "
                                   "manifest entry and its files stay exactly as they are")
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    groups = list(GROUPS)
    old_manifest = None
    if a.only:
        groups = [x.strip() for x in a.only.split(",") if x.strip()]
        bad = [x for x in groups if x not in GROUPS]
        if bad:
            ap.error(f"unknown group(s) {bad}; groups: {', '.join(GROUPS)}")
        mp = os.path.join(out, "manifest.json")
        if not os.path.exists(mp):
            ap.error(f"--only needs the existing {mp}")
        with open(mp) as fh:
            old_manifest = json.load(fh)
    if a.reference_from:
        copy_reference(a.reference_from, out)
    GEN = g = Generator(out)
    for name in GROUPS:
        if name in groups:
            getattr(g, GROUPS[name])()
    for stale in REMOVED:
        for p in (stale, stale + ".expected.npy", stale + ".expected_f64.npy"):
            if os.path.exists(os.path.join(out, p)):
                os.remove(os.path.join(out, p))
                print(f"  removed {p}")
    if old_manifest is not None:
        # keep the other groups' entries (in their place), replace regenerated ones, drop removed files
        fresh = {e["file"]: e for e in g.entries}
        kept = []
        for e in old_manifest["files"]:
            if e["file"] in REMOVED:
                continue
            kept.append(fresh.pop(e["file"], e))
        g.entries[:] = kept + [e for e in g.entries if e["file"] in fresh]
    write_layouts(out)
    manifest = {
        "about": "nnmodel Keras fixtures, written by make_fixtures.py; see README.md",
        "environment": {"python": platform.python_version(), "tensorflow": tf.__version__,
                        "keras": keras.__version__, "tf_keras": tf_keras.__version__, "h5py": h5py.__version__,
                        "numpy": np.__version__, "hdf5": h5py.version.hdf5_version, "backend": keras.backend.backend()},
        "conventions": {
            "expected_file": "float32 Keras model.predict of the model re-loaded from `file` (weights-only files: the "
                             "model built in code with the file's weights loaded) on `input_file`",
            "expected_to_succeed": "whether converting `file` ON ITS OWN must succeed; if false the one-line error must "
                                   "contain every string of error_must_contain and at least one of "
                                   "error_must_contain_any (where given)",
            "architecture_from": "'this file', or for weights-only files the fixture that holds the same model's "
                                 "architecture: converting with it (e.g. --architecture) must succeed and match "
                                 "expected_file",
            "weights": "the tensors in the order a reader must consume them; hdf5_path inside the file (for .keras: "
                       "inside its model.weights.h5 member)",
            "tolerance": "float32: |got - expected| <= 1e-5 + 1e-5 * |expected| (outputs here stay below ~10)",
            "layout names": {
                "legacy-h5-keras3": "Keras 3 model.save('x.h5') (LAYOUTS.md section 1)",
                "legacy-h5-tfkeras": "tf_keras model.save('x.h5') (LAYOUTS.md section 4)",
                "legacy-weights-h5-tfkeras": "tf_keras model.save_weights('x.h5') (LAYOUTS.md section 5)",
                "keras-zip-keras3": "Keras 3 .keras (LAYOUTS.md section 3)",
                "weights-store-keras3": "Keras 3 .weights.h5 (LAYOUTS.md section 2)",
                "keras-zip-tfkeras": "tf_keras >= 2.13 .keras (LAYOUTS-EXTRA.md 6a)",
                "weights-store-tfkeras": "tf_keras >= 2.13 .weights.h5 (LAYOUTS-EXTRA.md 6b)",
                "damaged": "not a loadable file",
            },
        },
        "inputs": {
            FASHION_INPUT: "first 64 Fashion-MNIST t10k images, uint8 / 255, float32 [64, 28, 28] (labels: "
                           + FASHION_LABELS + ")",
            "tiny6.input.npy": "float32 [16, 6], uniform(-1, 1), seeded",
            "tiny3x4.input.npy": "float32 [16, 3, 4], uniform(0, 1), seeded",
            "zoo.input.npy": "float32 [32, 6], uniform(-2, 2), seeded",
            "conv5x5.input.npy": "float32 [16, 5, 5, 1], uniform(0, 1), seeded",
            "img8x8x3.input.npy": "float32 [16, 8, 8, 3], uniform(-1, 1), seeded (its own generator, seed 78)",
            "img9x7x2.input.npy": "float32 [16, 9, 7, 2], uniform(-1, 1), seeded (after img8x8x3)",
            "fashion16_28x28x1.input.npy": "the first 16 images of " + FASHION_INPUT + " as float32 [16, 28, 28, 1]",
        },
        "files": g.entries,
    }
    with open(os.path.join(out, "manifest.json"), "w") as fh:
        fh.write(compact_json(manifest) + "\n")
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(out) for f in fs)
    print(f"{len(g.entries)} manifest entries; {out} holds {total} bytes")


if __name__ == "__main__":
    main()
