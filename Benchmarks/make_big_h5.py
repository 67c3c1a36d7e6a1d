#!/usr/bin/env python3
"""Writes a large Keras legacy HDF5 model with h5py, in the layout tf_keras's model.save('x.h5')
writes (see LAYOUTS.md section 4 of the Keras reference files):

    /                       attrs model_config (Sequential config JSON), keras_version, backend
    /model_weights          attrs layer_names, keras_version, backend
    /model_weights/<layer>  attr weight_names: ['<layer>/kernel:0', '<layer>/bias:0'],
                            or an empty float64 array for weightless layers
    /model_weights/<layer>/<layer>/kernel:0, .../bias:0   contiguous float32 datasets
    /model_weights/top_level_model_weights   (not in layer_names)

Architecture and weights are exactly those of make_big_model.py with the same options, so
`nnmodel convert big.h5 out.nnm` must give the tensors (and CRC-32s) of make_big_model.py's file.
Written chunk by chunk (16 MiB at a time).

    python make_big_h5.py OUT.h5 [--width 4096] [--layers 16] [--classes 10] [--seed 0]
"""
import json
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_big_model as big  # noqa: E402

KERAS_VERSION = "2.21.0"


def write_h5(path, arch, seed):
    ascii_str = h5py.string_dtype("ascii")
    utf8_str = h5py.string_dtype("utf-8")
    specs = big.weights(arch)
    layer_names = [layer["config"]["name"] for layer in arch["config"]["layers"]
                   if layer["class_name"] != "InputLayer"]
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs.create("backend", "tensorflow", dtype=utf8_str)
        f.attrs.create("keras_version", KERAS_VERSION, dtype=utf8_str)
        f.attrs.create("model_config", json.dumps(arch), dtype=ascii_str)
        g = f.create_group("model_weights")
        g.attrs.create("backend", "tensorflow", dtype=ascii_str)
        g.attrs.create("keras_version", KERAS_VERSION, dtype=ascii_str)
        g.attrs.create("layer_names", np.array(layer_names, dtype=object), dtype=ascii_str)
        for name in layer_names + ["top_level_model_weights"]:
            layer_group = g.create_group(name)
            names = [f"{layer}/{kind}:0" for layer, kind, _ in specs if layer == name]
            if names:
                layer_group.attrs.create("weight_names", np.array(names, dtype=object), dtype=ascii_str)
            else:
                layer_group.attrs.create("weight_names", np.zeros((0,), dtype=np.float64))
        for index, (layer, kind, shape) in enumerate(specs):
            ds = g[layer].create_dataset(f"{layer}/{kind}:0", shape=shape, dtype="<f4")
            row = 0
            for block in big.chunks(index, shape, seed):
                if len(shape) == 2:
                    ds[row:row + block.shape[0]] = block
                    row += block.shape[0]
                else:
                    ds[...] = block
    os.replace(tmp, path)
    return big.parameter_count(specs)


def main():
    big.run(__doc__, write_h5, h5py=h5py.__version__)


if __name__ == "__main__":
    sys.exit(main())
