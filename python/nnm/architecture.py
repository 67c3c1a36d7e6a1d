"""Keras model configs: the subset ``.nnm`` supports (``Spec/FORMAT.md`` section 3.1).

Reading accepts what Keras 2 (tf_keras) and Keras 3 write: ``Sequential`` configs (with an
``InputLayer``, a ``batch_input_shape`` on the first layer, or ``build_input_shape``) and
``Functional``/``Model`` configs whose layers form a single chain, with the layer classes of
``SUPPORTED_CLASSES`` (and the Keras aliases of ``CLASS_ALIASES``): ``InputLayer``, ``Flatten``,
``Dense``, ``Activation``, ``Dropout``, ``Conv2D``, 2-D pooling, ``Reshape``, batch and layer
normalization and the activation layers. Images are channels-last only. Nothing named in a config
is looked up outside these lists, and nothing is executed. The rules are nnmodel's
(``Sources/NNSchema/KerasConfig.swift``, ``KerasConfig+Layers.swift`` and ``Layers/``), so a
config means the same model to both.

Writing produces the Keras 2 style nnmodel writes (``batch_input_shape``, string dtypes,
``{"class_name", "config"}`` initializers), which Keras 3 and tf_keras both load.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from . import activations
from .dtypes import DTYPE_SIZES
from .errors import ConfigError
from .jsonio import as_int, as_number, compact, excerpt, kind_name

MAXIMUM_RANK = 8
MAXIMUM_ELEMENTS = 1 << 31
MAXIMUM_PARAMETERS = 1 << 32
MAXIMUM_LAYERS = 10_000
MAXIMUM_WINDOW = 1024          # largest kernel, pool window, stride or dilation along one axis
MAXIMUM_FILTERS = 1 << 16      # most output channels of a convolution
MAXIMUM_CONVOLUTION_FAN_IN = 1 << 20  # largest kernel_height * kernel_width * in_channels
SUPPORTED_CLASSES = ["InputLayer", "Flatten", "Dense", "Activation", "Dropout", "Conv2D", "MaxPooling2D",
                     "AveragePooling2D", "GlobalMaxPooling2D", "GlobalAveragePooling2D", "Reshape",
                     "BatchNormalization", "LayerNormalization", "ReLU", "LeakyReLU", "ELU", "Softmax", "PReLU"]
#: Other class names Keras gives the same layers, and the class each means.
CLASS_ALIASES = {"Convolution2D": "Conv2D", "MaxPool2D": "MaxPooling2D", "AvgPool2D": "AveragePooling2D",
                 "GlobalMaxPool2D": "GlobalMaxPooling2D", "GlobalAvgPool2D": "GlobalAveragePooling2D"}
TRAINING_ONLY_OPTIONS = ["kernel_regularizer", "bias_regularizer", "activity_regularizer",
                         "kernel_constraint", "bias_constraint"]
_MISSING = object()


@dataclass(frozen=True)
class Layer:
    """One layer after the input, as the model computes it.

    ``class_name`` is one of ``SUPPORTED_CLASSES`` other than ``InputLayer`` (an alias such as
    ``Convolution2D`` is given as its class, ``Conv2D``). ``activation`` is the canonical Keras
    name (Dense, Conv2D and Activation layers; ``"softmax"`` for a Softmax layer). The other
    attributes are the layer's options as read, ``None`` when the class has no such option:

    - ``units``, ``use_bias``: Dense (``use_bias`` also Conv2D); ``rate``: Dropout (the identity
      at inference);
    - ``filters``, ``kernel_size``, ``strides``, ``padding`` (``"valid"``/``"same"``),
      ``dilation_rate``: Conv2D; ``pool_size``, ``strides``, ``padding``: MaxPooling2D and
      AveragePooling2D (pairs are ``(height, width)`` tuples); ``keepdims``: global pooling;
    - ``target_shape``: Reshape, as the config gives it (one dimension may be -1; the output shape
      has it resolved);
    - ``momentum``, ``epsilon``, ``center``, ``scale``: BatchNormalization (``epsilon``, ``center``,
      ``scale`` also LayerNormalization);
    - ``max_value``, ``negative_slope``, ``threshold``: ReLU (``negative_slope`` also LeakyReLU);
      ``alpha``: ELU; ``shared_axes``: PReLU (a tuple, empty when none).

    Shapes are per sample, without the batch axis. ``weights`` names the layer's weight tensors
    (``"<name>/kernel"``, ``"<name>/bias"``, ``"<name>/gamma"``, ``"<name>/beta"``,
    ``"<name>/moving_mean"``, ``"<name>/moving_variance"``, ``"<name>/alpha"``); ``params``
    counts their values and ``trainable_params`` those training updates (all of them when the
    layer is trainable, except a BatchNormalization layer's moving statistics).
    """

    name: str
    class_name: str
    input_shape: Tuple[int, ...]
    output_shape: Tuple[int, ...]
    activation: Optional[str] = None
    units: Optional[int] = None
    use_bias: Optional[bool] = None
    rate: Optional[float] = None
    trainable: bool = True
    weights: Tuple[str, ...] = ()
    params: int = 0
    trainable_params: int = 0
    filters: Optional[int] = None
    kernel_size: Optional[Tuple[int, int]] = None
    strides: Optional[Tuple[int, int]] = None
    padding: Optional[str] = None
    dilation_rate: Optional[Tuple[int, int]] = None
    pool_size: Optional[Tuple[int, int]] = None
    keepdims: Optional[bool] = None
    target_shape: Optional[Tuple[int, ...]] = None
    momentum: Optional[float] = None
    epsilon: Optional[float] = None
    center: Optional[bool] = None
    scale: Optional[bool] = None
    max_value: Optional[float] = None
    negative_slope: Optional[float] = None
    threshold: Optional[float] = None
    alpha: Optional[float] = None
    shared_axes: Optional[Tuple[int, ...]] = None
    kernel_initializer: Any = field(default=None, repr=False, compare=False, hash=False)
    bias_initializer: Any = field(default=None, repr=False, compare=False, hash=False)
    gamma_initializer: Any = field(default=None, repr=False, compare=False, hash=False)
    beta_initializer: Any = field(default=None, repr=False, compare=False, hash=False)
    moving_mean_initializer: Any = field(default=None, repr=False, compare=False, hash=False)
    moving_variance_initializer: Any = field(default=None, repr=False, compare=False, hash=False)
    alpha_initializer: Any = field(default=None, repr=False, compare=False, hash=False)


@dataclass(frozen=True)
class WeightSpec:
    """A weight tensor the architecture needs: its name, shape, and whether training updates it."""

    name: str
    shape: Tuple[int, ...]
    trainable: bool
    layer: int


@dataclass(frozen=True)
class Architecture:
    """A validated model description: its input, its layers in order, and the weights they need."""

    name: str
    input_shape: Tuple[int, ...]
    input_name: str
    layers: Tuple[Layer, ...]
    source_dtype: str
    weight_specs: Tuple[WeightSpec, ...]

    @property
    def output_shape(self) -> Tuple[int, ...]:
        return self.layers[-1].output_shape if self.layers else self.input_shape


# MARK: reading

def _get(obj: Any, key: str, default: Any = None) -> Any:
    """``obj[key]`` for an object that has the key, else ``default`` (JSON lookups never fail)."""
    if isinstance(obj, dict) and key in obj:
        return obj[key]
    return default


def _string(obj: Any, key: str) -> Optional[str]:
    v = _get(obj, key)
    return v if isinstance(v, str) else None


def _q(text: str) -> str:
    return excerpt(text, 200)


def _unsupported_layer(name: str, class_name: str) -> ConfigError:
    return ConfigError(f"layer '{_q(name)}' has unsupported class '{_q(class_name)}'; "
                       f"supported: {', '.join(SUPPORTED_CLASSES)}")


def _unsupported_activation(layer: str, name: str) -> ConfigError:
    return ConfigError(f"layer '{_q(layer)}' uses unsupported activation '{_q(name)}'; "
                       f"supported: {', '.join(activations.SUPPORTED_NAMES)}")


def _invalid_field(layer: str, name: str, expected: str, found: str) -> ConfigError:
    return ConfigError(f"layer '{_q(layer)}': field '{_q(name)}' should be {expected}, found {_q(found)}")


def _missing_field(layer: str, name: str) -> ConfigError:
    return ConfigError(f"layer '{_q(layer)}': missing field '{_q(name)}'")


def _not_a_chain(layer: str, reason: str) -> ConfigError:
    return ConfigError(f"functional model is not a plain chain at layer '{_q(layer)}': {reason}")


def _check_built_in(obj: Any, name: str, class_name: str) -> None:
    """Refuses objects that name a module or registered class outside Keras itself."""
    module = _string(obj, "module")
    if module is not None and module != "keras" and not module.startswith("keras."):
        raise _unsupported_layer(name, f"{module}.{class_name}")
    registered = _string(obj, "registered_name")
    if registered is not None and registered != class_name:
        raise _unsupported_layer(name, registered)
    if ">" in class_name or "." in class_name:
        raise _unsupported_layer(name, class_name)


def _batch_shape(value: Any, layer: str, field_name: str) -> Tuple[int, ...]:
    if not isinstance(value, list) or len(value) < 2:
        raise _invalid_field(layer, field_name, "[null, d1, ...]", compact(value))
    shape = []
    for d in value[1:]:
        n = as_int(d)
        if n is None or n <= 0:
            raise _invalid_field(layer, field_name, "positive integer dimensions after the batch axis", compact(value))
        shape.append(n)
    return tuple(shape)


def _dtype(value: Any, layer: str) -> Optional[str]:
    """A dtype given as a string or a DTypePolicy object (mixed precision keeps float32 variables)."""
    if value is None:
        return None
    name = value if isinstance(value, str) else _string(_get(value, "config"), "name")
    if name is None:
        raise _invalid_field(layer, "dtype", "a dtype name or a DTypePolicy", kind_name(value))
    if name in ("mixed_float16", "mixed_bfloat16"):
        return "float32"
    if name not in DTYPE_SIZES:
        raise _invalid_field(layer, "dtype", f"one of {', '.join(DTYPE_SIZES)}", f"'{name}'")
    return name


def _activation(value: Any, layer: str) -> str:
    """An activation given by name, or as Keras 3's ``{"class_name": "function", "config": "relu"}``."""
    if isinstance(value, str):
        name = value
    else:
        module = _string(value, "module")
        inner = _string(value, "config")
        if inner is not None and (module is None or module == "keras" or module.startswith("keras.")):
            name = inner
        else:
            raise _unsupported_activation(layer, _string(value, "class_name") or compact(value))
    canonical = activations.canonical_name(name)
    if canonical is None:
        raise _unsupported_activation(layer, name)
    return canonical


def _flag(config: Any, key: str, layer: str, default: bool = True) -> bool:
    """A boolean field, ``default`` when absent or null. Anything but a JSON boolean is refused, as
    nnmodel refuses it (Python would read the string "false" as true, nnmodel as false)."""
    value = _get(config, key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _invalid_field(layer, key, "true or false", compact(value))
    return value


def _channels_last(config: Any, layer: str) -> None:
    """Refuses a ``data_format`` other than ``"channels_last"`` (nnmodel computes images channels-last)."""
    value = _get(config, "data_format")
    if value is not None and value != "channels_last":
        raise _invalid_field(layer, "data_format", '"channels_last"', compact(value))


def _padding(config: Any, layer: str) -> str:
    """``"valid"`` (also when absent or null) or ``"same"``, in either case, as Keras accepts."""
    value = _get(config, "padding")
    if value is None:
        return "valid"
    if isinstance(value, str) and value.lower() in ("valid", "same"):
        return value.lower()
    raise _invalid_field(layer, "padding", '"valid" or "same"', compact(value))


def _pair(value: Any, field_name: str, layer: str, default: Optional[int] = None) -> Tuple[int, int]:
    """Two integers in 1...MAXIMUM_WINDOW, from a list of two or one integer (used for both axes)."""
    if value is None:
        if default is None:
            raise _missing_field(layer, field_name)
        return default, default
    n = as_int(value)
    if n is not None and 1 <= n <= MAXIMUM_WINDOW:
        return n, n
    if isinstance(value, list) and len(value) == 2:
        a, b = as_int(value[0]), as_int(value[1])
        if a is not None and b is not None and 1 <= a <= MAXIMUM_WINDOW and 1 <= b <= MAXIMUM_WINDOW:
            return a, b
    raise _invalid_field(layer, field_name, f"an integer or two integers in 1...{MAXIMUM_WINDOW}", compact(value))


def _bound(x: float) -> str:
    return format(x, "g")


def _number(config: Any, key: str, layer: str, default: float, low: float, high: float,
            positive: bool = False) -> float:
    """A finite number in ``[low, high]`` (above 0 when ``positive``), ``default`` when absent or null."""
    value = _get(config, key)
    if value is None:
        return default
    x = as_number(value)
    if x is None or not math.isfinite(x) or not low <= x <= high or (positive and x <= 0):
        raise _invalid_field(layer, key, f"a number in {_bound(low)}...{_bound(high)}" + (", above 0" if positive else ""),
                             compact(value))
    return x


def _int_list(value: Any) -> Optional[List[int]]:
    """The integers of a JSON array of at most MAXIMUM_RANK integers, else ``None``."""
    if not isinstance(value, list) or len(value) > MAXIMUM_RANK:
        return None
    ints = [as_int(v) for v in value]
    return None if any(v is None for v in ints) else ints


def _refuse_true(config: Any, key: str, layer: str) -> None:
    value = _get(config, key)
    if value is not None and value is not False:
        raise _invalid_field(layer, key, "false", compact(value))


def _extended_layer(class_name: str, config: Any, name: str) -> Dict[str, Any]:
    """The options of a layer class beyond Flatten, Dense, Activation and Dropout, as read from its
    config (``class_name`` already canonical). Checks that need the input shape come later."""
    if class_name == "Conv2D":
        _channels_last(config, name)
        groups = _get(config, "groups")
        if groups is not None and as_int(groups) != 1:
            raise _invalid_field(name, "groups", "1", compact(groups))
        filters_value = _get(config, "filters", _MISSING)
        if filters_value is _MISSING:
            raise _missing_field(name, "filters")
        filters = as_int(filters_value)
        if filters is None:
            raise _invalid_field(name, "filters", "a positive integer", compact(filters_value))
        if _get(config, "kernel_size", _MISSING) is _MISSING:
            raise _missing_field(name, "kernel_size")
        act = _get(config, "activation")
        return dict(filters=filters, kernel_size=_pair(_get(config, "kernel_size"), "kernel_size", name),
                    strides=_pair(_get(config, "strides"), "strides", name, default=1),
                    padding=_padding(config, name),
                    dilation_rate=_pair(_get(config, "dilation_rate"), "dilation_rate", name, default=1),
                    activation="linear" if act is None else _activation(act, name),
                    use_bias=_flag(config, "use_bias", name),
                    kernel_initializer=_get(config, "kernel_initializer"),
                    bias_initializer=_get(config, "bias_initializer"))
    if class_name in ("MaxPooling2D", "AveragePooling2D"):
        _channels_last(config, name)
        size = _pair(_get(config, "pool_size"), "pool_size", name, default=2)
        strides = _get(config, "strides")
        return dict(pool_size=size, strides=size if strides is None else _pair(strides, "strides", name),
                    padding=_padding(config, name))
    if class_name in ("GlobalMaxPooling2D", "GlobalAveragePooling2D"):
        _channels_last(config, name)
        return dict(keepdims=_flag(config, "keepdims", name, default=False))
    if class_name == "Reshape":
        target = _get(config, "target_shape", _MISSING)
        if target is _MISSING:
            raise _missing_field(name, "target_shape")
        dims = _int_list(target)
        if dims is None:
            raise _invalid_field(name, "target_shape", "a list of integers", compact(target))
        return dict(target_shape=tuple(dims))
    if class_name == "BatchNormalization":
        for key in ("renorm", "synchronized"):
            _refuse_true(config, key, name)
        virtual = _get(config, "virtual_batch_size")
        if virtual is not None:
            raise _invalid_field(name, "virtual_batch_size", "null", compact(virtual))
        return dict(axis=_get(config, "axis"),
                    momentum=_number(config, "momentum", name, 0.99, 0, 1),
                    epsilon=_number(config, "epsilon", name, 1e-3, 0, 1e10, positive=True),
                    center=_flag(config, "center", name), scale=_flag(config, "scale", name),
                    beta_initializer=_get(config, "beta_initializer"),
                    gamma_initializer=_get(config, "gamma_initializer"),
                    moving_mean_initializer=_get(config, "moving_mean_initializer"),
                    moving_variance_initializer=_get(config, "moving_variance_initializer"))
    if class_name == "LayerNormalization":
        _refuse_true(config, "rms_scaling", name)
        return dict(axis=_get(config, "axis"),
                    epsilon=_number(config, "epsilon", name, 1e-3, 0, 1e10, positive=True),
                    center=_flag(config, "center", name), scale=_flag(config, "scale", name),
                    beta_initializer=_get(config, "beta_initializer"),
                    gamma_initializer=_get(config, "gamma_initializer"))
    if class_name == "ReLU":
        max_value = _get(config, "max_value")
        if max_value is not None:
            m = as_number(max_value)
            if m is None or not math.isfinite(m) or m < 0:
                raise _invalid_field(name, "max_value", "null or a number ≥ 0", compact(max_value))
            max_value = m
        return dict(max_value=max_value, negative_slope=_number(config, "negative_slope", name, 0, 0, 1e10),
                    threshold=_number(config, "threshold", name, 0, -1e30, 1e30))
    if class_name == "LeakyReLU":
        # Keras 3 writes negative_slope, tf_keras alpha.
        key = "negative_slope" if isinstance(config, dict) and "negative_slope" in config else "alpha"
        return dict(negative_slope=_number(config, key, name, 0.3, 0, 1e10))
    if class_name == "ELU":
        return dict(alpha=_number(config, "alpha", name, 1.0, -1e10, 1e10))
    if class_name == "Softmax":
        return dict(axis=_get(config, "axis"), activation="softmax")
    if class_name == "PReLU":
        value = _get(config, "shared_axes")
        if value is None:
            shared: List[int] = []
        elif as_int(value) is not None:
            shared = [as_int(value)]
        else:
            shared = _int_list(value)
            if shared is None:
                raise _invalid_field(name, "shared_axes", "null, an axis or a list of axes", compact(value))
        return dict(shared_axes=tuple(shared), alpha_initializer=_get(config, "alpha_initializer"))
    raise _unsupported_layer(name, class_name)


def window_output(length: int, window: int, stride: int, padding: str) -> Optional[Tuple[int, int]]:
    """The output length along one axis of a window-based layer and the padding before the input.

    ``window`` is the effective window length (``(kernel - 1) * dilation + 1``). ``"valid"``:
    ``(length - window) // stride + 1`` windows, ``None`` when the window is longer than the input;
    ``"same"``: ``ceil(length / stride)``, padded by ``max(0, (out - 1) * stride + window - length)``
    in all, half of it (rounded down) before and the rest after, as TensorFlow pads.
    """
    if length <= 0 or window <= 0 or stride <= 0:
        return None
    if padding == "valid":
        if window > length:
            return None
        return (length - window) // stride + 1, 0
    out = -(-length // stride)
    total = max(0, (out - 1) * stride + window - length)
    return out, total // 2


def _default_name(class_name: str, ordinal: int) -> str:
    # Keras's snake case: an underscore before a capital that follows a lower-case letter or
    # starts a capitalised word (Conv2D -> conv2d, PReLU -> p_re_lu, InputLayer -> input_layer).
    name = class_name[:64]
    snake = ""
    for i, c in enumerate(name):
        if c.isupper() and i > 0 and (name[i - 1].islower() or (i + 1 < len(name) and name[i + 1].islower())):
            snake += "_"
        snake += c.lower()
    return snake if ordinal == 0 else f"{snake}_{ordinal}"


class _Builder:
    """Accumulates layers while reading a config."""

    def __init__(self, name: str):
        self.name = name
        self.input_shape: Optional[Tuple[int, ...]] = None
        self.input_name = "input_layer"
        self.layers: List[Dict[str, Any]] = []
        self.dtype: Optional[str] = None
        self.saw_input_layer = False
        self.class_counts: Dict[str, int] = {}

    def add(self, entry: Any) -> None:
        class_name = _string(entry, "class_name")
        if class_name is None:
            raise _missing_field(_string(_get(entry, "config"), "name") or f"layer {len(self.layers)}", "class_name")
        config = _get(entry, "config", {})
        ordinal = self.class_counts.get(class_name, 0)
        self.class_counts[class_name] = ordinal + 1
        name = _string(config, "name") or _string(entry, "name") or _default_name(class_name, ordinal)
        _check_built_in(entry, name, class_name)
        d = _dtype(_get(config, "dtype"), name)
        if d is not None and d != "float32" and self.dtype is None:
            self.dtype = d
        if class_name == "InputLayer":
            if self.layers or self.saw_input_layer:
                raise _not_a_chain(name, "an InputLayer may only come first")
            self.saw_input_layer = True
            self.input_name = name
            shape = _get(config, "batch_shape", _MISSING)
            if shape is _MISSING:
                shape = _get(config, "batch_input_shape", _MISSING)
            if shape is not _MISSING:
                self.input_shape = _batch_shape(shape, name, "batch_shape")
            else:
                dims = _get(config, "shape", _MISSING)
                if dims is _MISSING:
                    dims = _get(config, "input_shape", _MISSING)
                if isinstance(dims, list):
                    self.input_shape = _batch_shape([None] + dims, name, "shape")
            return
        if not self.layers and (self.input_shape is None or not self.saw_input_layer):
            shape = _get(config, "batch_input_shape", _MISSING)
            if shape is _MISSING:
                shape = _get(config, "batch_shape", _MISSING)
            if shape is not _MISSING:
                self.input_shape = _batch_shape(shape, name, "batch_input_shape")
        layer: Dict[str, Any] = {"name": name, "class_name": class_name,
                                 "trainable": _flag(config, "trainable", name)}
        if class_name == "Flatten":
            data_format = _string(config, "data_format")
            if data_format is not None and data_format != "channels_last":
                raise _invalid_field(name, "data_format", '"channels_last"', f'"{data_format}"')
        elif class_name == "Dense":
            units_value = _get(config, "units", _MISSING)
            if units_value is _MISSING:
                raise _missing_field(name, "units")
            units = as_int(units_value)
            if units is None or units <= 0:
                raise _invalid_field(name, "units", "a positive integer", compact(units_value))
            act = _get(config, "activation")
            layer.update(units=units, activation="linear" if act is None else _activation(act, name),
                         use_bias=_flag(config, "use_bias", name),
                         kernel_initializer=_get(config, "kernel_initializer"),
                         bias_initializer=_get(config, "bias_initializer"))
        elif class_name == "Activation":
            act = _get(config, "activation", _MISSING)
            if act is _MISSING:
                raise _missing_field(name, "activation")
            layer["activation"] = _activation(act, name)
        elif class_name == "Dropout":
            rate = as_number(_get(config, "rate"))
            if rate is None:
                raise _missing_field(name, "rate")
            noise_shape = _get(config, "noise_shape")
            if noise_shape is not None:
                raise _invalid_field(name, "noise_shape", "null", compact(noise_shape))
            layer["rate"] = rate
        else:
            canonical = CLASS_ALIASES.get(class_name, class_name)
            if canonical not in SUPPORTED_CLASSES:
                raise _unsupported_layer(name, class_name)
            layer["class_name"] = canonical
            layer.update(_extended_layer(canonical, config, name))
        self.layers.append(layer)

    def finish(self) -> Architecture:
        if self.input_shape is None:
            raise ConfigError("the config does not give an input shape (expected an InputLayer with batch_shape, "
                              "a first layer with batch_input_shape, or build_input_shape)")
        if not self.layers:
            raise ConfigError("the model has no layers after its input")
        return _validated(self.name, self.input_shape, self.input_name, self.layers, self.dtype or "float32")


def _product(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


_LAYER_FIELDS = ("activation", "units", "use_bias", "rate", "filters", "kernel_size", "strides", "padding",
                 "dilation_rate", "pool_size", "keepdims", "momentum", "epsilon", "center", "scale", "max_value",
                 "negative_slope", "threshold", "alpha", "shared_axes", "kernel_initializer", "bias_initializer",
                 "gamma_initializer", "beta_initializer", "moving_mean_initializer", "moving_variance_initializer",
                 "alpha_initializer")


def _check_last_axis(value: Any, layer: str, rank: int) -> None:
    """Accepts an ``axis`` that names the last axis of a sample of rank ``rank``: absent or null, ``-1``,
    ``[-1]``, or the last axis counted with the batch axis (``rank``, as tf_keras writes it once built)."""
    if value is None:
        return
    axis = as_int(value)
    if axis is None and isinstance(value, list) and len(value) == 1:
        axis = as_int(value[0])
    if axis is not None and axis in (-1, rank):
        return
    raise _invalid_field(layer, "axis", f"the last axis (-1 or {rank})", compact(value))


def _resolve_target(target: Tuple[int, ...], elements: int, layer: str) -> Tuple[int, ...]:
    """The concrete shape a Reshape ``target_shape`` gives ``elements`` values (one -1 is inferred)."""
    def refuse(detail: str = "") -> ConfigError:
        return _invalid_field(layer, "target_shape", f"1 to {MAXIMUM_RANK} positive dimensions (one may be -1) "
                                                     f"holding {elements} values", f"{list(target)}{detail}")
    if not 1 <= len(target) <= MAXIMUM_RANK or not all(d > 0 or d == -1 for d in target):
        raise refuse()
    if target.count(-1) > 1:
        raise refuse(" (more than one -1)")
    known = _product(d for d in target if d > 0)
    if -1 in target:
        if elements % known:
            raise refuse(f" ({elements} values are not a multiple of {known})")
        return tuple(elements // known if d == -1 else d for d in target)
    if known != elements:
        raise refuse(f" ({known} values)")
    return tuple(target)


def _image_input(shape: Tuple[int, ...], layer: str, kind: str) -> None:
    if len(shape) != 3:
        raise _invalid_field(layer, "input_shape", f"a (height, width, channels) input for {kind}", str(list(shape)))


def _output_shape(r: Dict[str, Any], shape: Tuple[int, ...]) -> Tuple[Tuple[int, ...], List[Tuple[str, Tuple[int, ...], bool]]]:
    """One layer's output shape for an input sample of shape ``shape``, after checking its options
    against it, and its weights in Keras's order: (role, shape, whether training may update it)."""
    lname, kind = r["name"], r["class_name"]
    channels = shape[-1]
    if kind == "Flatten":
        return (_product(shape),), []
    if kind == "Dense":
        units = r["units"]
        if units > MAXIMUM_ELEMENTS:
            raise _invalid_field(lname, "units", "a positive integer", str(units))
        if channels * units > MAXIMUM_ELEMENTS or _product(shape[:-1]) * units > MAXIMUM_ELEMENTS:
            raise _invalid_field(lname, "units", "a size that fits in memory", str(units))
        weights = [("kernel", (channels, units), True)]
        if r["use_bias"]:
            weights.append(("bias", (units,), True))
        return shape[:-1] + (units,), weights
    if kind == "Dropout":
        if not 0 <= r["rate"] < 1:
            raise _invalid_field(lname, "rate", "a number in [0, 1)", repr(r["rate"]))
        return shape, []
    if kind == "Conv2D":
        _image_input(shape, lname, kind)
        kernel, strides, dilation = r["kernel_size"], r["strides"], r["dilation_rate"]
        if strides != (1, 1) and dilation != (1, 1):
            raise _invalid_field(lname, "strides", "[1, 1] when dilation_rate is not [1, 1] (as Keras requires)",
                                 str(list(strides)))
        filters = r["filters"]
        if not 1 <= filters <= MAXIMUM_FILTERS:
            raise _invalid_field(lname, "filters", f"an integer in 1...{MAXIMUM_FILTERS}", str(filters))
        axes = [window_output(shape[i], (kernel[i] - 1) * dilation[i] + 1, strides[i], r["padding"]) for i in (0, 1)]
        if None in axes:
            raise _invalid_field(lname, "kernel_size", f"a window that fits the input {list(shape)} with padding "
                                                       f"'{r['padding']}'",
                                 f"{list(kernel)} with dilation {list(dilation)}")
        height, width = axes[0][0], axes[1][0]
        fan_in = kernel[0] * kernel[1] * channels
        if (fan_in > MAXIMUM_CONVOLUTION_FAN_IN or fan_in * filters > MAXIMUM_ELEMENTS
                or height * width * filters > MAXIMUM_ELEMENTS or height * width * fan_in > MAXIMUM_ELEMENTS):
            raise _invalid_field(lname, "filters", "a layer whose kernel, output and lowered input fit in memory",
                                 f"{list(kernel)} × {channels} channels × {filters} filters on {list(shape)}")
        weights = [("kernel", (kernel[0], kernel[1], channels, filters), True)]
        if r["use_bias"]:
            weights.append(("bias", (filters,), True))
        return (height, width, filters), weights
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        _image_input(shape, lname, kind)
        size, strides = r["pool_size"], r["strides"]
        axes = [window_output(shape[i], size[i], strides[i], r["padding"]) for i in (0, 1)]
        if None in axes:
            raise _invalid_field(lname, "pool_size", f"a window that fits the input {list(shape)} with padding "
                                                     f"'{r['padding']}'", str(list(size)))
        return (axes[0][0], axes[1][0], channels), []
    if kind in ("GlobalMaxPooling2D", "GlobalAveragePooling2D"):
        _image_input(shape, lname, kind)
        return ((1, 1, channels) if r["keepdims"] else (channels,)), []
    if kind == "Reshape":
        return _resolve_target(r["target_shape"], _product(shape), lname), []
    if kind == "BatchNormalization":
        _check_last_axis(r["axis"], lname, len(shape))
        weights = [("gamma", (channels,), True)] if r["scale"] else []
        if r["center"]:
            weights.append(("beta", (channels,), True))
        return shape, weights + [("moving_mean", (channels,), False), ("moving_variance", (channels,), False)]
    if kind == "LayerNormalization":
        _check_last_axis(r["axis"], lname, len(shape))
        weights = [("gamma", (channels,), True)] if r["scale"] else []
        if r["center"]:
            weights.append(("beta", (channels,), True))
        return shape, weights
    if kind == "Softmax":
        _check_last_axis(r["axis"], lname, len(shape))
        return shape, []
    if kind == "PReLU":
        shared = r["shared_axes"]
        if not all(1 <= a <= len(shape) for a in shared) or len(set(shared)) != len(shared):
            raise _invalid_field(lname, "shared_axes", f"distinct axes in 1...{len(shape)} (1 is the first axis "
                                                       "after the batch axis)", str(list(shared)))
        return shape, [("alpha", tuple(1 if i + 1 in shared else d for i, d in enumerate(shape)), True)]
    # Activation, ReLU, LeakyReLU, ELU: elementwise.
    return shape, []


_SIZE_FIELDS = {"Dense": "units", "Conv2D": "filters", "PReLU": "shared_axes"}


def _validated(name: str, input_shape: Tuple[int, ...], input_name: str, raw: List[Dict[str, Any]],
               source_dtype: str) -> Architecture:
    """Checks names, sizes and shapes (as nnmodel does) and computes every layer's shapes and weights."""
    if len(raw) > MAXIMUM_LAYERS:
        raise ConfigError(f"the model has {len(raw)} layers, more than the limit of {MAXIMUM_LAYERS}")
    if not 1 <= len(input_shape) <= MAXIMUM_RANK:
        raise ConfigError(f"invalid input shape {list(input_shape)}: rank must be 1 to {MAXIMUM_RANK}")
    if not all(d > 0 for d in input_shape) or _product(input_shape) > MAXIMUM_ELEMENTS:
        raise ConfigError(f"invalid input shape {list(input_shape)}: every dimension must be positive and the size reasonable")
    seen = {input_name}
    shape = tuple(input_shape)
    parameters = 0
    layers: List[Layer] = []
    specs: List[WeightSpec] = []
    for index, r in enumerate(raw):
        lname = r["name"]
        if not lname:
            raise _invalid_field("(unnamed)", "name", "a non-empty name", '""')
        if lname in seen:
            raise ConfigError(f"two layers are named '{_q(lname)}'")
        seen.add(lname)
        in_shape = shape
        shape, roles = _output_shape(r, in_shape)
        params = sum(_product(s) for _, s, _ in roles)
        parameters += params
        if parameters > MAXIMUM_PARAMETERS:
            size_field = _SIZE_FIELDS.get(r["class_name"], "units")
            found = str(r["units"]) if r["class_name"] == "Dense" else str(parameters)
            raise _invalid_field(lname, size_field, f"a model of at most {MAXIMUM_PARAMETERS} weights in all", found)
        layer_specs = [WeightSpec(f"{lname}/{role}", s, trainable and r["trainable"], index) for role, s, trainable in roles]
        specs.extend(layer_specs)
        options = {k: r[k] for k in _LAYER_FIELDS if k in r}
        layers.append(Layer(
            name=lname, class_name=r["class_name"], input_shape=in_shape, output_shape=shape,
            target_shape=r.get("target_shape"), trainable=r["trainable"], weights=tuple(s.name for s in layer_specs),
            params=params, trainable_params=sum(_product(s.shape) for s in layer_specs if s.trainable), **options))
    return Architecture(name=name, input_shape=tuple(input_shape), input_name=input_name, layers=tuple(layers),
                        source_dtype=source_dtype, weight_specs=tuple(specs))


def parse(config: Any) -> Architecture:
    """Reads a Keras model config (``{"class_name": ..., "config": ...}``); raises ``ConfigError``."""
    class_name = _string(config, "class_name")
    if class_name is None or "config" not in config:
        found = f"an object with keys {list(config)}" if isinstance(config, dict) else kind_name(config)
        raise ConfigError(f'expected a Keras model config (an object with "class_name" and "config"), found {_q(found)}')
    inner = config["config"]
    _check_built_in(config, _string(inner, "name") or "model", class_name)
    if class_name == "Sequential":
        return _sequential(inner, _get(_get(config, "build_config"), "input_shape"))
    if class_name in ("Functional", "Model"):
        return _functional_chain(inner)
    raise ConfigError(f"unsupported model class '{_q(class_name)}'; supported: Sequential, "
                      "and Functional models that are a plain chain")


def _layer_list(config: Any, model_name: str) -> list:
    layers = _get(config, "layers")
    if not isinstance(layers, list):
        raise _missing_field(model_name, "layers")
    return layers


def _check_count(layers: list) -> None:
    if len(layers) > MAXIMUM_LAYERS + 1:
        raise ConfigError(f"the model has {len(layers)} layers, more than the limit of {MAXIMUM_LAYERS}")


def _sequential(config: Any, build_input_shape: Any) -> Architecture:
    # Keras 2.0-2.2 wrote the layer list directly as the config.
    layers = config if isinstance(config, list) else _layer_list(config, _string(config, "name") or "sequential")
    _check_count(layers)
    builder = _Builder(_string(config, "name") or "sequential")
    shape = _get(config, "build_input_shape", _MISSING)
    if shape is _MISSING:
        shape = build_input_shape
    if shape is not None:
        builder.input_shape = _batch_shape(shape, builder.name, "build_input_shape")
    for entry in layers:
        builder.add(entry)
    return builder.finish()


def _functional_chain(config: Any) -> Architecture:
    model_name = _string(config, "name") or "model"
    layers = _layer_list(config, model_name)
    _check_count(layers)
    builder = _Builder(model_name)
    previous: Optional[str] = None
    for entry in layers:
        layer_name = _string(entry, "name") or _string(_get(entry, "config"), "name") or "?"
        inbound = _inbound_layer_names(_get(entry, "inbound_nodes"), layer_name)
        if previous is not None:
            if len(inbound) != 1:
                reason = ("it has no input (a second model input?)" if not inbound else
                          f"it is called {len(inbound)} times or takes {len(inbound)} inputs ({', '.join(inbound)})")
                raise _not_a_chain(layer_name, reason)
            if inbound[0] != previous:
                raise _not_a_chain(layer_name, f"its input is '{inbound[0]}', not the preceding layer '{previous}'")
        elif inbound:
            raise _not_a_chain(layer_name, "the first layer must be the model input")
        builder.add(entry)
        previous = layer_name
    for field_name, expected in (("input_layers", builder.input_name), ("output_layers", previous or "")):
        value = _get(config, field_name, _MISSING)
        if value is _MISSING:
            continue
        names = _endpoint_names(value)
        if names != [expected]:
            raise _not_a_chain(names[0] if names else "?", f'{field_name} is {names}, expected ["{expected}"]')
    return builder.finish()


def _endpoint_names(value: Any) -> List[str]:
    """Layer names of ``input_layers``/``output_layers``: ``[["name", 0, 0]]`` or ``["name", 0, 0]``."""
    if not isinstance(value, list):
        return []
    if len(value) == 3 and isinstance(value[0], str):
        return [value[0]]
    return [v[0] for v in value if isinstance(v, list) and v and isinstance(v[0], str)]


def _inbound_layer_names(nodes: Any, layer: str) -> List[str]:
    """The names of the layers feeding a functional layer, in Keras 2 and Keras 3 forms."""
    if nodes is None:
        return []
    if not isinstance(nodes, list):
        raise _invalid_field(layer, "inbound_nodes", "an array", kind_name(nodes))
    names: List[str] = []

    def collect(value: Any, depth: int) -> None:
        if depth >= 16:
            return
        history = _get(_get(value, "config"), "keras_history")
        if isinstance(history, list) and history and isinstance(history[0], str):
            names.append(history[0])  # Keras 3 __keras_tensor__
            return
        if isinstance(value, list):
            if len(value) >= 3 and isinstance(value[0], str) and as_int(value[1]) is not None:
                names.append(value[0])  # Keras 2 [name, node, tensor, kwargs]
                return
            for element in value:
                collect(element, depth + 1)
        elif isinstance(value, dict) and "args" in value:
            collect(value["args"], depth + 1)

    for node in nodes:
        collect(node, 0)
    return names


# MARK: writing

_INITIALIZER_CLASSES = {
    "glorot_uniform": "GlorotUniform", "glorot_normal": "GlorotNormal", "he_uniform": "HeUniform",
    "he_normal": "HeNormal", "lecun_uniform": "LecunUniform", "lecun_normal": "LecunNormal",
    "zeros": "Zeros", "ones": "Ones", "constant": "Constant", "random_normal": "RandomNormal",
    "random_uniform": "RandomUniform", "truncated_normal": "TruncatedNormal",
}
_SEEDED = {"GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal"}


def _initializer_json(value: Any, default: str) -> Any:
    """An initializer in the ``{"class_name", "config"}`` form (the source's, or Keras's default)."""
    if isinstance(value, dict) and isinstance(value.get("class_name"), str):
        return value
    name = value if isinstance(value, str) else default
    class_name = _INITIALIZER_CLASSES.get(name, name)
    if class_name in _SEEDED:
        return {"class_name": class_name, "config": {"seed": None}}
    defaults = {"Constant": {"value": 0}, "RandomNormal": {"mean": 0, "stddev": 0.05, "seed": None},
                "RandomUniform": {"minval": -0.05, "maxval": 0.05, "seed": None},
                "TruncatedNormal": {"mean": 0, "stddev": 0.05, "seed": None}}
    return {"class_name": class_name, "config": defaults.get(class_name, {})}


def to_keras2_config(arch: Architecture) -> Dict[str, Any]:
    """The Keras 2-style Sequential config of ``arch``, as nnmodel writes it."""
    dtype = arch.source_dtype
    layers: List[Dict[str, Any]] = [{"class_name": "InputLayer", "config": {
        "batch_input_shape": [None] + list(arch.input_shape), "dtype": dtype, "sparse": False, "ragged": False,
        "name": arch.input_name}}]
    for layer in arch.layers:
        config: Dict[str, Any] = {"name": layer.name, "trainable": layer.trainable, "dtype": dtype}
        if layer.class_name == "Flatten":
            config["data_format"] = "channels_last"
        elif layer.class_name == "Dense":
            config.update({
                "units": layer.units, "activation": layer.activation, "use_bias": layer.use_bias,
                "kernel_initializer": _initializer_json(layer.kernel_initializer, "GlorotUniform"),
                "bias_initializer": _initializer_json(layer.bias_initializer, "Zeros"),
            })
            config.update({k: None for k in TRAINING_ONLY_OPTIONS})
        elif layer.class_name == "Activation":
            config["activation"] = layer.activation
        elif layer.class_name == "Dropout":
            config.update({"rate": layer.rate, "noise_shape": None, "seed": None})
        else:
            config.update(_extended_config(layer))
        layers.append({"class_name": layer.class_name, "config": config})
    return {"class_name": "Sequential", "config": {"name": arch.name, "layers": layers}}


def _extended_config(layer: Layer) -> Dict[str, Any]:
    """The Keras 2-style config members of a layer beyond Flatten, Dense, Activation and Dropout,
    in nnmodel's order (``KerasConfig.extendedConfig``)."""
    kind = layer.class_name
    if kind == "Conv2D":
        config = {"filters": layer.filters, "kernel_size": list(layer.kernel_size), "strides": list(layer.strides),
                  "padding": layer.padding, "data_format": "channels_last", "dilation_rate": list(layer.dilation_rate),
                  "groups": 1, "activation": layer.activation, "use_bias": layer.use_bias,
                  "kernel_initializer": _initializer_json(layer.kernel_initializer, "GlorotUniform"),
                  "bias_initializer": _initializer_json(layer.bias_initializer, "Zeros")}
        config.update({k: None for k in TRAINING_ONLY_OPTIONS})
        return config
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return {"pool_size": list(layer.pool_size), "padding": layer.padding, "strides": list(layer.strides),
                "data_format": "channels_last"}
    if kind in ("GlobalMaxPooling2D", "GlobalAveragePooling2D"):
        return {"data_format": "channels_last", "keepdims": layer.keepdims}
    if kind == "Reshape":
        return {"target_shape": list(layer.target_shape)}
    normalization_options = {"beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
                             "gamma_constraint": None}
    if kind == "BatchNormalization":
        config = {"axis": -1, "momentum": layer.momentum, "epsilon": layer.epsilon, "center": layer.center,
                  "scale": layer.scale, "beta_initializer": _initializer_json(layer.beta_initializer, "Zeros"),
                  "gamma_initializer": _initializer_json(layer.gamma_initializer, "Ones"),
                  "moving_mean_initializer": _initializer_json(layer.moving_mean_initializer, "Zeros"),
                  "moving_variance_initializer": _initializer_json(layer.moving_variance_initializer, "Ones")}
        config.update(normalization_options)
        return config
    if kind == "LayerNormalization":
        config = {"axis": -1, "epsilon": layer.epsilon, "center": layer.center, "scale": layer.scale,
                  "beta_initializer": _initializer_json(layer.beta_initializer, "Zeros"),
                  "gamma_initializer": _initializer_json(layer.gamma_initializer, "Ones")}
        config.update(normalization_options)
        return config
    if kind == "ReLU":
        return {"max_value": layer.max_value, "negative_slope": layer.negative_slope, "threshold": layer.threshold}
    if kind == "LeakyReLU":
        return {"alpha": layer.negative_slope}  # tf_keras's name; Keras 3 reads it too
    if kind == "ELU":
        return {"alpha": layer.alpha}
    if kind == "Softmax":
        return {"axis": -1}
    if kind == "PReLU":
        return {"alpha_initializer": _initializer_json(layer.alpha_initializer, "Zeros"), "alpha_regularizer": None,
                "alpha_constraint": None, "shared_axes": list(layer.shared_axes) if layer.shared_axes else None}
    raise ValueError(f"layer '{layer.name}' has class '{kind}', which cannot be written")
