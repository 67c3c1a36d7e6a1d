"""Peer for the inference-latency rows: in-process time of one call at batch 1, 32 and 1024.

    python inference_latency.py onnxruntime MODEL.onnx [--batches 1,32,1024] [--repeats 200]
    python inference_latency.py keras MODEL.keras [--batches ...]

onnxruntime: an InferenceSession (CPUExecutionProvider, default threads) and `session.run`;
Keras: `model.predict_on_batch`. Inputs are seeded random float32 images [batch, 28, 28]. After
10 warm-up calls, times `--repeats` calls (fewer for big batches: at most ~2 s per batch size) and
prints one JSON line: per batch, the median and minimum seconds per call and samples per second.
"""
import argparse
import json
import os
import statistics
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("system", choices=["onnxruntime", "keras"])
    parser.add_argument("model")
    parser.add_argument("--batches", default="1,32,1024")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    import numpy as np

    if args.system == "onnxruntime":
        import onnxruntime as ort
        session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        shape = session.get_inputs()[0].shape

        def call(x):
            return session.run(None, {name: x.reshape([x.shape[0]] + [d for d in shape[1:]])})
        version = ort.__version__
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import keras
        model = keras.saving.load_model(args.model, compile=False)

        def call(x):
            return model.predict_on_batch(x)
        version = keras.__version__

    rng = np.random.default_rng(0)
    result = {"system": args.system, "version": version, "batches": {}}
    for batch in [int(b) for b in args.batches.split(",")]:
        x = rng.random((batch, 28, 28), dtype=np.float32)
        for _ in range(10):
            call(x)
        times = []
        budget = time.perf_counter() + 2.0
        while len(times) < args.repeats and (len(times) < 5 or time.perf_counter() < budget):
            t0 = time.perf_counter()
            call(x)
            times.append(time.perf_counter() - t0)
        median = statistics.median(times)
        result["batches"][str(batch)] = {"median_seconds": median, "min_seconds": min(times), "calls": len(times),
                                         "samples_per_second": batch / median}
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
