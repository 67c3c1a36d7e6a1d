"""``Model``: a Sequential model as ``.nnm`` stores it, and its forward pass in float32."""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import activations
from . import architecture as arch_mod
from . import records
from .architecture import Architecture, Layer
from .errors import ConfigError


def _product(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


class Model:
    """A Sequential model: a Keras architecture, float32 weights, metadata, optional optimizer state.

    Models come from ``nnm.load``, or are built from a Keras model config and weights::

        model = nnm.Model(config, {"dense/kernel": kernel, "dense/bias": bias})

    Attributes:
        architecture: the Keras model config (``{"class_name": ..., "config": ...}``), as read.
        layers: the layers after the input, as ``nnm.Layer`` descriptions, in order.
        input_shape: the shape of one sample (without the batch axis), a tuple.
        output_shape: the shape of one output, a tuple.
        weights: ``{"<layer>/kernel" | "<layer>/bias": float32 array}``, in Keras's order.
        optimizer: ``None``, or the optimizer record (``name``, hyperparameters, ``iterations``,
            ``slots``) plus ``slot_values``: ``{slot: {weight name: float32 array}}``.
        metadata: the header's metadata object (producer, created, class_names, history...).
        history: ``metadata["history"]`` (``{"epoch": [...], "loss": [...], ...}``, the shape
            of Keras's ``history.history``), or ``None``.
        class_names: ``metadata["class_names"]`` or ``None``.
        format_version: ``(major, minor)`` of the file it was loaded from, or ``None``.
    """

    def __init__(self, architecture: Mapping[str, Any], weights: Union[Mapping[str, Any], Sequence[Any]],
                 optimizer: Optional[Mapping[str, Any]] = None, metadata: Optional[Mapping[str, Any]] = None):
        """Builds a model, checking everything a file reader would.

        ``weights`` is a mapping from weight name to array, or a sequence in Keras's order
        (each Dense layer's kernel, then its bias). Raises ``ConfigError`` (a ``ValueError``)
        when the architecture, a weight, the optimizer state or the metadata does not fit.
        """
        config = copy.deepcopy(dict(architecture))
        arch = arch_mod.parse(config)
        specs = arch.weight_specs
        if not isinstance(weights, Mapping):
            weights = list(weights)
            if len(weights) != len(specs):
                raise ConfigError(f"expected {len(specs)} weights ({', '.join(s.name for s in specs)}), "
                                  f"found {len(weights)}")
            weights = {s.name: w for s, w in zip(specs, weights)}
        checked = {s.name: self._checked_array(weights, s.name, s.shape, "weight") for s in specs}
        extra = [name for name in weights if name not in checked]
        if extra:
            raise ConfigError(f"weights {extra} are not weights of this architecture; it has "
                              f"{[s.name for s in specs]}")
        opt = None
        if optimizer is not None:
            record = {k: v for k, v in optimizer.items() if k != "slot_values"}
            opt = records.check_optimizer(record)
            values = optimizer.get("slot_values") or {}
            opt["slot_values"] = {
                slot: {s.name: self._checked_array(values.get(slot, {}), s.name, s.shape, f"optimizer slot '{slot}' of")
                       for s in specs if s.trainable}
                for slot in opt["slots"]}
        meta = copy.deepcopy(dict(metadata or {}))
        records.check_metadata(meta)
        self._init(config, arch, checked, opt, meta)

    @staticmethod
    def _checked_array(values: Mapping[str, Any], name: str, shape: Tuple[int, ...], what: str) -> np.ndarray:
        if name not in values:
            raise ConfigError(f"{what} '{name}' (shape {list(shape)}) is missing")
        array = np.array(values[name], dtype=np.float32, order="C", copy=True)
        if array.shape != tuple(shape):
            raise ConfigError(f"{what} '{name}' has shape {list(array.shape)}, the architecture needs {list(shape)}")
        return array

    @classmethod
    def _from_parts(cls, config: Dict[str, Any], arch: Architecture, weights: Dict[str, np.ndarray],
                    optimizer: Optional[Dict[str, Any]], metadata: Dict[str, Any]) -> "Model":
        """A model from parts a reader has already checked."""
        model = cls.__new__(cls)
        model._init(config, arch, weights, optimizer, metadata)
        return model

    def _init(self, config, arch, weights, optimizer, metadata) -> None:
        self.architecture: Dict[str, Any] = config
        self._arch: Architecture = arch
        self.weights: Dict[str, np.ndarray] = weights
        self.optimizer: Optional[Dict[str, Any]] = optimizer
        self.metadata: Dict[str, Any] = metadata
        self.format_version: Optional[Tuple[int, int]] = None

    # Descriptions

    @property
    def name(self) -> str:
        """The model's name (Keras's ``config.name``)."""
        return self._arch.name

    @property
    def layers(self) -> List[Layer]:
        return list(self._arch.layers)

    @property
    def input_shape(self) -> Tuple[int, ...]:
        return self._arch.input_shape

    @property
    def output_shape(self) -> Tuple[int, ...]:
        return self._arch.output_shape

    @property
    def history(self) -> Optional[Dict[str, list]]:
        return self.metadata.get("history")

    @property
    def class_names(self) -> Optional[List[str]]:
        return self.metadata.get("class_names")

    def count_params(self) -> int:
        """The number of weights (trainable and not)."""
        return sum(layer.params for layer in self._arch.layers)

    def __repr__(self) -> str:
        kinds = ", ".join(layer.class_name for layer in self._arch.layers)
        return (f"<nnm.Model '{self.name}': input {self.input_shape}, output {self.output_shape}, "
                f"{self.count_params():,} params; {kinds}>")

    # Inference

    def predict(self, x, batch_size: int = 256) -> np.ndarray:
        """Runs the model on ``x`` and returns its outputs, float32 of shape ``[N] + output_shape``.

        ``x`` is ``[N] + input_shape``, or any array whose axes after the first hold one sample's
        values (for example ``[N, 784]`` for a ``(28, 28)`` input). It is converted to float32
        as it is: integer data is NOT scaled (nnmodel's CLI divides uint8 ``.npy`` inputs by 255;
        pass floats, e.g. ``images / 255.0``, to match). The forward pass is nnmodel's, in
        float32: ``activation(x · kernel + bias)`` per Dense layer on the last axis, Flatten,
        Activation, and Dropout as the identity.
        """
        x = np.asarray(x)
        if x.dtype != np.float32:
            x = x.astype(np.float32)
        per_sample = _product(self.input_shape)
        if x.ndim < 2 or _product(x.shape[1:]) != per_sample:
            raise ValueError(f"input of shape {list(x.shape)} does not fit the model's input "
                             f"{[-1] + list(self.input_shape)} (N samples of {list(self.input_shape)})")
        if int(batch_size) < 1:
            raise ValueError(f"batch_size should be at least 1, found {batch_size}")
        batch_size = int(batch_size)
        n = x.shape[0]
        flat = x.reshape(n, per_sample)
        out = np.empty((n,) + self.output_shape, dtype=np.float32)
        for start in range(0, n, batch_size):
            stop = min(n, start + batch_size)
            out[start:stop] = self._forward(flat[start:stop])
        return out

    def _forward(self, x: np.ndarray) -> np.ndarray:
        m = x.shape[0]
        h = x.reshape((m,) + self.input_shape)
        for layer in self._arch.layers:
            if layer.class_name == "Flatten":
                h = h.reshape(m, -1)
            elif layer.class_name == "Dense":
                rows = h.reshape(-1, h.shape[-1])
                z = rows @ self.weights[layer.name + "/kernel"]
                if layer.use_bias:
                    z += self.weights[layer.name + "/bias"]
                z = activations.apply(layer.activation, z)
                h = z.reshape(h.shape[:-1] + (layer.units,))
            elif layer.class_name == "Activation":
                h = activations.apply(layer.activation, h)
            # Dropout is the identity at inference.
        return h

    # Summary

    def summary(self) -> str:
        """A Keras-style summary: each layer's name, type, output shape and weights, and totals."""
        rows = [("Layer (type)", "Output Shape", "Param #")]
        for layer in self._arch.layers:
            shape = "(" + ", ".join(["None"] + [str(d) for d in layer.output_shape]) + ")"
            rows.append((f"{layer.name} ({layer.class_name})", shape, f"{layer.params:,}"))
        widths = [max(len(r[i]) for r in rows) for i in range(3)]

        def line(left: str, fill: str, mid: str, right: str) -> str:
            return left + mid.join(fill * (w + 2) for w in widths) + right

        def cells(row, bar: str) -> str:
            parts = [f" {row[0]:<{widths[0]}} ", f" {row[1]:<{widths[1]}} ", f" {row[2]:>{widths[2]}} "]
            return bar + bar.join(parts) + bar

        out = [f'Model: "{self.name}"', line("┏", "━", "┳", "┓"), cells(rows[0], "┃"), line("┡", "━", "╇", "┩")]
        for i, row in enumerate(rows[1:]):
            if i:
                out.append(line("├", "─", "┼", "┤"))
            out.append(cells(row, "│"))
        out.append(line("└", "─", "┴", "┘"))
        trainable = sum(layer.params for layer in self._arch.layers if layer.trainable)
        total = self.count_params()
        out.append(f" Total params: {total:,} ({_memory(total * 4)})")
        out.append(f" Trainable params: {trainable:,} ({_memory(trainable * 4)})")
        out.append(f" Non-trainable params: {total - trainable:,} ({_memory((total - trainable) * 4)})")
        if self.optimizer is not None:
            slots = sum(a.size for values in self.optimizer["slot_values"].values() for a in values.values()) + 1
            out.append(f" Optimizer params: {slots:,} ({_memory(slots * 4)})")
        return "\n".join(out)


def _memory(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"
