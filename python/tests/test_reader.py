"""Reader checks beyond the test vectors, on files built by Fixtures/nnm/make_vectors.py."""
import json
import struct
import zlib

import numpy as np
import pytest

import nnm
from nnm_testing import make_vectors, sequential

MV = make_vectors()


def write(tmp_path, data, name="m.nnm"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(path, kind, text=None):
    with pytest.raises(nnm.FormatError) as caught:
        nnm.load(path)
    assert caught.value.kind == kind, str(caught.value)
    assert str(caught.value).startswith(f"{path}: ")
    if text:
        assert text in str(caught.value)
    return caught.value


def edit(index, **changes):
    def mutate(header):
        header["tensors"][index].update(changes)
    return mutate


def with_header(text: bytes, data: bytes = b"") -> bytes:
    out = MV.MAGIC + struct.pack("<HHIQ", 1, 0, zlib.crc32(text), len(text)) + text
    out += b"\0" * (MV.aligned(len(out)) - len(out))
    return out + data


def test_any_minor_version_is_read(tmp_path):
    for minor in (0, 1, 65535):
        assert nnm.load(write(tmp_path, MV.build(minor=minor))).predict([[1, 2]]).shape == (1, 1)


def test_major_version_zero_is_invalid(tmp_path):
    refused(write(tmp_path, MV.build(major=0)), "unsupportedVersion", "invalid nnm format version 0.0")


def test_other_major_names_both_versions(tmp_path):
    error = refused(write(tmp_path, MV.build(major=3, minor=2)), "unsupportedVersion")
    assert "3.2" in str(error) and "1.x" in str(error)


def test_truncated_preamble_of_a_real_file_is_too_short(tmp_path):
    refused(write(tmp_path, MV.build()[:5]), "tooShort", "5 bytes")
    refused(write(tmp_path, b"GIF89a"), "notNNM", "47 49 46 38 39 61")


def test_bytes_after_the_last_tensor_are_ignored(tmp_path):
    assert nnm.load(write(tmp_path, MV.build() + b"future data" * 10)).weights["dense/bias"][0] == 0.125


def test_header_exactly_at_the_end_of_the_file(tmp_path):
    text = MV.dumps({"architecture": sequential([3], [("Activation", "softmax")]), "tensors": []})
    data = MV.MAGIC + struct.pack("<HHIQ", 1, 0, zlib.crc32(text), len(text)) + text  # no padding, no data
    model = nnm.load(write(tmp_path, data))
    np.testing.assert_allclose(model.predict([[0, 0, 0]]), [[1 / 3] * 3], atol=1e-7)


@pytest.mark.parametrize("text, reason", [
    (b'{"architecture": 1, "architecture": 2, "tensors": []}', "duplicate key 'architecture'"),
    (b'{"architecture": {"class_name": "Sequential", "config": {"name": "a", "name": "b", "layers": []}}, "tensors": []}',
     "duplicate key 'name'"),
    (b'{"architecture": NaN, "tensors": []}', "NaN"),
    (b'{"architecture": 1e999, "tensors": []}', "out of range"),
    (b'\xef\xbb\xbf{"architecture": 1, "tensors": []}', "invalid JSON"),
    (b'{"architecture": "\\ud800", "tensors": []}', "unpaired surrogate"),
    (b'{"architecture": 1, "tensors": []} x', "invalid JSON"),
    (b'{"architecture": ' + b"[" * 300 + b"]" * 300 + b', "tensors": []}', "deeper than 256"),
    (b'{"architecture": ' + b"[" * 5000 + b"]" * 5000 + b', "tensors": []}', "deeper than 256"),
    (b'{"tensors": []}', "missing 'architecture'"),
    (b'{"architecture": 1}', "missing 'tensors' array"),
    (b'{"architecture": 1, "tensors": {}}', "missing 'tensors' array"),
])
def test_invalid_header_json(tmp_path, text, reason):
    refused(write(tmp_path, with_header(text)), "invalidHeader", reason)


def test_nesting_within_the_limit_is_accepted(tmp_path):
    deep = {"a": 1}
    for _ in range(250):
        deep = {"x": deep}
    model = nnm.load(write(tmp_path, MV.build(extra_header={"future": deep})))
    assert model.weights["dense/kernel"].shape == (2, 1)


@pytest.mark.parametrize("changes, kind, text", [
    ({"shape": [1] * 9, "length": 4}, "invalidTensorShape", "rank 9 exceeds 8"),
    ({"shape": [-2, -1], "length": 8}, "invalidTensorShape", "not a non-negative integer"),
    ({"shape": [2, 1.5]}, "invalidTensorShape", "not a non-negative integer"),
    ({"shape": [2, True]}, "invalidTensorShape", "not a non-negative integer"),
    ({"shape": [1 << 32, 1 << 32]}, "invalidTensorShape", "more elements than can be addressed"),
    ({"shape": [1 << 62, 4]}, "invalidTensorShape", "not a non-negative integer"),
    ({"shape": [1 << 31, 1 << 31]}, "invalidTensorShape", "more bytes than can be addressed"),
    ({"dtype": "float8"}, "unknownDType", "unknown dtype 'float8'"),
    ({"dtype": 4}, "invalidHeader", "no 'dtype' string"),
    ({"offset": -64}, "invalidHeader", "no valid 'offset'"),
    ({"length": "8"}, "invalidHeader", "no valid 'length'"),
    ({"crc32": 1 << 32}, "invalidHeader", "no valid 'crc32'"),
    ({"crc32": -1}, "invalidHeader", "no valid 'crc32'"),
    ({"offset": 1 << 40}, "tensorOutOfBounds", "lies outside"),
    ({"offset": 1 << 62}, "invalidHeader", "no valid 'offset'"),
    ({"shape": [2, 1, 1]}, "tensorShapeMismatch", "has shape [2, 1, 1], the architecture needs [2, 1]"),
])
def test_malformed_tensor_entries(tmp_path, changes, kind, text):
    refused(write(tmp_path, MV.build(mutate=edit(0, **changes))), kind, text)


def test_tensor_entry_without_a_member(tmp_path):
    for member in ("name", "dtype", "shape", "offset", "length", "crc32"):
        def drop(header, member=member):
            del header["tensors"][0][member]
        error = refused(write(tmp_path, MV.build(mutate=drop)), "invalidHeader")
        assert member in str(error)


def test_integral_json_numbers_are_integers(tmp_path):
    model = nnm.load(write(tmp_path, MV.build(mutate=edit(0, shape=[2.0, 1.0], length=8.0, offset=0.0))))
    assert model.weights["dense/kernel"].shape == (2, 1)


def test_too_many_tensors(tmp_path):
    def many(header):
        header["tensors"] += [{"name": f"t{i}", "dtype": "float32", "shape": [0], "offset": 0, "length": 0,
                               "crc32": 0} for i in range(65536)]
    refused(write(tmp_path, MV.build(mutate=many)), "tooManyTensors", "65538 tensors exceed the limit of 65536")


def test_unknown_tensors_are_ignored_but_checked(tmp_path):
    extra = [("dense/kernel", [2, 1], MV.KERNEL), ("dense/bias", [1], MV.BIAS), ("future/thing", [3], [1.0, 2.0, 3.0])]
    model = nnm.load(write(tmp_path, MV.build(tensors=extra)))
    assert list(model.weights) == ["dense/kernel", "dense/bias"]
    # Still checked for placement...
    refused(write(tmp_path, MV.build(tensors=extra, mutate=edit(2, offset=640))), "tensorOutOfBounds", "future/thing")
    refused(write(tmp_path, MV.build(tensors=extra, mutate=edit(2, offset=32))), "misalignedTensor", "future/thing")
    # ...and for its checksum, unless verification is off.
    damaged = write(tmp_path, MV.build(tensors=extra, mutate=edit(2, crc32=7)))
    refused(damaged, "checksumMismatch", "future/thing")
    assert nnm.load(damaged, verify=False).weights["dense/bias"][0] == 0.125


def test_empty_tensors_may_share_offsets(tmp_path):
    tensors = [("dense/kernel", [2, 1], MV.KERNEL), ("dense/bias", [1], MV.BIAS), ("empty", [0, 5], []),
               ("scalar-free", [3, 0], [])]
    model = nnm.load(write(tmp_path, MV.build(tensors=tensors, mutate=edit(2, offset=0))))
    assert model.weights["dense/bias"].shape == (1,)


def test_bias_only_needed_when_use_bias(tmp_path):
    arch = sequential([2], [("Dense", 1, "sigmoid", False)], name="tiny")
    model = nnm.load(write(tmp_path, MV.build(arch=arch, tensors=[("dense/kernel", [2, 1], MV.KERNEL)])))
    assert list(model.weights) == ["dense/kernel"]
    np.testing.assert_allclose(model.predict([[1, 2]]), [[0.5]], atol=1e-7)


KERAS3_SEQUENTIAL = {
    "module": "keras", "class_name": "Sequential", "registered_name": None,
    "config": {"name": "sequential", "trainable": True, "dtype": {
        "module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None},
        "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
             "config": {"batch_shape": [None, 2], "dtype": "float32", "sparse": False, "name": "input_layer"}},
            {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
             "config": {"name": "dense", "trainable": True, "dtype": {
                 "module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                 "registered_name": None},
                 "units": 1, "activation": "sigmoid", "use_bias": True,
                 "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                                        "config": {"seed": None}, "registered_name": None},
                 "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                                      "registered_name": None},
                 "kernel_regularizer": None, "bias_regularizer": None, "kernel_constraint": None,
                 "bias_constraint": None},
             "build_config": {"input_shape": [None, 2]}}],
        "build_input_shape": [None, 2]},
    "build_config": {"input_shape": [None, 2]}}

KERAS3_FUNCTIONAL = {
    "module": "keras", "class_name": "Functional", "registered_name": "Functional",
    "config": {"name": "functional", "trainable": True, "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None, "name": "input_layer",
         "config": {"batch_shape": [None, 2], "dtype": "float32", "sparse": False, "name": "input_layer"},
         "inbound_nodes": []},
        {"module": "keras.layers", "class_name": "Dense", "registered_name": None, "name": "dense",
         "config": {"name": "dense", "units": 1, "activation": {"module": "keras.activations",
                                                                "class_name": "function", "config": "sigmoid",
                                                                "registered_name": "sigmoid"},
                    "use_bias": True},
         "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
             "shape": [None, 2], "dtype": "float32", "keras_history": ["input_layer", 0, 0]}}], "kwargs": {}}]}],
        "input_layers": [["input_layer", 0, 0]], "output_layers": [["dense", 0, 0]]}}

