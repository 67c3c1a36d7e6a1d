#!/usr/bin/env bash
# nnmodel benchmarks: builds nnmodel (release), then in one invocation, interleaved
# (A B C A B C ...): trains the Fashion-MNIST seed job with nnmodel, Keras (TensorFlow CPU)
# and scikit-learn; evaluates on the test set; times `nnmodel inspect` on the seed model and on
# a generated ~1 GB model; times `nnmodel convert` of a ~1 GB Keras HDF5 model against h5py;
# ONNX export (seed and big model) against the onnx package and `nnmodel predict model.onnx`
# against onnxruntime; safetensors write and read of the big model against the safetensors
# package; measures the OpenBLAS sgemm ceiling for the job's matrix shapes and CRC-32 speeds. Prints a table and appends
# a dated section to Benchmarks/RESULTS.md (quick runs: Benchmarks/.work/RESULTS-quick.md).
#
# Usage: Benchmarks/run.sh [--quick] [--setup-peers] [--keep] [--no-build] [--sweep]
#                          [--rounds N] [--eval-rounds N] [--results FILE]
#   --quick        1 epoch, 2 rounds, a 64 MB "big" model: for testing the harness
#   --setup-peers  create Benchmarks/.work/venv and pip install tensorflow-cpu scikit-learn h5py
#                  onnx onnxruntime safetensors numpy, then torch (PyPI's wheel, for the sweep)
#   --keep         keep the generated 1 GB files in Benchmarks/.work/
#   --no-build     use the existing .build/release/nnmodel
#   --sweep        afterwards, run the MLP shape sweep (Benchmarks/sweep.sh, about 10 minutes; with
#                  --quick its quick mode), appending to the same results file
# Peer python: $NNMODEL_PEER_PYTHON, else Benchmarks/.work/venv with --setup-peers, else
# /work/venv-keras/bin/python if it exists, else Benchmarks/.work/venv if it exists, else python3.
# A peer whose packages are missing is skipped with a message. See Benchmarks/README.md.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="$here/.work"
# shellcheck source=Benchmarks/lib.sh
. "$here/lib.sh"
command_line="Benchmarks/run.sh${*:+ $*}"

setup_peers=0
build=1
sweep=0
results=""
pass=()
while [ $# -gt 0 ]; do
    case "$1" in
        --setup-peers) setup_peers=1 ;;
        --no-build) build=0 ;;
        --sweep) sweep=1 ;;
        --quick|--keep) pass+=("$1") ;;
        --rounds|--eval-rounds|--results)
            [ $# -ge 2 ] || { echo "run.sh: $1 needs a value" >&2; exit 64; }
            [ "$1" = --results ] && results="$2"
            pass+=("$1" "$2"); shift ;;
        -h|--help) sed -n "2,22p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done

mkdir -p "$work"
run_start=$(date +%s)

if [ "$setup_peers" = 1 ]; then
    peer_packages=(tensorflow-cpu scikit-learn h5py onnx onnxruntime safetensors numpy)
    echo "run.sh: --setup-peers: creating $work/venv and running pip install ${peer_packages[*]}, then torch"
    echo "run.sh: (several hundred MB from PyPI; torch, for the sweep's PyTorch column, is PyPI's default"
    echo "run.sh:  wheel, several GB with its CUDA libraries, used on the CPU)"
    python3 -m venv "$work/venv"
    "$work/venv/bin/python" -m pip install --upgrade pip >/dev/null
    "$work/venv/bin/python" -m pip install "${peer_packages[@]}"
    "$work/venv/bin/python" -m pip install torch ||
        echo "run.sh: installing torch failed; the sweep's PyTorch column will be skipped" >&2
fi

if [ -n "${NNMODEL_PEER_PYTHON:-}" ]; then
    peer="$NNMODEL_PEER_PYTHON"
elif [ "$setup_peers" = 1 ]; then
    peer="$work/venv/bin/python"
elif [ -x /work/venv-keras/bin/python ]; then
    peer=/work/venv-keras/bin/python
elif [ -x "$work/venv/bin/python" ]; then
    peer="$work/venv/bin/python"
else
    peer=python3
fi
echo "run.sh: peer python: $peer"

[ -e "${NNMODEL_FASHION_MNIST:-/usr/share/datasets/fashion-mnist}/train-images-idx3-ubyte.gz" ] || {
    echo "run.sh: Fashion-MNIST is missing: apt-get install dataset-fashion-mnist (or scripts/setup.sh)" >&2
    exit 66
}

nnmodel="$(build_nnmodel "$build" run.sh)"

sgemm=()
ceiling="$(compile_benchmark run.sh sgemm_ceiling)"
[ -n "$ceiling" ] && sgemm=(--sgemm "$ceiling")

crc32=()
speed="$(compile_benchmark run.sh crc32_speed)"
[ -n "$speed" ] && crc32=(--crc32 "$speed")

bench=(python3 "$here/bench.py" --nnmodel "$nnmodel" --peer-python "$peer" --work "$work" \
    --command-line "$command_line" --build-seconds "$(( $(date +%s) - run_start ))" \
    ${sgemm[@]+"${sgemm[@]}"} ${crc32[@]+"${crc32[@]}"} ${pass[@]+"${pass[@]}"})
[ "$sweep" = 1 ] || exec "${bench[@]}"
"${bench[@]}"
sweep_args=(--no-build)
if [[ " ${pass[*]-} " == *" --quick "* ]]; then
    sweep_args+=(--quick --results "${results:-$work/RESULTS-quick.md}")
else
    sweep_args+=(--svg "$root/docs/sweep.svg" --results "${results:-$here/RESULTS.md}")
fi
exec "$here/sweep.sh" "${sweep_args[@]}"
