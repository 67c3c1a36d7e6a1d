"""Model construction, the forward pass and its activations, and the summary."""
import math

import numpy as np
import pytest

import nnm
from nnm import activations
from nnm_testing import ACTIVATIONS, ALIASES, random_weights, sequential


def reference(name, x):
    """Keras 3's definitions in float64."""
    x = x.astype(np.float64)
    sig = 1 / (1 + np.exp(-x))
    softplus = np.logaddexp(0, x)
    hard_sigmoid = np.clip(x + 3, 0, 6) / 6  # relu6(x + 3) / 6
    erf = np.vectorize(math.erf)
    table = {
        "linear": x, "relu": np.maximum(x, 0), "sigmoid": sig, "tanh": np.tanh(x),
        "elu": np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
        "selu": 1.05070098 * np.where(x > 0, x, 1.67326324 * np.expm1(np.minimum(x, 0))),
        "gelu": 0.5 * x * (1 + erf(x / math.sqrt(2))), "softplus": softplus, "softsign": x / (1 + abs(x)),
        "swish": x * sig, "leaky_relu": np.where(x > 0, x, 0.2 * x), "exponential": np.exp(x),
        "hard_sigmoid": hard_sigmoid, "relu6": np.clip(x, 0, 6), "hard_silu": x * hard_sigmoid,
        "mish": x * np.tanh(softplus),
    }
    if name == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return table[name]


@pytest.mark.parametrize("name", ACTIVATIONS + list(ALIASES))
def test_activation_matches_keras_definition(name):
    x = np.concatenate([np.linspace(-12, 12, 961), [0.0, -0.0, 1e-8, -1e-8, 3, -3, 6]]).astype(np.float32)
    x = x.reshape(-1, 8) if x.size % 8 == 0 else x.reshape(1, -1)
    got = activations.apply(name, x)
    assert got.dtype == np.float32 and got.shape == x.shape
    expected = reference(ALIASES.get(name, name), x)
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=2e-7)


def test_activation_constants_are_keras_3():
    f = lambda name, v: float(activations.apply(name, np.array([v], np.float32))[0])
    assert f("hard_sigmoid", 1.0) == pytest.approx(4 / 6)  # Keras 2's 0.2x + 0.5 would give 0.7
    assert f("hard_silu", -1.0) == pytest.approx(-2 / 6)
    assert f("leaky_relu", -1.0) == pytest.approx(-0.2)
    assert f("selu", -1.0) == pytest.approx(1.05070098 * 1.67326324 * (math.exp(-1) - 1), rel=1e-6)
    assert f("elu", -1.0) == pytest.approx(math.exp(-1) - 1, rel=1e-6)
    assert f("gelu", 1.0) == pytest.approx(0.8413447460685429, rel=1e-6)  # exact, not the tanh form (0.841192)
    assert f("relu6", 7.0) == 6.0 and f("relu", -0.0) == 0.0
    assert f("exponential", 100.0) == math.inf
    assert f("sigmoid", -100.0) == pytest.approx(math.exp(-100), rel=1e-5)
    assert f("softplus", 100.0) == 100.0 and f("mish", -100.0) == pytest.approx(0, abs=1e-30)


def test_softmax_is_over_the_last_axis():
    model = nnm.Model(sequential([4, 6], [("Activation", "softmax")]), {})
    x = np.random.default_rng(1).standard_normal((3, 4, 6)).astype(np.float32) * 20
    y = model.predict(x)
    assert y.shape == (3, 4, 6)
    np.testing.assert_allclose(y.sum(axis=-1), 1, atol=1e-6)
    np.testing.assert_allclose(y, reference("softmax", x), atol=1e-6)


