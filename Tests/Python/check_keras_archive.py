"""Checks a .keras archive nnmodel wrote the way Python sees it, without TensorFlow, for the Swift tests.

    check_keras_archive.py MODEL.keras EXPECTED.json

Opens the archive with zipfile (which checks every header and, in testzip, every CRC-32) and the
weights store with h5py, and checks Keras 3's layout: the three members in Keras's order and
stored; metadata.json; config.json's objects (module, class_name, config, registered_name,
build_config), the InputLayer's batch_shape and the DTypePolicy objects; the weights store's
layers/<class>[_<n>]/vars/<i> groups with the layer names, optimizer/vars and vars. Compares every
weight and optimizer slot bit for bit with the .npy files EXPECTED.json names (float64 stores are
compared after conversion to float32, which is exact for values nnmodel wrote from float32).
Prints one line of facts; exits non-zero with the reason when a check fails.
"""
import io
import json
import re
import sys
import zipfile

import h5py
import numpy as np

MEMBERS = ["metadata.json", "config.json", "model.weights.h5"]


def fail(message):
    sys.exit(f"check_keras_archive: {message}")


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def same_bits(stored, expected_file, what):
    expected = np.load(expected_file)
    values = np.asarray(stored)
    if values.shape != expected.shape:
        fail(f"{what}: shape {values.shape}, expected {expected.shape}")
    if not np.array_equal(values.astype(np.float32).view(np.uint32), expected.astype(np.float32).view(np.uint32)):
        fail(f"{what}: values differ (max abs diff {np.max(np.abs(values - expected))})")


def check_object(obj, module, class_name, where):
    keys = list(obj)
    if keys[:4] != ["module", "class_name", "config", "registered_name"]:
        fail(f"{where}: keys {keys}, expected module, class_name, config, registered_name first")
    if obj["module"] != module or obj["class_name"] != class_name or obj["registered_name"] is not None:
        fail(f"{where}: {obj['module']}.{obj['class_name']} (registered {obj['registered_name']}), expected {module}.{class_name}")


