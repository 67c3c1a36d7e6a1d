"""Writes the ONNX fixtures: small MLPs exported by the tools people use, with inputs and the
exporting framework's own outputs.

Run by hand (needs torch, onnxscript, tensorflow, tf2onnx, onnx, onnxruntime, numpy):
    python Fixtures/onnx/gen.py
Each MODEL.onnx has MODEL.input.npy (float32 [5, 8, 8]; the CNN's [4, 9, 7, 2]) and MODEL.expected.npy (the framework's
prediction). manifest.json records the versions and how each file was made.
"""
import json
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(7)
x = rng.standard_normal((5, 8, 8)).astype(np.float32)
manifest = {"environment": {}, "files": []}


def record(name, producer, how, expected, inputs=x):
    np.save(os.path.join(here, name + ".input.npy"), inputs)
    np.save(os.path.join(here, name + ".expected.npy"), expected.astype(np.float32))
    manifest["files"].append({"file": name + ".onnx", "producer": producer, "how": how})


def torch_models():
    import torch
    from torch import nn

    manifest["environment"]["torch"] = torch.__version__
    torch.manual_seed(3)
    models = {
        "torch_mlp": nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 4), nn.Softmax(dim=1)),
        "torch_activations": nn.Sequential(
            nn.Flatten(), nn.Linear(64, 12), nn.GELU(), nn.Linear(12, 12), nn.Tanh(), nn.Linear(12, 12), nn.SiLU(),
            nn.Linear(12, 12), nn.ELU(), nn.Linear(12, 12), nn.LeakyReLU(0.2), nn.Linear(12, 12), nn.Hardswish(),
            nn.Linear(12, 12), nn.Mish(), nn.Linear(12, 12), nn.ReLU6(), nn.Linear(12, 12), nn.Softplus(),
            nn.Linear(12, 12), nn.SELU(), nn.Linear(12, 12), nn.Hardsigmoid(), nn.Linear(12, 12), nn.Softsign(),
            nn.Linear(12, 3, bias=False), nn.Sigmoid()),
    }
    for base, model in models.items():
        model.eval()
        with torch.no_grad():
            expected = model(torch.from_numpy(x)).numpy()
        batch = torch.export.Dim("batch")
        path = os.path.join(here, base + "_dynamo.onnx")
        torch.onnx.export(model, (torch.from_numpy(x),), path, dynamo=True, dynamic_shapes=({0: batch},),
                          external_data=False, optimize=True)
        record(base + "_dynamo", f"torch {torch.__version__}", "torch.onnx.export(dynamo=True), batch axis dynamic", expected)
        path = os.path.join(here, base + "_legacy.onnx")
        torch.onnx.export(model, (torch.from_numpy(x),), path, dynamo=False, opset_version=13,
                          input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "batch"}})
        record(base + "_legacy", f"torch {torch.__version__}", "torch.onnx.export(dynamo=False, opset_version=13)", expected)
    # Fixed batch of 5, as an export without dynamic axes gives.
    model = models["torch_mlp"]
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    torch.onnx.export(model, (torch.from_numpy(x),), os.path.join(here, "torch_mlp_static.onnx"), dynamo=False,
                      opset_version=17)
    record("torch_mlp_static", f"torch {torch.__version__}", "torch.onnx.export(dynamo=False, opset_version=17), fixed batch", expected)


def keras_models():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    import tf2onnx
    import tf_keras as keras  # tf2onnx converts Keras 2 models (tf_keras), not Keras 3 ones

    manifest["environment"]["tensorflow"] = tf.__version__
    manifest["environment"]["tf2onnx"] = tf2onnx.__version__
    tf.random.set_seed(5)
    model = keras.Sequential([
        keras.Input((8, 8)), keras.layers.Flatten(), keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(8, activation="tanh", use_bias=False), keras.layers.Dense(4, activation="softmax")])
    expected = model.predict(x, verbose=0)
    spec = (tf.TensorSpec((None, 8, 8), tf.float32, name="input"),)
    for opset in (9, 13, 17):
        name = f"tf2onnx_mlp_opset{opset}"
        tf2onnx.convert.from_keras(model, input_signature=spec, opset=opset, output_path=os.path.join(here, name + ".onnx"))
        record(name, f"tf2onnx {tf2onnx.__version__}", f"tf2onnx.convert.from_keras(opset={opset}) of a Keras {keras.__version__} model", expected)


def keras_cnn():
    """A channels-last Keras CNN as tf2onnx converts it: Transpose, Conv (+ bias, BatchNormalization
    folded in), Relu, MaxPool with same pads, AveragePool, Transpose back, Reshape, MatMul."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    import tf2onnx
    import tf_keras as keras

    keras.utils.set_random_seed(3)
    m = keras.Sequential([
        keras.layers.Conv2D(4, 3, padding="same", activation="relu", input_shape=(9, 7, 2)),
        keras.layers.MaxPooling2D(3, strides=2, padding="same"),
        keras.layers.Conv2D(3, (2, 3), strides=(1, 1), padding="valid"),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        keras.layers.AveragePooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax"),
    ])
    for w in m.weights:
        if "moving_variance" in w.name:
            w.assign(np.random.uniform(0.5, 2, w.shape))
        elif "bias" in w.name or "beta" in w.name or "gamma" in w.name or "moving_mean" in w.name:
            w.assign(np.random.uniform(-0.5, 0.5, w.shape))
    images = np.random.uniform(-1, 1, (4, 9, 7, 2)).astype(np.float32)
    expected = m.predict(images, verbose=0)
    spec = (tf.TensorSpec((None, 9, 7, 2), tf.float32, name="input"),)
    name = "tf2onnx_cnn_opset17"
    tf2onnx.convert.from_keras(m, input_signature=spec, opset=17, output_path=os.path.join(here, name + ".onnx"))
    record(name, f"tf2onnx {tf2onnx.__version__}", f"tf2onnx.convert.from_keras(opset=17) of a tf_keras {keras.__version__} CNN", expected,
           inputs=images)


def main():
    import onnx
    import onnxruntime as ort

    torch_models()
    keras_models()
    keras_cnn()
    manifest["environment"].update(python=sys.version.split()[0], numpy=np.__version__, onnx=onnx.__version__,
                                   onnxruntime=ort.__version__)
    # Every file must run in onnxruntime and agree with its framework.
    for entry in manifest["files"]:
        base = entry["file"][:-5]
        session = ort.InferenceSession(os.path.join(here, entry["file"]), providers=["CPUExecutionProvider"])
        got = session.run(None, {session.get_inputs()[0].name: np.load(os.path.join(here, base + ".input.npy"))})[0]
        diff = float(np.abs(got - np.load(os.path.join(here, base + ".expected.npy"))).max())
        assert diff < 1e-5, (entry["file"], diff)
        entry["onnxruntime_max_abs_diff"] = diff
    with open(os.path.join(here, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
