"""save -> load round trips, the written layout (checked without the package), atomic saves."""
import datetime
import json
import os
import re
import stat
import struct
import zlib

import numpy as np
import pytest

import nnm
from nnm import dtypes
from nnm_testing import random_weights, sequential

DTYPES = ["float32", "float16", "bfloat16", "float64"]
CREATED = "2025-06-01T12:00:00Z"


def bfloat16_reference(values):
    """Round-to-nearest-even to bfloat16, value by value in float64 (independent of nnm.dtypes)."""
    out = []
    for v in np.asarray(values, np.float32).ravel():
        bits = int(np.array(v, np.float32).view(np.uint32))
        lower = bits & 0xFFFF0000
        upper = lower + 0x10000
        lo = float(np.array(lower, np.uint32).view(np.float32))
        hi = float(np.array(upper & 0xFFFFFFFF, np.uint32).view(np.float32))
        dl, du = abs(float(v) - lo), abs(hi - float(v))
        choose_upper = du < dl or (du == dl and (lower >> 16) & 1)
        out.append(hi if choose_upper else lo)
    return np.array(out, np.float32).reshape(np.shape(values))


def full_model(seed=0):
    config = sequential([6, 5], [("Flatten",), ("Dense", 24, "gelu"), ("Dropout", 0.25), ("Dense", 12, "tanh", False),
                                 ("Dense", 7, "softmax")], name="roundtrip")
    config["config"]["layers"][4]["config"]["trainable"] = False  # dense_1: no optimizer slots
    weights = random_weights(config, seed=seed, scale=3.0)
    rng = np.random.default_rng(seed + 1)
    trainable = [name for name in weights if not name.startswith("dense_1/")]
    optimizer = {"name": "adam", "learning_rate": 0.002, "iterations": 1234, "slots": ["momentum", "velocity"],
                 "slot_values": {slot: {name: rng.standard_normal(weights[name].shape).astype(np.float32)
                                        for name in trainable} for slot in ("momentum", "velocity")}}
    metadata = {"created": CREATED, "class_names": [f"class {i}" for i in range(7)], "dataset": "random",
                "loss": "sparse_categorical_crossentropy",
                "history": {"epoch": [1, 2], "loss": [0.75, 0.5], "accuracy": [0.5, 0.625], "seconds": [1.5, 1.25]},
                "user": {"note": "héllo \u2603 \"quoted\"\n"}, "future_member": {"kept": [1, 2.5, None, True]}}
    return nnm.Model(config, weights, optimizer=optimizer, metadata=metadata)


