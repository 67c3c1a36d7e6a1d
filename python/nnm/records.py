"""The header's ``metadata`` and ``optimizer`` members (``Spec/FORMAT.md`` sections 3.2 and 3.3).

Both are checked as nnmodel checks them, so a file nnmodel would refuse is refused here too and a
file written here reads in nnmodel.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List

from .errors import ConfigError
from .jsonio import as_int, as_number, kind_name

MAXIMUM_HISTORY_LENGTH = 100_000
MAXIMUM_EPOCH_NUMBER = 1_000_000_000

#: The per-weight state each optimizer keeps, in order (rmsprop adds "momentum" when its momentum > 0).
OPTIMIZERS = ("gd", "sgd", "momentum", "adagrad", "rmsprop", "adam")
_HYPERPARAMETERS = ("learning_rate", "momentum", "nesterov", "beta_1", "beta_2", "epsilon", "rho",
                    "initial_accumulator_value")


def optimizer_defaults(name: str) -> Dict[str, Any]:
    """Keras's defaults for an optimizer, as nnmodel records them."""
    return {
        "name": name,
        "learning_rate": 0.01 if name in ("gd", "sgd", "momentum") else 0.001,
        "momentum": 0.9 if name == "momentum" else 0,
        "nesterov": False,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-07,
        "rho": 0.9,
        "initial_accumulator_value": 0.1,
    }


def slot_names(name: str, momentum: float) -> List[str]:
    """The per-weight state the optimizer keeps, in order."""
    if name in ("gd", "sgd"):
        return []
    if name == "momentum":
        return ["momentum"]
    if name == "adagrad":
        return ["accumulator"]
    if name == "rmsprop":
        return ["velocity", "momentum"] if momentum > 0 else ["velocity"]
    return ["momentum", "velocity"]


def check_optimizer(record: Any) -> Dict[str, Any]:
    """The optimizer record normalized (every hyperparameter present, in nnmodel's order).

    Raises ``ConfigError`` naming the problem when the record is not valid.
    """
    if not isinstance(record, dict):
        raise ConfigError(f"expected an object, found {kind_name(record)}")
    name = record.get("name")
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ConfigError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    out = optimizer_defaults(name)
    for key in ("learning_rate", "momentum", "beta_1", "beta_2", "epsilon", "rho", "initial_accumulator_value"):
        if key in record:
            if as_number(record[key]) is None:
                raise ConfigError(f"'{key}' should be a number, found {kind_name(record[key])}")
            out[key] = record[key]
    out["nesterov"] = record.get("nesterov") if isinstance(record.get("nesterov"), bool) else False

    def check(label: str, value: float, ok: bool, expected: str) -> None:
        if not ok or not math.isfinite(value):
            raise ConfigError(f"invalid {label} {value}: expected {expected}")

    lr, mom = float(out["learning_rate"]), float(out["momentum"])
    b1, b2, eps, rho = float(out["beta_1"]), float(out["beta_2"]), float(out["epsilon"]), float(out["rho"])
    acc = float(out["initial_accumulator_value"])
    check("learning rate", lr, lr > 0, "a positive number")
    check("momentum", mom, 0 <= mom < 1, "a number in [0, 1)")
    check("beta_1", b1, 0 <= b1 < 1, "a number in [0, 1)")
    check("beta_2", b2, 0 <= b2 < 1, "a number in [0, 1)")
    check("epsilon", eps, eps >= 0, "a non-negative number")
    check("rho", rho, 0 <= rho < 1, "a number in [0, 1)")
    check("initial_accumulator_value", acc, acc >= 0, "a non-negative number")
    iterations = as_int(record.get("iterations"))
    if iterations is None or iterations < 0:
        raise ConfigError("missing a non-negative 'iterations'")
    out["iterations"] = iterations
    expected = slot_names(name, mom)
    slots = record.get("slots")
    if not isinstance(slots, list) or [s for s in slots if isinstance(s, str)] != expected:
        raise ConfigError(f"'slots' should be {expected} for {name}")
    out["slots"] = list(expected)
    return out


def check_metadata(m: Any) -> None:
    """Raises ``ConfigError`` when the metadata object is not what the format defines."""
    if not isinstance(m, dict):
        raise ConfigError(f"expected an object, found {kind_name(m)}")
    for key in ("producer", "created", "dataset", "loss"):
        v = m.get(key)
        if v is not None and not isinstance(v, str):
            raise ConfigError(f"'{key}' should be a string, found {kind_name(v)}")
    names = m.get("class_names")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        raise ConfigError("'class_names' should be an array of strings")
    if m.get("history") is not None:
        try:
            check_history(m["history"])
        except ConfigError as e:
            raise ConfigError(f"history: {e}") from None
    user = m.get("user")
    if user is not None:
        if not isinstance(user, dict):
            raise ConfigError("'user' should be an object of strings")
        for k, v in user.items():
            if not isinstance(v, str):
                raise ConfigError(f"user entry '{k}' should be a string, found {kind_name(v)}")
    interrupted = m.get("interrupted")
    if interrupted is not None:
        epoch, batch, batches = (as_int(_member(interrupted, k)) for k in ("epoch", "batch", "batches"))
        if epoch is None or batch is None or batches is None or epoch < 0 or batch < 0 or batches < batch:
            raise ConfigError("'interrupted' should be an object of non-negative integers epoch, batch and "
                              "batches (batch <= batches)")


def _member(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else None


def check_history(h: Any) -> None:
    """A history is an object of per-epoch arrays of numbers of one length, with at least ``loss``."""
    if not isinstance(h, dict):
        raise ConfigError(f"expected an object of per-epoch arrays, found {kind_name(h)}")
    for key, values in h.items():
        if not isinstance(values, list):
            raise ConfigError(f"'{key}' should be an array of numbers, found {kind_name(values)}")
        if len(values) > MAXIMUM_HISTORY_LENGTH:
            raise ConfigError(f"'{key}' should hold at most {MAXIMUM_HISTORY_LENGTH} epochs, found {len(values)}")
        for v in values:
            if as_number(v) is None:
                raise ConfigError(f"'{key}' should be an array of numbers, found {kind_name(v)}")
    if "loss" not in h:
        raise ConfigError("missing field 'loss'")
    n = len(h["loss"])
    for key, values in h.items():
        if len(values) != n:
            raise ConfigError(f"'{key}' should hold {n} values (one per epoch), found {len(values)}")
    for v in h.get("epoch", []):
        e = as_int(v)
        if e is None or not 0 <= e <= MAXIMUM_EPOCH_NUMBER:
            raise ConfigError(f"'epoch' should hold integers from 0 to {MAXIMUM_EPOCH_NUMBER}, found {v}")
