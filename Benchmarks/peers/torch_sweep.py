"""Peer worker for the shape sweep: MLPs in PyTorch (CPU).

Same protocol as keras_sweep.py (one JSON request per line on stdin, one JSON answer per line).
Per request: nn.Sequential(Linear(784, h), ReLU, ..., Linear(h, 10)) with CrossEntropyLoss on the
logits (softmax + sparse categorical cross-entropy in one), Adam with Keras's defaults (lr 1e-3,
eps 1e-7); a warm-up of a few steps, then one timed epoch over the first `samples` training
images: a random permutation, then per batch index the float32 tensor, forward, backward, step.
(Plain tensor indexing rather than a DataLoader, whose per-sample collation would dominate small
batches: the fastest ordinary PyTorch loop.) torch.set_num_threads(2) (its default on 2 cores).

    python torch_sweep.py < requests.jsonl
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import fmnist  # noqa: E402


def steps(model, loss_fn, opt, x, y, order, batch):
    for start in range(0, len(order), batch):
        idx = order[start:start + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()


def main():
    torch.set_num_threads(int(os.environ.get("NNMODEL_SWEEP_THREADS", os.cpu_count() or 1)))
    xs, ys = fmnist.load("train")
    x = torch.from_numpy((xs / 255.0).astype("float32").reshape(len(xs), 784))
    y = torch.from_numpy(ys.astype("int64"))
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        torch.manual_seed(req.get("seed", 1))
        batch, samples = req["batch"], req["samples"]
        layers, width = [], 784
        for h in req["hidden"]:
            layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
            width = h
        model = torch.nn.Sequential(*layers, torch.nn.Linear(width, 10))
        loss_fn = torch.nn.CrossEntropyLoss()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
        steps(model, loss_fn, opt, x, y, torch.randperm(min(len(x), batch * 3)), batch)
        t0 = time.perf_counter()
        steps(model, loss_fn, opt, x, y, torch.randperm(samples), batch)
        seconds = time.perf_counter() - t0
        print(json.dumps({"seconds": seconds, "samples": samples}), flush=True)


if __name__ == "__main__":
    main()
