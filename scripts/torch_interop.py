"""PyTorch interoperability check (run by scripts/torch-interop.sh; needs torch, safetensors, numpy).

    torch_interop.py NNMODEL DIR MODEL.nnm X.npy

1. nnmodel writes MODEL as safetensors with --naming torch; the equivalent nn.Sequential is built
   from the architecture in the file's metadata, loads the file with load_state_dict(strict=True)
   and must predict X as nnmodel does (max abs diff <= 1e-5).
2. The torch model's state_dict, saved by safetensors.torch.save_file, converts back to .nnm with
   the architecture given, and predicts the same.
3. torch.onnx.export of the torch model (the dynamo exporter) is read by nnmodel and predicts the same.
Prints one line per check; exits 1 when one fails.
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn


class Exp(nn.Module):
    def forward(self, x):
        return torch.exp(x)


ACTIVATIONS = {
    "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softmax": lambda: nn.Softmax(dim=-1), "elu": nn.ELU,
    "selu": nn.SELU, "gelu": nn.GELU, "softplus": nn.Softplus, "softsign": nn.Softsign, "swish": nn.SiLU, "silu": nn.SiLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2), "exponential": Exp, "hard_sigmoid": nn.Hardsigmoid, "hard_silu": nn.Hardswish,
    "hard_swish": nn.Hardswish, "mish": nn.Mish, "relu6": nn.ReLU6, "linear": nn.Identity,
}


def activation(spec):
    name = spec if isinstance(spec, str) else spec.get("config", {}).get("name", spec.get("class_name"))
    return ACTIVATIONS[name]()


def sequential(config, input_shape):
    """The nn.Sequential our --naming torch describes: one module per layer, plus the activation of a Dense."""
    modules = []
    features = int(np.prod(input_shape))
    last = input_shape[-1]
    for layer in config["config"]["layers"]:
        kind, c = layer["class_name"], layer["config"]
        if kind == "InputLayer":
            continue
        if kind == "Flatten":
            modules.append(nn.Flatten())
            last = features
        elif kind == "Dense":
            modules.append(nn.Linear(last, c["units"], bias=c.get("use_bias", True)))
            last = c["units"]
            if activation(c.get("activation", "linear")).__class__ is not nn.Identity:
                modules.append(activation(c["activation"]))
        elif kind == "Activation":
            modules.append(activation(c["activation"]))
        elif kind == "Dropout":
            modules.append(nn.Dropout(c["rate"]))
        else:
            raise SystemExit(f"unexpected layer {kind}")
    return nn.Sequential(*modules)


def run(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def main():
    nnmodel, folder, model, x_path = sys.argv[1:5]
    x = np.load(x_path).astype(np.float32)
    ours = os.path.join(folder, "ours.npy")
    run(nnmodel, "predict", model, "--input", x_path, "--output", ours)
    expected = np.load(ours)
    failed = False

    def check(label, got):
        nonlocal failed
        diff = float(np.abs(got - expected).max())
        ok = diff <= 1e-5
        failed |= not ok
        print(f"torch-interop: {'ok  ' if ok else 'FAIL'} {label}: max abs diff {diff:.3g}")

    st = os.path.join(folder, "model.safetensors")
    run(nnmodel, "convert", model, st, "--naming", "torch")
    with safe_open(st, framework="pt") as f:
        metadata = f.metadata()
    config = json.loads(metadata["nnmodel.architecture"])
    first = next(l["config"] for l in config["config"]["layers"] if l["class_name"] == "InputLayer")
    input_shape = (first.get("batch_shape") or first["batch_input_shape"])[1:]
    net = sequential(config, input_shape).eval()
    net.load_state_dict(load_file(st), strict=True)
    with torch.no_grad():
        theirs = net(torch.from_numpy(x)).numpy()
    check(f"nn.Sequential.load_state_dict(strict=True) of nnmodel's --naming torch file ({len(net)} modules)", theirs)

    saved = os.path.join(folder, "torch.safetensors")
    save_file(net.state_dict(), saved)
    back = os.path.join(folder, "back.nnm")
    run(nnmodel, "convert", saved, back, "--architecture", model)
    back_out = os.path.join(folder, "back.npy")
    run(nnmodel, "predict", back, "--input", x_path, "--output", back_out)
    check("nnmodel reading safetensors.torch.save_file(state_dict) with the architecture given", np.load(back_out))

    exported = os.path.join(folder, "torch.onnx")
    batch = torch.export.Dim("batch")
    torch.onnx.export(net, (torch.from_numpy(x),), exported, dynamo=True, dynamic_shapes=({0: batch},), external_data=False)
    onnx_out = os.path.join(folder, "onnx.npy")
    run(nnmodel, "predict", exported, "--input", x_path, "--output", onnx_out)
    check(f"nnmodel reading torch.onnx.export (torch {torch.__version__})", np.load(onnx_out))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
