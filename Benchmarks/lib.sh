# Shared by the benchmark scripts (sourced, after they set $here, $root and $work).

# Builds the release nnmodel (static Swift runtime) unless $1 is 0; prints its path on the last line.
# $2 names the calling script in messages.
build_nnmodel() {
    local build=$1 name=$2
    if [ "$build" = 1 ]; then
        echo "$name: swift build -c release --static-swift-stdlib --product nnmodel" >&2
        (cd "$root" && swift build -c release --static-swift-stdlib --product nnmodel 2>&1 | tail -n 3) >&2
    fi
    local binary="$root/.build/release/nnmodel"
    [ -x "$binary" ] || { echo "$name: $binary was not built" >&2; exit 1; }
    echo "$binary"
}

# Compiles the C program $here/$2.c into $work/$2 with the nnmodel kernels it times, the same
# sources nnmodel is built from: against OpenBLAS with nnmodel's kernel selection
# (Sources/CKernels/nnblaskernels.c) for the sgemm floors, or with nnmodel's CRC-32
# (Sources/CKernels/nncrc32.c) and zlib for crc32_speed. Prints that path, or nothing (with a
# message saying why) when it cannot. scripts/test.sh compiles every one, so none goes stale.
compile_benchmark() {
    local name=$1 program=$2 kernels=(Sources/CKernels/nnblaskernels.c Sources/CKernels/nncpu.c) flags=()
    if [ "$program" = crc32_speed ]; then
        kernels=(Sources/CKernels/nncrc32.c Sources/CKernels/nncpu.c)
        flags=(-lz)
    elif ! pkg-config --exists openblas 2>/dev/null; then
        echo "$name: no openblas pkg-config (apt-get install libopenblas-dev pkg-config); no $program" >&2
        return 0
    else
        # shellcheck disable=SC2207
        flags=($(pkg-config --cflags --libs openblas) -lpthread -lm)
    fi
    if ! command -v cc >/dev/null; then
        echo "$name: no C compiler (cc); no $program" >&2
        return 0
    fi
    if cc -O2 -o "$work/$program" "$here/$program.c" "${kernels[@]/#/$root/}" \
        -I"$root/Sources/CKernels/include" "${flags[@]}"; then
        echo "$work/$program"
    else
        echo "$name: compiling $program.c failed; no $program" >&2
    fi
}