def parse_file(data: bytes):
    """The file's parts, checked as FORMAT.md describes them, without the nnm package."""
    assert data[:8] == b"\x89NNM\r\n\x1a\n"
    major, minor, crc, length = struct.unpack("<HHIQ", data[8:24])
    assert (major, minor) == (1, 0)
    text = data[24:24 + length]
    assert zlib.crc32(text) == crc
    header = json.loads(text.decode("utf-8"))
    # Separators ", " and ": ", no other whitespace, members in order.
    assert text == json.dumps(header, ensure_ascii=False, separators=(", ", ": ")).encode("utf-8")
    start = (24 + length + 63) // 64 * 64
    assert data[24 + length:start] == b"\0" * (start - 24 - length)
    end = start
    for t in header["tensors"]:
        assert t["offset"] % 64 == 0
        size = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8}[t["dtype"]]
        assert t["length"] == int(np.prod(t["shape"], dtype=np.int64)) * size
        blob = data[start + t["offset"]:start + t["offset"] + t["length"]]
        assert len(blob) == t["length"] and zlib.crc32(blob) == t["crc32"]
        end = max(end, start + t["offset"] + t["length"])
    assert len(data) == end  # nothing after the last tensor
    return header


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip(tmp_path, dtype):
    model = full_model()
    path = tmp_path / f"model-{dtype}.nnm"
    nnm.save(model, path, dtype=dtype)
    loaded = nnm.load(path)
    assert loaded.architecture == model.architecture
    assert [layer for layer in loaded.layers] == [layer for layer in model.layers]
    assert list(loaded.weights) == list(model.weights)
    for name, original in model.weights.items():
        got = loaded.weights[name]
        assert got.dtype == np.float32 and got.shape == original.shape
        if dtype in ("float32", "float64"):
            np.testing.assert_array_equal(got, original)
        elif dtype == "float16":
            np.testing.assert_array_equal(got, original.astype(np.float16).astype(np.float32))
            np.testing.assert_allclose(got, original, rtol=2 ** -11, atol=2 ** -24)
        else:
            np.testing.assert_array_equal(got, bfloat16_reference(original))
            np.testing.assert_allclose(got, original, rtol=2 ** -8, atol=0)
    # Optimizer state: kept exactly, as float32, whatever the weights' dtype.
    assert {k: v for k, v in loaded.optimizer.items() if k != "slot_values"} == {
        "name": "adam", "learning_rate": 0.002, "momentum": 0, "nesterov": False, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "rho": 0.9, "initial_accumulator_value": 0.1, "iterations": 1234,
        "slots": ["momentum", "velocity"]}
    for slot, values in model.optimizer["slot_values"].items():
        assert list(loaded.optimizer["slot_values"][slot]) == ["dense/kernel", "dense/bias", "dense_2/kernel",
                                                               "dense_2/bias"]
        for name, array in values.items():
            np.testing.assert_array_equal(loaded.optimizer["slot_values"][slot][name], array)
    # Metadata: the producer is this package, everything else kept.
    assert loaded.metadata == dict(model.metadata, producer="nnm-python 0.1.0")
    assert list(loaded.metadata)[:2] == ["producer", "created"]
    assert loaded.history == model.history and loaded.class_names == model.class_names
    x = np.random.default_rng(9).standard_normal((40, 6, 5)).astype(np.float32)
    if dtype in ("float32", "float64"):
        np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    # The layout, checked independently.
    header = parse_file(path.read_bytes())
    assert list(header) == ["architecture", "tensors", "optimizer", "metadata"]
    assert [(t["name"], t["dtype"]) for t in header["tensors"]] == (
        [(name, dtype) for name in model.weights]
        + [(f"optimizer/{slot}/{name}", "float32") for slot in ("momentum", "velocity")
           for name in ("dense/kernel", "dense/bias", "dense_2/kernel", "dense_2/bias")])
    assert header["metadata"]["producer"] == "nnm-python 0.1.0"
    # Saving the loaded model again gives the same bytes.
    again = tmp_path / "again.nnm"
    nnm.save(loaded, again, dtype=dtype)
    assert again.read_bytes() == path.read_bytes()


def test_model_without_optimizer_or_metadata(tmp_path):
    config = sequential([3], [("Dense", 2, "relu")])
    model = nnm.Model(config, random_weights(config))
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    nnm.save(model, tmp_path / "m.nnm")
    header = parse_file((tmp_path / "m.nnm").read_bytes())
    assert list(header) == ["architecture", "tensors", "metadata"]
    assert list(header["metadata"]) == ["producer", "created"]
    created = header["metadata"]["created"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created)
    when = datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    assert before <= when <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
    loaded = nnm.load(tmp_path / "m.nnm")
    assert loaded.optimizer is None and loaded.history is None
    nnm.save(model, tmp_path / "n.nnm", created="2020-02-02T02:02:02Z")
    assert nnm.load(tmp_path / "n.nnm").metadata["created"] == "2020-02-02T02:02:02Z"


def test_weightless_model(tmp_path):
    model = nnm.Model(sequential([4], [("Activation", "softmax")]), {})
    nnm.save(model, tmp_path / "m.nnm")
    header = parse_file((tmp_path / "m.nnm").read_bytes())
    assert header["tensors"] == []
    np.testing.assert_allclose(nnm.load(tmp_path / "m.nnm").predict(np.zeros((1, 4))), [[0.25] * 4])


def test_keras3_config_is_written_in_keras2_style(tmp_path):
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None, "config": {
        "name": "k3", "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
             "config": {"batch_shape": [None, 3], "dtype": "float32", "name": "inp"}},
            {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
             "config": {"name": "out", "units": 2, "activation": "silu", "use_bias": True,
                        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}},
                        "kernel_initializer": "he_normal"}}]}}
    model = nnm.Model(config, {"out/kernel": np.ones((3, 2)), "out/bias": [0.5, -0.5]})
    nnm.save(model, tmp_path / "m.nnm")
    written = nnm.load(tmp_path / "m.nnm")
    layers = written.architecture["config"]["layers"]
    assert written.architecture["class_name"] == "Sequential" and written.architecture["config"]["name"] == "k3"
    assert layers[0]["config"]["batch_input_shape"] == [None, 3] and layers[0]["config"]["name"] == "inp"
    assert layers[1]["config"]["activation"] == "swish" and layers[1]["config"]["dtype"] == "float32"
    assert layers[1]["config"]["kernel_initializer"] == {"class_name": "HeNormal", "config": {"seed": None}}
    np.testing.assert_array_equal(written.predict([[1, 2, 3]]), model.predict([[1, 2, 3]]))