def test_forward_pass_against_float64():
    config = sequential([4, 6], [("Dense", 5, "tanh"), ("Dropout", 0.5), ("Flatten",), ("Dense", 8, "gelu", False),
                                 ("Activation", "swish"), ("Dense", 3, "softmax")])
    weights = random_weights(config, seed=3)
    model = nnm.Model(config, weights)
    assert model.output_shape == (3,)
    assert [layer.output_shape for layer in model.layers] == [(4, 5), (4, 5), (20,), (8,), (8,), (3,)]
    x = np.random.default_rng(4).standard_normal((50, 4, 6)).astype(np.float32)
    h = x.astype(np.float64)
    h = reference("tanh", h @ weights["dense/kernel"] + weights["dense/bias"])
    h = h.reshape(50, -1)
    h = reference("swish", reference("gelu", h @ weights["dense_1/kernel"]))
    h = reference("softmax", h @ weights["dense_2/kernel"] + weights["dense_2/bias"])
    y = model.predict(x)
    assert y.dtype == np.float32 and y.shape == (50, 3)
    np.testing.assert_allclose(y, h, atol=1e-6)


def test_predict_input_shapes_and_batches():
    config = sequential([28, 28], [("Flatten",), ("Dense", 16, "relu"), ("Dense", 10, "softmax")])
    model = nnm.Model(config, random_weights(config))
    x = np.random.default_rng(2).random((300, 28, 28), dtype=np.float32)
    y = model.predict(x)
    assert y.shape == (300, 10)
    np.testing.assert_array_equal(model.predict(x.reshape(300, 784)), y)
    np.testing.assert_array_equal(model.predict(x.reshape(300, 1, 784)), y)
    for batch_size in (1, 7, 300, 1000):
        np.testing.assert_allclose(model.predict(x, batch_size=batch_size), y, atol=1e-6, rtol=0)
    np.testing.assert_allclose(model.predict(x.astype(np.float64)), y, atol=1e-7)
    assert model.predict(np.zeros((0, 28, 28))).shape == (0, 10)
    for bad in (np.zeros(784), np.zeros((2, 783)), np.zeros((2, 28, 27))):
        with pytest.raises(ValueError, match="does not fit the model's input"):
            model.predict(bad)
    with pytest.raises(ValueError, match="batch_size"):
        model.predict(x, batch_size=0)


def test_uint8_input_is_not_scaled():
    config = sequential([3], [("Dense", 3, "linear")])
    model = nnm.Model(config, {"dense/kernel": np.eye(3), "dense/bias": np.zeros(3)})
    y = model.predict(np.array([[255, 0, 1]], np.uint8))
    np.testing.assert_array_equal(y, [[255, 0, 1]])
    assert y.dtype == np.float32


def test_constructor_checks_weights():
    config = sequential([2], [("Dense", 1, "sigmoid")])
    ok = {"dense/kernel": [[0.5], [-0.25]], "dense/bias": [0.125]}
    model = nnm.Model(config, ok)
    assert model.weights["dense/kernel"].dtype == np.float32
    assert nnm.Model(config, [ok["dense/kernel"], ok["dense/bias"]]).weights.keys() == model.weights.keys()
    with pytest.raises(nnm.ConfigError, match="'dense/bias' .* is missing"):
        nnm.Model(config, {"dense/kernel": ok["dense/kernel"]})
    with pytest.raises(nnm.ConfigError, match=r"has shape \[1, 2\], the architecture needs \[2, 1\]"):
        nnm.Model(config, {"dense/kernel": [[0.5, -0.25]], "dense/bias": [0.125]})
    with pytest.raises(nnm.ConfigError, match="not weights of this architecture"):
        nnm.Model(config, dict(ok, extra=[1.0]))
    with pytest.raises(ValueError, match="unsupported class 'Conv3D'"):
        nnm.Model({"class_name": "Sequential", "config": {"layers": [
            {"class_name": "Conv3D", "config": {"batch_input_shape": [None, 2]}}]}}, {})
    with pytest.raises(nnm.ConfigError, match="optimizer slot 'momentum' of 'dense/kernel'"):
        nnm.Model(config, ok, optimizer={"name": "adam", "iterations": 1, "slots": ["momentum", "velocity"]})
    with pytest.raises(nnm.ConfigError, match="class_names"):
        nnm.Model(config, ok, metadata={"class_names": "cat"})


