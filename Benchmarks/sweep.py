#!/usr/bin/env python3
"""Shape sweep: MLP training time on Fashion-MNIST over widths 128..4096, depths 1..8 and
batches 1..1024, for nnmodel, Keras 3 (TensorFlow CPU) and PyTorch (CPU), beside the OpenBLAS
sgemm floor of the same products (sweep_ceiling.c). Standard library only; run it through
sweep.sh, which builds nnmodel and compiles the ceiling program.

Every config trains a bounded number of samples (a whole epoch for the small ones, a fraction of
one for the large ones) and reports seconds per epoch extrapolated to the 60,000 training images
(marked * where partial). Systems are interleaved config by config (nnmodel, Keras, PyTorch,
rotating the order each round); each peer is one long-lived process (TensorFlow and PyTorch are
imported once) that builds each model afresh, warms up a few batches, then times one epoch over
the samples. nnmodel's time is its `training_seconds` (`nnmodel train --json`: the fit call,
trainer set-up included). Medians over the rounds. The ceiling is sweep_ceiling's best two-core
time per step (OpenBLAS splitting each product over 2 threads, or 2 threads each running whole
steps) times the steps per epoch (60,000 / batch), run before and after the rounds, best kept.
Beside it, the step-at-a-time floor: the same products one step at a time, on one core or split
by OpenBLAS over both (what a trainer that calls sgemm for every product gets), and the time
of the Adam update of all the weights once per step, which the floors leave out.
"""
import argparse
import datetime
import json
import math
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time

EPOCH = 60000
CLASSES = 10
INPUTS = 784

# (hidden sizes, batch, samples trained per measurement)
CONFIGS = [
    ([128], 32, 60000),            # the seed job's model (issue 17's table)
    ([512, 256], 128, 60000),      # issue 17's table
    ([1024], 256, 60000),          # issue 17's table
    ([256, 256, 256], 64, 60000),  # issue 17's table
    ([128] * 8, 32, 30000),        # deep and narrow
    ([2048], 32, 20000),           # wide, small batch
    ([1024, 1024, 1024, 1024], 256, 15360),  # deep and wide
    ([4096], 1024, 20480),         # widest, largest batch
    ([2048, 2048], 512, 10240),    # wide and deep, large batch
    ([256], 1024, 60000),          # narrow, largest batch
    ([512], 8, 8000),              # tiny batch
    ([1024], 1, 1000),             # one sample per step
]


def name_of(hidden, batch):
    if len(hidden) > 2 and len(set(hidden)) == 1:
        h = f"{hidden[0]}x{len(hidden)}"
    else:
        h = ",".join(map(str, hidden))
    return f"{h} b{batch}"


def dims(hidden):
    return [INPUTS] + list(hidden) + [CLASSES]


def parameters(hidden):
    d = dims(hidden)
    return sum(d[i] * d[i + 1] + d[i + 1] for i in range(len(d) - 1))


def flops_per_sample(hidden):
    """Products of one sample's step: forward, weight gradients, input gradients but the first layer's."""
    d = dims(hidden)
    mac = sum(d[i] * d[i + 1] for i in range(len(d) - 1))
    return 2 * (3 * mac - d[0] * d[1])


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except OSError:
        return float("nan")