def main():
    path, expected_path = sys.argv[1:3]
    with open(expected_path) as f:
        expected = json.load(f)
    dtype = expected["dtype"]

    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        if [i.filename for i in infos] != MEMBERS:
            fail(f"members {[i.filename for i in infos]}, expected {MEMBERS}")
        if any(i.compress_type != zipfile.ZIP_STORED for i in infos):
            fail(f"compression {[i.compress_type for i in infos]}, Keras stores its members")
        bad = z.testzip()
        if bad is not None:
            fail(f"CRC-32 mismatch in {bad}")
        metadata = json.loads(z.read("metadata.json"))
        config = json.loads(z.read("config.json"))
        store = z.read("model.weights.h5")

    if list(metadata) != ["keras_version", "date_saved"] or not metadata["keras_version"].startswith("3."):
        fail(f"metadata.json {metadata}")
    if not re.fullmatch(r"\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d", metadata["date_saved"]):
        fail(f"date_saved {metadata['date_saved']!r} is not Keras's %Y-%m-%d@%H:%M:%S")

    check_object(config, "keras", "Sequential", "config.json")
    if list(config)[4:] != ["build_config", "compile_config"]:
        fail(f"config.json keys {list(config)}")
    model = config["config"]
    if model["name"] != expected["model_name"]:
        fail(f"model name {model['name']!r}, expected {expected['model_name']!r}")
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype}, "registered_name": None}
    if model["dtype"] != policy:
        fail(f"model dtype {model['dtype']}, expected {policy}")
    layers = model["layers"]
    check_object(layers[0], "keras.layers", "InputLayer", "layers[0]")
    batch_shape = layers[0]["config"]["batch_shape"]
    if batch_shape[0] is not None or batch_shape != model["build_input_shape"] or config["build_config"]["input_shape"] != batch_shape:
        fail(f"InputLayer batch_shape {batch_shape}, build_input_shape {model['build_input_shape']}")
    if layers[0]["config"]["dtype"] != dtype:
        fail(f"InputLayer dtype {layers[0]['config']['dtype']}, expected {dtype}")
    if [layer["config"]["name"] for layer in layers[1:]] != expected["layers"]:
        fail(f"layers {[layer['config']['name'] for layer in layers[1:]]}, expected {expected['layers']}")
    for i, (layer, class_name) in enumerate(zip(layers[1:], expected["classes"]), 1):
        check_object(layer, "keras.layers", class_name, f"layers[{i}]")
        if layer["config"]["dtype"] != policy:
            fail(f"layers[{i}] dtype {layer['config']['dtype']}")
        if ("build_config" in layer) != (class_name in ("Dense", "Flatten")):
            fail(f"layers[{i}] ({class_name}) build_config {layer.get('build_config')}")
        if class_name == "Dense":
            for key in ("kernel_initializer", "bias_initializer"):
                if layer["config"][key]["module"] != "keras.initializers":
                    fail(f"layers[{i}] {key} {layer['config'][key]}")
    compile_config = config["compile_config"]
    if expected["optimizer_slots"] and compile_config["optimizer"]["module"] != "keras.optimizers":
        fail(f"compile_config {compile_config}")

    with h5py.File(io.BytesIO(store), "r") as f:
        if sorted(f) != (["layers", "optimizer", "vars"] if expected["iterations"] is not None else ["layers", "vars"]):
            fail(f"store groups {sorted(f)}")
        if f["vars"].attrs["name"] != expected["model_name"] or len(f["vars"]) != 0:
            fail("the model's own 'vars' group")
        counters, groups = {}, []
        for class_name in expected["classes"]:
            base = snake(class_name)
            n = counters.get(base, 0)
            counters[base] = n + 1
            groups.append(base if n == 0 else f"{base}_{n}")
        if sorted(f["layers"]) != sorted(groups):
            fail(f"layer groups {sorted(f['layers'])}, expected {sorted(groups)}")
        for name, group in zip(expected["layers"], groups):
            if f["layers"][group]["vars"].attrs["name"] != name:
                fail(f"layers/{group}/vars name {f['layers'][group]['vars'].attrs['name']!r}, expected {name!r}")
        position = {}
        for i, weight in enumerate(expected["weights"]):
            group = groups[expected["layers"].index(weight["layer"])]
            index = position.get(group, 0)
            position[group] = index + 1
            dataset = f["layers"][group]["vars"][str(index)]
            if dataset.dtype != np.dtype(dtype):
                fail(f"layers/{group}/vars/{index} is {dataset.dtype}, expected {dtype}")
            same_bits(dataset[()], weight["file"], f"layers/{group}/vars/{index}")
        for group in groups:
            if len(f["layers"][group]["vars"]) != position.get(group, 0):
                fail(f"layers/{group}/vars holds {len(f['layers'][group]['vars'])} variables")
        slots = 0
        if expected["iterations"] is not None:
            variables = f["optimizer"]["vars"]
            if len(variables) != 2 + len(expected["optimizer_slots"]):
                fail(f"optimizer/vars holds {len(variables)} variables, expected {2 + len(expected['optimizer_slots'])}")
            if variables["0"].dtype != np.int64 or variables["0"].shape != () or variables["0"][()] != expected["iterations"]:
                fail(f"optimizer/vars/0 (iterations) is {variables['0'].dtype} {variables['0'][()]}")
            if variables["1"].dtype != np.float32 or variables["1"].shape != ():
                fail("optimizer/vars/1 (learning rate) is not a float32 scalar")
            for i, file in enumerate(expected["optimizer_slots"]):
                same_bits(variables[str(2 + i)][()], file, f"optimizer/vars/{2 + i}")
            slots = len(expected["optimizer_slots"])
        metadata_attr = json.loads(f.attrs["nnmodel_metadata"])
        if metadata_attr.get("class_names") != expected["class_names"]:
            fail(f"nnmodel_metadata class names {metadata_attr.get('class_names')}")

    print(f"members={','.join(MEMBERS)} stored keras_version={metadata['keras_version']} layers={len(groups)} "
          f"weights={len(expected['weights'])} optimizer_slots={slots} dtype={dtype}")


if __name__ == "__main__":
    main()
