#!/usr/bin/env python3
"""The CNN benchmark: `nnmodel train --model cnn` beside Keras (and PyTorch when installed) on
Fashion-MNIST, interleaved (nnmodel, Keras, PyTorch, nnmodel, ...), with each run's peak RSS and
the GFLOP/s it reached against the sgemm ceiling of the same products (cnn_ceiling.c).

Called by Benchmarks/cnn.sh; prints a table and appends it to the results file.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEERS = os.path.join(HERE, "peers")
TRAIN_SAMPLES = 60000
# One training step's products per sample (see cnn_ceiling.c): forward, kernel gradients, and
# the input gradients of every layer but the first.
P1, P2 = 26 * 26, 11 * 11
FLOPS_PER_SAMPLE = 2 * (
    2 * P1 * 9 * 32            # conv1 forward, kernel gradient
    + 3 * P2 * 288 * 64        # conv2 forward, kernel and input gradients
    + 3 * 1600 * 128           # dense
    + 3 * 128 * 10             # dense_1
)


def run(argv, env=None):
    """Runs a command; returns (seconds, peak RSS in MB, stdout, exit status)."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = child.communicate()
    return time.perf_counter() - start, out.decode(), err.decode(), child.returncode


def run_measured(argv, env=None):
    """Runs a command under GNU time's -f %M when available (peak RSS), else without RSS."""
    timer = "/usr/bin/time"
    if os.path.exists(timer):
        seconds, out, err, code = run([timer, "-f", "NNMODEL_MAXRSS_KB %M"] + argv, env)
        rss = None
        for line in err.splitlines():
            if line.startswith("NNMODEL_MAXRSS_KB "):
                rss = int(line.split()[1]) / 1024
        return seconds, rss, out, err, code
    seconds, out, err, code = run(argv, env)
    return seconds, None, out, err, code


def last_json(text):
    """The JSON document on stdout: the whole text (nnmodel pretty-prints), else its last JSON line."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                pass
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnmodel", required=True)
    ap.add_argument("--python", help="peer Python with tensorflow (and torch, optional)")
    ap.add_argument("--ceiling", help="compiled cnn_ceiling")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--results", help="append the table here")
    ap.add_argument("--command-line", default="Benchmarks/cnn.sh")
    args = ap.parse_args()

    peers = []
    if args.python:
        for module, script in (("tensorflow", "keras_cnn.py"), ("torch", "torch_cnn.py")):
            probe = subprocess.run([args.python, "-c", f"import {module}"], capture_output=True)
            if probe.returncode == 0 and os.path.exists(os.path.join(PEERS, script)):
                peers.append((module, script))
            else:
                print(f"cnn_bench: {module} not importable by {args.python}; skipping that peer", flush=True)
    else:
        print("cnn_bench: no peer Python; nnmodel alone", flush=True)

    results = {"nnmodel": [], "tensorflow": [], "torch": []}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="-1")
    for r in range(1, args.rounds + 1):
        print(f"== round {r}/{args.rounds}", flush=True)
        seconds, rss, out, err, code = run_measured(
            [args.nnmodel, "train", "--model", "cnn", "--json", "-q", "--epochs", str(args.epochs),
             "--batch-size", str(args.batch_size), "--seed", str(r)])
        report = last_json(out)
        if code != 0 or report is None:
            sys.exit(f"cnn_bench: nnmodel train failed ({code}): {err[-2000:]}")
        history = report.get("history", {})
        train = sum(history.get("seconds", []) or [0]) or seconds
        accuracy = report.get("test", {}).get("accuracy") or report.get("test_accuracy")
        results["nnmodel"].append({"fit": train, "wall": seconds, "rss": rss, "accuracy": accuracy})
        print(f"   nnmodel: fit {train:.1f} s, wall {seconds:.1f} s, RSS {rss} MB, accuracy {accuracy}", flush=True)
        for module, script in peers:
            seconds, rss, out, err, code = run_measured(
                [args.python, os.path.join(PEERS, script), "--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
                 "--seed", str(r)], env)
            report = last_json(out)
            if code != 0 or report is None:
                print(f"   {module}: failed ({code}): {err[-600:]}", flush=True)
                continue
            results[module].append({"fit": report["fit_seconds"], "wall": seconds, "rss": rss,
                                    "accuracy": report["test_accuracy"]})
            print(f"   {module}: fit {report['fit_seconds']:.1f} s, wall {seconds:.1f} s, RSS {rss} MB, "
                  f"accuracy {report['test_accuracy']:.4f}", flush=True)

    ceiling = None
    if args.ceiling and os.path.exists(args.ceiling):
        out = subprocess.run([args.ceiling, str(args.batch_size)], capture_output=True, text=True).stdout
        ceiling = last_json(out)

    flops = FLOPS_PER_SAMPLE * TRAIN_SAMPLES * args.epochs
    names = {"nnmodel": "nnmodel", "tensorflow": "Keras (TensorFlow)", "torch": "PyTorch"}
    base = statistics.median(x["fit"] for x in results["nnmodel"])
    lines = [
        f"## CNN training {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"`{args.command_line}` on {platform.node()} ({cpu_model()}, {os.cpu_count()} CPUs): the Keras tutorial CNN "
        f"(`nnmodel train --model cnn`), {args.epochs} epochs, batch {args.batch_size}, Adam, {args.rounds} interleaved rounds "
        f"(round r seeds every tool with r); medians. Training FLOPs (im2col products) {flops / 1e12:.2f} T.",
        "",
        "| system | fit seconds (median, runs) | GFLOP/s | nnmodel / system | peak RSS MB | test accuracy (runs) |",
        "|---|---|---|---|---|---|",
    ]
    for key in ("nnmodel", "tensorflow", "torch"):
        runs = results[key]
        if not runs:
            continue
        fit = statistics.median(x["fit"] for x in runs)
        rss = max((x["rss"] for x in runs if x["rss"] is not None), default=None)
        accs = ", ".join("%.4f" % x["accuracy"] for x in runs if x["accuracy"] is not None)
        fits = ", ".join("%.1f" % x["fit"] for x in runs)
        rss_text = "n/a" if rss is None else "%.0f" % rss
        lines.append(f"| {names[key]} | {fit:.1f} ({fits}) | {flops / fit / 1e9:.0f} | {base / fit:.2f} | {rss_text} | {accs} |")
    if ceiling:
        lines += ["", f"sgemm ceiling of the same products at batch {args.batch_size} ({ceiling.get('openblas_kernels')} kernels): "
                  f"{ceiling.get('gflops_1_thread')} GFLOP/s on one thread, {ceiling.get('gflops_openblas_2')} with OpenBLAS on two; "
                  f"nnmodel reaches {flops / base / 1e9 / max(1e-9, ceiling.get('gflops_openblas_2') or 1):.0%} of the latter."]
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if args.results:
        with open(args.results, "a") as f:
            f.write("\n" + text)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