def test_input_description_variants():
    """build_input_shape, a first layer's batch_input_shape, Keras 2.0's bare layer list."""
    dense = {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "relu"}}
    for config in (
        {"class_name": "Sequential", "config": {"name": "s", "layers": [dense], "build_input_shape": [None, 3]}},
        {"class_name": "Sequential", "config": {"layers": [dense]}, "build_config": {"input_shape": [None, 3]}},
        {"class_name": "Sequential", "config": [{"class_name": "Dense", "config": dict(dense["config"],
                                                                                     batch_input_shape=[None, 3])}]},
    ):
        model = nnm.Model(config, {"d/kernel": np.ones((3, 2)), "d/bias": np.zeros(2)})
        assert model.input_shape == (3,)
        np.testing.assert_array_equal(model.predict([[1, -2, 3]]), [[2, 2]])


def test_default_layer_names():
    config = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 3]}},
        {"class_name": "Dense", "config": {"units": 2}},
        {"class_name": "Dense", "config": {"units": 2}},
        {"class_name": "Activation", "config": {"activation": "hard_swish"}}]}}
    model = nnm.Model(config, {"dense/kernel": np.ones((3, 2)), "dense/bias": np.zeros(2),
                               "dense_1/kernel": np.ones((2, 2)), "dense_1/bias": np.zeros(2)})
    assert [layer.name for layer in model.layers] == ["dense", "dense_1", "activation"]
    assert model.layers[0].activation == "linear" and model.layers[2].activation == "hard_silu"


def test_layers_describe_the_model():
    config = sequential([28, 28], [("Flatten",), ("Dense", 16, "relu"), ("Dropout", 0.2), ("Dense", 10, "softmax", False)])
    config["config"]["layers"][4]["config"]["trainable"] = False
    model = nnm.Model(config, random_weights(config))
    flatten, dense, dropout, out = model.layers
    assert (flatten.class_name, flatten.output_shape, flatten.params) == ("Flatten", (784,), 0)
    assert (dense.units, dense.activation, dense.use_bias, dense.params) == (16, "relu", True, 784 * 16 + 16)
    assert dense.weights == ("dense/kernel", "dense/bias")
    assert (dropout.class_name, dropout.rate, dropout.input_shape) == ("Dropout", 0.2, (16,))
    assert (out.trainable, out.use_bias, out.weights, out.params) == (False, False, ("dense_1/kernel",), 160)
    assert model.count_params() == 784 * 16 + 16 + 160
    assert "Dense" in repr(model)


def test_summary():
    config = sequential([28, 28], [("Flatten",), ("Dense", 16, "relu"), ("Dense", 10, "softmax")])
    config["config"]["layers"][3]["config"]["trainable"] = False
    model = nnm.Model(config, random_weights(config))
    text = model.summary()
    lines = text.splitlines()
    assert lines[0] == 'Model: "sequential"'
    assert "Layer (type)" in lines[2] and "Output Shape" in lines[2] and "Param #" in lines[2]
    assert any("flatten (Flatten)" in line and "(None, 784)" in line and line.rstrip("│ ").endswith("0")
               for line in lines)
    assert any("dense (Dense)" in line and "(None, 16)" in line and "12,560" in line for line in lines)
    assert any("dense_1 (Dense)" in line and "(None, 10)" in line and "170" in line for line in lines)
    assert " Total params: 12,730 (49.73 KB)" in lines
    assert " Trainable params: 12,560 (49.06 KB)" in lines
    assert " Non-trainable params: 170 (680.00 B)" in lines
    assert len({len(line) for line in lines[1:-3]}) == 1  # an aligned table