KERAS2_FUNCTIONAL = {
    "class_name": "Functional",
    "config": {"name": "model", "layers": [
        {"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 2], "dtype": "float32", "name": "input_1"}},
        {"class_name": "Dropout", "name": "dropout", "inbound_nodes": [[["input_1", 0, 0, {}]]],
         "config": {"name": "dropout", "rate": 0.5, "noise_shape": None, "seed": None}},
        {"class_name": "Dense", "name": "dense", "inbound_nodes": [[["dropout", 0, 0, {}]]],
         "config": {"name": "dense", "units": 1, "activation": "sigmoid"}}],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["dense", 0, 0]]}}


@pytest.mark.parametrize("arch", [KERAS3_SEQUENTIAL, KERAS3_FUNCTIONAL, KERAS2_FUNCTIONAL],
                         ids=["keras3-sequential", "keras3-functional", "keras2-functional"])
def test_keras_configs_are_read(tmp_path, arch):
    model = nnm.load(write(tmp_path, MV.build(arch=arch)))
    assert model.architecture == arch  # kept as read
    assert model.input_shape == (2,)
    assert abs(float(model.predict([[1, 2]])[0, 0]) - 0.531209) < 1e-6


def chain_with(mutate):
    arch = json.loads(json.dumps(KERAS2_FUNCTIONAL))
    mutate(arch)
    return arch


