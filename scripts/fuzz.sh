#!/usr/bin/env bash
# Builds and runs one libFuzzer harness of nnmodel's readers (or all of them, one after another).
#
#   scripts/fuzz.sh TARGET [libFuzzer options...] [input files...]
#
# TARGET: nnm | json | idx | csv | npy | h5 | keras | onnx | safetensors | all
# Examples:
#   scripts/fuzz.sh nnm -runs=10000000            # 10 million executions
#   scripts/fuzz.sh all -max_total_time=300       # five minutes each
#   scripts/fuzz.sh h5 -jobs=2 -workers=2 -max_total_time=600
#   scripts/fuzz.sh nnm .build-fuzz/artifacts/nnm/crash-...   # replay one input
#
# The harnesses (Fuzz/Sources/Fuzz*/) are built by the separate package in Fuzz/ with
# `swift build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address` into
# .build-fuzz/build/ (never by the
# root package's build). Working corpora live in .build-fuzz/corpus/TARGET (outside git), seeded
# from Fixtures/ and Fixtures/fuzz/corpus/TARGET; crashes, hangs and OOMs are written to
# .build-fuzz/artifacts/TARGET/. Every libFuzzer run gets -rss_limit_mb=2048 -timeout=10 (a
# hang is a bug); later options override earlier ones. FUZZ_NO_BUILD=1 skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work="$root/.build-fuzz"
# SwiftPM's own scratch folder (it owns, and empties, an `artifacts` folder of its own there).
scratch="$work/build"

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# Builds one harness and checks that libFuzzer will see coverage of nnmodel's code, not just of the
# harness. SwiftPM passes `--sanitize` values to swiftc as separate `-sanitize=` options in an
# order that changes from run to run, and swiftc keeps only the last one: on about half the
# builds the modules got AddressSanitizer without coverage. One combined option fixes that.
build() {
  swift build --package-path Fuzz --scratch-path "$scratch" -c release --sanitize=fuzzer --sanitize=address \
    -Xswiftc -sanitize=fuzzer,address --product "$1"
  local empty counters
  empty=$(mktemp -d)
  counters=$(ASAN_OPTIONS=detect_leaks=0 "$scratch/release/$1" -runs=0 "$empty" 2>&1 |
    sed -n 's/.*(\([0-9]*\) inline 8-bit counters).*/\1/p' | head -n 1)
  rmdir "$empty"
  if [ "${counters:-0}" -lt 20000 ]; then
    echo "fuzz.sh: $1 has only ${counters:-no} coverage counters: nnmodel's modules were built without -sanitize=fuzzer" >&2
    exit 1
  fi
  echo "fuzz.sh: $1 built with ${counters} coverage counters" >&2
}
[ $# -ge 1 ] || usage
target=$1; shift

declare -A products=([nnm]=FuzzNNM [json]=FuzzJSON [idx]=FuzzIDX [csv]=FuzzCSV [npy]=FuzzNPY [h5]=FuzzH5 [keras]=FuzzKeras [onnx]=FuzzONNX [safetensors]=FuzzSafetensors)
declare -A maxlen=([nnm]=8192 [json]=16384 [idx]=4096 [csv]=4096 [npy]=4096 [h5]=131072 [keras]=131072 [onnx]=65536 [safetensors]=16384)
order=(nnm json idx csv npy h5 keras onnx safetensors)

if [ "$target" = all ]; then
  if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    # One product at a time: a plain `swift build` of Fuzz/ may also try to build the root's
    # nnmodel executable, whose main.swift cannot be linked with libFuzzer's main.
    for t in "${order[@]}"; do
      build "${products[$t]}"
    done
  fi
  for t in "${order[@]}"; do
    echo "=== fuzz $t ===" >&2
    FUZZ_NO_BUILD=1 "$0" "$t" "$@"
  done
  exit 0
fi
product=${products[$target]:-}
[ -n "$product" ] || { echo "fuzz.sh: unknown target '$target' (expected ${order[*]} or all)" >&2; exit 2; }

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
  build "$product"
fi
binary="$scratch/release/$product"

corpus="$work/corpus/$target"
artifacts="$work/artifacts/$target"
mkdir -p "$corpus" "$artifacts"
seed() { for f in "$@"; do [ -f "$f" ] && cp -n "$f" "$corpus/seed-$(basename "$f")"; done; return 0; }
shopt -s nullglob
case $target in
  nnm) seed Fixtures/nnm/*.nnm ;;
  h5) seed Fixtures/keras/*.h5 Fixtures/hdf5/*.h5 ;;
  keras) seed Fixtures/keras/*.keras Fixtures/keras/*.weights.h5 Fixtures/fuzz/corpus/h5/* ;;
  npy) seed Fixtures/keras/*.npy ;;
  onnx) seed Fixtures/onnx/*.onnx ;;
esac
seed Fixtures/fuzz/corpus/"$target"/* Fixtures/fuzz/regressions/"$target"/*

options=(-rss_limit_mb=2048 -timeout=10 -max_len="${maxlen[$target]}" -artifact_prefix="$artifacts/" -print_final_stats=1)
case $target in
  nnm | json | safetensors) options+=(-dict="$root/Fuzz/dicts/keras.dict") ;;
esac
# libhdf5 keeps free lists and caches for the life of the process: not leaks of ours.
# libhdf5 also mallocs sizes a damaged file declares (metadata cache entries of 2^62 bytes)
# and handles a NULL return, as it gets from glibc; under ASan such a request must fail the
# same way instead of aborting. Allocations above 2 GiB that succeed are still reported
# (libFuzzer's -malloc_limit_mb, which defaults to -rss_limit_mb).
case $target in
  h5 | keras) export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}" ;;
  *) export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" ;;
esac

inputs=0
for a in "$@"; do [[ $a == -* ]] || inputs=1; done
if [ $inputs = 1 ]; then
  exec "$binary" "${options[@]}" "$@"
fi
exec "$binary" "${options[@]}" "$@" "$corpus"
