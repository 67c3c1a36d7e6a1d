"""The layers beyond Dense: Conv2D, pooling, Reshape, normalization and the activation layers.

Configs are read in the Keras 2 form nnmodel writes and in the Keras 3 form (``module``,
``registered_name``, DTypePolicy objects, Sequential and Functional); forward passes are compared
with straightforward loop implementations written here from Keras's definitions, in float64.
"""
import copy
import math

import numpy as np
import pytest

import nnm
from nnm import architecture
from nnm_testing import keras3, model_config, random_weights

FORMS = ["keras2", "keras3", "keras3-functional"]


def in_form(config, form):
    if form == "keras2":
        return config
    return keras3(config, functional=form == "keras3-functional")


def parse_one(input_shape, class_name, config, form="keras2"):
    return architecture.parse(in_form(model_config(input_shape, [(class_name, config)]), form))


# MARK: reading

# input shape, class, config, output shape, weights [(role, shape, trainable)], Layer attributes
PARSED = [
    ((5, 4, 2), "Conv2D", {"filters": 3, "kernel_size": [3, 2], "strides": 2, "padding": "same", "activation": "relu",
                           "use_bias": True},
     (3, 2, 3), [("kernel", (3, 2, 2, 3), True), ("bias", (3,), True)],
     {"class_name": "Conv2D", "filters": 3, "kernel_size": (3, 2), "strides": (2, 2), "padding": "same",
      "dilation_rate": (1, 1), "activation": "relu", "use_bias": True}),
    ((6, 6, 1), "Convolution2D", {"filters": 4, "kernel_size": 3, "padding": "VALID", "use_bias": False,
                                  "data_format": "channels_last", "groups": 1},
     (4, 4, 4), [("kernel", (3, 3, 1, 4), True)],
     {"class_name": "Conv2D", "padding": "valid", "use_bias": False, "activation": "linear"}),
    ((5, 4, 2), "Conv2D", {"filters": 2, "kernel_size": [2, 2], "dilation_rate": 2, "data_format": None},
     (3, 2, 2), [("kernel", (2, 2, 2, 2), True), ("bias", (2,), True)], {"dilation_rate": (2, 2)}),
    ((5, 4, 2), "Conv2D", {"filters": 1, "kernel_size": [4, 3], "strides": [1, 2], "padding": "same"},
     (5, 2, 1), [("kernel", (4, 3, 2, 1), True), ("bias", (1,), True)], {"strides": (1, 2)}),
    ((5, 4, 2), "MaxPooling2D", {}, (2, 2, 2), [], {"pool_size": (2, 2), "strides": (2, 2), "padding": "valid"}),
    ((5, 4, 2), "MaxPool2D", {"pool_size": 2, "strides": None, "padding": "same"}, (3, 2, 2), [],
     {"class_name": "MaxPooling2D"}),
    ((5, 4, 2), "AveragePooling2D", {"pool_size": [3, 2], "strides": [1, 2], "padding": "Same"}, (5, 2, 2), [],
     {"pool_size": (3, 2), "strides": (1, 2), "padding": "same"}),
    ((5, 4, 2), "AvgPool2D", {"pool_size": 3, "strides": 1}, (3, 2, 2), [], {"class_name": "AveragePooling2D"}),
    ((5, 4, 2), "GlobalAveragePooling2D", {"keepdims": True}, (1, 1, 2), [], {"keepdims": True}),
    ((5, 4, 2), "GlobalAvgPool2D", {}, (2,), [], {"class_name": "GlobalAveragePooling2D", "keepdims": False}),
    ((5, 4, 2), "GlobalMaxPooling2D", {"keepdims": False, "data_format": "channels_last"}, (2,), [], {}),
    ((5, 4, 2), "GlobalMaxPool2D", {"keepdims": None}, (2,), [], {"class_name": "GlobalMaxPooling2D"}),
    ((5, 4, 2), "Reshape", {"target_shape": [-1, 4]}, (10, 4), [], {"target_shape": (-1, 4)}),
    ((12,), "Reshape", {"target_shape": [3, 2, 2]}, (3, 2, 2), [], {}),
    ((5, 4, 2), "BatchNormalization", {"axis": 3, "momentum": 0.9, "epsilon": 0.01},
     (5, 4, 2), [("gamma", (2,), True), ("beta", (2,), True), ("moving_mean", (2,), False),
                 ("moving_variance", (2,), False)],
     {"momentum": 0.9, "epsilon": 0.01, "center": True, "scale": True}),
    ((6,), "BatchNormalization", {"axis": [1], "center": False, "scale": False, "renorm": False,
                                  "virtual_batch_size": None},
     (6,), [("moving_mean", (6,), False), ("moving_variance", (6,), False)],
     {"momentum": 0.99, "epsilon": 0.001, "center": False, "scale": False}),
    ((3, 4), "BatchNormalization", {"axis": -1, "scale": False, "gamma_regularizer": {"class_name": "L2"},
                                    "beta_constraint": None},
     (3, 4), [("beta", (4,), True), ("moving_mean", (4,), False), ("moving_variance", (4,), False)], {}),
    ((3, 4), "LayerNormalization", {"axis": [-1], "epsilon": 1e-5},
     (3, 4), [("gamma", (4,), True), ("beta", (4,), True)], {"epsilon": 1e-5}),
    ((5, 4, 2), "LayerNormalization", {"axis": [3], "center": False}, (5, 4, 2), [("gamma", (2,), True)], {}),
    ((5,), "ReLU", {"max_value": 6, "negative_slope": 0.1, "threshold": 0.5}, (5,), [],
     {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5}),
    ((5,), "ReLU", {}, (5,), [], {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}),
    ((5,), "LeakyReLU", {"alpha": 0.1}, (5,), [], {"negative_slope": 0.1}),
    ((5,), "LeakyReLU", {}, (5,), [], {"negative_slope": 0.3}),
    ((5,), "ELU", {"alpha": 0.5}, (5,), [], {"alpha": 0.5}),
    ((5,), "ELU", {}, (5,), [], {"alpha": 1.0}),
    ((5, 4, 2), "Softmax", {"axis": -1}, (5, 4, 2), [], {"activation": "softmax"}),
    ((5, 4, 2), "Softmax", {"axis": [3]}, (5, 4, 2), [], {}),
    ((5, 4, 2), "PReLU", {"shared_axes": [1, 2], "alpha_regularizer": None, "alpha_constraint": None},
     (5, 4, 2), [("alpha", (1, 1, 2), True)], {"shared_axes": (1, 2)}),
    ((5, 4, 2), "PReLU", {"shared_axes": 3}, (5, 4, 2), [("alpha", (5, 4, 1), True)], {"shared_axes": (3,)}),
    ((7,), "PReLU", {"shared_axes": None}, (7,), [("alpha", (7,), True)], {"shared_axes": ()}),
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("input_shape, class_name, config, output_shape, weights, attributes", PARSED,
                         ids=[f"{case[1]}-{i}" for i, case in enumerate(PARSED)])
def test_layer_is_read(form, input_shape, class_name, config, output_shape, weights, attributes):
    arch = parse_one(input_shape, class_name, config, form)
    layer = arch.layers[0]
    assert layer.input_shape == input_shape
    assert layer.output_shape == output_shape == arch.output_shape
    assert [(s.name, s.shape, s.trainable) for s in arch.weight_specs] == [
        (f"layer_0/{role}", shape, trainable) for role, shape, trainable in weights]
    assert layer.weights == tuple(f"layer_0/{role}" for role, _, _ in weights)
    assert layer.params == sum(math.prod(shape) for _, shape, _ in weights)
    assert layer.trainable_params == sum(math.prod(shape) for _, shape, trainable in weights if trainable)
    expected = dict({"class_name": class_name}, **attributes)
    for key, value in expected.items():
        assert getattr(layer, key) == value, key


def test_keras3_leaky_relu_reads_negative_slope():
    config = keras3(model_config([5], [("LeakyReLU", {"alpha": 0.125})]))
    assert config["config"]["layers"][1]["config"] == {
        "name": "layer_0", "trainable": True, "dtype": config["config"]["dtype"], "negative_slope": 0.125}
    assert architecture.parse(config).layers[0].negative_slope == 0.125


def test_frozen_layer_weights_are_not_trainable():
    config = model_config([4, 4, 3], [("Conv2D", {"filters": 2, "kernel_size": 3, "trainable": False}),
                                      ("BatchNormalization", {}), ("Flatten", {}), ("PReLU", {})])
    specs = {s.name: s.trainable for s in architecture.parse(config).weight_specs}
    assert specs == {"layer_0/kernel": False, "layer_0/bias": False, "layer_1/gamma": True, "layer_1/beta": True,
                     "layer_1/moving_mean": False, "layer_1/moving_variance": False, "layer_3/alpha": True}


def refused(input_shape, layers, form, *fragments):
    config = in_form(model_config(input_shape, layers), form)
    with pytest.raises(nnm.ConfigError) as caught:
        architecture.parse(config)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


CONV = {"filters": 2, "kernel_size": 3}
# input shape, layers, fragments of the message (the layer, the field, what was expected, what was found)
REFUSALS = [
    ((2, 5, 1), [("Conv2D", CONV)], ["layer 'layer_0'", "field 'kernel_size'",
                                      "a window that fits the input [2, 5, 1] with padding 'valid'",
                                      "found [3, 3] with dilation [1, 1]"]),
    ((5, 5, 1), [("Conv2D", dict(CONV, kernel_size=2, dilation_rate=[5, 1]))],
     ["field 'kernel_size'", "found [2, 2] with dilation [5, 1]"]),
    ((5, 5, 1), [("Conv2D", dict(CONV, strides=0))], ["field 'strides'", "an integer or two integers in 1...1024",
                                                      "found 0"]),
    ((5, 5, 1), [("Conv2D", dict(CONV, strides=[1, -2]))], ["field 'strides'", "found [1, -2]"]),
    ((5, 5, 1), [("MaxPooling2D", {"strides": [0, 1]})], ["field 'strides'", "found [0, 1]"]),
    ((5, 5, 1), [("Conv2D", dict(CONV, kernel_size=[3]))], ["field 'kernel_size'", "found [3]"]),
    ((5, 5, 1), [("Conv2D", dict(CONV, kernel_size=2000))], ["field 'kernel_size'", "found 2000"]),
    ((5, 5, 1), [("Conv2D", dict(CONV, padding="full"))], ["field 'padding'", 'should be "valid" or "same"',
                                                           'found "full"']),
    ((5, 5, 1), [("AveragePooling2D", {"padding": "causal"})], ["field 'padding'", 'found "causal"']),
    ((5, 5, 1), [("Conv2D", dict(CONV, padding=1))], ["field 'padding'", "found 1"]),
    ((5, 5, 1), [("Conv2D", dict(CONV, data_format="channels_first"))],
     ["field 'data_format'", 'should be "channels_last"', 'found "channels_first"']),
    ((5, 5, 1), [("MaxPooling2D", {"data_format": "channels_first"})], ["field 'data_format'"]),
    ((5, 5, 1), [("GlobalAveragePooling2D", {"data_format": "channels_first"})], ["field 'data_format'"]),
    ((5, 5, 2), [("Conv2D", dict(CONV, groups=2))], ["field 'groups'", "should be 1", "found 2"]),
    ((5, 5, 1), [("Conv2D", dict(CONV, strides=2, dilation_rate=2))],
     ["field 'strides'", "[1, 1] when dilation_rate is not [1, 1]", "found [2, 2]"]),
    ((5, 5, 1), [("Conv2D", dict(CONV, filters=0))], ["field 'filters'", "found 0"]),
    ((5, 5, 1), [("Conv2D", dict(CONV, filters=-3))], ["field 'filters'", "found -3"]),
    ((5, 5, 1), [("Conv2D", dict(CONV, filters="8"))], ["field 'filters'", "a positive integer", 'found "8"']),
    ((5, 5, 1), [("Conv2D", {"kernel_size": 3})], ["layer 'layer_0': missing field 'filters'"]),
    ((5, 5, 1), [("Conv2D", {"filters": 3})], ["layer 'layer_0': missing field 'kernel_size'"]),
    ((5, 5, 1), [("Conv2D", dict(CONV, activation="sparsemax"))], ["unsupported activation 'sparsemax'"]),
    ((5, 5, 1), [("Conv2D", dict(CONV, use_bias="false"))], ["field 'use_bias'", "true or false", 'found "false"']),
    ((25,), [("Conv2D", CONV)], ["field 'input_shape'", "a (height, width, channels) input for Conv2D", "found [25]"]),
    ((5, 5), [("MaxPooling2D", {})], ["field 'input_shape'", "input for MaxPooling2D", "found [5, 5]"]),
    ((5, 5), [("GlobalMaxPooling2D", {})], ["field 'input_shape'", "found [5, 5]"]),
    ((3, 5, 1), [("MaxPooling2D", {"pool_size": 4})], ["field 'pool_size'",
                                                       "fits the input [3, 5, 1] with padding 'valid'", "found [4, 4]"]),
    ((5, 5, 1), [("GlobalAveragePooling2D", {"keepdims": "yes"})], ["field 'keepdims'", 'found "yes"']),
    ((5, 4, 2), [("Reshape", {"target_shape": [3, 10]})], ["field 'target_shape'", "holding 40 values",
                                                           "found [3, 10] (30 values)"]),
    ((5, 4, 2), [("Reshape", {"target_shape": [-1, -1]})], ["field 'target_shape'", "(one may be -1)",
                                                            "found [-1, -1] (more than one -1)"]),
    ((5, 4, 2), [("Reshape", {"target_shape": [-1, 3]})], ["found [-1, 3] (40 values are not a multiple of 3)"]),
    ((5, 4, 2), [("Reshape", {"target_shape": [0, -1]})], ["field 'target_shape'", "found [0, -1]"]),
    ((5, 4, 2), [("Reshape", {"target_shape": "40"})], ["field 'target_shape'", "a list of integers"]),
    ((5, 4, 2), [("Reshape", {})], ["missing field 'target_shape'"]),
    ((5, 4, 2), [("BatchNormalization", {"renorm": True})], ["field 'renorm'", "should be false", "found true"]),
    ((5, 4, 2), [("BatchNormalization", {"synchronized": True})], ["field 'synchronized'"]),
    ((5, 4, 2), [("BatchNormalization", {"virtual_batch_size": 8})], ["field 'virtual_batch_size'", "found 8"]),
    ((5, 4, 2), [("BatchNormalization", {"axis": 1})], ["field 'axis'", "the last axis (-1 or 3)", "found 1"]),
    ((5, 4, 2), [("BatchNormalization", {"axis": 4})], ["field 'axis'", "found 4"]),
    ((5, 4, 2), [("BatchNormalization", {"axis": [1, 2]})], ["field 'axis'", "found [1, 2]"]),
    ((6,), [("BatchNormalization", {"axis": 0})], ["the last axis (-1 or 1)", "found 0"]),
    ((6,), [("BatchNormalization", {"epsilon": 0})], ["field 'epsilon'", "above 0", "found 0"]),
    ((6,), [("BatchNormalization", {"momentum": 2})], ["field 'momentum'", "found 2"]),
    ((6,), [("BatchNormalization", {"center": 0})], ["field 'center'", "found 0"]),
    ((3, 4), [("LayerNormalization", {"axis": [1, 2]})], ["field 'axis'", "the last axis (-1 or 2)"]),
    ((3, 4), [("LayerNormalization", {"axis": 1})], ["field 'axis'", "found 1"]),
    ((3, 4), [("LayerNormalization", {"rms_scaling": True})], ["field 'rms_scaling'", "should be false"]),
    ((3, 4), [("LayerNormalization", {"epsilon": -1e-3})], ["field 'epsilon'"]),
    ((3, 4), [("Softmax", {"axis": 1})], ["field 'axis'", "the last axis (-1 or 2)", "found 1"]),
    ((5,), [("ReLU", {"max_value": -1})], ["field 'max_value'", "null or a number ≥ 0", "found -1"]),
    ((5,), [("ReLU", {"negative_slope": "0.1"})], ["field 'negative_slope'", 'found "0.1"']),
    ((5,), [("LeakyReLU", {"alpha": -0.5})], ["should be a number in 0...", "found -0.5"]),  # or negative_slope
    ((5,), [("ELU", {"alpha": "one"})], ["field 'alpha'"]),
    ((5, 4, 2), [("PReLU", {"shared_axes": [4]})], ["field 'shared_axes'", "distinct axes in 1...3", "found [4]"]),
    ((5, 4, 2), [("PReLU", {"shared_axes": [0]})], ["field 'shared_axes'", "found [0]"]),
    ((5, 4, 2), [("PReLU", {"shared_axes": -1})], ["field 'shared_axes'", "found [-1]"]),
    ((5, 4, 2), [("PReLU", {"shared_axes": [1, 1]})], ["field 'shared_axes'", "found [1, 1]"]),
    ((5, 4, 2), [("PReLU", {"shared_axes": "all"})], ["field 'shared_axes'", "null, an axis or a list of axes"]),
    ((5,), [("Dense", {"units": 2, "trainable": "no"})], ["field 'trainable'", 'found "no"']),
    ((5, 5, 1), [("Conv3D", CONV)], ["has unsupported class 'Conv3D'", "supported: InputLayer", "Conv2D", "PReLU"]),
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("input_shape, layers, fragments", REFUSALS,
                         ids=[f"{case[1][0][0]}-{i}" for i, case in enumerate(REFUSALS)])
def test_refusals_name_layer_field_expected_and_found(form, input_shape, layers, fragments):
    message = refused(input_shape, layers, form, *fragments)
    assert "\n" not in message


def test_layer_after_an_image_layer_checks_against_its_shape():
    # The second pooling sees the first's (2, 2, 1) output: a 3x3 window no longer fits.
    refused((5, 5, 1), [("MaxPooling2D", {}), ("MaxPooling2D", {"pool_size": 3})], "keras2",
            "layer 'layer_1'", "fits the input [2, 2, 1]")
    # After a Flatten the input of BatchNormalization has rank 1: axis 3 no longer names it.
    refused((5, 4, 2), [("Flatten", {}), ("BatchNormalization", {"axis": 3})], "keras2",
            "layer 'layer_1'", "the last axis (-1 or 1)")


def test_foreign_module_is_refused_for_new_classes():
    config = keras3(model_config([5, 5, 1], [("Conv2D", CONV)]))
    config["config"]["layers"][1]["module"] = "my_layers"
    with pytest.raises(nnm.ConfigError, match="unsupported class 'my_layers.Conv2D'"):
        architecture.parse(config)
    config = keras3(model_config([5, 5, 1], [("Conv2D", CONV)]))
    config["config"]["layers"][1]["registered_name"] = "Custom>Conv2D"
    with pytest.raises(nnm.ConfigError, match="unsupported class 'Custom>Conv2D'"):
        architecture.parse(config)


# MARK: references, with loops, in float64

def reference_axis(length, window, stride, dilation, padding):
    """Output length and padding before, from Keras's (TensorFlow's) definition."""
    effective = (window - 1) * dilation + 1
    if padding == "valid":
        return (length - effective) // stride + 1, 0
    out = -(-length // stride)
    return out, max(0, (out - 1) * stride + effective - length) // 2


def reference_conv2d(x, kernel, bias=None, strides=(1, 1), dilation=(1, 1), padding="valid"):
    x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    n, height, width, channels = x.shape
    kh, kw, _, filters = kernel.shape
    oh, top = reference_axis(height, kh, strides[0], dilation[0], padding)
    ow, left = reference_axis(width, kw, strides[1], dilation[1], padding)
    y = np.zeros((n, oh, ow, filters))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for f in range(filters):
                    total = 0.0 if bias is None else float(bias[f])
                    for a in range(kh):
                        for c in range(kw):
                            r = i * strides[0] + a * dilation[0] - top
                            q = j * strides[1] + c * dilation[1] - left
                            if 0 <= r < height and 0 <= q < width:  # outside: zero padding
                                for ch in range(channels):
                                    total += x[b, r, q, ch] * kernel[a, c, ch, f]
                    y[b, i, j, f] = total
    return y


def reference_pool(x, size, strides, padding, mode):
    """Max or average over the positions of each window inside the input (padding never counts)."""
    x = np.asarray(x, np.float64)
    n, height, width, channels = x.shape
    oh, top = reference_axis(height, size[0], strides[0], 1, padding)
    ow, left = reference_axis(width, size[1], strides[1], 1, padding)
    y = np.zeros((n, oh, ow, channels))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(channels):
                    values = []
                    for a in range(size[0]):
                        for c in range(size[1]):
                            r, q = i * strides[0] + a - top, j * strides[1] + c - left
                            if 0 <= r < height and 0 <= q < width:
                                values.append(x[b, r, q, ch])
                    y[b, i, j, ch] = max(values) if mode == "max" else sum(values) / len(values)
    return y


def reference_batch_norm(x, gamma, beta, mean, variance, epsilon):
    x = np.asarray(x, np.float64)
    y = np.empty_like(x)
    for index in np.ndindex(x.shape):
        c = index[-1]
        g = 1.0 if gamma is None else float(gamma[c])
        b = 0.0 if beta is None else float(beta[c])
        y[index] = g * (x[index] - float(mean[c])) / math.sqrt(float(variance[c]) + epsilon) + b
    return y


def reference_layer_norm(x, gamma, beta, epsilon):
    x = np.asarray(x, np.float64)
    y = np.empty_like(x)
    for index in np.ndindex(x.shape[:-1]):
        row = list(x[index])
        mean = sum(row) / len(row)
        variance = sum((v - mean) ** 2 for v in row) / len(row)
        for c, v in enumerate(row):
            g = 1.0 if gamma is None else float(gamma[c])
            b = 0.0 if beta is None else float(beta[c])
            y[index + (c,)] = g * (v - mean) / math.sqrt(variance + epsilon) + b
    return y


def reference_softmax(x):
    x = np.asarray(x, np.float64)
    y = np.empty_like(x)
    for index in np.ndindex(x.shape[:-1]):
        row = x[index]
        e = [math.exp(v - max(row)) for v in row]
        y[index] = [v / sum(e) for v in e]
    return y


def elementwise(f, x):
    x = np.asarray(x, np.float64)
    return np.vectorize(f, otypes=[np.float64])(x)


def build(input_shape, layers, seed=0):
    config = model_config(input_shape, layers)
    weights = random_weights(config, seed=seed)
    return nnm.Model(config, weights), weights


def sample(shape, seed=1, n=3):
    return np.random.default_rng(seed).standard_normal((n,) + tuple(shape)).astype(np.float32)


# MARK: forward passes

CONVOLUTIONS = [  # input shape, options
    ((5, 4, 2), {"kernel_size": [3, 2], "strides": 2, "padding": "same"}),
    ((5, 4, 2), {"kernel_size": [3, 2], "strides": 2, "padding": "valid"}),
    ((5, 4, 2), {"kernel_size": 2, "padding": "same"}),            # even kernel: the extra zero row/column after
    ((5, 4, 2), {"kernel_size": [4, 2], "strides": [2, 3], "padding": "same"}),
    ((6, 5, 2), {"kernel_size": 4, "strides": 1, "padding": "same"}),  # padding on both sides, more after
    ((5, 4, 2), {"kernel_size": [2, 2], "dilation_rate": 2, "padding": "valid"}),
    ((5, 4, 2), {"kernel_size": [2, 3], "dilation_rate": [2, 1], "padding": "same"}),
    ((7, 6, 3), {"kernel_size": 3, "dilation_rate": 2, "padding": "same"}),
    ((5, 4, 2), {"kernel_size": 1, "strides": [1, 2]}),
    ((5, 4, 2), {"kernel_size": [5, 4]}),                          # the kernel covers the input
    ((3, 3, 1), {"kernel_size": 3, "strides": 5, "padding": "same"}),  # stride beyond the kernel
]


@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("input_shape, options", CONVOLUTIONS, ids=[str(i) for i in range(len(CONVOLUTIONS))])
def test_conv2d_matches_loops(input_shape, options, use_bias):
    model, weights = build(input_shape, [("Conv2D", dict(options, filters=3, use_bias=use_bias))])
    layer = model.layers[0]
    x = sample(input_shape)
    y = model.predict(x)
    expected = reference_conv2d(x, weights["layer_0/kernel"], weights.get("layer_0/bias"), layer.strides,
                                layer.dilation_rate, layer.padding)
    assert y.dtype == np.float32 and y.shape == expected.shape == (3,) + layer.output_shape
    np.testing.assert_allclose(y, expected, atol=1e-5, rtol=1e-5)


def test_conv2d_same_padding_puts_the_extra_zero_after():
    config = model_config([1, 4, 1], [("Conv2D", {"filters": 1, "kernel_size": [1, 2], "padding": "same",
                                                  "use_bias": False})])
    model = nnm.Model(config, {"layer_0/kernel": np.ones((1, 2, 1, 1))})
    # Total padding 1, none before (TensorFlow): windows [1 2] [2 3] [3 4] [4 0].
    np.testing.assert_array_equal(model.predict(np.array([1, 2, 3, 4], np.float32).reshape(1, 1, 4, 1)).ravel(),
                                  [3, 5, 7, 4])


def test_conv2d_activation_and_cross_correlation():
    kernel = np.zeros((2, 2, 1, 1), np.float32)
    kernel[0, 1, 0, 0] = 1  # picks the top-right tap: no kernel flip (Keras convolves as cross-correlation)
    config = model_config([2, 3, 1], [("Conv2D", {"filters": 1, "kernel_size": 2, "activation": "relu"})])
    model = nnm.Model(config, {"layer_0/kernel": kernel, "layer_0/bias": [-2.0]})
    x = np.array([[1, 5, 2], [0, 0, 0]], np.float32).reshape(1, 2, 3, 1)
    np.testing.assert_array_equal(model.predict(x).ravel(), [3, 0])


POOLS = [  # input shape, options
    ((5, 4, 2), {}),
    ((5, 4, 2), {"pool_size": 2, "padding": "same"}),
    ((5, 4, 2), {"pool_size": 3, "strides": 2, "padding": "same"}),
    ((5, 4, 2), {"pool_size": 2, "strides": 1, "padding": "same"}),
    ((5, 4, 2), {"pool_size": [3, 2], "strides": [1, 2], "padding": "same"}),
    ((6, 5, 1), {"pool_size": 4, "strides": 1, "padding": "same"}),
    ((5, 4, 2), {"pool_size": [3, 1], "strides": [2, 1]}),
    ((3, 3, 2), {"pool_size": 1, "strides": 4, "padding": "same"}),
]


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("input_shape, options", POOLS, ids=[str(i) for i in range(len(POOLS))])
def test_pooling_matches_loops(input_shape, options, mode):
    class_name = "MaxPooling2D" if mode == "max" else "AveragePooling2D"
    model, _ = build(input_shape, [(class_name, options)])
    layer = model.layers[0]
    x = sample(input_shape) - 3  # all negative: a max over zero padding would show
    y = model.predict(x)
    expected = reference_pool(x, layer.pool_size, layer.strides, layer.padding, mode)
    assert y.dtype == np.float32 and y.shape == expected.shape == (3,) + layer.output_shape
    np.testing.assert_allclose(y, expected, atol=1e-6, rtol=1e-6)


def test_same_pooling_ignores_padding():
    x = np.array([-1, -2, -3, -4], np.float32).reshape(1, 1, 4, 1)
    options = {"pool_size": [1, 2], "strides": 1, "padding": "same"}
    max_model, _ = build((1, 4, 1), [("MaxPooling2D", options)])
    np.testing.assert_array_equal(max_model.predict(x).ravel(), [-1, -2, -3, -4])
    average_model, _ = build((1, 4, 1), [("AveragePooling2D", options)])
    np.testing.assert_array_equal(average_model.predict(x).ravel(), [-1.5, -2.5, -3.5, -4])  # the last: 1 position


@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(keepdims):
    x = sample((5, 4, 3))
    for class_name, reduce in (("GlobalAveragePooling2D", np.mean), ("GlobalMaxPooling2D", np.max)):
        model, _ = build((5, 4, 3), [(class_name, {"keepdims": keepdims})])
        y = model.predict(x)
        expected = np.zeros((3, 3))
        for b in range(3):
            for c in range(3):
                expected[b, c] = reduce([x[b, i, j, c] for i in range(5) for j in range(4)])
        assert y.dtype == np.float32 and y.shape == ((3, 1, 1, 3) if keepdims else (3, 3))
        np.testing.assert_allclose(y.reshape(3, 3), expected, atol=1e-6)


def test_reshape_is_row_major():
    model, _ = build((5, 4, 2), [("Reshape", {"target_shape": [-1, 8]}), ("Reshape", {"target_shape": [40]})])
    x = sample((5, 4, 2))
    assert model.layers[0].output_shape == (5, 8)
    np.testing.assert_array_equal(model.predict(x), x.reshape(3, 40))
    first, _ = build((5, 4, 2), [("Reshape", {"target_shape": [2, 20]})])
    np.testing.assert_array_equal(first.predict(x), x.reshape(3, 2, 20))


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("input_shape", [(5, 4, 2), (6,)])
def test_batch_normalization_matches_loops(input_shape, center, scale):
    model, w = build(input_shape, [("BatchNormalization", {"center": center, "scale": scale, "epsilon": 0.01})])
    x = sample(input_shape) * 3 + 1
    expected = reference_batch_norm(x, w.get("layer_0/gamma"), w.get("layer_0/beta"), w["layer_0/moving_mean"],
                                    w["layer_0/moving_variance"], 0.01)
    y = model.predict(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, expected, atol=1e-5, rtol=1e-5)


def test_batch_normalization_uses_the_moving_statistics():
    config = model_config([2], [("BatchNormalization", {})])
    model = nnm.Model(config, {"layer_0/gamma": [2, 1], "layer_0/beta": [0.5, 0], "layer_0/moving_mean": [1, -1],
                               "layer_0/moving_variance": [4 - 1e-3, 1 - 1e-3]})
    np.testing.assert_allclose(model.predict([[3, 1], [3, 1]]), [[2.5, 2], [2.5, 2]], rtol=1e-6)  # not batch stats


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("scale", [True, False])
def test_layer_normalization_matches_loops(center, scale):
    model, w = build((3, 5), [("LayerNormalization", {"center": center, "scale": scale})])
    x = sample((3, 5)) * 4 + 2
    expected = reference_layer_norm(x, w.get("layer_0/gamma"), w.get("layer_0/beta"), 1e-3)
    np.testing.assert_allclose(model.predict(x), expected, atol=1e-5, rtol=1e-5)


def keras_relu(max_value, slope, threshold):
    def f(v):
        if v >= threshold:
            return v if max_value is None else min(v, max_value)
        return slope * (v - threshold)
    return f


@pytest.mark.parametrize("options, f", [
    ({}, keras_relu(None, 0, 0)),
    ({"max_value": 6.0}, keras_relu(6.0, 0, 0)),
    ({"max_value": 1.5, "negative_slope": 0.1, "threshold": 0.5}, keras_relu(1.5, 0.1, 0.5)),
    ({"negative_slope": 0.2, "threshold": -1.0}, keras_relu(None, 0.2, -1.0)),
    ({"max_value": 0}, keras_relu(0.0, 0, 0)),
])
def test_relu_layer(options, f):
    model, _ = build((4, 5), [("ReLU", options)])
    x = sample((4, 5)) * 4
    x[0, 0, :] = [0.5, 1.5, -1, 0, 6]  # the thresholds and caps themselves
    np.testing.assert_allclose(model.predict(x), elementwise(f, x), atol=1e-6, rtol=1e-6)


def test_leaky_relu_elu_and_softmax_layers():
    x = sample((4, 5)) * 4
    for class_name, options, f in (
        ("LeakyReLU", {}, lambda v: v if v >= 0 else 0.3 * v),
        ("LeakyReLU", {"alpha": 0.01}, lambda v: v if v >= 0 else 0.01 * v),
        ("ELU", {}, lambda v: v if v > 0 else math.exp(v) - 1),
        ("ELU", {"alpha": 0.5}, lambda v: v if v > 0 else 0.5 * (math.exp(v) - 1)),
    ):
        model, _ = build((4, 5), [(class_name, options)])
        np.testing.assert_allclose(model.predict(x), elementwise(f, x), atol=1e-6, rtol=1e-6)
    for form in FORMS:
        config = in_form(model_config([4, 5], [("LeakyReLU", {"alpha": 0.01})]), form)
        model = nnm.Model(config, {})
        np.testing.assert_allclose(model.predict(x), elementwise(lambda v: v if v >= 0 else 0.01 * v, x), atol=1e-6)
    model, _ = build((4, 5), [("Softmax", {})])
    y = model.predict(x * 10)
    np.testing.assert_allclose(y, reference_softmax(x * 10), atol=1e-6)
    assert y.dtype == np.float32


@pytest.mark.parametrize("shared_axes", [None, [1, 2], [3], [1, 3], 2])
def test_prelu_matches_loops(shared_axes):
    model, w = build((5, 4, 2), [("PReLU", {"shared_axes": shared_axes})])
    alpha = w["layer_0/alpha"]
    x = sample((5, 4, 2))
    expected = np.empty(x.shape)
    for b, i, j, c in np.ndindex(x.shape):
        a = alpha[min(i, alpha.shape[0] - 1), min(j, alpha.shape[1] - 1), min(c, alpha.shape[2] - 1)]
        v = float(x[b, i, j, c])
        expected[b, i, j, c] = v if v >= 0 else float(a) * v
    np.testing.assert_allclose(model.predict(x), expected, atol=1e-6, rtol=1e-6)


# MARK: a whole CNN

CNN_LAYERS = [
    ("Conv2D", {"name": "conv", "filters": 4, "kernel_size": 3, "padding": "same"}),
    ("BatchNormalization", {"name": "bn", "axis": 3}),
    ("ReLU", {"name": "relu"}),
    ("MaxPooling2D", {"name": "pool", "pool_size": 2}),
    ("Conv2D", {"name": "conv_1", "filters": 6, "kernel_size": 3, "strides": 2, "padding": "same",
                "activation": "tanh"}),
    ("GlobalAveragePooling2D", {"name": "gap"}),
    ("Dense", {"name": "dense", "units": 3, "activation": "softmax"}),
]


def cnn_reference(x, w):
    h = reference_conv2d(x, w["conv/kernel"], w["conv/bias"], padding="same")
    h = reference_batch_norm(h, w["bn/gamma"], w["bn/beta"], w["bn/moving_mean"], w["bn/moving_variance"], 1e-3)
    h = elementwise(lambda v: max(v, 0.0), h)
    h = reference_pool(h, (2, 2), (2, 2), "valid", "max")
    h = np.tanh(reference_conv2d(h, w["conv_1/kernel"], w["conv_1/bias"], strides=(2, 2), padding="same"))
    h = np.array([[np.mean(h[b, :, :, c]) for c in range(h.shape[3])] for b in range(h.shape[0])])
    logits = np.array([[sum(h[b, i] * w["dense/kernel"][i, j] for i in range(h.shape[1])) + w["dense/bias"][j]
                        for j in range(3)] for b in range(h.shape[0])])
    return reference_softmax(logits)


@pytest.mark.parametrize("form", FORMS)
def test_small_cnn_matches_loops(form):
    config = in_form(model_config([9, 8, 3], CNN_LAYERS, name="cnn"), form)
    weights = random_weights(model_config([9, 8, 3], CNN_LAYERS), seed=5, scale=2.0)
    model = nnm.Model(config, weights)
    assert [layer.output_shape for layer in model.layers] == [(9, 8, 4), (9, 8, 4), (9, 8, 4), (4, 4, 4), (2, 2, 6),
                                                              (6,), (3,)]
    x = sample((9, 8, 3), seed=6, n=5)
    y = model.predict(x)
    assert y.dtype == np.float32 and y.shape == (5, 3)
    np.testing.assert_allclose(y, cnn_reference(x, weights), atol=1e-5, rtol=0)
    for batch_size in (1, 2):
        np.testing.assert_allclose(model.predict(x, batch_size=batch_size), y, atol=1e-6, rtol=0)
    np.testing.assert_allclose(model.predict(x.reshape(5, -1)), y, atol=0, rtol=0)


def test_cnn_counts_and_summary():
    config = model_config([28, 28, 1], [
        ("Conv2D", {"name": "conv2d", "filters": 32, "kernel_size": 3, "activation": "relu"}),
        ("BatchNormalization", {"name": "batch_normalization"}),
        ("MaxPooling2D", {"name": "max_pooling2d"}),
        ("Flatten", {"name": "flatten"}),
        ("Dense", {"name": "dense", "units": 10, "activation": "softmax"})], name="cnn")
    model = nnm.Model(config, random_weights(config))
    conv, bn, pool, flatten, dense = model.layers
    assert (conv.params, bn.params, bn.trainable_params, pool.params) == (320, 128, 64, 0)
    assert model.count_params() == 320 + 128 + 5408 * 10 + 10 == 54_538
    assert model.count_params(trainable=True) == 54_538 - 64
    assert model.count_params(trainable=False) == 64
    lines = model.summary().splitlines()
    assert any("conv2d (Conv2D)" in line and "(None, 26, 26, 32)" in line and "320" in line for line in lines)
    assert any("batch_normalization (BatchNormalization)" in line and "(None, 26, 26, 32)" in line
               and "128" in line for line in lines)
    assert any("max_pooling2d (MaxPooling2D)" in line and "(None, 13, 13, 32)" in line for line in lines)
    assert any("flatten (Flatten)" in line and "(None, 5408)" in line for line in lines)
    assert " Total params: 54,538 (213.04 KB)" in lines
    assert " Trainable params: 54,474 (212.79 KB)" in lines
    assert " Non-trainable params: 64 (256.00 B)" in lines
    assert len({len(line) for line in lines[1:-3]}) == 1  # an aligned table


def test_weights_as_a_list_follow_the_layer_order():
    config = model_config([4, 4, 2], [("Conv2D", {"filters": 2, "kernel_size": 3}), ("BatchNormalization", {}),
                                      ("Flatten", {}), ("PReLU", {})])
    names = [s.name for s in architecture.parse(config).weight_specs]
    assert names == ["layer_0/kernel", "layer_0/bias", "layer_1/gamma", "layer_1/beta", "layer_1/moving_mean",
                     "layer_1/moving_variance", "layer_3/alpha"]
    weights = random_weights(config)
    model = nnm.Model(config, [weights[n] for n in names])
    assert list(model.weights) == names
    with pytest.raises(nnm.ConfigError, match=r"'layer_1/moving_variance' \(shape \[2\]\) is missing"):
        nnm.Model(config, {k: v for k, v in weights.items() if k != "layer_1/moving_variance"})
    with pytest.raises(nnm.ConfigError, match=r"'layer_0/kernel' has shape \[3, 3, 2\], the architecture needs "
                                              r"\[3, 3, 2, 2\]"):
        nnm.Model(config, dict(weights, **{"layer_0/kernel": np.zeros((3, 3, 2))}))


# MARK: writing

ALL_LAYERS = [
    ("Conv2D", {"name": "conv", "filters": 4, "kernel_size": [3, 2], "strides": [1, 2], "padding": "same",
                "activation": "gelu", "kernel_initializer": {"class_name": "HeNormal", "config": {"seed": 3}}}),
    ("BatchNormalization", {"name": "bn", "momentum": 0.9, "epsilon": 0.002, "center": False}),
    ("PReLU", {"name": "prelu", "shared_axes": [1, 2]}),
    ("AveragePooling2D", {"name": "avg", "pool_size": 2, "padding": "same"}),
    ("Convolution2D", {"name": "dilated", "filters": 3, "kernel_size": 2, "dilation_rate": 2, "use_bias": False,
                       "padding": "same"}),
    ("MaxPool2D", {"name": "max", "pool_size": [2, 1], "strides": 1}),
    ("GlobalMaxPooling2D", {"name": "gmp", "keepdims": True}),
    ("Reshape", {"name": "reshape", "target_shape": [-1]}),
    ("LayerNormalization", {"name": "ln", "scale": False}),
    ("ReLU", {"name": "relu", "max_value": 2.5, "negative_slope": 0.05, "threshold": -0.5}),
    ("Dense", {"name": "dense", "units": 6}),
    ("LeakyReLU", {"name": "leaky", "alpha": 0.2}),
    ("ELU", {"name": "elu", "alpha": 0.7}),
    ("Reshape", {"name": "reshape_1", "target_shape": [2, 3]}),
    ("Softmax", {"name": "softmax"}),
]


@pytest.mark.parametrize("form", FORMS)
def test_save_and_load_every_layer(tmp_path, form):
    config = in_form(model_config([6, 5, 2], ALL_LAYERS, name="everything"), form)
    weights = random_weights(model_config([6, 5, 2], ALL_LAYERS), seed=9)
    specs = architecture.parse(config).weight_specs
    trainable = [s.name for s in specs if s.trainable]
    assert "bn/moving_mean" not in trainable and "bn/gamma" in trainable and "bn/beta" not in weights
    rng = np.random.default_rng(2)
    optimizer = {"name": "adam", "iterations": 3, "slots": ["momentum", "velocity"],
                 "slot_values": {slot: {n: rng.standard_normal(weights[n].shape).astype(np.float32) for n in trainable}
                                 for slot in ("momentum", "velocity")}}
    model = nnm.Model(config, weights, optimizer=optimizer)
    x = sample((6, 5, 2), seed=3, n=4)
    y = model.predict(x)
    assert y.shape == (4, 2, 3) and np.all(np.isfinite(y))
    np.testing.assert_allclose(y.sum(axis=-1), 1, atol=1e-6)
    path = tmp_path / "everything.nnm"
    nnm.save(model, path)
    header = nnm.read_header(path)
    names = [t.name for t in header.tensors]
    assert names[:len(specs)] == [s.name for s in specs]
    assert not any(n.startswith("optimizer/") and "moving_" in n for n in names)
    loaded = nnm.load(path)
    assert loaded.layers == model.layers
    np.testing.assert_array_equal(loaded.predict(x), y)
    written = loaded.architecture
    assert written["class_name"] == "Sequential" and "module" not in written
    by_name = {entry["config"]["name"]: entry for entry in written["config"]["layers"]}
    assert by_name["dilated"]["class_name"] == "Conv2D" and by_name["max"]["class_name"] == "MaxPooling2D"
    assert by_name["conv"]["config"]["kernel_initializer"]["class_name"] == "HeNormal"
    assert by_name["bn"]["config"]["axis"] == -1 and by_name["bn"]["config"]["dtype"] == "float32"
    assert by_name["leaky"]["config"]["alpha"] == 0.2
    assert by_name["reshape"]["config"]["target_shape"] == [-1]
    assert by_name["prelu"]["config"]["shared_axes"] == [1, 2]
    # Writing what was read gives the same bytes.
    assert nnm.encode(loaded) == path.read_bytes()


def test_predict_is_float32_and_vectorized():
    config = model_config([28, 28, 1], [("Conv2D", {"filters": 8, "kernel_size": 3, "activation": "relu"}),
                                        ("MaxPooling2D", {}), ("Conv2D", {"filters": 8, "kernel_size": 3}),
                                        ("GlobalAveragePooling2D", {}), ("Dense", {"units": 10})])
    model = nnm.Model(config, random_weights(config))
    x = np.random.default_rng(0).random((512, 28, 28, 1))  # float64 in, float32 out
    y = model.predict(x)
    assert y.dtype == np.float32 and y.shape == (512, 10)
    np.testing.assert_allclose(model.predict(x[:3].astype(np.float32)), y[:3], atol=1e-6)


def test_conv2d_lowers_a_few_samples_at_a_time(monkeypatch):
    from nnm import model as model_module

    model, weights = build((5, 4, 2), [("Conv2D", {"filters": 3, "kernel_size": [3, 2], "strides": 2,
                                                   "padding": "same"})])
    x = sample((5, 4, 2), n=7)
    whole = model.predict(x)
    monkeypatch.setattr(model_module, "_LOWERED_BYTES", 100)  # less than one sample's lowered input: 1 at a time
    np.testing.assert_array_equal(model.predict(x), whole)
    expected = reference_conv2d(x, weights["layer_0/kernel"], weights["layer_0/bias"], (2, 2), (1, 1), "same")
    np.testing.assert_allclose(whole, expected, atol=1e-5, rtol=1e-5)