@pytest.mark.parametrize("arch, text", [
    (chain_with(lambda a: a["config"]["layers"][2].update(inbound_nodes=[[["input_1", 0, 0, {}]]])),
     "its input is 'input_1', not the preceding layer 'dropout'"),
    (chain_with(lambda a: a["config"]["layers"][2].update(
        inbound_nodes=[[["dropout", 0, 0, {}], ["input_1", 0, 0, {}]]])), "takes 2 inputs"),
    (chain_with(lambda a: a["config"]["layers"][2].update(inbound_nodes=[])), "it has no input"),
    (chain_with(lambda a: a["config"].update(output_layers=[["dropout", 0, 0]])), "output_layers"),
    (chain_with(lambda a: a["config"]["layers"][1].update(module="mypackage.layers")),
     "unsupported class 'mypackage.layers.Dropout'"),
    (chain_with(lambda a: a["config"]["layers"][2].update(registered_name="Custom>Dense")),
     "unsupported class 'Custom>Dense'"),
    (chain_with(lambda a: a.update(class_name="Graph")), "unsupported model class 'Graph'"),
    (chain_with(lambda a: a["config"]["layers"][1]["config"].update(rate=1.0)), "a number in [0, 1)"),
    (chain_with(lambda a: a["config"]["layers"][1]["config"].update(noise_shape=[1, 2])), "noise_shape"),
    (chain_with(lambda a: a["config"]["layers"][2]["config"].update(name="input_1")),
     "two layers are named 'input_1'"),
    (chain_with(lambda a: a["config"]["layers"][2]["config"].update(units=0)), "units"),
    (chain_with(lambda a: a["config"]["layers"][2]["config"].update(dtype="int8")), "dtype"),
    (chain_with(lambda a: a["config"]["layers"][2]["config"].update(
        activation={"module": "evil", "class_name": "function", "config": "relu"})), "unsupported activation"),
    (chain_with(lambda a: a["config"]["layers"][0]["config"].pop("batch_input_shape")), "input shape"),
    (chain_with(lambda a: a["config"]["layers"][0]["config"].update(batch_input_shape=[None, 0])),
     "positive integer dimensions"),
    (chain_with(lambda a: a["config"]["layers"][0]["config"].update(batch_input_shape=[None] + [1] * 9)),
     "rank must be 1 to 8"),
    (chain_with(lambda a: a["config"]["layers"].insert(2, {"class_name": "Lambda", "name": "l", "config": {},
                                                     "inbound_nodes": [[["dropout", 0, 0, {}]]]})),
     "unsupported class 'Lambda'"),
])
def test_architectures_outside_the_subset_are_refused(tmp_path, arch, text):
    refused(write(tmp_path, MV.build(arch=arch)), "invalidArchitecture", text)


