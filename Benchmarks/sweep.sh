#!/usr/bin/env bash
# nnmodel shape sweep: MLP training (Fashion-MNIST, Adam, sparse categorical cross-entropy) over
# widths 128..4096, depths 1..8 and batches 1..1024, with nnmodel, Keras 3 (TensorFlow CPU) and
# PyTorch (CPU), beside the OpenBLAS sgemm floor of the same products. Builds nnmodel (release),
# compiles sweep_ceiling.c, runs sweep.py (about 10 minutes; --quick about 3) and prints the table;
# draws docs/sweep.svg with --svg, appends a dated section to a results file with --results.
#
# Usage: Benchmarks/sweep.sh [--quick] [--rounds N] [--only 'CONFIG,...'] [--no-peers]
#                            [--baseline NNMODEL] [--svg FILE] [--results FILE] [--no-build]
#                            [--setup-torch]
#   --quick        a quarter of the samples, 1 round: tests the harness
#   --baseline B   also time another nnmodel binary (e.g. an older build) in the same interleave
#   --setup-torch  create Benchmarks/.work/torchvenv with the CPU wheel of torch
#                  (pip install torch --index-url https://download.pytorch.org/whl/cpu)
# Keras python: $NNMODEL_PEER_PYTHON, else /work/tfenv/bin/python, else /work/venv-keras/bin/python,
# else Benchmarks/.work/venv (run.sh --setup-peers), else python3.
# PyTorch python: $NNMODEL_TORCH_PYTHON, else Benchmarks/.work/torchvenv, else /work/torchenv,
# else the Keras python. A peer that cannot start is skipped with a message. See Benchmarks/README.md.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="$here/.work"
# shellcheck source=Benchmarks/lib.sh
. "$here/lib.sh"
command_line="Benchmarks/sweep.sh${*:+ $*}"

build=1
setup_torch=0
pass=()
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0 ;;
        --setup-torch) setup_torch=1 ;;
        --quick|--no-peers) pass+=("$1") ;;
        --rounds|--only|--baseline|--svg|--results)
            [ $# -ge 2 ] || { echo "sweep.sh: $1 needs a value" >&2; exit 64; }
            pass+=("$1" "$2"); shift ;;
        -h|--help) sed -n "2,19p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "sweep.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done
mkdir -p "$work"

if [ "$setup_torch" = 1 ]; then
    echo "sweep.sh: --setup-torch: creating $work/torchvenv with torch's CPU wheel (about 200 MB)"
    python3 -m venv "$work/torchvenv"
    "$work/torchvenv/bin/python" -m pip install numpy torch --index-url https://download.pytorch.org/whl/cpu ||
        echo "sweep.sh: installing torch failed; the PyTorch column will be skipped" >&2
fi

first_python() {
    for p in "$@"; do
        if [ -n "$p" ] && [ -x "$p" ]; then echo "$p"; return; fi
    done
    echo python3
}
keras_python="$(first_python "${NNMODEL_PEER_PYTHON:-}" /work/tfenv/bin/python /work/venv-keras/bin/python "$work/venv/bin/python")"
torch_python="$(first_python "${NNMODEL_TORCH_PYTHON:-}" "$work/torchvenv/bin/python" "$work/venv/bin/python" /work/torchenv/bin/python "$keras_python")"
echo "sweep.sh: Keras python: $keras_python; PyTorch python: $torch_python"

[ -e "${NNMODEL_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}/train-images-idx3-ubyte.gz" ] || {
    echo "sweep.sh: Fashion-MNIST is missing: apt-get install dataset-fashion-mnist (or scripts/setup.sh)" >&2
    exit 66
}

nnmodel="$(build_nnmodel "$build" sweep.sh)"

ceiling=()
floor="$(compile_benchmark sweep.sh sweep_ceiling)"
[ -n "$floor" ] && ceiling=(--ceiling "$floor")

exec python3 "$here/sweep.py" --nnmodel "$nnmodel" --keras-python "$keras_python" --torch-python "$torch_python" \
    --work "$work" --command-line "$command_line" ${ceiling[@]+"${ceiling[@]}"} ${pass[@]+"${pass[@]}"}
