#!/usr/bin/env bash
# The CNN benchmark: builds nnmodel (release), then trains the Keras tutorial CNN for Fashion-MNIST
# (`nnmodel train --model cnn`) beside Keras (and PyTorch when the peer Python has torch), in
# interleaved rounds, with peak RSS and GFLOP/s against the sgemm ceiling of the same products
# (cnn_ceiling.c). Prints a table and appends it to Benchmarks/RESULTS.md.
#
# Usage: Benchmarks/cnn.sh [--rounds N] [--epochs E] [--batch-size B] [--no-build] [--results FILE]
# Peer Python: $NNMODEL_PEER_PYTHON, else Benchmarks/.work/venv (Benchmarks/run.sh --setup-peers),
# else /work/venv-keras/bin/python; without one, nnmodel runs alone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="$here/.work"
# shellcheck source=Benchmarks/lib.sh
. "$here/lib.sh"
command_line="Benchmarks/cnn.sh${*:+ $*}"
build=1
pass=()
results="$here/RESULTS.md"
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0 ;;
        --rounds|--epochs|--batch-size)
            [ $# -ge 2 ] || { echo "cnn.sh: $1 needs a value" >&2; exit 64; }
            pass+=("$1" "$2"); shift ;;
        --results) [ $# -ge 2 ] || { echo "cnn.sh: --results needs a file" >&2; exit 64; }; results="$2"; shift ;;
        -h|--help) sed -n "2,10p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "cnn.sh: unknown option $1 (see --help)" >&2; exit 64 ;;
    esac
    shift
done
mkdir -p "$work"
[ "$build" = 1 ] && "$root/scripts/setup.sh"
nn="$(build_nnmodel "$build" cnn.sh)"
py="${NNMODEL_PEER_PYTHON:-}"
for candidate in "$work/venv/bin/python" /work/venv-keras/bin/python; do
    [ -z "$py" ] && [ -x "$candidate" ] && py="$candidate"
done
ceiling=()
floor="$(compile_benchmark cnn.sh cnn_ceiling)"
[ -n "$floor" ] && ceiling=(--ceiling "$floor")
exec python3 "$here/cnn_bench.py" --nnmodel "$nn" ${py:+--python "$py"} "${ceiling[@]}" "${pass[@]}" \
    --results "$results" --command-line "$command_line"
