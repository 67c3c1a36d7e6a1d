"""``Model``: a Sequential model as ``.nnm`` stores it, and its forward pass in float32.

The convolution and pooling layers work on windows of the input taken as strided views
(``sliding_window_view``), never with Python loops over positions: a convolution is one matrix
product of the lowered input (im2col) with the kernel.
"""
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
        weights: ``{"<layer>/<role>": float32 array}`` (roles ``kernel``, ``bias``, ``gamma``, ``beta``,
            ``moving_mean``, ``moving_variance``, ``alpha``), in the architecture's order.
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

        ``weights`` is a mapping from weight name to array, or a sequence in the architecture's
        order: layer by layer, each layer's weights in Keras's order (kernel, bias; gamma, beta,
        moving_mean, moving_variance; alpha), as Keras 3's ``get_weights()`` lists them (tf_keras
        lists every non-trainable weight after all the trainable ones instead). Raises
        ``ConfigError`` (a ``ValueError``) when the architecture, a weight, the optimizer state or
        the metadata does not fit.
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

    def count_params(self, trainable: Optional[bool] = None) -> int:
        """The number of weight values: all of them (``trainable=None``, as Keras's ``count_params``),
        or only those training updates (``True``) or does not (``False``: the weights of layers with
        ``trainable`` false and BatchNormalization's moving mean and variance), as Keras's summary
        counts its "Trainable params" and "Non-trainable params"."""
        total = sum(layer.params for layer in self._arch.layers)
        if trainable is None:
            return total
        updated = sum(layer.trainable_params for layer in self._arch.layers)
        return updated if trainable else total - updated

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
        float32 and inference mode: ``activation(x · kernel + bias)`` per Dense layer on the last
        axis; Conv2D as Keras's channels-last cross-correlation (zero padding for ``"same"``, the
        extra row or column after); max pooling ignoring padded positions and average pooling
        dividing by the positions inside the input; BatchNormalization with the moving statistics;
        Flatten and Reshape row-major; Dropout as the identity.
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
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            for layer in self._arch.layers:
                h = self._layer_forward(layer, h)
        return h

    def _layer_forward(self, layer: Layer, h: np.ndarray) -> np.ndarray:
        """One layer on a float32 batch ``h`` of shape ``[m] + layer.input_shape`` (inference mode)."""
        kind = layer.class_name
        w = self.weights
        m = h.shape[0]
        if kind == "Flatten":
            return h.reshape(m, -1)
        if kind == "Dense":
            rows = h.reshape(-1, h.shape[-1])
            z = rows @ w[layer.name + "/kernel"]
            if layer.use_bias:
                z += w[layer.name + "/bias"]
            z = activations.apply(layer.activation, z)
            return z.reshape(h.shape[:-1] + (layer.units,))
        if kind == "Activation":
            return activations.apply(layer.activation, h)
        if kind == "Dropout":
            return h  # the identity at inference
        if kind == "Conv2D":
            z = _conv2d(h, w[layer.name + "/kernel"], layer.strides, layer.dilation_rate, layer.padding)
            if layer.use_bias:
                z += w[layer.name + "/bias"]
            return activations.apply(layer.activation, z)
        if kind == "MaxPooling2D":
            return _max_pool2d(h, layer.pool_size, layer.strides, layer.padding)
        if kind == "AveragePooling2D":
            return _average_pool2d(h, layer.pool_size, layer.strides, layer.padding)
        if kind == "GlobalAveragePooling2D":
            return np.mean(h, axis=(1, 2), keepdims=layer.keepdims, dtype=np.float32)
        if kind == "GlobalMaxPooling2D":
            return np.max(h, axis=(1, 2), keepdims=layer.keepdims)
        if kind == "Reshape":
            return h.reshape((m,) + layer.output_shape)
        if kind == "BatchNormalization":
            # gamma * (x - mean) / sqrt(variance + epsilon) + beta, folded per channel as Keras
            # (tf.nn.batch_normalization) computes it: x * factor + (beta - mean * factor).
            factor = _F(1) / np.sqrt(w[layer.name + "/moving_variance"] + _F(layer.epsilon))
            if layer.scale:
                factor = factor * w[layer.name + "/gamma"]
            shift = -w[layer.name + "/moving_mean"] * factor
            if layer.center:
                shift = shift + w[layer.name + "/beta"]
            y = h * factor
            y += shift
            return y
        if kind == "LayerNormalization":
            mean = np.mean(h, axis=-1, keepdims=True, dtype=np.float32)
            centered = h - mean
            variance = np.mean(centered * centered, axis=-1, keepdims=True, dtype=np.float32)
            y = centered * (_F(1) / np.sqrt(variance + _F(layer.epsilon)))
            if layer.scale:
                y = y * w[layer.name + "/gamma"]
            if layer.center:
                y = y + w[layer.name + "/beta"]
            return y
        if kind == "ReLU":
            threshold = _F(layer.threshold)
            top = h if layer.max_value is None else np.minimum(h, _F(layer.max_value))
            return np.where(h >= threshold, top, _F(layer.negative_slope) * (h - threshold))
        if kind == "LeakyReLU":
            return np.where(h >= 0, h, _F(layer.negative_slope) * h)
        if kind == "ELU":
            return np.where(h > 0, h, _F(layer.alpha) * np.expm1(np.minimum(h, _F(0))))
        if kind == "Softmax":
            return activations.apply("softmax", h)
        if kind == "PReLU":
            return np.where(h >= 0, h, w[layer.name + "/alpha"] * h)
        raise ValueError(f"layer '{layer.name}' has class '{kind}', which this version cannot compute")

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
        trainable = self.count_params(trainable=True)
        total = self.count_params()
        out.append(f" Total params: {total:,} ({_memory(total * 4)})")
        out.append(f" Trainable params: {trainable:,} ({_memory(trainable * 4)})")
        out.append(f" Non-trainable params: {total - trainable:,} ({_memory((total - trainable) * 4)})")
        if self.optimizer is not None:
            slots = sum(a.size for values in self.optimizer["slot_values"].values() for a in values.values()) + 1
            out.append(f" Optimizer params: {slots:,} ({_memory(slots * 4)})")
        return "\n".join(out)


