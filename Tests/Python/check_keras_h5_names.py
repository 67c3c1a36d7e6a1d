"""Checks how Keras would read the layer and weight names of a legacy .h5 nnmodel wrote, without
TensorFlow, for the Swift tests.

    check_keras_h5_names.py MODEL.h5 EXPECTED.json

Reads `model_weights` with h5py the way Keras's legacy_h5_format.py does (its
`load_attributes_from_hdf5_group`: the attribute `name`, else `name0`, `name1`, ... joined, each
value decoded from UTF-8 when it is bytes) and compares the layer names with EXPECTED.json
({"layers": [...], "weight_names": {layer: [...], ...}}); for the layers EXPECTED.json lists under
"weight_names" (a sample: h5py takes about a millisecond per group), reads `weight_names` the same
way and the datasets they name, as `load_weights_from_hdf5_group` does.

Then writes the same layer names with the logic of Keras's `save_attributes_to_hdf5_group`
(numpy's fixed-width count, np.array_split until every piece's nbytes <= 64512; one piece is
stored as the Python list, several as the numpy pieces) into a file in memory and compares the
attributes: same names, same string type (variable-length, or fixed-length of the same size),
same shapes. Where h5py fails to write Keras's one piece ("object header message is too large":
more than 4032 variable-length strings), the file must hold that one attribute as fixed-length
strings of the longest name's size. Prints one line of facts; exits non-zero with the reason.
"""
import io
import json
import sys

import h5py
import numpy as np

HDF5_OBJECT_HEADER_LIMIT = 64512


def fail(message):
    sys.exit(f"check_keras_h5_names: {message}")


def load_attributes(group, name):
    """What Keras's load_attributes_from_hdf5_group returns."""
    def decoded(values):
        return [n.decode("utf8") if hasattr(n, "decode") else n for n in values]
    if name in group.attrs:
        return decoded(group.attrs[name])
    data, chunk = [], 0
    while f"{name}{chunk}" in group.attrs:
        data.extend(decoded(group.attrs[f"{name}{chunk}"]))
        chunk += 1
    return data


def save_attributes(group, name, data):
    """What Keras's save_attributes_to_hdf5_group writes."""
    data_npy = np.asarray(data)
    chunks = 1
    pieces = np.array_split(data_npy, chunks)
    while any(x.nbytes > HDF5_OBJECT_HEADER_LIMIT for x in pieces):
        chunks += 1
        pieces = np.array_split(data_npy, chunks)
    if chunks > 1:
        for number, piece in enumerate(pieces):
            group.attrs[f"{name}{number}"] = piece
    else:
        group.attrs[name] = data


def forms(group, prefix):
    """Attribute name -> (string type, shape) for the attributes named prefix, prefix0, ..."""
    found = {}
    for key in group.attrs:
        if key == prefix or (key.startswith(prefix) and key[len(prefix):].isdigit()):
            attribute = group.attrs.get_id(key)
            string_type = attribute.get_type()
            kind = "variable-length" if string_type.is_variable_str() else f"fixed-length {string_type.get_size()}"
            found[key] = (kind, attribute.shape)
    return found


def main():
    if len(sys.argv) != 3:
        fail("usage: check_keras_h5_names.py MODEL.h5 EXPECTED.json")
    with open(sys.argv[2]) as f:
        expected = json.load(f)
    with h5py.File(sys.argv[1], "r") as f:
        weights_group = f["model_weights"]
        layer_names = load_attributes(weights_group, "layer_names")
        if layer_names != expected["layers"]:
            fail(f"layer_names: {len(layer_names)} names, expected {len(expected['layers'])} "
                 f"(first difference at {next((i for i, (a, b) in enumerate(zip(layer_names, expected['layers'])) if a != b), None)})")
        count = 0
        for layer, names in expected["weight_names"].items():
            g = weights_group[layer]
            weight_names = load_attributes(g, "weight_names")
            if weight_names != names:
                fail(f"weight_names of {layer}: {weight_names}, expected {names}")
            for weight_name in weight_names:
                np.asarray(g[weight_name])
                count += 1
        ours = forms(weights_group, "layer_names")

    names = [name.encode("utf8") for name in layer_names]
    with h5py.File(io.BytesIO(), "w") as scratch:
        try:
            save_attributes(scratch, "layer_names", names)
            keras = forms(scratch, "layer_names")
        except (OSError, RuntimeError, ValueError) as error:
            if "object header message is too large" not in str(error):
                raise
            keras = None
    if keras is None:
        longest = max(len(name) for name in names)
        wanted = {"layer_names": (f"fixed-length {longest}", (len(names),))}
        if ours != wanted:
            fail(f"Keras cannot write these {len(names)} names in one attribute; expected {wanted}, found {ours}")
        print(f"layers={len(layer_names)} weights={count} layer_names={sorted(ours)} (Keras itself cannot write them)")
    else:
        if ours != keras:
            fail(f"layer_names attributes differ from what Keras writes: ours {ours}, Keras {keras}")
        print(f"layers={len(layer_names)} weights={count} layer_names={sorted(ours)} as Keras writes them")


if __name__ == "__main__":
    main()
