"""Checks an ONNX file the way users' tools will see it, for the Swift tests.

    check_onnx.py MODEL.onnx INPUT.npy OUTPUT.npy

Runs onnx.checker.check_model(full_check=True) (structure, operator schemas and shape
inference), then onnxruntime on INPUT (float32), and writes its output to OUTPUT.npy. Prints one
line of facts about the graph; exits non-zero with the reason when a check fails.
"""
import sys

import numpy as np
import onnx
import onnxruntime as ort


def main():
    model_path, input_path, output_path = sys.argv[1:4]
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    if len(inputs) != 1:
        sys.exit(f"expected one input, found {len(inputs)}")
    x = np.load(input_path).astype(np.float32)
    y = session.run(None, {inputs[0].name: x})[0]
    np.save(output_path, y.astype(np.float32))
    batch = inputs[0].shape[0]
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    print(f"ir={model.ir_version} opset={opset} batch={batch} nodes={len(model.graph.node)} producer={model.producer_name}")


if __name__ == "__main__":
    main()