def test_bfloat16_rounds_to_nearest_even():
    one = 1.0
    values = np.array([one + 2 ** -8,           # halfway between 1 and 1 + 2^-7: even is 1
                       one + 3 * 2 ** -8,       # halfway between 1 + 2^-7 and 1 + 2^-6: even is 1 + 2^-6
                       one + 2 ** -8 + 2 ** -20,  # just above halfway: up
                       -(one + 2 ** -8), np.inf, -np.inf, 3.0e38, 0.0, -0.0], np.float32)
    got = dtypes.decode(dtypes.encode(values, "bfloat16"), "bfloat16", values.shape)
    assert list(got[:4]) == [1.0, 1 + 2 ** -6, 1 + 2 ** -7, -1.0]
    assert got[4] == np.inf and got[5] == -np.inf
    assert got[6] == bfloat16_reference(values[6:7])[0]
    assert np.signbit(got[8]) and got[7] == 0
    nan = dtypes.decode(dtypes.encode(np.array([np.nan], np.float32), "bfloat16"), "bfloat16", (1,))
    assert np.isnan(nan[0])


def test_float16_overflows_to_infinity():
    got = dtypes.decode(dtypes.encode(np.array([70000, -70000, 65504, 1e-8], np.float32), "float16"), "float16", (4,))
    assert list(got[:3]) == [np.inf, -np.inf, 65504] and got[3] == np.float32(np.float16(1e-8))


def test_unknown_dtype_is_refused(tmp_path):
    config = sequential([3], [("Dense", 2, "relu")])
    with pytest.raises(ValueError, match="unknown dtype 'int8'"):
        nnm.save(nnm.Model(config, random_weights(config)), tmp_path / "m.nnm", dtype="int8")
    assert list(tmp_path.iterdir()) == []


def test_save_replaces_atomically(tmp_path):
    config = sequential([3], [("Dense", 2, "relu")])
    path = tmp_path / "m.nnm"
    path.write_bytes(b"old contents")
    nnm.save(nnm.Model(config, random_weights(config)), path)
    assert nnm.load(path).weights["dense/kernel"].shape == (3, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.nnm"]  # no temporary file left
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_header_over_16_mib_is_refused_before_writing(tmp_path):
    config = sequential([3], [("Dense", 2, "relu")])
    model = nnm.Model(config, random_weights(config), metadata={"user": {"big": "x" * (16 << 20)}})
    path = tmp_path / "m.nnm"
    path.write_bytes(b"previous model")
    with pytest.raises(nnm.FormatError) as caught:
        nnm.save(model, path)
    assert caught.value.kind == "cannotWrite"
    assert str(path) in str(caught.value) and "16777216" in str(caught.value)
    assert path.read_bytes() == b"previous model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.nnm"]


def test_what_a_reader_would_refuse_is_not_written(tmp_path):
    config = sequential([3], [("Dense", 2, "relu")])
    model = nnm.Model(config, random_weights(config), metadata={"history": {"loss": [0.5]}})
    model.metadata["history"]["loss"].append(float("nan"))  # non-finite numbers have no JSON form
    with pytest.raises(nnm.FormatError, match="cannot write"):
        nnm.save(model, tmp_path / "a.nnm")
    model = nnm.Model(config, random_weights(config))
    model.weights["dense/kernel"] = np.zeros((2, 3), np.float32)  # replaced with the wrong shape
    with pytest.raises(nnm.FormatError, match="the architecture needs"):
        nnm.save(model, tmp_path / "b.nnm")
    assert list(tmp_path.iterdir()) == []


def test_unsuitable_targets_are_refused(tmp_path):
    config = sequential([3], [("Dense", 2, "relu")])
    model = nnm.Model(config, random_weights(config))
    (tmp_path / "folder").mkdir()
    real = tmp_path / "real.nnm"
    real.write_bytes(b"keep")
    (tmp_path / "link.nnm").symlink_to(real)
    for target, text in ((tmp_path / "folder", "folder"), (tmp_path / "link.nnm", "symbolic link")):
        with pytest.raises(nnm.FormatError, match=text):
            nnm.save(model, target)
    assert real.read_bytes() == b"keep"
    with pytest.raises(FileNotFoundError):
        nnm.save(model, tmp_path / "missing" / "m.nnm")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "link.nnm", "real.nnm"]
