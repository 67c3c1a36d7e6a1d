#!/usr/bin/env bash
# The whole test suite: set up, build, run every Swift and Python test (what CI runs).
#
# The build and the tests run with their own temporary folder; afterwards the script fails if a
# test left anything in it (the toolchain's own scratch files aside), then removes it, so /tmp is
# left as it was found.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --test
pyenv="$(./scripts/pyenv.sh)"
export NNMODEL_PYTHON="$pyenv/bin/python"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/nnmodel-test-run.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
export TMPDIR="$scratch"
# The cache of inflated gzip data files (Fashion-MNIST) lives in the scratch folder, not ~/.cache.
export NNMODEL_CACHE_DIR="$scratch/inflated-cache"
swift build --build-tests
status=0
swift test --skip-build --disable-xctest "$@" || status=$?
# The Python package's tests, against the binary just built.
NNMODEL_BIN="$(swift build --show-bin-path)/nnmodel" PYTHONPATH="$PWD/python" PYTHONDONTWRITEBYTECODE=1 \
  "$NNMODEL_PYTHON" -m pytest -q -p no:cacheprovider --basetemp "$scratch/pytest" python/tests || status=$?
rm -rf "$scratch/pytest" "$NNMODEL_CACHE_DIR"  # pytest's own tmp_path folders; the cache
left=$(find "$scratch" -mindepth 1 -maxdepth 1 ! -name 'TemporaryDirectory.*' ! -name '*.lock' ! -name 'swift-generated-sources' -printf '%f\n')
if [ -n "$left" ]; then
  echo "test.sh: the tests left files in the temporary folder:" >&2
  echo "$left" | head -20 >&2
  [ "$status" -eq 0 ] && status=1
fi
# The benchmark programs compile against the kernels as they are now (they are not run here).
mkdir -p "$scratch/bench"
for program in sgemm_ceiling sweep_ceiling cnn_ceiling crc32_speed; do
  built="$(here="$PWD/Benchmarks" root="$PWD" work="$scratch/bench" bash -c \
    '. Benchmarks/lib.sh && compile_benchmark test.sh "$0"' "$program")"
  [ -n "$built" ] || { echo "test.sh: Benchmarks/$program.c does not compile" >&2; status=1; }
done
rm -rf "$scratch/bench"
./scripts/docs.sh || status=1
exit "$status"
