#!/usr/bin/env bash
# Installs the system packages nnmodel needs, when any is missing (idempotent).
set -euo pipefail
packages=(libhdf5-dev zlib1g-dev libopenblas-dev dataset-fashion-mnist pkg-config)
# The test suite also builds a Python virtualenv (scripts/pyenv.sh).
[ "${1:-}" = "--test" ] && packages+=(python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update
  $sudo apt-get install -y "${packages[@]}"
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected Swift 6 at /opt/swift/usr/bin)" >&2; exit 1; }
