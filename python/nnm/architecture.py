"""Keras model configs: the subset ``.nnm`` supports (``Spec/FORMAT.md`` section 3.1).

Reading accepts what Keras 2 (tf_keras) and Keras 3 write: ``Sequential`` configs (with an
``InputLayer``, a ``batch_input_shape`` on the first layer, or ``build_input_shape``) and
``Functional``/``Model`` configs whose layers form a single chain, with the layer classes
``InputLayer``, ``Flatten``, ``Dense``, ``Activation`` and ``Dropout``. Nothing named in a config
is looked up outside these lists, and nothing is executed. The rules are nnmodel's
(``Sources/NNSchema/KerasConfig.swift``), so a config means the same model to both.

Writing produces the Keras 2 style nnmodel writes (``batch_input_shape``, string dtypes,
``{"class_name", "config"}`` initializers), which Keras 3 and tf_keras both load.
"""
from __future__ import annotations

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
SUPPORTED_CLASSES = ["InputLayer", "Flatten", "Dense", "Activation", "Dropout"]
TRAINING_ONLY_OPTIONS = ["kernel_regularizer", "bias_regularizer", "activity_regularizer",
                         "kernel_constraint", "bias_constraint"]
_MISSING = object()


@dataclass(frozen=True)
class Layer:
    """One layer after the input, as the model computes it.

    ``class_name`` is ``"Flatten"``, ``"Dense"``, ``"Activation"`` or ``"Dropout"``;
    ``activation`` is the canonical Keras name (Dense and Activation layers); ``units`` and
    ``use_bias`` describe a Dense layer, ``rate`` a Dropout layer (the identity at inference).
    Shapes are per sample, without the batch axis. ``weights`` names the layer's weight tensors
    (``"<name>/kernel"``, ``"<name>/bias"``) and ``params`` counts their values.
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
    kernel_initializer: Any = field(default=None, repr=False, compare=False, hash=False)
    bias_initializer: Any = field(default=None, repr=False, compare=False, hash=False)


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


def _default_name(class_name: str, ordinal: int) -> str:
    snake = ""
    for i, c in enumerate(class_name[:64]):
        if c.isupper() and i > 0:
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
        trainable = _get(config, "trainable")
        layer: Dict[str, Any] = {"name": name, "class_name": class_name,
                                 "trainable": trainable if isinstance(trainable, bool) else True}
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
            use_bias = _get(config, "use_bias")
            layer.update(units=units, activation="linear" if act is None else _activation(act, name),
                         use_bias=use_bias if isinstance(use_bias, bool) else True,
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
            raise _unsupported_layer(name, class_name)
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
        kind = r["class_name"]
        weights: Tuple[str, ...] = ()
        params = 0
        if kind == "Flatten":
            shape = (_product(shape),)
        elif kind == "Dense":
            units = r["units"]
            if units > MAXIMUM_ELEMENTS:
                raise _invalid_field(lname, "units", "a positive integer", str(units))
            kernel = shape[-1] * units
            out = _product(shape[:-1]) * units
            if kernel > MAXIMUM_ELEMENTS or out > MAXIMUM_ELEMENTS:
                raise _invalid_field(lname, "units", "a size that fits in memory", str(units))
            params = kernel + (units if r["use_bias"] else 0)
            parameters += params
            if parameters > MAXIMUM_PARAMETERS:
                raise _invalid_field(lname, "units", f"a model of at most {MAXIMUM_PARAMETERS} weights in all", str(units))
            specs.append(WeightSpec(f"{lname}/kernel", (shape[-1], units), r["trainable"], index))
            weights = (f"{lname}/kernel",)
            if r["use_bias"]:
                specs.append(WeightSpec(f"{lname}/bias", (units,), r["trainable"], index))
                weights += (f"{lname}/bias",)
            shape = shape[:-1] + (units,)
        elif kind == "Dropout":
            rate = r["rate"]
            if not 0 <= rate < 1:
                raise _invalid_field(lname, "rate", "a number in [0, 1)", repr(rate))
        layers.append(Layer(
            name=lname, class_name=kind, input_shape=in_shape, output_shape=shape, activation=r.get("activation"),
            units=r.get("units"), use_bias=r.get("use_bias"), rate=r.get("rate"), trainable=r["trainable"],
            weights=weights, params=params, kernel_initializer=r.get("kernel_initializer"),
            bias_initializer=r.get("bias_initializer")))
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
        layers.append({"class_name": layer.class_name, "config": config})
    return {"class_name": "Sequential", "config": {"name": arch.name, "layers": layers}}