class Peer:
    """A long-lived peer worker (peers/keras_sweep.py or peers/torch_sweep.py)."""

    def __init__(self, label, python, script):
        self.label, self.proc, self.version, self.why = label, None, None, None
        if not python:
            self.why = "no python given"
            return
        try:
            self.proc = subprocess.Popen([python, script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, bufsize=1)
            line = self.proc.stdout.readline()
            hello = json.loads(line) if line.strip() else None
        except (OSError, ValueError):
            hello = None
        if not hello or not hello.get("ready"):
            err = self.proc.stderr.read() if self.proc else ""
            self.why = (err.strip().splitlines() or ["did not start"])[-1]
            self.close()
            return
        self.version = hello.get("keras") or hello.get("torch")

    @property
    def ok(self):
        return self.proc is not None

    def train(self, hidden, batch, samples):
        if not self.ok:
            return None
        self.proc.stdin.write(json.dumps({"hidden": hidden, "batch": batch, "samples": samples, "seed": 1}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self.why = "worker died: " + (self.proc.stderr.read().strip().splitlines() or ["?"])[-1]
            self.close()
            return None
        return json.loads(line)["seconds"]

    def close(self):
        if self.proc:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def run_nnmodel(binary, hidden, batch, samples):
    cmd = [binary, "train", "--hidden", ",".join(map(str, hidden)), "--batch-size", str(batch), "--epochs", "1",
           "--train-samples", str(samples), "--json", "-q"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        print(f"sweep: {shlex.join(cmd)} failed ({out.returncode}): {out.stderr.strip()[-300:]}", file=sys.stderr)
        return None
    return json.loads(out.stdout)["training_seconds"]


def run_ceiling(binary, hidden, batch, args):
    out = subprocess.run([binary, str(batch), ",".join(map(str, dims(hidden)))] + args,
                         capture_output=True, text=True)
    if out.returncode != 0:
        print(f"sweep: sweep_ceiling failed: {out.stderr.strip()}", file=sys.stderr)
        return None
    return json.loads(out.stdout)


def fmt_s(x, partial=False):
    if x is None:
        return "—"
    s = f"{x:.3g}" if x < 100 else f"{x:.0f}"
    return s + ("*" if partial else "")


def fmt_ratio(a, b):
    return "—" if a is None or b is None else f"{a / b:.2f}"


SERIES = [("ceiling", "sgemm floor", "#555555", "line"), ("nnmodel", "nnmodel", "#1f77b4", "circle"),
          ("keras", "Keras", "#d62728", "square"), ("torch", "PyTorch", "#2ca02c", "triangle"),
          ("baseline", "nnmodel (before)", "#9467bd", "diamond")]


def svg_plot(rows, path, title):
    """Seconds per epoch against parameters, log-log, one marker series per system."""
    W, H, left, right, top, bottom = 760, 500, 70, 170, 40, 60
    pts = [(r["params"], r[k]) for r in rows for k, *_ in SERIES if r.get(k)]
    if not pts:
        return
    xmin, xmax = min(p for p, _ in pts), max(p for p, _ in pts)
    ymin, ymax = min(s for _, s in pts), max(s for _, s in pts)
    lx0, lx1 = math.floor(math.log10(xmin)), math.ceil(math.log10(xmax))
    ly0, ly1 = math.floor(math.log10(ymin)), math.ceil(math.log10(ymax))
    pw, ph = W - left - right, H - top - bottom

    def X(v):
        return left + (math.log10(v) - lx0) / max(1e-9, lx1 - lx0) * pw

    def Y(v):
        return top + ph - (math.log10(v) - ly0) / max(1e-9, ly1 - ly0) * ph

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
         'font-family="Helvetica, Arial, sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{left + pw / 2}" y="22" text-anchor="middle" font-size="14">{title}</text>']
    for e in range(lx0, lx1 + 1):
        x = X(10 ** e)
        o.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#ddd"/>')
        o.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">10<tspan dy="-6" font-size="9">{e}</tspan></text>')
    for e in range(ly0, ly1 + 1):
        y = Y(10 ** e)
        o.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        label = f"{10.0 ** e:g}"
        o.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    o.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    o.append(f'<text x="{left + pw / 2}" y="{H - 18}" text-anchor="middle">parameters</text>')
    o.append(f'<text x="18" y="{top + ph / 2}" text-anchor="middle" transform="rotate(-90 18 {top + ph / 2})">'
             'seconds per epoch (60,000 images)</text>')

    def marker(kind, x, y, color):
        if kind == "circle":
            return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{color}" fill-opacity="0.8"/>'
        if kind == "square":
            return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{color}" fill-opacity="0.8"/>'
        if kind == "triangle":
            return f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 4:.1f} L{x - 5:.1f},{y + 4:.1f} Z" fill="{color}" fill-opacity="0.8"/>'
        if kind == "diamond":
            return f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y:.1f} L{x:.1f},{y + 5:.1f} L{x - 5:.1f},{y:.1f} Z" fill="{color}" fill-opacity="0.8"/>'
        return f'<line x1="{x - 7:.1f}" y1="{y:.1f}" x2="{x + 7:.1f}" y2="{y:.1f}" stroke="{color}" stroke-width="3"/>'

    legend_y = top + 10
    for key, label, color, kind in SERIES:
        present = [r for r in rows if r.get(key)]
        if not present:
            continue
        for r in present:
            o.append(marker(kind, X(r["params"]), Y(r[key]), color))
        o.append(marker(kind, left + pw + 20, legend_y, color))
        o.append(f'<text x="{left + pw + 32}" y="{legend_y + 4}">{label}</text>')
        legend_y += 20
    legend_y += 10
    o.append(f'<text x="{left + pw + 14}" y="{legend_y}" font-size="10" fill="#555">configs (hidden, batch):</text>')
    for r in sorted(rows, key=lambda r: r["params"]):
        legend_y += 13
        o.append(f'<text x="{left + pw + 14}" y="{legend_y}" font-size="10" fill="#555">{r["name"]}</text>')
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nnmodel", required=True)
    ap.add_argument("--baseline", help="another nnmodel binary timed in the same interleave (before/after)")
    ap.add_argument("--keras-python", help="python with TensorFlow and Keras 3")
    ap.add_argument("--torch-python", help="python with torch")
    ap.add_argument("--ceiling", help="compiled sweep_ceiling")
    ap.add_argument("--work", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--only", help="comma-separated config names (e.g. '128 b32,1024 b256')")
    ap.add_argument("--no-peers", action="store_true", help="nnmodel (and the baseline and ceiling) only")
    ap.add_argument("--quick", action="store_true", help="a quarter of the samples, 1 round: tests the harness")
    ap.add_argument("--svg", help="write the plot here")
    ap.add_argument("--results", help="append a dated markdown section here")
    ap.add_argument("--command-line", default="Benchmarks/sweep.sh")
    args = ap.parse_args()
    rounds = 1 if args.quick else max(1, args.rounds)
    here = os.path.dirname(os.path.abspath(__file__))
    configs = [(h, b, max(b, s // 4) if args.quick else s) for h, b, s in CONFIGS]
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        configs = [c for c in configs if name_of(c[0], c[1]) in wanted]
        if not configs:
            sys.exit(f"sweep: --only matched no config; names: {', '.join(name_of(h, b) for h, b, _ in CONFIGS)}")
    os.makedirs(args.work, exist_ok=True)
    start_time = time.time()

    peers = {}
    if not args.no_peers:
        for key, python, script in (("keras", args.keras_python, "keras_sweep.py"), ("torch", args.torch_python, "torch_sweep.py")):
            p = Peer(key, python, os.path.join(here, "peers", script))
            if not p.ok:
                print(f"sweep: skipping {key}: {p.why} (python: {python})", file=sys.stderr)
            peers[key] = p

    ceiling_args = ["0.1", "2"] if args.quick else ["0.2", "3"]
    ceilings = {}

    def measure_ceilings(tag):
        if not args.ceiling:
            return
        print(f"== sgemm floor per config ({tag})", flush=True)
        for h, b, _ in configs:
            c = run_ceiling(args.ceiling, h, b, ceiling_args)
            if c:
                k = name_of(h, b)
                prev = ceilings.get(k)
                # Each time the best of the measurements before and after the rounds.
                ceilings[k] = c if prev is None else {
                    f: min(v, prev[f]) if isinstance(v, float) and isinstance(prev.get(f), float) else v
                    for f, v in c.items()}

    measure_ceilings("before")
    systems = ["nnmodel"] + (["baseline"] if args.baseline else []) + [k for k, p in peers.items() if p.ok]
    times = {name_of(h, b): {s: [] for s in systems} for h, b, _ in configs}
    loads = []
    for r in range(rounds):
        print(f"== round {r + 1} of {rounds} (load average {loadavg():.2f})", flush=True)
        for i, (h, b, samples) in enumerate(configs):
            k = name_of(h, b)
            loads.append(loadavg())
            order = systems[(r + i) % len(systems):] + systems[:(r + i) % len(systems)]
            line = []
            for s in order:
                if s == "nnmodel":
                    t = run_nnmodel(args.nnmodel, h, b, samples)
                elif s == "baseline":
                    t = run_nnmodel(args.baseline, h, b, samples)
                else:
                    t = peers[s].train(h, b, samples)
                if t is not None:
                    times[k][s].append(t)
                    line.append(f"{s} {t:.3f} s")
            print(f"  {k:<22} {samples:>6} samples: " + ", ".join(line), flush=True)
    measure_ceilings("after")
    for p in peers.values():
        p.close()

    rows = []
    for h, b, samples in configs:
        k = name_of(h, b)
        row = {"name": k, "hidden": h, "batch": b, "samples": samples, "partial": samples < EPOCH,
               "params": parameters(h), "flops_per_epoch": flops_per_sample(h) * EPOCH, "runs": {}}
        for s in systems:
            v = times[k][s]
            row["runs"][s] = v
            row[s] = statistics.median(v) * EPOCH / samples if v else None
        c = ceilings.get(k)
        row["ceiling"] = c["two_cores_best"] * EPOCH / b if c else None
        # The products of one step at a time, as a trainer calling sgemm for each gets them: on one
        # core, or split by OpenBLAS itself over both.
        row["step_ceiling"] = min(c["one_thread"], c["openblas_two"]) * EPOCH / b if c else None
        # The Adam update of every weight, once per step, split between the two cores.
        row["adam"] = c["adam_two"] * EPOCH / b if c and "adam_two" in c else None
        row["ceiling_detail"] = c
        rows.append(row)

    versions = {k: p.version for k, p in peers.items() if p.version}
    load_text = (f"load average during the rounds: median {statistics.median(loads):.2f}, max {max(loads):.2f}"
                 if loads else "")
    lines = []
    w = lines.append
    w("| config (hidden, batch) | params | GFLOP/epoch | sgemm floor s/epoch | nnmodel s/epoch"
      + (" | nnmodel before s/epoch" if args.baseline else "")
      + " | Keras s/epoch | PyTorch s/epoch | nnmodel % of floor | step-at-a-time floor s/epoch | nnmodel % of it"
      + " | Adam update s/epoch | nnmodel % of floor + Adam | nnmodel / Keras | nnmodel / PyTorch |")
    w("|---" * (14 + (1 if args.baseline else 0)) + "|")
    for row in rows:
        pct = f"{100 * row['ceiling'] / row['nnmodel']:.0f}%" if row["ceiling"] and row["nnmodel"] else "—"
        step_pct = (f"{100 * row['step_ceiling'] / row['nnmodel']:.0f}%"
                    if row["step_ceiling"] and row["nnmodel"] else "—")
        with_adam = (f"{100 * (row['ceiling'] + row['adam']) / row['nnmodel']:.0f}%"
                     if row["ceiling"] and row["adam"] and row["nnmodel"] else "—")
        p = row["partial"]
        w(f"| {row['name']} | {row['params']:,} | {row['flops_per_epoch'] / 1e9:.1f} | {fmt_s(row['ceiling'])} | "
          f"{fmt_s(row['nnmodel'], p)}"
          + (f" | {fmt_s(row.get('baseline'), p)}" if args.baseline else "")
          + f" | {fmt_s(row.get('keras'), p)} | {fmt_s(row.get('torch'), p)} | {pct} | "
          f"{fmt_s(row['step_ceiling'])} | {step_pct} | {fmt_s(row['adam'])} | {with_adam} | "
          f"{fmt_ratio(row['nnmodel'], row.get('keras'))} | {fmt_ratio(row['nnmodel'], row.get('torch'))} |")
    notes = []
    if any(r["partial"] for r in rows):
        notes.append("\\* extrapolated from a partial epoch (the samples column of the JSON: "
                     + ", ".join(f"{r['name']} {r['samples']}" for r in rows if r["partial"]) + ").")
    for key, p in peers.items():
        if not p.ok and not p.version:
            notes.append(f"{key} skipped: {p.why}.")
    notes.append("sgemm floor: the fastest two cores run one step's products (sweep_ceiling.c), usually two "
                 "threads each running whole steps of their own: independent work, which a trainer (each step "
                 "needs the weights of the one before) can approach only by splitting every product of a step "
                 "between the cores itself; step-at-a-time floor: the same products one step at a time, on one core "
                 "or split by OpenBLAS over both. Adam update: updating every weight once per step (as each "
                 "trainer must; the floors leave it out), half on each core.")
    notes.append(f"Medians of {rounds} round(s); {load_text}; peers: "
                 + (", ".join(f"{k} {v}" for k, v in versions.items()) or "none") + ".")
    table = "\n".join(lines)
    print()
    print(table)
    for n in notes:
        print(n)

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    record = {"started": start_time, "seconds": time.time() - start_time, "rounds": rounds, "loads": loads,
              "versions": versions, "rows": rows, "command_line": args.command_line}
    json_path = os.path.join(args.work, f"sweep-{stamp}.json")
    with open(json_path, "w") as f:
        json.dump(record, f, indent=1)
    print(f"sweep: raw results in {json_path} ({time.time() - start_time:.0f} s in all)")
    if args.svg:
        svg_plot(rows, args.svg, "MLP training on Fashion-MNIST, Adam: seconds per epoch vs parameters")
        print(f"sweep: plot in {args.svg}")
    if args.results:
        commit = subprocess.run(["git", "-C", here, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        cpu = ""
        try:
            with open("/proc/cpuinfo") as f:
                cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
        except OSError:
            pass
        with open(args.results, "a") as f:
            f.write(f"\n## Shape sweep {datetime.date.today().isoformat()} ({commit}{' + changes' if dirty else ''})\n\n")
            f.write(f"Machine: {cpu}, {os.cpu_count()} vCPUs, {platform.platform()}. Command: `{args.command_line}`.\n\n")
            f.write(table + "\n\n")
            for n in notes:
                f.write(n + "\n")
            f.write("\n")
        print(f"sweep: appended to {args.results}")


if __name__ == "__main__":
    main()
