"""The activations of ``.nnm`` models, with Keras 3's definitions, computed in float32 as nnmodel does.

Every function takes and returns a float32 array; softmax works over the last axis.
"""
from __future__ import annotations

import math

import numpy as np

_F = np.float32
SELU_ALPHA = _F(1.67326324)
SELU_SCALE = _F(1.05070098)
LEAKY_SLOPE = _F(0.2)
_SQRT_HALF = _F(0.70710678118654752)
_ERF = np.frompyfunc(math.erf, 1, 1)


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, _F(1) / (_F(1) + e), e / (_F(1) + e))


def _softplus(x):
    return np.maximum(x, _F(0)) + np.log1p(np.exp(-np.abs(x)))


def _hard_sigmoid(x):
    return np.minimum(np.maximum(x / _F(6) + _F(0.5), _F(0)), _F(1))


def _erf(x):
    # math.erf in double precision, rounded to float32 (libm's erff is within an ulp of it).
    return _ERF(x.astype(np.float64)).astype(np.float64).astype(np.float32)


def _softmax(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e * (_F(1) / np.sum(e, axis=-1, keepdims=True))


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, _F(0))))


def _selu(x):
    return np.where(x > 0, SELU_SCALE * x, (SELU_SCALE * SELU_ALPHA) * np.expm1(np.minimum(x, _F(0))))


def _gelu(x):
    return _F(0.5) * x * (_F(1) + _erf(x * _SQRT_HALF))


FUNCTIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.where(x > 0, x, _F(0)),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softmax": _softmax,
    "elu": _elu,
    "selu": _selu,
    "gelu": _gelu,
    "softplus": _softplus,
    "softsign": lambda x: x / (_F(1) + np.abs(x)),
    "swish": lambda x: x * _sigmoid(x),
    "leaky_relu": lambda x: np.where(x > 0, x, LEAKY_SLOPE * x),
    "exponential": np.exp,
    "hard_sigmoid": _hard_sigmoid,
    "relu6": lambda x: np.minimum(np.maximum(x, _F(0)), _F(6)),
    "hard_silu": lambda x: x * _hard_sigmoid(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
}

#: Other names Keras accepts, and the activation each means.
ALIASES = {"silu": "swish", "hard_swish": "hard_silu", "leakyrelu": "leaky_relu", "LeakyReLU": "leaky_relu"}

#: Every name the format accepts, for messages (as nnmodel lists them).
SUPPORTED_NAMES = list(FUNCTIONS) + ["silu", "hard_swish"]


def canonical_name(name: str):
    """The canonical Keras name of an activation, or ``None`` when it is not supported."""
    if name in FUNCTIONS:
        return name
    return ALIASES.get(name)


def apply(name: str, x: np.ndarray) -> np.ndarray:
    """Applies the activation ``name`` (canonical or an alias) to a float32 array."""
    canonical = canonical_name(name)
    if canonical is None:
        raise ValueError(f"unsupported activation '{name}'; supported: {', '.join(SUPPORTED_NAMES)}")
    x = np.asarray(x, dtype=np.float32)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        return np.asarray(FUNCTIONS[canonical](x), dtype=np.float32)
