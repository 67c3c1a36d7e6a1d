#!/usr/bin/env python3
"""The benchmark driver behind Benchmarks/run.sh (which builds first; run that, not this).

Runs nnmodel and its peers (Keras on TensorFlow CPU, scikit-learn, h5py, onnx, onnxruntime,
safetensors) interleaved (A B C A B C ...), prints a table and appends a dated section to RESULTS.md.
Standard library only: the peers run under the peer python, this script under any python3.
"""
import argparse
import array
import ast
import datetime
import gzip
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PEERS = os.path.join(HERE, "peers")
DATA_DIR = os.environ.get("NNMODEL_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")

# The seed model's layers, for the flop count.
INPUTS, HIDDEN, CLASSES = 28 * 28, 128, 10

TARGETS = {
    "train_vs_keras": 0.08,     # nnmodel training seconds / Keras fit seconds
    "train_vs_sklearn": 0.12,   # nnmodel training seconds / scikit-learn fit seconds
    "accuracy_gap": 0.005,      # nnmodel test accuracy at most 0.5 points below Keras
    "evaluate_compute": 0.025,  # seconds, in-process
    "evaluate_process": 0.3,    # seconds, whole process (strictly below)
    "train_rss_mb": 200,        # MB (10^6 bytes), peak RSS of the seed training job (strictly below)
}


def flops_per_sample():
    """Forward of both Dense layers, their weight gradients, and the input gradient of the
    second layer (none for the first: its input is the data)."""
    forward = 2 * (INPUTS * HIDDEN + HIDDEN * CLASSES)
    weight_gradients = 2 * (INPUTS * HIDDEN + HIDDEN * CLASSES)
    input_gradient = 2 * HIDDEN * CLASSES
    return forward + weight_gradients + input_gradient


def idx_count(path):
    """Number of items in an IDX gz file, from its header."""
    with gzip.open(path, "rb") as f:
        head = f.read(8)
    return struct.unpack(">I", head[4:8])[0]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values):
    values = [v for v in values if v is not None]
    return (min(values), max(values)) if values else (None, None)


def fmt_s(v, digits=3):
    if v is None:
        return "n/a"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.{digits}f}"


def fmt_ms(v):
    return "n/a" if v is None else f"{v * 1000:.1f} ms"


def fmt_range(values, scale=1.0, unit=""):
    lo, hi = spread(values)
    if lo is None:
        return ""
    return f" ({fmt_s(lo * scale)}–{fmt_s(hi * scale)}{unit})"


def busy_seconds():
    """CPU seconds all processes have spent busy since boot (from /proc/stat), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    guest = sum(fields[8:10]) if len(fields) > 9 else 0  # already counted in user/nice
    return (sum(fields) - idle - guest) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def read_nnm_header(path):
    with open(path, "rb") as f:
        pre = f.read(24)
        length = struct.unpack("<Q", pre[16:24])[0]
        return json.loads(f.read(length))


def read_npy_float32(path):
    """(shape, array('f')) of a little-endian float32 C-order .npy file (what nnmodel and np.save write)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        raise ValueError(f"{path}: not an .npy file")
    if data[6] == 1:
        length, start = struct.unpack("<H", data[8:10])[0], 10
    else:
        length, start = struct.unpack("<I", data[8:12])[0], 12
    header = ast.literal_eval(data[start:start + length].decode("latin-1"))
    if header["descr"] not in ("<f4", "=f4") or header["fortran_order"]:
        raise ValueError(f"{path}: {header['descr']} (fortran order {header['fortran_order']}), not float32 C order")
    values = array.array("f")
    values.frombytes(data[start + length:])
    return tuple(header["shape"]), values


def max_abs_diff(path_a, path_b):
    """The largest absolute difference between two float32 .npy files of one shape (None when either is
    missing or the shapes differ)."""
    try:
        shape_a, a = read_npy_float32(path_a)
        shape_b, b = read_npy_float32(path_b)
    except (OSError, ValueError, KeyError, SyntaxError):
        return None
    if shape_a != shape_b or len(a) != len(b):
        return None
    return max((abs(x - y) for x, y in zip(a, b)), default=0.0)


def unlink(*paths):
    """Removes the files that exist."""
    for path in paths:
        if os.path.exists(path):
            os.unlink(path)


