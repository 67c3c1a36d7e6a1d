"""Interoperability with the nnmodel CLI (NNMODEL_BIN=/path/to/nnmodel).

Without NNMODEL_BIN these tests skip, or fail when the CI environment variable is set.
"""
import json

import numpy as np
import pytest

import nnm
from nnm_testing import ACTIVATIONS, ALIASES, nnmodel_binary, random_weights, run, sequential, write_idx_dataset

DTYPES = ["float32", "float16", "bfloat16", "float64"]


def cli_predict(binary, model_path, x, tmp_path):
    np.save(tmp_path / "x.npy", x)
    run(binary, "predict", model_path, "--input", tmp_path / "x.npy", "--output", tmp_path / "p.npy")
    p = np.load(tmp_path / "p.npy")
    assert p.dtype == np.float32
    return p


def train(binary, tmp_path, *extra):
    data = write_idx_dataset(tmp_path / "data")
    path = tmp_path / "m.nnm"
    run(binary, "train", "--epochs", 1, "--hidden", 16, "--output", path, "--quiet", "--data", data, *extra)
    assert path.is_file()
    return path, data


@pytest.mark.parametrize("dtype", DTYPES)
def test_cli_trained_model_predicts_the_same(tmp_path, dtype):
    binary = nnmodel_binary()
    path, _ = train(binary, tmp_path, "--dtype", dtype)
    model = nnm.load(path)
    assert model.input_shape == (28, 28) and model.output_shape == (10,)
    assert [(layer.class_name, layer.units, layer.activation) for layer in model.layers] == [
        ("Flatten", None, None), ("Dense", 16, "relu"), ("Dense", 10, "softmax")]
    assert model.metadata["producer"].startswith("nnmodel ")
    assert model.optimizer["name"] == "adam" and model.optimizer["iterations"] > 0
    assert model.history["epoch"] == [1] and len(model.history["loss"]) == 1
    x = np.random.default_rng(5).random((300, 28, 28), dtype=np.float32)
    expected = cli_predict(binary, path, x, tmp_path)
    assert expected.shape == (300, 10)
    np.testing.assert_allclose(model.predict(x), expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(model.predict(x.reshape(300, 784)), expected, rtol=0, atol=1e-6)
    # The writer is nnmodel's: re-encoding the file under nnmodel's producer name gives its bytes.
    assert nnm.encode(model, dtype, producer=model.metadata["producer"]) == path.read_bytes()


def test_cli_resumes_training_from_a_python_written_file(tmp_path):
    binary = nnmodel_binary()
    path, data = train(binary, tmp_path)
    trained = nnm.load(path)
    python_path = tmp_path / "python.nnm"
    nnm.save(trained, python_path)
    run(binary, "inspect", python_path)
    resumed_path = tmp_path / "resumed.nnm"
    run(binary, "train", "--resume", python_path, "--epochs", 1, "--output", resumed_path, "--quiet", "--data", data)
    resumed = nnm.load(resumed_path)
    assert resumed.optimizer["iterations"] == 2 * trained.optimizer["iterations"]
    assert resumed.history["epoch"] == [1, 2]


def check_with_cli(binary, model, tmp_path, x, dtype="float32"):
    path = tmp_path / f"python-{dtype}.nnm"
    nnm.save(model, path, dtype=dtype)
    result = run(binary, "inspect", path, "--json")
    report = json.loads(result.stdout)
    assert report["format"] == "nnm 1.0" and report["storage_dtype"] == dtype
    assert report["checksums"]["ok"] is True
    assert report["metadata"]["producer"] == "nnm-python 0.1.0"
    described = [(l["name"], l["class_name"], tuple(l["output_shape"]), l["parameters"])
                 for l in report["model"]["layers"]]
    assert described == [(l.name, l.class_name, l.output_shape, l.params) for l in model.layers]
    assert report["model"]["parameters"]["total"] == model.count_params()
    loaded = nnm.load(path)
    expected = cli_predict(binary, path, x, tmp_path)
    got = loaded.predict(x)
    assert expected.shape == (len(x), int(np.prod(model.output_shape)))
    np.testing.assert_allclose(got.reshape(len(x), -1), expected, rtol=0, atol=1e-6)
    return loaded


@pytest.mark.parametrize("activation", ACTIVATIONS + list(ALIASES))
def test_python_written_model_predicts_the_same_in_cli(tmp_path, activation):
    binary = nnmodel_binary()
    config = sequential([6, 5], [("Flatten",), ("Dense", 24, activation), ("Dropout", 0.3), ("Dense", 7, "softmax")])
    model = nnm.Model(config, random_weights(config, seed=11, scale=2.0),
                      metadata={"class_names": [f"c{i}" for i in range(7)], "dataset": "random"})
    x = np.random.default_rng(12).standard_normal((64, 6, 5)).astype(np.float32)
    check_with_cli(binary, model, tmp_path, x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_python_written_dtypes_and_layer_kinds_in_cli(tmp_path, dtype):
    binary = nnmodel_binary()
    config = sequential([4, 6], [("Dense", 5, "tanh"), ("Activation", "softmax"), ("Flatten",),
                                 ("Dense", 9, "mish", False), ("Dropout", 0.1), ("Dense", 3, "sigmoid")])
    model = nnm.Model(config, random_weights(config, seed=21, scale=2.0))
    x = np.random.default_rng(22).standard_normal((100, 4, 6)).astype(np.float32)
    loaded = check_with_cli(binary, model, tmp_path, x, dtype=dtype)
    assert loaded.architecture == model.architecture
