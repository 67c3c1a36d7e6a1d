"""Peer for the ONNX export benchmark: writes the ONNX file `nnmodel convert MODEL.nnm OUT.onnx`
writes, with the onnx package. Reads the weights of MODEL.nnm with numpy (peers/nnm_numpy.py;
not timed: `read_seconds`), then times building the same graph (opset 17, IR 8: Flatten, then
per Dense a Gemm and its activation; initializers as raw float32 via numpy_helper.from_array)
and `onnx.save` (serialize and write): `build_seconds`, `save_seconds`. `fsync_seconds` is an
fsync of the written file afterwards (nnmodel fsyncs what it writes), timed separately so that
both sides leave no dirty pages behind for the next run. Dense layers with relu, softmax or
linear activations only (the seed and the big model). Prints one JSON line.

    python onnx_save.py MODEL.nnm OUT.onnx
"""
import json
import os
import sys
import time

START = time.perf_counter()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import nnm_numpy  # noqa: E402

ACTIVATIONS = {"relu": ("Relu", {}), "softmax": ("Softmax", {"axis": -1}), "linear": None}


def build(arch, tensors):
    layers = arch["config"]["layers"]
    shape = layers[0]["config"]["batch_input_shape"][1:]
    input_name = layers[0]["config"].get("name", "input_layer")
    nodes, initializers = [], []
    current = input_name
    units = None
    for layer in layers[1:]:
        c = layer["config"]
        if layer["class_name"] == "Flatten":
            nodes.append(helper.make_node("Flatten", [current], [c["name"]], name=c["name"], axis=1))
            current = c["name"]
        elif layer["class_name"] == "Dense":
            kernel, bias = f"{c['name']}/kernel", f"{c['name']}/bias"
            initializers.append(numpy_helper.from_array(tensors[kernel], kernel))
            initializers.append(numpy_helper.from_array(tensors[bias], bias))
            activation = ACTIVATIONS[c.get("activation", "linear")]
            gemm_out = f"{c['name']}/dense" if activation else c["name"]
            nodes.append(helper.make_node("Gemm", [current, kernel, bias], [gemm_out], name=gemm_out))
            if activation:
                op, attrs = activation
                nodes.append(helper.make_node(op, [gemm_out], [c["name"]], name=c["name"], **attrs))
            current = c["name"]
            units = c["units"]
        else:
            raise ValueError(f"layer {layer['class_name']} is not supported by this peer")
    graph = helper.make_graph(
        nodes, arch["config"].get("name", "model"),
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["batch"] + list(shape))],
        [helper.make_tensor_value_info(current, TensorProto.FLOAT, ["batch", units])],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="onnx_save.py")
    model.ir_version = 8
    helper.set_model_props(model, {"nnmodel.architecture": json.dumps(arch)})
    return model


def main():
    source, out = sys.argv[1:3]
    imported = time.perf_counter()
    t0 = time.perf_counter()
    arch, tensors = nnm_numpy.read(source)
    read_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = build(arch, tensors)
    build_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    onnx.save(model, out)
    save_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    fd = os.open(out, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    fsync_seconds = time.perf_counter() - t0
    print(json.dumps({
        "tool": "onnx",
        "read_seconds": read_seconds,
        "build_seconds": build_seconds,
        "save_seconds": save_seconds,
        "fsync_seconds": fsync_seconds,
        "import_seconds": imported - START,
        "bytes": os.path.getsize(out),
        "parameters": int(sum(a.size for a in tensors.values())),
        "onnx": onnx.__version__,
        "numpy": np.__version__,
    }), flush=True)


if __name__ == "__main__":
    main()
