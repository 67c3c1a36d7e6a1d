#!/usr/bin/env bash
# Creates (once) and prints the path of the virtualenv the tests use for their Python-side checks:
# onnx's checker and onnxruntime for ONNX files, safetensors and h5py for their formats, and pytest
# for the nnm package. Everything comes from PyPI at the versions in python/requirements-test.txt;
# the environment is reused while that file is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
env_dir="${NNMODEL_PYENV:-$PWD/.build/python-env}"
requirements=python/requirements-test.txt
stamp="$env_dir/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ -x "$env_dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "$env_dir"
  exit 0
fi
python="$(command -v python3 || true)"
[ -n "$python" ] || { echo "pyenv: python3 is not on PATH" >&2; exit 1; }
rm -rf "$env_dir"
mkdir -p "$(dirname "$env_dir")"
"$python" -m venv "$env_dir" >&2 || {
  echo "pyenv: could not create a virtualenv with $python (on Debian: apt-get install -y python3-venv)" >&2
  exit 1
}
"$env_dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
echo "$want" > "$stamp"
echo "$env_dir"