def test_optimizer_state_must_be_complete(tmp_path):
    optimizer = {"name": "momentum", "learning_rate": 0.01, "momentum": 0.9, "iterations": 3, "slots": ["momentum"]}
    tensors = [("dense/kernel", [2, 1], MV.KERNEL), ("dense/bias", [1], MV.BIAS),
               ("optimizer/momentum/dense/kernel", [2, 1], [0.25, 0.5]),
               ("optimizer/momentum/dense/bias", [1], [-1.0])]
    model = nnm.load(write(tmp_path, MV.build(tensors=tensors, extra_header={"optimizer": optimizer})))
    assert model.optimizer["name"] == "momentum" and model.optimizer["iterations"] == 3
    np.testing.assert_array_equal(model.optimizer["slot_values"]["momentum"]["dense/kernel"], [[0.25], [0.5]])
    refused(write(tmp_path, MV.build(tensors=tensors[:3], extra_header={"optimizer": optimizer})),
            "missingTensor", "'optimizer/momentum/dense/bias'")
    for bad, text in [(dict(optimizer, name="lbfgs"), "unknown optimizer"),
                      (dict(optimizer, slots=[]), "'slots' should be ['momentum']"),
                      (dict(optimizer, iterations=-1), "iterations"),
                      (dict(optimizer, momentum=1.5), "momentum"),
                      (dict(optimizer, learning_rate="fast"), "learning_rate")]:
        refused(write(tmp_path, MV.build(tensors=tensors, extra_header={"optimizer": bad})),
                "invalidOptimizerState", text)


@pytest.mark.parametrize("metadata, text", [
    ([], "metadata: expected an object"),
    ({"producer": 1}, "'producer' should be a string"),
    ({"class_names": ["a", 2]}, "'class_names' should be an array of strings"),
    ({"history": {"loss": [1, 2], "accuracy": [0.5]}}, "one per epoch"),
    ({"history": {"accuracy": [0.5]}}, "missing field 'loss'"),
    ({"history": {"loss": ["x"]}}, "array of numbers"),
    ({"user": {"a": 1}}, "user entry 'a' should be a string"),
])
def test_invalid_metadata(tmp_path, metadata, text):
    def mutate(header):
        header["metadata"] = metadata
    refused(write(tmp_path, MV.build(mutate=mutate)), "invalidHeader", text)


def test_unknown_metadata_is_kept(tmp_path):
    def mutate(header):
        header["metadata"].update({"class_names": ["no", "yes"], "future": {"x": [1]},
                                   "history": {"epoch": [1, 2], "loss": [0.5, 0.25], "seconds": [1, 1]}})
    model = nnm.load(write(tmp_path, MV.build(mutate=mutate)))
    assert model.class_names == ["no", "yes"]
    assert model.history == {"epoch": [1, 2], "loss": [0.5, 0.25], "seconds": [1, 1]}
    assert model.metadata["future"] == {"x": [1]}


def test_folders_are_refused(tmp_path):
    with pytest.raises(nnm.FormatError) as caught:
        nnm.load(tmp_path)
    assert caught.value.kind == "notAFile"
    with pytest.raises(FileNotFoundError):
        nnm.load(tmp_path / "missing.nnm")


def test_read_header_reads_no_tensor(tmp_path):
    path = write(tmp_path, MV.build(mutate=edit(0, crc32=12345)))
    header = nnm.read_header(path)
    assert [t.name for t in header.tensors] == ["dense/kernel", "dense/bias"]
    assert header.data_offset == 1024 and header.major == 1
