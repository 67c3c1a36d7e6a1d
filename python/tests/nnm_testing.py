"""Helpers shared by the tests: repository paths, model configs, an independent file builder."""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import types
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]  # python/tests -> python -> repository root
FIXTURES = REPO_ROOT / "Fixtures" / "nnm"
ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu", "softplus", "softsign",
               "swish", "leaky_relu", "exponential", "hard_sigmoid", "relu6", "hard_silu", "mish"]
ALIASES = {"silu": "swish", "hard_swish": "hard_silu"}


def make_vectors():
    """Fixtures/nnm/make_vectors.py, the spec's standard-library-only file builder, as a module."""
    path = FIXTURES / "make_vectors.py"
    module = types.ModuleType("make_vectors")
    module.__file__ = str(path)
    # Compiled here rather than imported, so that no __pycache__ is written into Fixtures/.
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return module


def sequential(input_shape, layers, name="sequential"):
    """A Keras 2-style Sequential config, as nnmodel writes it.

    ``layers``: tuples ("Dense", units, activation[, use_bias]), ("Flatten",), ("Dropout", rate),
    ("Activation", activation); names follow Keras's defaults.
    """
    counts = {}
    out = [{"class_name": "InputLayer", "config": {"batch_input_shape": [None] + list(input_shape),
                                                   "dtype": "float32", "sparse": False, "ragged": False,
                                                   "name": "input_layer"}}]
    for spec in layers:
        kind = spec[0]
        base = {"Dense": "dense", "Flatten": "flatten", "Dropout": "dropout", "Activation": "activation"}[kind]
        n = counts.get(base, 0)
        counts[base] = n + 1
        config = {"name": base if n == 0 else f"{base}_{n}", "trainable": True, "dtype": "float32"}
        if kind == "Dense":
            config.update({"units": spec[1], "activation": spec[2], "use_bias": spec[3] if len(spec) > 3 else True,
                           "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
                           "bias_initializer": {"class_name": "Zeros", "config": {}},
                           "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                           "kernel_constraint": None, "bias_constraint": None})
        elif kind == "Flatten":
            config["data_format"] = "channels_last"
        elif kind == "Dropout":
            config.update({"rate": spec[1], "noise_shape": None, "seed": None})
        elif kind == "Activation":
            config["activation"] = spec[1]
        out.append({"class_name": kind, "config": config})
    return {"class_name": "Sequential", "config": {"name": name, "layers": out}}


def random_weights(config, seed=0, scale=1.0):
    """Random float32 weights for every weight ``config`` needs, Glorot-like scaled."""
    from nnm import architecture

    rng = np.random.default_rng(seed)
    weights = {}
    for spec in architecture.parse(config).weight_specs:
        if spec.name.endswith("/moving_variance"):  # a variance: positive
            weights[spec.name] = rng.uniform(0.25, 2.0, spec.shape).astype(np.float32)
            continue
        fan = int(np.prod(spec.shape[:-1])) if len(spec.shape) >= 2 else 1  # Dense and Conv2D kernels
        weights[spec.name] = (rng.standard_normal(spec.shape) * scale / np.sqrt(fan)).astype(np.float32)
    return weights


def model_config(input_shape, layers, name="sequential"):
    """A Keras 2-style Sequential config (as nnmodel writes it) of any layer classes.

    ``layers``: ``(class_name, config)`` pairs; a config without a ``name`` gets ``layer_<i>``.
    """
    out = [{"class_name": "InputLayer", "config": {"batch_input_shape": [None] + list(input_shape),
                                                   "dtype": "float32", "sparse": False, "ragged": False,
                                                   "name": "input_layer"}}]
    for i, (class_name, config) in enumerate(layers):
        config = dict({"name": f"layer_{i}", "trainable": True, "dtype": "float32"}, **config)
        out.append({"class_name": class_name, "config": config})
    return {"class_name": "Sequential", "config": {"name": name, "layers": out}}


_KERAS3_RENAMES = {"LeakyReLU": {"alpha": "negative_slope"}}
_KERAS3_EXTRA = {"BatchNormalization": {"synchronized": False, "renorm": False, "renorm_clipping": None,
                                        "renorm_momentum": 0.99},
                 "LayerNormalization": {"rms_scaling": False}}


def _keras3_object(value):
    """Initializers (and other nested Keras objects) as Keras 3 serializes them."""
    if isinstance(value, dict) and "class_name" in value:
        return {"module": "keras.initializers", "class_name": value["class_name"],
                "config": value.get("config", {}), "registered_name": None}
    return value


def keras3(config, functional=False):
    """The Keras 3 form of a ``model_config`` config: ``module``/``registered_name`` members,
    DTypePolicy objects, ``batch_shape``, Keras 3's option names and extra members, and
    ``build_config``; as a Functional chain (``keras_history`` inbound nodes) when ``functional``."""
    from nnm import ConfigError, architecture

    entries = config["config"]["layers"]
    try:
        output_shapes = [[None] + list(layer.output_shape) for layer in architecture.parse(config).layers]
    except ConfigError:  # a config the tests expect to be refused: no build_config
        output_shapes = [None] * (len(entries) - 1)
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
    first = entries[0]["config"]
    layers = [{"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
               "config": {"batch_shape": first["batch_input_shape"], "dtype": "float32", "sparse": False,
                          "ragged": False, "name": first["name"], "optional": False}}]
    previous = first["name"]
    shape = first["batch_input_shape"]
    for entry, output_shape in zip(entries[1:], output_shapes):
        class_name = entry["class_name"]
        renames = _KERAS3_RENAMES.get(class_name, {})
        inner = {renames.get(k, k): (policy if k == "dtype" else _keras3_object(v)) for k, v in entry["config"].items()}
        for key, value in _KERAS3_EXTRA.get(class_name, {}).items():
            inner.setdefault(key, value)
        out = {"module": "keras.layers", "class_name": class_name, "config": inner, "registered_name": None}
        if shape is not None:
            out["build_config"] = {"input_shape": shape}
        if functional:
            out["name"] = inner["name"]
            out["inbound_nodes"] = [{"args": [{"class_name": "__keras_tensor__", "config": {
                "shape": shape, "dtype": "float32", "keras_history": [previous, 0, 0]}}], "kwargs": {}}]
        layers.append(out)
        previous = inner["name"]
        shape = output_shape
    if functional:
        layers[0]["name"] = first["name"]
        layers[0]["inbound_nodes"] = []
        return {"module": "keras", "class_name": "Functional", "registered_name": "Functional", "config": {
            "name": config["config"]["name"], "trainable": True, "layers": layers,
            "input_layers": [[first["name"], 0, 0]], "output_layers": [[previous, 0, 0]]}}
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": config["config"]["name"], "trainable": True, "dtype": policy, "layers": layers},
            "build_config": {"input_shape": first["batch_input_shape"]}}


def write_idx(path: Path, array: np.ndarray) -> None:
    """An MNIST-style IDX file of unsigned bytes."""
    with open(path, "wb") as f:
        f.write(struct.pack(">HBB", 0, 8, array.ndim))
        f.write(struct.pack(">" + "I" * array.ndim, *array.shape))
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def write_idx_dataset(folder: Path, train=256, test=64, seed=0) -> Path:
    """A small Fashion-MNIST-shaped dataset (28x28 images, 10 classes) in the four IDX files."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", train), ("t10k", test)):
        labels = rng.integers(0, 10, n)
        # Class-dependent stripes plus noise, so training has something to learn.
        images = rng.integers(0, 96, (n, 28, 28))
        for i, label in enumerate(labels):
            images[i, :, label * 2:label * 2 + 6] += 150
        write_idx(folder / f"{prefix}-images-idx3-ubyte", np.clip(images, 0, 255))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels)
    return folder


def ci_requires_interop() -> bool:
    """Whether the CI environment variable is set (to anything but an explicit no)."""
    value = os.environ.get("CI")
    return value is not None and value.strip().lower() not in ("", "0", "false", "no")


def nnmodel_binary() -> str:
    """NNMODEL_BIN, checked; fails under CI when it is unset, else skips with the reason."""
    path = os.environ.get("NNMODEL_BIN")
    if not path:
        reason = ("NNMODEL_BIN is not set: the CLI interop tests need an nnmodel binary "
                  "(NNMODEL_BIN=/path/to/nnmodel)")
        if ci_requires_interop():
            pytest.fail(reason + "; CI is set, so they must run")
        pytest.skip(reason)
    resolved = shutil.which(path)
    if resolved is None or not os.access(resolved, os.X_OK):
        pytest.fail(f"NNMODEL_BIN={path!r} is not an executable file")
    return resolved


def run(binary, *args, cwd=None, check=True):
    """Runs the nnmodel CLI; on failure the assertion shows its output."""
    result = subprocess.run([binary, *map(str, args)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, timeout=300)
    if check:
        assert result.returncode == 0, (
            f"nnmodel {' '.join(map(str, args))} exited {result.returncode}\n"
            f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}")
    return result