class Runner:
    """Runs commands, timing the whole process and recording peak RSS."""

    def __init__(self, work, verbose=True):
        self.work = work
        self.logs = os.path.join(work, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.records = []
        self.time_bin = shutil.which("time", path="/usr/bin") or None
        self.verbose = verbose

    def run(self, label, argv, env=None, timeout=3600):
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        fd, time_file = tempfile.mkstemp(dir=self.work, prefix="time-")
        os.close(fd)
        cmd = ([self.time_bin, "-f", "%e %M", "-o", time_file] if self.time_bin else []) + list(argv)
        log_path = os.path.join(self.logs, f"{label}.log")
        busy0, cpu0 = busy_seconds(), children_cpu()
        t0 = time.perf_counter()
        with open(log_path, "wb") as log:
            try:
                proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=log, env=full_env, timeout=timeout)
                rc, out = proc.returncode, proc.stdout.decode("utf-8", "replace")
            except subprocess.TimeoutExpired as e:
                rc, out = -1, (e.stdout or b"").decode("utf-8", "replace")
        wall = time.perf_counter() - t0
        busy1, cpu1 = busy_seconds(), children_cpu()
        own_cpu = cpu1 - cpu0
        # Cores kept busy by other processes while this one ran: the machine's busy time
        # minus the command's own CPU time, over the wall time.
        others = max(0.0, (busy1 - busy0 - own_cpu) / wall) if busy0 is not None and wall > 0 else None
        rss_kb = None
        try:
            with open(time_file) as f:
                fields = f.read().strip().splitlines()[-1].split()
            rss_kb = int(fields[-1])
        except (OSError, IndexError, ValueError):
            pass
        os.unlink(time_file)
        parsed = None
        for line in reversed(out.strip().splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    parsed = json.loads(line)
                    break
                except json.JSONDecodeError:
                    pass
        if parsed is None and out.strip().startswith("{"):
            try:
                parsed = json.loads(out)
            except json.JSONDecodeError:
                pass
        record = {"label": label, "argv": list(argv), "rc": rc, "wall": wall, "rss_kb": rss_kb,
                  "cpu": own_cpu, "others": others, "json": parsed, "log": log_path}
        self.records.append(record)
        if self.verbose:
            status = "ok" if rc == 0 else f"FAILED (exit {rc}, see {log_path})"
            rss = f", peak RSS {rss_kb / 1024:.0f} MiB" if rss_kb else ""
            busy = f", other processes {others:.2f} cores" if others is not None else ""
            print(f"  {label}: {wall:.3f} s wall, {own_cpu:.2f} s CPU{rss}{busy} {status}", flush=True)
        if rc != 0:
            with open(log_path, "rb") as f:
                tail = f.read()[-1500:].decode("utf-8", "replace")
            print("    " + tail.replace("\n", "\n    "), flush=True)
        return record


def hyperfine(runner, label, command, runs, warmup):
    """Median whole-process seconds of `command` (a list) via hyperfine, or repeated runs."""
    exe = shutil.which("hyperfine")
    if exe:
        out_json = os.path.join(runner.work, f"hyperfine-{label}.json")
        line = " ".join(shlex.quote(a) for a in command)
        argv = [exe, "-N", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
                "--export-json", out_json, "--command-name", label, line]
        rec = runner.run(f"hyperfine-{label}", argv)
        if rec["rc"] == 0:
            with open(out_json) as f:
                res = json.load(f)["results"][0]
            print(f"    median {res['median'] * 1000:.1f} ms over {len(res['times'])} runs "
                  f"(min {res['min'] * 1000:.1f}, max {res['max'] * 1000:.1f})", flush=True)
            return {"median": res["median"], "min": res["min"], "max": res["max"], "runs": len(res["times"]),
                    "how": f"hyperfine -N --warmup {warmup} --runs {runs}", "times": res["times"]}
    times = []
    for i in range(warmup + runs):
        rec = runner.run(f"{label}-{i + 1}", command)
        if i >= warmup and rec["rc"] == 0:
            times.append(rec["wall"])
    if not times:
        return None
    return {"median": median(times), "min": min(times), "max": max(times), "runs": len(times),
            "how": f"{runs} repeated runs", "times": times}


def probe_peer(python):
    """Versions of the peer packages the peer python can import (None when missing)."""
    code = r"""
import json, os
os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
out = {}
for name, mod in [("numpy", "numpy"), ("tensorflow", "tensorflow"), ("keras", "keras"),
                  ("sklearn", "sklearn"), ("h5py", "h5py"), ("onnx", "onnx"),
                  ("onnxruntime", "onnxruntime"), ("safetensors", "safetensors")]:
    try:
        m = __import__(mod)
        out[name] = getattr(m, "__version__", "?")
    except Exception as e:
        out[name] = None
        out[name + "_error"] = f"{type(e).__name__}: {e}"[:200]
print(json.dumps(out))
"""
    try:
        p = subprocess.run([python, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           timeout=600)
        return json.loads(p.stdout.decode().strip().splitlines()[-1])
    except Exception as e:  # noqa: BLE001 - any failure means no peer
        return {"error": str(e)}


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], stdout=subprocess.PIPE, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git(*args):
    try:
        return subprocess.run(["git", "-C", ROOT] + list(args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True).stdout.strip()
    except OSError:
        return ""


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def interesting_stderr(records, prefix, limit=6):
    """Distinct stderr lines of the runs whose label starts with prefix (timestamps stripped)."""
    seen = []
    for r in records:
        if not r["label"].startswith(prefix):
            continue
        try:
            with open(r["log"], errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.strip()
            if not line:
                continue
            # glog prefix: "E0000 00:00:1795922202.752171   14098 file.cc:52] message"
            if len(line) > 5 and line[0] in "IWEF" and line[1:5].isdigit() and "] " in line:
                line = line[0] + " " + line.split("] ", 1)[1]
            line = line[:160]
            if "absl::InitializeLog" in line:
                continue
            if line not in seen:
                seen.append(line)
    return seen[:limit], len(seen)


def parse_args():
    """The command-line options (run.sh passes them; see its --help)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nnmodel", required=True)
    ap.add_argument("--peer-python", required=True)
    ap.add_argument("--sgemm", help="compiled sgemm_ceiling, if any")
    ap.add_argument("--crc32", help="compiled crc32_speed, if any")
    ap.add_argument("--work", default=os.path.join(HERE, ".work"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--rounds", type=int, help="training rounds (default 5, quick 2)")
    ap.add_argument("--eval-rounds", type=int, help="evaluation rounds (default 7, quick 2)")
    ap.add_argument("--results", help="file to append the results to")
    ap.add_argument("--command-line", default="Benchmarks/run.sh")
    ap.add_argument("--build-seconds", type=float)
    return ap.parse_args()


class Bench:
    """The run's settings (smaller in quick mode), its files and what every section shares."""

    def __init__(self, args):
        """Settings from the options; creates the work directory and the runner, notes the start."""
        self.args = args
        self.quick = quick = args.quick
        self.rounds = args.rounds or (2 if quick else 5)
        self.eval_rounds = args.eval_rounds or (2 if quick else 7)
        self.epochs = 1 if quick else 5
        self.batch = 32
        self.big_width, self.big_layers = (2048, 4) if quick else (4096, 16)
        self.h5_rounds = 2 if quick else 3
        self.hf_runs, self.hf_warmup = (5, 1) if quick else (20, 3)
        self.verify_runs = 3 if quick else 5
        self.ceiling_args = ["0.1", "3"] if quick else ["0.25", "7"]
        self.crc32_args = ["256", "3"] if quick else ["256", "5"]
        self.results_path = args.results or (os.path.join(args.work, "RESULTS-quick.md") if quick
                                             else os.path.join(HERE, "RESULTS.md"))

        self.work = work = os.path.abspath(args.work)
        os.makedirs(work, exist_ok=True)
        self.runner = Runner(work)
        self.nn = os.path.abspath(args.nnmodel)
        self.py = args.peer_python
        self.started = time.time()
        self.started_utc = datetime.datetime.now(datetime.timezone.utc)
        self.load_start = loadavg()
        self.peer_env = {"CUDA_VISIBLE_DEVICES": "-1", "KERAS_BACKEND": "tensorflow"}
        # What ran, for RESULTS.md, in the order the sections ran it.
        self.commands = {}

        self.seed_nnm = os.path.join(work, "seed.nnm")
        self.keras_model = os.path.join(work, "keras_seed.keras")
        self.sklearn_model = os.path.join(work, "sklearn_seed.pickle")
        self.big_nnm = os.path.join(work, "big.nnm")
        self.big_h5 = os.path.join(work, "big.h5")
        self.big_from_h5 = os.path.join(work, "big_from_h5.nnm")
        self.big_copy = os.path.join(work, "big_copy.nnm")
        # Section 5's floor (a plain copy with fsync) and .nnm -> .h5 output.
        self.big_floor = os.path.join(work, "big_floor.copy")
        self.big_back_h5 = os.path.join(work, "big_back.h5")
        # ONNX (section 6) and safetensors (section 7).
        self.seed_onnx = os.path.join(work, "seed.onnx")
        self.seed_peer_onnx = os.path.join(work, "seed_peer.onnx")
        self.test_npy = os.path.join(work, "fmnist_test_x.npy")
        self.y_nn_onnx = os.path.join(work, "y_nnmodel_onnx.npy")
        self.y_nn_nnm = os.path.join(work, "y_nnmodel_nnm.npy")
        self.y_ort = os.path.join(work, "y_onnxruntime.npy")
        self.big_onnx = os.path.join(work, "big.onnx")
        self.big_peer_onnx = os.path.join(work, "big_peer.onnx")
        self.big_x_npy = os.path.join(work, "big_x.npy")
        self.big_y_nn = os.path.join(work, "big_y_nnmodel.npy")
        self.big_y_ort = os.path.join(work, "big_y_onnxruntime.npy")
        self.big_predict_rows = 64
        self.big_st = os.path.join(work, "big.safetensors")
        self.big_peer_st = os.path.join(work, "big_peer.safetensors")
        self.big_from_st = os.path.join(work, "big_from_safetensors.nnm")


class Peers:
    """What the peer python can import: the versions, a flag per peer and why peers are skipped."""

    def __init__(self, python, versions):
        """Reads the flags and the skip messages off probe_peer's versions."""
        self.versions = versions
        self.keras = bool(versions.get("tensorflow") and versions.get("keras"))
        self.sklearn = bool(versions.get("sklearn"))
        self.h5py = bool(versions.get("h5py"))
        self.numpy = bool(versions.get("numpy"))
        self.onnx = bool(versions.get("onnx")) and self.numpy
        self.onnxruntime = bool(versions.get("onnxruntime")) and self.numpy
        self.safetensors = bool(versions.get("safetensors")) and self.numpy
        # The python that writes the big files (both generators need numpy), or None.
        self.big_py = python if self.numpy else None
        self.skipped = []
        if not self.keras:
            self.skipped.append(f"Keras skipped: the peer python cannot import tensorflow/keras "
                                f"({versions.get('tensorflow_error') or versions.get('keras_error') or versions.get('error')})")
        if not self.sklearn:
            self.skipped.append(f"scikit-learn skipped: the peer python cannot import sklearn "
                                f"({versions.get('sklearn_error') or versions.get('error')})")
        if not self.h5py:
            self.skipped.append("HDF5 import skipped: the peer python cannot import h5py")
        if not self.numpy:
            self.skipped.append("1 GiB model and ONNX inference skipped: the peer python cannot import numpy")
        if not self.onnx:
            self.skipped.append(f"onnx peer (ONNX export) skipped: the peer python cannot import onnx "
                                f"({versions.get('onnx_error') or versions.get('numpy_error') or versions.get('error')})")
        if not self.onnxruntime:
            self.skipped.append(f"onnxruntime peer (ONNX inference) skipped: the peer python cannot import onnxruntime "
                                f"({versions.get('onnxruntime_error') or versions.get('numpy_error') or versions.get('error')})")
        if not self.safetensors:
            self.skipped.append(f"safetensors peer skipped: the peer python cannot import safetensors "
                                f"({versions.get('safetensors_error') or versions.get('numpy_error') or versions.get('error')})")


class Results:
    """The measurements of one run, filled in by main section by section."""

    def __init__(self, train_samples, test_samples, epochs):
        """Nothing measured yet, for a training set of train_samples trained for epochs epochs."""
        self.train_samples = train_samples
        self.test_samples = test_samples
        self.total_flops = flops_per_sample() * train_samples * epochs
        self.ceilings = []
        self.train = {"nnmodel": [], "keras": [], "sklearn": []}
        self.evaluate = {"nnmodel": [], "keras": [], "sklearn": []}
        self.hf_eval = None
        self.inspect = {}
        self.big_info = None
        self.big_check = None
        self.crc32 = None
        self.h5 = {"convert": [], "h5py": [], "copy": [], "floor": [], "to_h5": []}
        self.h5_info = None
        self.same_weights = None
        self.onnx = None
        self.safetensors = None
        self.load_end = None
        self.elapsed = None


def setup(args):
    """Sets the run up from the options and prints its first line."""
    bench = Bench(args)
    print(f"== nnmodel benchmarks ({'quick' if bench.quick else 'full'}): {bench.rounds} training rounds of "
          f"{bench.epochs} epoch(s), {bench.eval_rounds} evaluation rounds; load average {bench.load_start}",
          flush=True)
    return bench


def probe_peers(py):
    """Probes the peer python and prints the peers it skips and the versions it found."""
    print(f"== probing the peer python {py}", flush=True)
    peers = Peers(py, probe_peer(py))
    for s in peers.skipped:
        print(f"  {s} (set NNMODEL_PEER_PYTHON, or run with --setup-peers)", flush=True)
    print(f"  versions: {json.dumps({k: v for k, v in peers.versions.items() if not k.endswith('_error')})}",
          flush=True)
    return peers


def warm_data():
    """Reads the Fashion-MNIST files once (warm page cache); returns the training and test sample counts."""
    for name in os.listdir(DATA_DIR):
        with open(os.path.join(DATA_DIR, name), "rb") as f:
            while f.read(1 << 20):
                pass
    train_samples = idx_count(os.path.join(DATA_DIR, "train-labels-idx1-ubyte.gz"))
    test_samples = idx_count(os.path.join(DATA_DIR, "t10k-labels-idx1-ubyte.gz"))
    return train_samples, test_samples


def measure_ceiling(bench, tag, ceilings):
    """Runs the compiled sgemm_ceiling (if any) and appends its GFLOP/s, with the noise, to ceilings."""
    sgemm = bench.args.sgemm
    if sgemm and os.path.exists(sgemm):
        print(f"== sgemm ceiling ({tag})", flush=True)
        rec = bench.runner.run(f"sgemm-ceiling-{tag}", [sgemm] + bench.ceiling_args)
        if rec["json"]:
            c = rec["json"]
            print(f"    1 thread {c['one_thread']:.1f}, OpenBLAS 2 threads {c['openblas_two_threads']:.1f}, "
                  f"2 pthreads {c['two_pthreads']:.1f}, 2 processes {c['two_processes']:.1f} GFLOP/s",
                  flush=True)
            c["others"] = rec["others"]
            ceilings.append(c)


def measure_crc32(bench):
    """Runs the compiled crc32_speed (if any): CRC-32 GB/s of zlib and of nnmodel's kernels, or None."""
    crc32 = bench.args.crc32
    if not (crc32 and os.path.exists(crc32)):
        return None
    print("== CRC-32 speed (zlib against nnmodel's kernels, 256 MiB in memory and 256 KiB in cache)", flush=True)
    rec = bench.runner.run("crc32-speed", [crc32] + bench.crc32_args)
    bench.commands["crc32"] = f"Benchmarks/.work/crc32_speed {' '.join(bench.crc32_args)} (from crc32_speed.c)"
    c = rec["json"]
    if not c:
        return None
    rates = ", ".join(f"{k} {c[k]:.2f}" for k in ("zlib", "pclmul", "vpclmul") if c.get(k) is not None)
    print(f"    {rates} GB/s; memory read (memchr) {c['read']:.2f} GB/s; same checksums: {c['agree']}", flush=True)
    c["others"] = rec["others"]
    return c


def train_rounds(bench, peers):
    """Section 1: trains the seed job with nnmodel, Keras and scikit-learn, interleaved; the runs per tool."""
    nn, py, epochs, batch = bench.nn, bench.py, bench.epochs, bench.batch
    seed_nnm, keras_model, sklearn_model = bench.seed_nnm, bench.keras_model, bench.sklearn_model
    for stale in (seed_nnm, keras_model, sklearn_model):  # never evaluate a previous run's model
        if os.path.exists(stale):
            os.unlink(stale)
    train = {"nnmodel": [], "keras": [], "sklearn": []}
    commands = bench.commands
    # Round r seeds every library with r, so accuracy is compared over the same number of seeds.
    commands["train nnmodel"] = f"nnmodel train --json -q --epochs {epochs} --batch-size {batch} --seed R --output .work/seed.nnm"
    commands["train keras"] = f"python Benchmarks/peers/keras_seed.py --epochs {epochs} --batch-size {batch} --seed R --save .work/keras_seed.keras"
    commands["train sklearn"] = f"python Benchmarks/peers/sklearn_seed.py --epochs {epochs} --seed R --save .work/sklearn_seed.pickle"
    for r in range(1, bench.rounds + 1):
        print(f"== training round {r}/{bench.rounds}", flush=True)
        train["nnmodel"].append(bench.runner.run(
            f"train-nnmodel-{r}", [nn, "train", "--json", "-q", "--epochs", str(epochs), "--batch-size", str(batch),
                                   "--seed", str(r), "--output", seed_nnm]))
        if peers.keras:
            train["keras"].append(bench.runner.run(
                f"train-keras-{r}", [py, os.path.join(PEERS, "keras_seed.py"), "--epochs", str(epochs),
                                     "--batch-size", str(batch), "--seed", str(r), "--save", keras_model],
                env=bench.peer_env))
        if peers.sklearn:
            train["sklearn"].append(bench.runner.run(
                f"train-sklearn-{r}", [py, os.path.join(PEERS, "sklearn_seed.py"), "--epochs", str(epochs),
                                       "--seed", str(r), "--save", sklearn_model], env=bench.peer_env))
    return train


def evaluation_rounds(bench, peers, have_seed):
    """Section 2: evaluates the trained models, interleaved, then nnmodel's whole process with hyperfine."""
    nn, py, seed_nnm = bench.nn, bench.py, bench.seed_nnm
    evaluate = {"nnmodel": [], "keras": [], "sklearn": []}
    commands = bench.commands
    commands["evaluate nnmodel"] = "nnmodel evaluate .work/seed.nnm --json"
    commands["evaluate keras"] = "python Benchmarks/peers/keras_evaluate.py .work/keras_seed.keras"
    commands["evaluate sklearn"] = "python Benchmarks/peers/sklearn_evaluate.py .work/sklearn_seed.pickle"
    can_eval_k = peers.keras and os.path.exists(bench.keras_model)
    can_eval_s = peers.sklearn and os.path.exists(bench.sklearn_model)
    for r in range(1, bench.eval_rounds + 1):
        print(f"== evaluation round {r}/{bench.eval_rounds}", flush=True)
        if have_seed:
            evaluate["nnmodel"].append(bench.runner.run(f"evaluate-nnmodel-{r}", [nn, "evaluate", seed_nnm, "--json"]))
        if can_eval_k:
            evaluate["keras"].append(bench.runner.run(
                f"evaluate-keras-{r}", [py, os.path.join(PEERS, "keras_evaluate.py"), bench.keras_model],
                env=bench.peer_env))
        if can_eval_s:
            evaluate["sklearn"].append(bench.runner.run(
                f"evaluate-sklearn-{r}", [py, os.path.join(PEERS, "sklearn_evaluate.py"), bench.sklearn_model],
                env=bench.peer_env))
    hf_eval = None
    if have_seed:
        print("== nnmodel evaluate, whole process (hyperfine)", flush=True)
        hf_eval = hyperfine(bench.runner, "evaluate-nnmodel", [nn, "evaluate", seed_nnm, "--json"],
                            bench.hf_runs, bench.hf_warmup)
        commands["evaluate nnmodel (whole process)"] = (
            f"hyperfine -N --warmup {bench.hf_warmup} --runs {bench.hf_runs} 'nnmodel evaluate .work/seed.nnm --json'")
    return evaluate, hf_eval


def inspect_timings(bench, peers, have_seed):
    """Section 3: `nnmodel inspect` start-up and verified load on the seed model and on a generated big one."""
    nn, runner, seed_nnm, big_nnm = bench.nn, bench.runner, bench.seed_nnm, bench.big_nnm
    hf_runs, hf_warmup = bench.hf_runs, bench.hf_warmup
    inspect = {}
    big_info = None
    big_check = None
    # Start-up: the process floor (a C program that does nothing, /bin/true) beside `nnmodel --version`.
    print("== start-up: /bin/true and nnmodel --version (hyperfine)", flush=True)
    inspect["floor"] = hyperfine(runner, "process-floor", ["/bin/true"], hf_runs, hf_warmup)
    inspect["version"] = hyperfine(runner, "nnmodel-version", [nn, "--version"], hf_runs, hf_warmup)
    if have_seed:
        print("== nnmodel inspect seed.nnm --no-verify (hyperfine)", flush=True)
        inspect["seed_header"] = hyperfine(runner, "inspect-seed-no-verify",
                                           [nn, "inspect", seed_nnm, "--no-verify"], hf_runs, hf_warmup)
        print("== nnmodel inspect seed.nnm (verifying, hyperfine)", flush=True)
        inspect["seed_verify"] = hyperfine(runner, "inspect-seed-verify", [nn, "inspect", seed_nnm], hf_runs, hf_warmup)
        one = os.path.join(bench.work, "one_sample.npy")
        if write_one_sample_npy(one):
            print("== nnmodel predict seed.nnm --input one_sample.npy --json (one test image, hyperfine)", flush=True)
            inspect["predict_one"] = hyperfine(runner, "predict-one-sample",
                                               [nn, "predict", seed_nnm, "--input", one, "--json"], hf_runs, hf_warmup)
            bench.commands["predict one sample"] = "hyperfine -N 'nnmodel predict .work/seed.nnm --input .work/one_sample.npy --json'"
    if peers.big_py:
        big_width, big_layers = bench.big_width, bench.big_layers
        print(f"== generating the big model ({big_layers} x Dense({big_width})) with make_big_model.py", flush=True)
        rec = runner.run("make-big-model", [peers.big_py, os.path.join(HERE, "make_big_model.py"), big_nnm,
                                            "--width", str(big_width), "--layers", str(big_layers)])
        bench.commands["make big model"] = (f"python Benchmarks/make_big_model.py .work/big.nnm --width {big_width} "
                                            f"--layers {big_layers}")
        if rec["rc"] == 0 and rec["json"]:
            big_info = rec["json"]
            print(f"    {big_info['bytes']:,} bytes, {big_info['parameters']:,} parameters, "
                  f"{big_info['seconds']:.1f} s", flush=True)
            print("== checking the big model once: nnmodel inspect big.nnm --json", flush=True)
            rec = runner.run("inspect-big-check", [nn, "inspect", big_nnm, "--json"])
            j = rec["json"] or {}
            params = (j.get("model") or {}).get("parameters")
            total_params = params.get("total") if isinstance(params, dict) else params
            big_check = {"rc": rec["rc"], "checksums": j.get("checksums"), "parameters": total_params}
            print(f"    exit {rec['rc']}, checksums {j.get('checksums')}, parameters {total_params}", flush=True)
            print("== nnmodel inspect big.nnm --no-verify (hyperfine)", flush=True)
            inspect["big_header"] = hyperfine(runner, "inspect-big-no-verify",
                                              [nn, "inspect", big_nnm, "--no-verify"], hf_runs, hf_warmup)
            print("== nnmodel inspect big.nnm (reads and CRC-checks every tensor)", flush=True)
            inspect["big_verify"] = hyperfine(runner, "inspect-big-verify", [nn, "inspect", big_nnm],
                                              bench.verify_runs, 1)
            bench.commands["inspect"] = (
                f"hyperfine -N 'nnmodel inspect .work/seed.nnm --no-verify' "
                f"'nnmodel inspect .work/seed.nnm' 'nnmodel inspect .work/big.nnm --no-verify' "
                f"'nnmodel inspect .work/big.nnm' ({hf_runs}, {hf_runs}, {hf_runs} and "
                f"{bench.verify_runs} runs)")
    return inspect, big_info, big_check


def write_one_sample_npy(path):
    """The first Fashion-MNIST test image as a float32 [1, 28, 28] .npy file (pixels / 255), written
    with the standard library; False when the data is missing."""
    import gzip
    import struct
    source = os.path.join(DATA_DIR, "t10k-images-idx3-ubyte.gz")
    if not os.path.exists(source):
        return False
    with gzip.open(source, "rb") as f:
        pixels = f.read(16 + 784)[16:]
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 28, 28), }"
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin-1"))
        f.write(struct.pack("<784f", *[p / 255.0 for p in pixels]))
    return True


def convert_timings(bench, peers):
    """Section 5: `nnmodel convert` of a big Keras HDF5 file against h5py reading it, interleaved."""
    nn, py, runner = bench.nn, bench.py, bench.runner
    big_nnm, big_h5, big_from_h5, big_copy = bench.big_nnm, bench.big_h5, bench.big_from_h5, bench.big_copy
    h5 = {"convert": [], "h5py": [], "copy": [], "floor": [], "to_h5": []}
    h5_info = None
    same_weights = None
    if peers.h5py and peers.big_py:
        print("== generating the big Keras HDF5 model with make_big_h5.py", flush=True)
        rec = runner.run("make-big-h5", [py, os.path.join(HERE, "make_big_h5.py"), big_h5,
                                         "--width", str(bench.big_width), "--layers", str(bench.big_layers)])
        commands = bench.commands
        commands["make big h5"] = (f"python Benchmarks/make_big_h5.py .work/big.h5 --width {bench.big_width} "
                                   f"--layers {bench.big_layers}")
        commands["convert"] = "nnmodel convert .work/big.h5 .work/big_from_h5.nnm"
        commands["h5py read"] = "python Benchmarks/peers/h5py_read.py .work/big.h5"
        commands["convert reference"] = "nnmodel convert .work/big.nnm .work/big_copy.nnm"
        commands["convert to h5"] = "nnmodel convert .work/big_from_h5.nnm .work/big_back.h5"
        commands["floor"] = ("python Benchmarks/copy_floor.py .work/big.h5 .work/big_floor.copy --keep "
                             "(the same bytes copied to a new file on the same disk, fsynced, renamed)")
        if rec["rc"] == 0 and rec["json"]:
            h5_info = rec["json"]
            print(f"    {h5_info['bytes']:,} bytes, {h5_info['seconds']:.1f} s", flush=True)
            for r in range(1, bench.h5_rounds + 1):
                print(f"== HDF5 import round {r}/{bench.h5_rounds}", flush=True)
                unlink(big_from_h5, bench.big_back_h5, bench.big_floor)
                # The floor: the same number of bytes copied and fsynced on the same disk, in the same round.
                h5["floor"].append(runner.run(f"floor-copy-{r}", [sys.executable, os.path.join(HERE, "copy_floor.py"),
                                                                   big_h5, bench.big_floor, "--keep"]))
                unlink(bench.big_floor)
                h5["convert"].append(runner.run(f"convert-nnmodel-{r}", [nn, "convert", big_h5, big_from_h5]))
                if os.path.exists(big_from_h5):
                    h5["to_h5"].append(runner.run(f"convert-nnm-to-h5-{r}", [nn, "convert", big_from_h5, bench.big_back_h5]))
                    unlink(bench.big_back_h5)
                h5["h5py"].append(runner.run(f"read-h5py-{r}", [py, os.path.join(PEERS, "h5py_read.py"), big_h5]))
                if os.path.exists(big_nnm):
                    # Reference: the same output written from an .nnm input (no HDF5 reading).
                    h5["copy"].append(runner.run(f"convert-nnm-to-nnm-{r}", [nn, "convert", big_nnm, big_copy]))
                    if os.path.exists(big_copy):
                        os.unlink(big_copy)
            if os.path.exists(big_from_h5) and os.path.exists(big_nnm):
                a = {t["name"]: t["crc32"] for t in read_nnm_header(big_nnm)["tensors"]}
                b = {t["name"]: t["crc32"] for t in read_nnm_header(big_from_h5)["tensors"]}
                same_weights = a == b
                print(f"    converted tensors identical to make_big_model.py's (CRC-32 per tensor): {same_weights}",
                      flush=True)
    return h5, h5_info, same_weights


def onnx_timings(bench, peers, have_seed):
    """Section 6: `nnmodel convert` to .onnx (seed and big model) against the onnx package writing the same
    graph, and `nnmodel predict model.onnx` on the test images against onnxruntime on the same file."""
    nn, py, runner, commands = bench.nn, bench.py, bench.runner, bench.commands
    out = {"seed_convert": {"nnmodel": [], "onnx": []}, "predict": {"nnmodel": [], "onnxruntime": [], "nnm": []},
           "big_convert": {"nnmodel": [], "onnx": []}, "big_predict": {"nnmodel": [], "onnxruntime": []},
           "diff": [], "diff_nnm": [], "big_diff": [], "test_shape": None, "big_onnx_bytes": None,
           "seed_onnx_bytes": None}
    onnx_save = os.path.join(PEERS, "onnx_save.py")
    ort_predict = os.path.join(PEERS, "onnxruntime_predict.py")
    if have_seed:
        commands["convert seed to ONNX"] = "nnmodel convert .work/seed.nnm .work/seed.onnx"
        if peers.onnx:
            commands["onnx peer, seed"] = "python Benchmarks/peers/onnx_save.py .work/seed.nnm .work/seed_peer.onnx"
        for r in range(1, bench.eval_rounds + 1):
            print(f"== ONNX export of seed.nnm, round {r}/{bench.eval_rounds}", flush=True)
            unlink(bench.seed_onnx, bench.seed_peer_onnx)
            out["seed_convert"]["nnmodel"].append(runner.run(f"onnx-convert-seed-nnmodel-{r}",
                                                             [nn, "convert", bench.seed_nnm, bench.seed_onnx]))
            if peers.onnx:
                out["seed_convert"]["onnx"].append(runner.run(f"onnx-convert-seed-onnx-{r}",
                                                              [py, onnx_save, bench.seed_nnm, bench.seed_peer_onnx]))
        if os.path.exists(bench.seed_onnx):
            out["seed_onnx_bytes"] = os.path.getsize(bench.seed_onnx)
    if have_seed and peers.big_py and os.path.exists(bench.seed_onnx):
        print("== writing the test images as .npy (make_test_npy.py)", flush=True)
        rec = runner.run("make-test-npy", [peers.big_py, os.path.join(HERE, "make_test_npy.py"), "test", bench.test_npy])
        commands["make test npy"] = "python Benchmarks/make_test_npy.py test .work/fmnist_test_x.npy"
        if rec["rc"] == 0 and rec["json"]:
            out["test_shape"] = rec["json"]["shape"]
            commands["predict ONNX"] = ("nnmodel predict .work/seed.onnx --input .work/fmnist_test_x.npy "
                                        "--output .work/y_nnmodel_onnx.npy")
            if peers.onnxruntime:
                commands["onnxruntime peer"] = ("python Benchmarks/peers/onnxruntime_predict.py .work/seed.onnx "
                                                ".work/fmnist_test_x.npy .work/y_onnxruntime.npy")
            commands["predict reference (.nnm)"] = ("nnmodel predict .work/seed.nnm --input .work/fmnist_test_x.npy "
                                                    "--output .work/y_nnmodel_nnm.npy")
            for r in range(1, bench.eval_rounds + 1):
                print(f"== ONNX inference round {r}/{bench.eval_rounds}", flush=True)
                unlink(bench.y_nn_onnx, bench.y_ort, bench.y_nn_nnm)
                out["predict"]["nnmodel"].append(runner.run(
                    f"onnx-predict-nnmodel-{r}", [nn, "predict", bench.seed_onnx, "--input", bench.test_npy,
                                                  "--output", bench.y_nn_onnx]))
                if peers.onnxruntime:
                    out["predict"]["onnxruntime"].append(runner.run(
                        f"onnx-predict-onnxruntime-{r}", [py, ort_predict, bench.seed_onnx, bench.test_npy, bench.y_ort]))
                out["predict"]["nnm"].append(runner.run(
                    f"onnx-predict-nnm-reference-{r}", [nn, "predict", bench.seed_nnm, "--input", bench.test_npy,
                                                        "--output", bench.y_nn_nnm]))
                if peers.onnxruntime:
                    out["diff"].append(max_abs_diff(bench.y_nn_onnx, bench.y_ort))
                out["diff_nnm"].append(max_abs_diff(bench.y_nn_onnx, bench.y_nn_nnm))
            if out["diff"]:
                print(f"    max abs diff nnmodel vs onnxruntime: {out['diff']}", flush=True)
    if os.path.exists(bench.big_nnm):
        commands["convert big to ONNX"] = "nnmodel convert .work/big.nnm .work/big.onnx"
        if peers.onnx:
            commands["onnx peer, big"] = "python Benchmarks/peers/onnx_save.py .work/big.nnm .work/big_peer.onnx"
        for r in range(1, bench.h5_rounds + 1):
            print(f"== ONNX export of big.nnm, round {r}/{bench.h5_rounds}", flush=True)
            unlink(bench.big_onnx, bench.big_peer_onnx)
            out["big_convert"]["nnmodel"].append(runner.run(f"onnx-convert-big-nnmodel-{r}",
                                                            [nn, "convert", bench.big_nnm, bench.big_onnx]))
            if peers.onnx:
                out["big_convert"]["onnx"].append(runner.run(f"onnx-convert-big-onnx-{r}",
                                                             [py, onnx_save, bench.big_nnm, bench.big_peer_onnx]))
        unlink(bench.big_peer_onnx)
        if os.path.exists(bench.big_onnx):
            out["big_onnx_bytes"] = os.path.getsize(bench.big_onnx)
        if os.path.exists(bench.big_onnx) and peers.big_py:
            rows = bench.big_predict_rows
            rec = runner.run("make-big-x-npy", [peers.big_py, os.path.join(HERE, "make_test_npy.py"), "random",
                                                bench.big_x_npy, str(rows), str(bench.big_width)])
            commands["make big npy"] = f"python Benchmarks/make_test_npy.py random .work/big_x.npy {rows} {bench.big_width}"
            if rec["rc"] == 0:
                commands["predict big ONNX"] = ("nnmodel predict .work/big.onnx --input .work/big_x.npy "
                                                "--output .work/big_y_nnmodel.npy")
                if peers.onnxruntime:
                    commands["onnxruntime peer, big"] = ("python Benchmarks/peers/onnxruntime_predict.py .work/big.onnx "
                                                         ".work/big_x.npy .work/big_y_onnxruntime.npy")
                for r in range(1, bench.h5_rounds + 1):
                    print(f"== ONNX inference with big.onnx ({rows} samples), round {r}/{bench.h5_rounds}", flush=True)
                    unlink(bench.big_y_nn, bench.big_y_ort)
                    out["big_predict"]["nnmodel"].append(runner.run(
                        f"onnx-predict-big-nnmodel-{r}", [nn, "predict", bench.big_onnx, "--input", bench.big_x_npy,
                                                          "--output", bench.big_y_nn]))
                    if peers.onnxruntime:
                        out["big_predict"]["onnxruntime"].append(runner.run(
                            f"onnx-predict-big-onnxruntime-{r}", [py, ort_predict, bench.big_onnx, bench.big_x_npy,
                                                                  bench.big_y_ort]))
                        out["big_diff"].append(max_abs_diff(bench.big_y_nn, bench.big_y_ort))
                if out["big_diff"]:
                    print(f"    max abs diff nnmodel vs onnxruntime on big.onnx: {out['big_diff']}", flush=True)
        unlink(bench.big_onnx)
    return out


def safetensors_timings(bench, peers):
    """Section 7: writing and reading the big model as safetensors with nnmodel and with the safetensors
    package (numpy API), interleaved, one process per operation."""
    nn, py, runner, commands = bench.nn, bench.py, bench.runner, bench.commands
    out = {"write": {"nnmodel": [], "peer": []}, "read": {"nnmodel": [], "peer": []}, "to_nnm": [],
           "bytes": None, "same_weights": None}
    if not os.path.exists(bench.big_nnm):
        return out
    io = os.path.join(PEERS, "safetensors_io.py")
    commands["safetensors write"] = "nnmodel convert .work/big.nnm .work/big.safetensors"
    if peers.safetensors:
        commands["safetensors save peer"] = ("python Benchmarks/peers/safetensors_io.py save .work/big.nnm "
                                             ".work/big_peer.safetensors")
    commands["safetensors read"] = "nnmodel inspect --tensors .work/big.safetensors"
    if peers.safetensors:
        commands["safetensors load peer"] = "python Benchmarks/peers/safetensors_io.py load .work/big.safetensors"
    commands["safetensors read reference"] = "nnmodel convert .work/big.safetensors .work/big_from_safetensors.nnm"
    for r in range(1, bench.h5_rounds + 1):
        print(f"== safetensors round {r}/{bench.h5_rounds}", flush=True)
        unlink(bench.big_st, bench.big_peer_st, bench.big_from_st)
        out["write"]["nnmodel"].append(runner.run(f"safetensors-write-nnmodel-{r}",
                                                  [nn, "convert", bench.big_nnm, bench.big_st]))
        if peers.safetensors:
            out["write"]["peer"].append(runner.run(f"safetensors-save-peer-{r}",
                                                   [py, io, "save", bench.big_nnm, bench.big_peer_st]))
            unlink(bench.big_peer_st)
        if not os.path.exists(bench.big_st):
            continue
        out["read"]["nnmodel"].append(runner.run(f"safetensors-read-nnmodel-{r}",
                                                 [nn, "inspect", "--tensors", bench.big_st]))
        if peers.safetensors:
            out["read"]["peer"].append(runner.run(f"safetensors-load-peer-{r}", [py, io, "load", bench.big_st]))
        out["to_nnm"].append(runner.run(f"safetensors-to-nnm-nnmodel-{r}",
                                        [nn, "convert", bench.big_st, bench.big_from_st]))
    if os.path.exists(bench.big_st):
        out["bytes"] = os.path.getsize(bench.big_st)
    if os.path.exists(bench.big_from_st):
        a = {t["name"]: t["crc32"] for t in read_nnm_header(bench.big_nnm)["tensors"]}
        b = {t["name"]: t["crc32"] for t in read_nnm_header(bench.big_from_st)["tensors"]}
        out["same_weights"] = a == b
        print(f"    big.nnm -> .safetensors -> .nnm: tensors identical (CRC-32 per tensor): {a == b}", flush=True)
    unlink(bench.big_st, bench.big_from_st)
    return out


def remove_big_files(bench):
    """Removes the generated big files unless --keep."""
    if not bench.args.keep:
        unlink(bench.big_nnm, bench.big_h5, bench.big_from_h5, bench.big_copy, bench.big_floor, bench.big_back_h5, bench.big_onnx,
               bench.big_peer_onnx, bench.big_st, bench.big_peer_st, bench.big_from_st)
        print("== removed the big files (use --keep to keep them)", flush=True)


# ---------------------------------------------------------------- summary


def ok(recs):
    """The runs that exited 0 and printed JSON."""
    return [r for r in recs if r["rc"] == 0 and r["json"]]


def col(recs, key):
    """The value of key in each run's JSON output (None where it is missing)."""
    return [r["json"].get(key) for r in recs]


def walls(recs):
    """Each run's whole-process wall time, in seconds."""
    return [r["wall"] for r in recs]


def rss_mb(recs):
    """Each run's peak RSS in MB (10^6 bytes), for the runs /usr/bin/time measured."""
    return [r["rss_kb"] * 1024 / 1e6 for r in recs if r["rss_kb"]]


def ratio(a, b):
    """a / b, or None when a is missing or b is missing or 0."""
    return a / b if a is not None and b else None


def best_of(ceilings, key):
    """The best value of one sgemm_ceiling measurement over the ceiling runs, or None."""
    return max((c[key] for c in ceilings), default=None)


def ms_range(values):
    """' (min–max)' in milliseconds when there are several values, else an empty string."""
    values = [v for v in values if v is not None]
    return f" ({min(values) * 1000:.1f}–{max(values) * 1000:.1f})" if len(values) > 1 else ""


def cell(v, f=fmt_s, values=None, unit=""):
    """A table cell: v formatted by f, then (min–max) of values when there are several; — without v."""
    if v is None:
        return "—"
    return f(v) + (fmt_range(values, unit=unit) if values and len(values) > 1 else "")


def acc_cell(values):
    """A table cell of accuracies: median (min–max) to 4 decimals, or —."""
    m = median(values)
    if m is None:
        return "—"
    lo, hi = spread(values)
    return f"{m:.4f}" + (f" ({lo:.4f}–{hi:.4f})" if len(values) > 1 else "")


def cores_cell(recs):
    """A table cell of the median cores the runs used (CPU time over wall time), or —."""
    values = [r["cpu"] / r["wall"] for r in recs if r.get("cpu") is not None and r["wall"] > 0]
    return f"{median(values):.2f}" if values else "—"


def others_cell(recs):
    """A table cell of the cores other processes kept busy during the runs: median (max), or —."""
    values = [r["others"] for r in recs if r.get("others") is not None]
    if not values:
        return "—"
    return f"{median(values):.2f} (max {max(values):.2f})"


def mb_cell(values):
    """A table cell of peak RSS values in MB: median (max), or —."""
    if not values:
        return "—"
    return f"{median(values):.0f} (max {max(values):.0f})"


def inspect_cell(inspect, key):
    """A table cell of one inspect timing: median (min–max, runs), or — when it was not measured."""
    v = inspect.get(key)
    return f"{fmt_ms(v['median'])} ({fmt_ms(v['min'])}–{fmt_ms(v['max'])}, {v['runs']} runs)" if v else "—"


class Stats:
    """The columns, medians and ratios of the training and evaluation runs that tables and targets share."""

    def __init__(self, results):
        """Derives everything from the successful runs in results."""
        self.total_flops = results.total_flops
        self.nn_train = ok(results.train["nnmodel"])
        self.k_train = ok(results.train["keras"])
        self.s_train = ok(results.train["sklearn"])

        self.nn_train_s = col(self.nn_train, "training_seconds")
        self.nn_acc = [r["json"]["test"]["accuracy"] for r in self.nn_train]
        self.nn_wall = walls(self.nn_train)
        self.nn_rss = rss_mb(self.nn_train)
        self.k_fit = col(self.k_train, "fit_seconds")
        self.k_acc = col(self.k_train, "test_accuracy")
        self.k_wall = walls(self.k_train)
        self.k_rss = rss_mb(self.k_train)
        self.k_first = [r["json"]["epoch_seconds"][0] for r in self.k_train if r["json"].get("epoch_seconds")]
        self.k_later = [statistics.median(r["json"]["epoch_seconds"][1:]) for r in self.k_train
                        if len(r["json"].get("epoch_seconds") or []) > 1]
        self.s_fit = col(self.s_train, "fit_seconds")
        self.s_acc = col(self.s_train, "test_accuracy")
        self.s_wall = walls(self.s_train)
        self.s_rss = rss_mb(self.s_train)

        self.m_nn, self.m_k, self.m_s = median(self.nn_train_s), median(self.k_fit), median(self.s_fit)
        self.r_k, self.r_s = ratio(self.m_nn, self.m_k), ratio(self.m_nn, self.m_s)
        self.rw_k = ratio(median(self.nn_wall), median(self.k_wall))
        self.rw_s = ratio(median(self.nn_wall), median(self.s_wall))
        self.best_one = best_of(results.ceilings, "one_thread")
        self.best_two = best_of(results.ceilings, "two_cores_best")

        self.nn_eval = ok(results.evaluate["nnmodel"])
        self.nn_eval_s = col(self.nn_eval, "seconds")
        self.nn_eval_acc = col(self.nn_eval, "accuracy")
        self.nn_eval_wall = walls(self.nn_eval)
        self.k_eval = ok(results.evaluate["keras"])
        self.s_eval = ok(results.evaluate["sklearn"])

    def gflops(self, secs):
        """The GFLOP/s of training the seed job in secs seconds, or None."""
        return self.total_flops / secs / 1e9 if secs else None


def training_table(bench, results, st):
    """Table 1 (and 4, peak RSS): training time, wall time, ratios, accuracy, RSS, cores, noise, GFLOP/s."""
    lines = []
    w = lines.append
    w(f"#### 1. Training the seed job, and 4. its peak RSS ({bench.epochs} epoch(s), batch {bench.batch}, "
      f"{results.train_samples:,} samples; {bench.rounds} interleaved rounds; median (min–max))")
    w("")
    w("| | nnmodel | Keras (TF CPU) | scikit-learn |")
    w("|---|---|---|---|")
    w(f"| training time, s (nnmodel `training_seconds`, Keras `fit`, sklearn `fit`) | {cell(st.m_nn, values=st.nn_train_s)} "
      f"| {cell(st.m_k, values=st.k_fit)} | {cell(st.m_s, values=st.s_fit)} |")
    w(f"| whole process wall, s | {cell(median(st.nn_wall), values=st.nn_wall)} "
      f"| {cell(median(st.k_wall), values=st.k_wall)} | {cell(median(st.s_wall), values=st.s_wall)} |")
    w(f"| ratio nnmodel / peer, training time | — | {cell(st.r_k, lambda v: f'{v:.3f}')} (target ≤ "
      f"{TARGETS['train_vs_keras']}) | {cell(st.r_s, lambda v: f'{v:.3f}')} (target ≤ {TARGETS['train_vs_sklearn']}) |")
    w(f"| ratio nnmodel / peer, whole process | — | {cell(st.rw_k, lambda v: f'{v:.3f}')} "
      f"| {cell(st.rw_s, lambda v: f'{v:.3f}')} |")
    w(f"| test accuracy | {acc_cell(st.nn_acc)} | {acc_cell(st.k_acc)} | {acc_cell(st.s_acc)} |")
    w(f"| peak RSS, MB | {mb_cell(st.nn_rss)} | {mb_cell(st.k_rss)} | {mb_cell(st.s_rss)} |")
    w(f"| CPU time / wall (cores used), whole process | {cores_cell(st.nn_train)} | {cores_cell(st.k_train)} "
      f"| {cores_cell(st.s_train)} |")
    w(f"| other processes' load during the runs, cores | {others_cell(st.nn_train)} | {others_cell(st.k_train)} "
      f"| {others_cell(st.s_train)} |")
    w(f"| achieved GFLOP/s ({st.total_flops / 1e9:.1f} GFLOP) | {cell(st.gflops(st.m_nn), lambda v: f'{v:.1f}')} "
      f"| {cell(st.gflops(st.m_k), lambda v: f'{v:.1f}')} | {cell(st.gflops(st.m_s), lambda v: f'{v:.1f} (float64)')} |")
    if st.k_first:
        w(f"| Keras epoch times, s: first (tracing included) / later epochs | | {fmt_s(median(st.k_first))} / "
          f"{fmt_s(median(st.k_later))} | |")
    w("")
    return lines


def ceiling_text(ceilings, st):
    """The sgemm ceiling paragraph: best GFLOP/s per way of using the cores, and nnmodel's share of it."""
    lines = []
    if not ceilings:
        return lines
    w = lines.append
    g_nn = st.gflops(st.m_nn)
    w(f"sgemm ceiling for the batch-32 mix of the seed job (OpenBLAS, best of {len(ceilings)} runs): "
      f"1 thread {best_of(ceilings, 'one_thread'):.1f} GFLOP/s; 2 cores {st.best_two:.1f} GFLOP/s "
      f"(OpenBLAS 2 threads {best_of(ceilings, 'openblas_two_threads'):.1f}, "
      f"2 pthreads {best_of(ceilings, 'two_pthreads'):.1f}, "
      f"2 processes {best_of(ceilings, 'two_processes'):.1f}; other processes kept "
      + "/".join(f"{c['others']:.2f}" for c in ceilings if c.get("others") is not None)
      + " cores busy during these runs). nnmodel reaches "
      + (f"{g_nn / st.best_two:.1%} of the 2-core ceiling ({g_nn / st.best_one:.1%} of 1 thread)."
         if st.m_nn else "n/a."))
    shapes = ceilings[-1].get("one_thread_shapes", {})
    if shapes:
        w("Per shape, 1 thread (GFLOP/s): " + ", ".join(f"{k} {v:.1f}" for k, v in shapes.items()) + ".")
    w("")
    return lines


def evaluation_table(bench, results, st):
    """Table 2: evaluation compute in process, whole-process wall times, noise and accuracy per tool."""
    k_eval, s_eval, hf_eval = st.k_eval, st.s_eval, results.hf_eval
    lines = []
    w = lines.append
    w(f"#### 2. Evaluating on the {results.test_samples:,} test images ({bench.eval_rounds} interleaved rounds; "
      f"median (min–max))")
    w("")
    w("| | nnmodel | Keras (TF CPU) | scikit-learn |")
    w("|---|---|---|---|")
    w(f"| compute in process (nnmodel `seconds`, Keras `evaluate` call, sklearn `score`) "
      f"| {cell(median(st.nn_eval_s), fmt_ms)}{ms_range(st.nn_eval_s)} "
      f"| {cell(median(col(k_eval, 'evaluate_seconds')), fmt_ms)} "
      f"| {cell(median(col(s_eval, 'score_seconds')), fmt_ms)} |")
    if k_eval:
        w(f"| Keras `evaluate`, second call in the same process | | "
          f"{cell(median(col(k_eval, 'evaluate_warm_seconds')), fmt_ms)} | |")
    w(f"| whole process wall, s (interleaved runs) | {cell(median(st.nn_eval_wall), fmt_s, st.nn_eval_wall)} "
      f"| {cell(median(walls(k_eval)), fmt_s, walls(k_eval))} "
      f"| {cell(median(walls(s_eval)), fmt_s, walls(s_eval))} |")
    if hf_eval:
        w(f"| whole process wall, {hf_eval['how']} | {fmt_ms(hf_eval['median'])} "
          f"({fmt_ms(hf_eval['min'])}–{fmt_ms(hf_eval['max'])}) | | |")
    if k_eval:
        w(f"| of which import / model load, s | | {fmt_s(median(col(k_eval, 'import_seconds')))} / "
          f"{fmt_s(median(col(k_eval, 'load_seconds')))} | {fmt_s(median(col(s_eval, 'import_seconds')))} / "
          f"{fmt_s(median(col(s_eval, 'load_seconds')))} |")
    w(f"| other processes' load during the runs, cores | {others_cell(st.nn_eval)} "
      f"| {others_cell(k_eval)} | {others_cell(s_eval)} |")
    w(f"| accuracy | {acc_cell(st.nn_eval_acc)} | {acc_cell(col(k_eval, 'accuracy'))} "
      f"| {acc_cell(col(s_eval, 'accuracy'))} |")
    w("")
    return lines


def inspect_table(bench, results):
    """Table 3: `nnmodel inspect` header-only and verified load times on the seed and the big model."""
    big_info, big_check, inspect = results.big_info, results.big_check, results.inspect
    lines = []
    w = lines.append
    w("#### 3. `nnmodel inspect`: start-up and verified load (whole process, warm page cache)")
    w("")
    w("| file | header only (`--no-verify`) | every tensor read and CRC-checked |")
    w("|---|---|---|")
    seed_size = os.path.getsize(bench.seed_nnm) if os.path.exists(bench.seed_nnm) else None
    if seed_size:
        w(f"| seed.nnm ({seed_size / 1e6:.2f} MB) | {inspect_cell(inspect, 'seed_header')} "
          f"| {inspect_cell(inspect, 'seed_verify')} |")
    if big_info:
        bv = inspect.get("big_verify")
        rate = f"; **{big_info['bytes'] / bv['median'] / 1e9:.2f} GB/s**" if bv else ""
        w(f"| big.nnm ({big_info['bytes'] / 1e9:.3f} GB, {bench.big_layers} x Dense({bench.big_width})) "
          f"| {inspect_cell(inspect, 'big_header')} | {inspect_cell(inspect, 'big_verify')}{rate} |")
    w("")
    w(f"Start-up (target ≤ 6 ms for commands that do not touch HDF5): `nnmodel --version` "
      f"{inspect_cell(inspect, 'version')}; the process floor, `/bin/true`, {inspect_cell(inspect, 'floor')}.")
    w("")
    hf_eval = results.hf_eval
    eval_cell = (f"{fmt_ms(hf_eval['median'])} ({fmt_ms(hf_eval['min'])}–{fmt_ms(hf_eval['max'])}, {hf_eval['runs']} runs)"
                 if hf_eval else "—")
    w(f"Latency, whole process (targets: `evaluate` ≤ 35 ms, `predict` of one sample ≤ 10 ms): "
      f"`nnmodel evaluate seed.nnm` on the 10,000 test images {eval_cell} (the gzip images read from the cache "
      f"of inflated data files, filled by the first run); `nnmodel predict seed.nnm` of one test image, JSON to "
      f"stdout, {inspect_cell(inspect, 'predict_one')}.")
    w("")
    if big_info:
        w(f"big.nnm: {big_info['parameters']:,} parameters, written by make_big_model.py in "
          f"{big_info['seconds']:.1f} s; `nnmodel inspect` on it: exit {big_check['rc'] if big_check else '?'}, "
          f"checksums {json.dumps(big_check['checksums']) if big_check else '?'}.")
        w("")
    c = results.crc32
    if c:
        def rate(key):
            return f"{c[key]:.2f}" if c.get(key) is not None else "—"
        w(f"CRC-32, the checksum verified above, in GB/s (best of {c['trials']}, `crc32_speed.c`): "
          f"{c['bytes'] >> 20} MiB in memory — zlib {rate('zlib')}, PCLMULQDQ {rate('pclmul')}, "
          f"VPCLMULQDQ (AVX-512) {rate('vpclmul')}, memory read by glibc's memchr {rate('read')}; "
          f"{c['cache_bytes'] >> 10} KiB in cache — zlib {rate('zlib_cache')}, PCLMULQDQ {rate('pclmul_cache')}, "
          f"VPCLMULQDQ {rate('vpclmul_cache')}. nnmodel uses the fastest the CPU has"
          + ("" if c.get("agree") else "; **the checksums differed**") + ".")
        w("")
    return lines


def convert_table(bench, results):
    """Table 5: `nnmodel convert` of the big HDF5 file, the .nnm reference and h5py's read (none without h5py)."""
    h5_info, h5, big_info = results.h5_info, results.h5, results.big_info
    lines = []
    if not h5_info:
        return lines
    w = lines.append
    conv = ok(h5["convert"]) or [r for r in h5["convert"] if r["rc"] == 0]
    reads = ok(h5["h5py"])
    conv_wall = walls(conv)
    read_s = col(reads, "read_seconds")
    read_wall = walls(reads)
    size = h5_info["bytes"]
    w(f"#### 5. Keras HDF5 import ({size / 1e9:.3f} GB legacy `.h5`, tf_keras layout; {bench.h5_rounds} interleaved "
      f"rounds; warm page cache)")
    w("")
    w("| | seconds, median (min–max) | input MB/s | peak RSS, MB |")
    w("|---|---|---|---|")
    if conv_wall:
        w(f"| `nnmodel convert big.h5 big.nnm` (whole process; includes writing and "
          f"fsyncing the {size / 1e9:.2f} GB .nnm) "
          f"| {cell(median(conv_wall), values=conv_wall)} | {size / median(conv_wall) / 1e6:.0f} "
          f"| {mb_cell(rss_mb(conv))} |")
    floors = [r for r in h5.get("floor", []) if r["rc"] == 0]
    floor_wall = walls(floors)
    to_h5 = [r for r in h5.get("to_h5", []) if r["rc"] == 0]
    if to_h5:
        tw = walls(to_h5)
        w(f"| `nnmodel convert big.nnm big.h5` (whole process; reads and CRC-checks the .nnm, writes and fsyncs the .h5) "
          f"| {cell(median(tw), values=tw)} | {size / median(tw) / 1e6:.0f} | {mb_cell(rss_mb(to_h5))} |")
    if floor_wall:
        w(f"| floor: `copy_floor.py` copies the {size / 1e9:.2f} GB to a new file on the same disk, fsyncs, renames "
          f"(whole process) | {cell(median(floor_wall), values=floor_wall)} | {size / median(floor_wall) / 1e6:.0f} "
          f"| {mb_cell(rss_mb(floors))} |")
    copies = [r for r in h5["copy"] if r["rc"] == 0]
    if copies:
        cw = walls(copies)
        w(f"| reference: `nnmodel convert big.nnm copy.nnm` (same output, .nnm input, checksums verified) "
          f"| {cell(median(cw), values=cw)} | {big_info['bytes'] / median(cw) / 1e6:.0f} "
          f"| {mb_cell(rss_mb(copies))} |")
    if read_s:
        w(f"| h5py: every dataset into numpy (in process) | {cell(median(read_s), values=read_s)} "
          f"| {size / median(read_s) / 1e6:.0f} | |")
        w(f"| h5py: whole process (import h5py, read) | {cell(median(read_wall), values=read_wall)} "
          f"| {size / median(read_wall) / 1e6:.0f} "
          f"| {mb_cell(rss_mb(reads))} |")
    w("")
    parts = streaming_targets(floor_wall, (("big.h5 → .nnm", conv), ("big.nnm → .h5", to_h5)))
    if parts:
        w("Streaming targets (medians of the interleaved rounds): " + "; ".join(parts) + ".")
        w("")
    if results.same_weights is not None:
        w(f"Converted tensors identical to make_big_model.py's (CRC-32 of every tensor): "
          f"{'yes' if results.same_weights else 'NO'}.")
        w("")
    return lines


def rounds_cell(recs):
    """Whole-process seconds of the runs that exited 0: median (min–max), or —."""
    w = walls([r for r in recs if r["rc"] == 0])
    return cell(median(w), values=w)


def ratio_cell(a, b):
    """a / b to 3 decimals, or —."""
    return cell(ratio(a, b), lambda v: f"{v:.3f}")


def ok_walls(recs):
    return walls([r for r in recs if r["rc"] == 0])


def ok_rss(recs):
    return mb_cell(rss_mb([r for r in recs if r["rc"] == 0]))


def sum_col(recs, *keys):
    """Per run, the sum of the given JSON fields (runs missing one are left out)."""
    out = []
    for r in recs:
        values = [r["json"].get(k) for k in keys]
        if all(v is not None for v in values):
            out.append(sum(values))
    return out


def diff_text(diffs):
    """'max abs diff X (within 1e-5: yes)' over the rounds, or 'not compared'."""
    values = [d for d in diffs if d is not None]
    if not values:
        return "not compared"
    worst = max(values)
    return f"max abs diff **{worst:.3g}** over {len(values)} round(s) (within 1e-5: {'yes' if worst <= 1e-5 else 'NO'})"


def onnx_table(bench, results):
    """Section 6: ONNX export and inference, nnmodel against onnx / onnxruntime."""
    o = results.onnx
    lines = []
    if not o:
        return lines
    w = lines.append
    sc, bc = o["seed_convert"], o["big_convert"]
    if sc["nnmodel"] or bc["nnmodel"]:
        w(f"#### 6a. ONNX export: `nnmodel convert model.nnm model.onnx` against the onnx package writing the same "
          f"graph ({bench.eval_rounds} interleaved rounds for the seed model, {bench.h5_rounds} for the big one; "
          f"warm page cache; seconds, median (min–max))")
        w("")
        w("| model | nnmodel convert, whole process (reads and CRC-checks the .nnm, writes, fsyncs) | onnx peer, "
          "whole process (import onnx, read the .nnm with numpy, build, `onnx.save`, fsync) | onnx peer in process: "
          "build + `onnx.save` / fsync | ratio nnmodel / peer, whole process | ratio nnmodel / peer in process "
          "(build + save + fsync) | peak RSS, MB: nnmodel / peer |")
        w("|---|---|---|---|---|---|---|")
        for name, d, size in (("seed.onnx", sc, o["seed_onnx_bytes"]), ("big.onnx", bc, o["big_onnx_bytes"])):
            if not d["nnmodel"]:
                continue
            nn_w = ok_walls(d["nnmodel"])
            peer = ok(d["onnx"])
            p_w = walls(peer)
            p_in = sum_col(peer, "build_seconds", "save_seconds")
            p_fs = col(peer, "fsync_seconds")
            p_all = sum_col(peer, "build_seconds", "save_seconds", "fsync_seconds")
            label = f"{name} ({size / 1e6:,.1f} MB)" if size else name
            w(f"| {label} | {cell(median(nn_w), values=nn_w)} | {cell(median(p_w), values=p_w)} "
              f"| {cell(median(p_in))} / {cell(median(p_fs))} | {ratio_cell(median(nn_w), median(p_w))} "
              f"| {ratio_cell(median(nn_w), median(p_all))} | {ok_rss(d['nnmodel'])} / {ok_rss(peer)} |")
        w("")
    pr = o["predict"]
    if pr["nnmodel"]:
        n = o["test_shape"][0] if o["test_shape"] else "?"
        w(f"#### 6b. ONNX inference on the {n:,} test images (`--input` .npy float32 {o['test_shape']}, output .npy; "
          f"{bench.eval_rounds} interleaved rounds; whole process; median (min–max))")
        w("")
        w("| | nnmodel `predict seed.onnx` | onnxruntime (CPUExecutionProvider), same .onnx | "
          "reference: nnmodel `predict seed.nnm` |")
        w("|---|---|---|---|")
        nn_w, ort, ref_w = ok_walls(pr["nnmodel"]), ok(pr["onnxruntime"]), ok_walls(pr["nnm"])
        o_w = walls(ort)
        w(f"| whole process wall, s (load model, np.load input, infer, save output) | {cell(median(nn_w), values=nn_w)} "
          f"| {cell(median(o_w), values=o_w)} | {cell(median(ref_w), values=ref_w)} |")
        w(f"| ratio nnmodel / onnxruntime, whole process | {ratio_cell(median(nn_w), median(o_w))} | "
          f"| {ratio_cell(median(ref_w), median(o_w))} |")
        if ort:
            w(f"| onnxruntime in process: import / session / np.load / `run` / np.save, ms | | "
              f"{fmt_ms(median(col(ort, 'import_seconds')))} / {fmt_ms(median(col(ort, 'session_seconds')))} / "
              f"{fmt_ms(median(col(ort, 'input_seconds')))} / {fmt_ms(median(col(ort, 'run_seconds')))} / "
              f"{fmt_ms(median(col(ort, 'save_seconds')))} | |")
            w(f"| onnxruntime without the import (session to saved output), s; second `run` call, ms | | "
              f"{fmt_s(median(sum_col(ort, 'session_seconds', 'input_seconds', 'run_seconds', 'save_seconds')))}; "
              f"{fmt_ms(median(col(ort, 'run_warm_seconds')))} | |")
        w(f"| peak RSS, MB | {ok_rss(pr['nnmodel'])} | {ok_rss(ort)} | {ok_rss(pr['nnm'])} |")
        w(f"| CPU time / wall (cores used) | {cores_cell(pr['nnmodel'])} | {cores_cell(ort)} | {cores_cell(pr['nnm'])} |")
        w(f"| other processes' load during the runs, cores | {others_cell(pr['nnmodel'])} | {others_cell(ort)} "
          f"| {others_cell(pr['nnm'])} |")
        w("")
        w(f"Outputs: nnmodel (seed.onnx) vs onnxruntime: {diff_text(o['diff'])}; nnmodel seed.onnx vs seed.nnm: "
          f"{diff_text(o['diff_nnm'])}."
          + (f" onnxruntime threads: intra-op {ort[0]['json'].get('intra_op_threads')} (0 = its default, one per "
             f"physical core), providers {ort[0]['json'].get('providers')}." if ort else ""))
        w("")
    bp = o["big_predict"]
    if bp["nnmodel"]:
        nn_w, ort = ok_walls(bp["nnmodel"]), ok(bp["onnxruntime"])
        o_w = walls(ort)
        w(f"#### 6c. The big model's ONNX file ({(o['big_onnx_bytes'] or 0) / 1e9:.3f} GB) in nnmodel and onnxruntime: "
          f"load it and predict {bench.big_predict_rows} random samples ({bench.h5_rounds} interleaved rounds; "
          f"whole process)")
        w("")
        w("| | nnmodel `predict big.onnx` | onnxruntime |")
        w("|---|---|---|")
        w(f"| whole process wall, s | {cell(median(nn_w), values=nn_w)} | {cell(median(o_w), values=o_w)} |")
        w(f"| ratio nnmodel / onnxruntime | {ratio_cell(median(nn_w), median(o_w))} | |")
        if ort:
            w(f"| onnxruntime session creation (reads and optimizes the graph), s | | "
              f"{cell(median(col(ort, 'session_seconds')))} |")
        w(f"| peak RSS, MB | {ok_rss(bp['nnmodel'])} | {ok_rss(ort)} |")
        w("")
        w(f"Outputs: {diff_text(o['big_diff'])}.")
        w("")
    return lines


def streaming_targets(floor_wall, conversions):
    """Issue 17's target for each (label, records) conversion: within 1.3x of the copy floor (section 5)
    and peak RSS at most 128 MB, for any model size."""
    parts = []
    for label, recs in conversions:
        recs = [r for r in recs if r["rc"] == 0]
        if floor_wall and walls(recs) and rss_mb(recs):
            ratio_to_floor = median(walls(recs)) / median(floor_wall)
            peak = max(rss_mb(recs))
            parts.append(f"{label}: {ratio_to_floor:.2f}x the floor (target ≤ 1.3x: "
                         f"{'met' if ratio_to_floor <= 1.3 else 'NOT met'}), peak RSS {peak:.0f} MB (target ≤ 128 MB: "
                         f"{'met' if peak <= 128 else 'NOT met'})")
    return parts


def new_format_targets(results):
    """The streaming targets for the formats added after HDF5: big.nnm to safetensors and back, and to ONNX."""
    floors = [r for r in (results.h5 or {}).get("floor", []) if r["rc"] == 0]
    st, o = results.safetensors or {}, results.onnx or {}
    parts = streaming_targets(walls(floors), (
        ("big.nnm → .safetensors", (st.get("write") or {}).get("nnmodel", [])),
        ("big.safetensors → .nnm", st.get("to_nnm", [])),
        ("big.nnm → .onnx", (o.get("big_convert") or {}).get("nnmodel", []))))
    if not parts:
        return []
    return ["Streaming targets of the newer formats (the copy floor of section 5; medians): " + "; ".join(parts) + ".", ""]


def safetensors_table(bench, results):
    """Section 7: the big model written and read as safetensors by nnmodel and by the safetensors package."""
    st = results.safetensors
    lines = []
    if not st or not st["write"]["nnmodel"]:
        return lines
    w = lines.append
    size = st["bytes"] or (results.big_info or {}).get("bytes") or 0
    wr_nn, wr_p = st["write"]["nnmodel"], ok(st["write"]["peer"])
    rd_nn, rd_p = st["read"]["nnmodel"], ok(st["read"]["peer"])
    w(f"#### 7. safetensors: the big model ({size / 1e9:.3f} GB) written and read ({bench.h5_rounds} interleaved "
      f"rounds, one process per operation; warm page cache; median (min–max))")
    w("")
    w("| | seconds | MB/s | peak RSS, MB |")
    w("|---|---|---|---|")
    nn_w = ok_walls(wr_nn)
    p_w = walls(wr_p)
    p_save = col(wr_p, "save_seconds")
    p_save_fs = sum_col(wr_p, "save_seconds", "fsync_seconds")

    def mbs(seconds):
        return f"{size / seconds / 1e6:,.0f}" if seconds and size else "—"

    w(f"| write: `nnmodel convert big.nnm big.safetensors` (whole process: reads and CRC-checks big.nnm, writes, "
      f"fsyncs) | {cell(median(nn_w), values=nn_w)} | {mbs(median(nn_w))} | {ok_rss(wr_nn)} |")
    w(f"| write: safetensors peer, whole process (import, read big.nnm with numpy, `save_file`, fsync) "
      f"| {cell(median(p_w), values=p_w)} | {mbs(median(p_w))} | {ok_rss(wr_p)} |")
    w(f"| write: safetensors `save_file` in process / + fsync | {cell(median(p_save), values=p_save)} / "
      f"{cell(median(p_save_fs), values=p_save_fs)} | {mbs(median(p_save))} / {mbs(median(p_save_fs))} | |")
    w(f"| **write ratio nnmodel / peer**: whole process / against `save_file` + fsync | "
      f"{ratio_cell(median(nn_w), median(p_w))} / {ratio_cell(median(nn_w), median(p_save_fs))} | | |")
    rn_w = ok_walls(rd_nn)
    rp_w = walls(rd_p)
    p_load = col(rd_p, "load_seconds")
    p_load_stats = sum_col(rd_p, "load_seconds", "statistics_seconds")
    w(f"| read: `nnmodel inspect --tensors big.safetensors` (whole process: every tensor read, statistics per "
      f"tensor, table printed) | {cell(median(rn_w), values=rn_w)} | {mbs(median(rn_w))} | {ok_rss(rd_nn)} |")
    w(f"| read: safetensors peer, whole process (import, `load_file`, the same statistics in numpy) "
      f"| {cell(median(rp_w), values=rp_w)} | {mbs(median(rp_w))} | {ok_rss(rd_p)} |")
    w(f"| read: safetensors `load_file` in process / + statistics | {cell(median(p_load), values=p_load)} / "
      f"{cell(median(p_load_stats), values=p_load_stats)} | {mbs(median(p_load))} / {mbs(median(p_load_stats))} | |")
    w(f"| **read ratio nnmodel / peer**: whole process / against `load_file` + statistics | "
      f"{ratio_cell(median(rn_w), median(rp_w))} / {ratio_cell(median(rn_w), median(p_load_stats))} | | |")
    tn = ok_walls(st["to_nnm"])
    w(f"| reference: `nnmodel convert big.safetensors out.nnm` (reads, writes and fsyncs a .nnm) "
      f"| {cell(median(tn), values=tn)} | {mbs(median(tn))} | {ok_rss(st['to_nnm'])} |")
    w(f"| other processes' load during the runs, cores: nnmodel write / peer write / nnmodel read / peer read "
      f"| {others_cell(wr_nn)} / {others_cell(wr_p)} / {others_cell(rd_nn)} / {others_cell(rd_p)} | | |")
    w("")
    if st["same_weights"] is not None:
        w(f"big.nnm → .safetensors → .nnm: tensors identical (CRC-32 of every tensor): "
          f"{'yes' if st['same_weights'] else 'NO'}.")
        w("")
    lines += new_format_targets(results)
    return lines


def build_table(bench, results, st):
    """All the tables, in section order, as one markdown string."""
    lines = (training_table(bench, results, st) + ceiling_text(results.ceilings, st)
             + evaluation_table(bench, results, st) + inspect_table(bench, results)
             + convert_table(bench, results) + onnx_table(bench, results) + safetensors_table(bench, results))
    return "\n".join(lines)


def target_line(name, met, text):
    """One line of the targets list: met or not met with text, or not measured with text as the reason."""
    if met is None:
        return f"- {name}: not measured ({text})"
    return f"- {name}: **{'met' if met else 'not met'}** — {text}"


def check_targets(bench, results, st):
    """The met / not met line of every target (and, in quick mode, that they are meant for full runs)."""
    r_k, r_s, m_nn, m_k, m_s = st.r_k, st.r_s, st.m_nn, st.m_k, st.m_s
    nn_acc, k_acc, nn_rss, nn_eval_wall = st.nn_acc, st.k_acc, st.nn_rss, st.nn_eval_wall
    hf_eval = results.hf_eval
    targets = []
    targets.append(target_line(
        "training time nnmodel / Keras ≤ 0.08", None if r_k is None else r_k <= TARGETS["train_vs_keras"],
        f"{r_k:.3f} ({fmt_s(m_nn)} s / {fmt_s(m_k)} s)" if r_k else "no Keras"))
    targets.append(target_line(
        "training time nnmodel / scikit-learn ≤ 0.12", None if r_s is None else r_s <= TARGETS["train_vs_sklearn"],
        f"{r_s:.3f} ({fmt_s(m_nn)} s / {fmt_s(m_s)} s)" if r_s else "no scikit-learn"))
    gap = (median(k_acc) - median(nn_acc)) if k_acc and nn_acc else None
    targets.append(target_line(
        "test accuracy no more than 0.5 points below Keras",
        None if gap is None else gap <= TARGETS["accuracy_gap"] + 1e-12,
        f"nnmodel {median(nn_acc):.4f} vs Keras {median(k_acc):.4f}: "
        f"{-gap * 100:+.2f} points" if gap is not None else "no Keras"))
    me = median(st.nn_eval_s)
    targets.append(target_line(
        "evaluate compute ≤ 25 ms", None if me is None else me <= TARGETS["evaluate_compute"],
        f"{fmt_ms(me)} (median `seconds`)" if me is not None else "no evaluation"))
    mp = hf_eval["median"] if hf_eval else median(nn_eval_wall)
    targets.append(target_line(
        "evaluate whole process < 0.3 s", None if mp is None else mp < TARGETS["evaluate_process"],
        f"{fmt_ms(mp)} ({hf_eval['how'] if hf_eval else 'interleaved runs'}; interleaved median "
        f"{fmt_ms(median(nn_eval_wall))})" if mp is not None else "no evaluation"))
    mr = max(nn_rss) if nn_rss else None
    targets.append(target_line(
        "peak RSS of the seed training job < 200 MB", None if mr is None else mr < TARGETS["train_rss_mb"],
        f"{mr:.0f} MB max over {len(nn_rss)} runs (`/usr/bin/time -f %M`: "
        f"{max(r['rss_kb'] for r in st.nn_train if r['rss_kb']):,} KiB)"
        if mr is not None else "no /usr/bin/time"))
    if bench.quick:
        targets.append("- (quick mode: 1 epoch, few rounds, small big model — the targets are for full runs)")
    return targets


def print_report(table, targets, elapsed):
    """Prints the tables, the targets and the run's total wall time."""
    print()
    print(table)
    print("Targets:")
    print("\n".join(targets))
    print(f"\nTotal wall time of this run: {elapsed / 60:.1f} min", flush=True)


def collect_notes(peers, records, k_train):
    """The notes for RESULTS.md: skipped peers, Keras's stderr and threading, the noise, failed runs."""
    notes = []
    notes += [s for s in peers.skipped]
    for prefix, name in (("train-keras", "Keras training"), ("evaluate-keras", "Keras evaluation")):
        msgs, count = interesting_stderr(records, prefix)
        if msgs:
            notes.append(f"{name} stderr ({count} distinct lines), e.g.: " + " | ".join(f"`{m}`" for m in msgs[:4]))
    if k_train:
        j = k_train[0]["json"]
        notes.append(f"TensorFlow threading: intra-op {j.get('intra_op_threads')}, inter-op "
                     f"{j.get('inter_op_threads')} (0 = TensorFlow's default, all cores); GPUs visible: {j.get('gpus')}.")
    loads = [r["others"] for r in records if r.get("others") is not None]
    if loads:
        busy_runs = sum(1 for v in loads if v >= 0.3)
        notes.append(f"Noise: other processes kept a median {median(loads):.2f} cores (max {max(loads):.2f}) of the "
                     f"{os.cpu_count()} busy during the timed runs; {busy_runs} of {len(loads)} runs had 0.3 cores "
                     f"or more taken" + (" — on 2 cores, every 2-thread number here is affected."
                                         if median(loads) >= 0.3 else "."))
    failures = [r["label"] for r in records if r["rc"] != 0]
    if failures:
        notes.append("Failed runs: " + ", ".join(failures))
    return notes


def results_section(bench, peers, results, st, table, targets):
    """The dated RESULTS.md section: machine, versions, commands, the tables, the targets and the notes."""
    notes = collect_notes(peers, bench.runner.records, st.k_train)
    versions = peers.versions
    head = git("log", "-1", "--format=%h %s")
    src = git("log", "-1", "--format=%h %s", "--", "Sources", "Package.swift")
    dirty = git("status", "--porcelain", "--", "Sources", "Package.swift")
    nn_version = subprocess.run([bench.nn, "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    swift_version = ""
    if shutil.which("swift"):
        swift_version = subprocess.run(["swift", "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True).stdout.strip().splitlines()[0]
    openblas = results.ceilings[0]["openblas_config"] if results.ceilings else "?"
    sk_version = st.s_train[0]["json"].get("sklearn") if st.s_train else versions.get("sklearn")
    args, elapsed = bench.args, results.elapsed

    section = []
    s = section.append
    s(f"## {bench.started_utc.strftime('%Y-%m-%d %H:%M UTC')} — {'quick' if bench.quick else 'full'} run")
    s("")
    s(f"- Machine: {cpu_model()}, {os.cpu_count()} cores ({platform.machine()}), "
      f"load average {bench.load_start} at the start, {results.load_end} at the end")
    s(f"- nnmodel {nn_version}, commit {head} (last change to Sources/: {src}){' — Sources/ has uncommitted changes' if dirty else ''}")
    s(f"- Peers: TensorFlow {versions.get('tensorflow')}, Keras {versions.get('keras')}, "
      f"scikit-learn {sk_version}, h5py {versions.get('h5py')}, onnx {versions.get('onnx')}, "
      f"onnxruntime {versions.get('onnxruntime')}, safetensors {versions.get('safetensors')}, "
      f"numpy {versions.get('numpy')} (python `{bench.py}`); "
      f"{openblas}; {swift_version}")
    s(f"- Command: `{args.command_line}`; total wall time {elapsed / 60:.1f} min"
      + (f" (of which setup and build {args.build_seconds:.0f} s)" if args.build_seconds else ""))
    s("- What ran (from the repository root; `.work/` is `Benchmarks/.work/`; training, evaluation, HDF5, ONNX "
      "and safetensors rounds interleaved A B C A B C):")
    for k, v in bench.commands.items():
        s(f"  - {k}: `{v}`")
    s("")
    s(table)
    s("Targets:")
    s("")
    s("\n".join(targets))
    s("")
    if notes:
        s("Notes:")
        s("")
        for n in notes:
            s(f"- {n}")
        s("")
    return section


def append_results(bench, section):
    """Appends the section to the results file (headed when new) and writes the raw runs to runs.json."""
    results_path = bench.results_path
    new_file = not os.path.exists(results_path)
    with open(results_path, "a", encoding="utf-8") as f:
        if new_file:
            f.write("# nnmodel benchmark results\n\nEach run of `Benchmarks/run.sh` appends a section here "
                    "(oldest first); see `Benchmarks/README.md`.\n\n")
        f.write("\n".join(section) + "\n")
    with open(os.path.join(bench.work, "runs.json"), "w") as f:
        json.dump(bench.runner.records, f, indent=1)
    print(f"Appended to {results_path}; raw runs in {os.path.join(bench.work, 'runs.json')}, "
          f"logs in {bench.runner.logs}")


def main():
    """Runs the benchmark section by section, prints the tables and appends them to the results file."""
    bench = setup(parse_args())
    peers = probe_peers(bench.py)
    train_samples, test_samples = warm_data()
    results = Results(train_samples, test_samples, bench.epochs)
    # The sgemm ceiling runs at the start and at the end; the best of both counts.
    measure_ceiling(bench, "start", results.ceilings)
    results.train = train_rounds(bench, peers)
    have_seed = os.path.exists(bench.seed_nnm)
    results.evaluate, results.hf_eval = evaluation_rounds(bench, peers, have_seed)
    results.crc32 = measure_crc32(bench)
    results.inspect, results.big_info, results.big_check = inspect_timings(bench, peers, have_seed)
    results.h5, results.h5_info, results.same_weights = convert_timings(bench, peers)
    results.onnx = onnx_timings(bench, peers, have_seed)
    results.safetensors = safetensors_timings(bench, peers)
    measure_ceiling(bench, "end", results.ceilings)
    results.load_end = loadavg()
    remove_big_files(bench)
    results.elapsed = time.time() - bench.started + (bench.args.build_seconds or 0)

    st = Stats(results)
    table = build_table(bench, results, st)
    targets = check_targets(bench, results, st)
    print_report(table, targets, results.elapsed)
    append_results(bench, results_section(bench, peers, results, st, table, targets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
