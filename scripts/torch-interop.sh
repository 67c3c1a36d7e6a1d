#!/usr/bin/env bash
# PyTorch interoperability check: does PyTorch load what nnmodel writes (safetensors with
# --naming torch, strict load_state_dict), and does nnmodel read what PyTorch writes
# (safetensors.torch.save_file, torch.onnx.export)? Run by hand; needs a Python with torch,
# safetensors, onnxscript and numpy:
#
#   NNMODEL_PYTHON=/path/to/venv/bin/python scripts/torch-interop.sh
#
# Without torch it says how to get it and exits 0 (skipped). Models checked: the seed model
# trained for one epoch, and every fixture model of Fixtures/onnx (every activation torch has).
# Exit status: 0 passed or skipped, 1 a check failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
py=${NNMODEL_PYTHON:-python3}
say() { printf 'torch-interop: %s\n' "$*"; }
if ! "$py" -c 'import torch, safetensors, numpy, onnxscript' >/dev/null 2>&1; then
    say "SKIPPED: '$py' cannot import torch, safetensors, numpy and onnxscript; make one with"
    say "  python3 -m venv /work/venv-torch && /work/venv-torch/bin/pip install torch safetensors numpy onnx onnxscript"
    exit 0
fi
if [ -n "${NNMODEL_BIN:-}" ]; then bin=$NNMODEL_BIN; else
    swift build -c release --static-swift-stdlib --product nnmodel >/dev/null
    bin="$root/.build/release/nnmodel"
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/nnmodel-torch.XXXXXX")
trap 'rm -rf "$dir"' EXIT
status=0
"$bin" train --epochs 1 --output "$dir/seed.nnm" --quiet >/dev/null
"$py" -c "
import gzip, numpy as np
with gzip.open('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz') as f:
    x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:64] / np.float32(255)
np.save('$dir/x.npy', x.astype(np.float32))"
say "seed model (1 epoch)"
"$py" scripts/torch_interop.py "$bin" "$dir" "$dir/seed.nnm" "$dir/x.npy" || status=1
for onnx in Fixtures/onnx/torch_*_dynamo.onnx; do
    say "$(basename "$onnx")"
    "$bin" convert "$onnx" "$dir/fixture.nnm" >/dev/null
    "$py" scripts/torch_interop.py "$bin" "$dir" "$dir/fixture.nnm" "${onnx%.onnx}.input.npy" || status=1
done
exit $status
