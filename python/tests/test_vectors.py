"""The test vectors of Spec/FORMAT.md section 8 (Fixtures/nnm/vectors.json)."""
import json

import numpy as np
import pytest

import nnm
from nnm_testing import FIXTURES

VECTORS = json.loads((FIXTURES / "vectors.json").read_text())
VALID = [v for v in VECTORS["vectors"] if v["valid"]]
INVALID = [v for v in VECTORS["vectors"] if not v["valid"]]


def test_vectors_are_there():
    assert len(VALID) >= 5 and len(INVALID) >= 20
    for v in VECTORS["vectors"]:
        assert (FIXTURES / v["file"]).is_file(), v["file"]


@pytest.mark.parametrize("vector", VALID, ids=[v["file"] for v in VALID])
def test_valid_vector_loads(vector):
    model = nnm.load(FIXTURES / vector["file"])
    assert model.input_shape == (2,)
    assert model.output_shape == (1,)
    assert list(model.weights) == ["dense/kernel", "dense/bias"]
    np.testing.assert_array_equal(model.weights["dense/kernel"], np.array([[0.5], [-0.25]], np.float32))
    np.testing.assert_array_equal(model.weights["dense/bias"], np.array([0.125], np.float32))
    assert all(w.dtype == np.float32 for w in model.weights.values())
    assert model.metadata["producer"] == "nnmodel 0.1.0"
    assert model.metadata["created"] == "2026-01-01T00:00:00Z"
    assert model.optimizer is None and model.history is None and model.class_names is None
    # The worked example: sigmoid(1 * 0.5 + 2 * -0.25 + 0.125) = sigmoid(0.125).
    y = model.predict(np.array([[1, 2]], np.float32))
    assert y.dtype == np.float32 and y.shape == (1, 1)
    assert abs(float(y[0, 0]) - 1 / (1 + np.exp(-0.125))) < 1e-6
    assert abs(float(y[0, 0]) - 0.531209) < 1e-6


def test_newer_minor_version_is_read():
    model = nnm.load(FIXTURES / "newer-minor.nnm")
    assert model.format_version == (1, 7)


@pytest.mark.parametrize("vector", INVALID, ids=[v["file"] for v in INVALID])
def test_invalid_vector_is_refused(vector):
    path = FIXTURES / vector["file"]
    with pytest.raises(nnm.FormatError) as caught:
        nnm.load(path)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.kind == vector["error"], str(error)
    message = str(error)
    assert message.startswith(str(path) + ": "), message  # names the file
    assert vector["message"] in message
    assert "\n" not in message


@pytest.mark.parametrize("vector", INVALID, ids=[v["file"] for v in INVALID])
def test_invalid_vector_is_refused_without_verification(vector):
    """Only the tensor checksums may be skipped; every other check still applies."""
    path = FIXTURES / vector["file"]
    if vector["error"] == "checksumMismatch":
        model = nnm.load(path, verify=False)
        assert model.weights["dense/kernel"].shape == (2, 1)
        return
    with pytest.raises(nnm.FormatError) as caught:
        nnm.load(path, verify=False)
    assert caught.value.kind == vector["error"]


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64"])
def test_writer_reproduces_the_vectors_byte_for_byte(dtype):
    """The writer is nnmodel's: same header, same layout (Fixtures/nnm/make_vectors.py is independent)."""
    name = "tiny.nnm" if dtype == "float32" else f"tiny-{dtype}.nnm"
    expected = (FIXTURES / name).read_bytes()
    model = nnm.load(FIXTURES / "tiny.nnm")
    assert nnm.encode(model, dtype, producer="nnmodel 0.1.0") == expected
    assert len(nnm.encode(nnm.load(FIXTURES / "tiny.nnm"), producer="nnmodel 0.1.0")) == 1092