_F = np.float32
_LOWERED_BYTES = 64 << 20  # the most memory a convolution's lowered input takes at once


def _padded(h: np.ndarray, window: Tuple[int, int], strides: Tuple[int, int], padding: str,
            fill: float = 0.0) -> np.ndarray:
    """``h`` ([m, height, width, c]) padded with ``fill`` as ``padding`` requires for windows of
    effective size ``window`` (the extra row or column of an odd total after, as TensorFlow pads)."""
    if padding != "same":
        return h
    pads = [(0, 0)]
    for axis in (1, 2):
        n, k, s = h.shape[axis], window[axis - 1], strides[axis - 1]
        out, before = arch_mod.window_output(n, k, s, "same")
        pads.append((before, max(0, (out - 1) * s + k - n) - before))
    pads.append((0, 0))
    if all(p == (0, 0) for p in pads):
        return h
    return np.pad(h, pads, mode="constant", constant_values=_F(fill))


def _windows(h: np.ndarray, window: Tuple[int, int], strides: Tuple[int, int], dilation: Tuple[int, int],
             out: Tuple[int, int]) -> np.ndarray:
    """A read-only view [m, out_h, out_w, c, kh, kw] of every window of the (padded) ``h``: the taps
    of output position (i, j) are ``h[:, i * sh + a * dh, j * sw + b * dw, :]``."""
    effective = ((window[0] - 1) * dilation[0] + 1, (window[1] - 1) * dilation[1] + 1)
    view = np.lib.stride_tricks.sliding_window_view(h, effective, axis=(1, 2))
    return view[:, :out[0] * strides[0]:strides[0], :out[1] * strides[1]:strides[1], :, ::dilation[0], ::dilation[1]]


def _conv2d(h: np.ndarray, kernel: np.ndarray, strides, dilation, padding: str) -> np.ndarray:
    """A channels-last 2-D convolution (Keras's cross-correlation) of ``h`` [m, height, width, c] with
    ``kernel`` [kh, kw, c, filters], as one float32 matrix product over the lowered input (im2col)."""
    kh, kw, c, filters = kernel.shape
    effective = ((kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1)
    out = tuple(arch_mod.window_output(h.shape[axis], effective[axis - 1], strides[axis - 1], padding)[0]
                for axis in (1, 2))
    taps = _windows(_padded(h, effective, strides, padding), (kh, kw), strides, dilation, out)
    m = h.shape[0]
    matrix = kernel.reshape(kh * kw * c, filters)
    z = np.empty((m, out[0], out[1], filters), np.float32)
    # The lowered input of a few samples at a time, so that its copy stays near _LOWERED_BYTES.
    step = max(1, _LOWERED_BYTES // (out[0] * out[1] * kh * kw * c * 4))
    for start in range(0, m, step):
        part = taps[start:start + step]
        # [n, oh, ow, c, kh, kw] -> [n * oh * ow, kh * kw * c], in the kernel's (kh, kw, c) order.
        lowered = part.transpose(0, 1, 2, 4, 5, 3).reshape(-1, kh * kw * c)
        z[start:start + step] = (lowered @ matrix).reshape(part.shape[0], out[0], out[1], filters)
    return z


def _pool_output(h: np.ndarray, size, strides, padding: str) -> Tuple[int, int]:
    return tuple(arch_mod.window_output(h.shape[axis], size[axis - 1], strides[axis - 1], padding)[0]
                 for axis in (1, 2))


def _max_pool2d(h: np.ndarray, size, strides, padding: str) -> np.ndarray:
    """Max pooling; with ``"same"`` padding the padded positions are ignored (never chosen)."""
    out = _pool_output(h, size, strides, padding)
    taps = _windows(_padded(h, size, strides, padding, fill=-np.inf), size, strides, (1, 1), out)
    return taps.max(axis=(4, 5))


def _average_pool2d(h: np.ndarray, size, strides, padding: str) -> np.ndarray:
    """Average pooling; with ``"same"`` padding each window's sum is divided by the number of its
    positions inside the input (as TensorFlow does), not by the window size."""
    out = _pool_output(h, size, strides, padding)
    taps = _windows(_padded(h, size, strides, padding), size, strides, (1, 1), out)
    sums = taps.sum(axis=(4, 5), dtype=np.float32)
    counts = []
    for axis in (1, 2):
        n, k, s = h.shape[axis], size[axis - 1], strides[axis - 1]
        before = arch_mod.window_output(n, k, s, padding)[1]
        starts = np.arange(out[axis - 1]) * s - before
        counts.append(np.minimum(starts + k, n) - np.maximum(starts, 0))
    divisor = (counts[0][:, None] * counts[1][None, :]).astype(np.float32)
    return sums / divisor[None, :, :, None]


def _memory(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"
