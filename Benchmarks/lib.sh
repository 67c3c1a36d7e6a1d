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

# Compiles the C program $here/$2.c against OpenBLAS, with nnmodel's kernel selection
# (Sources/CKernels/nnblaskernels.c), so that it uses the same OpenBLAS kernels nnmodel does, into
# $work/$2. Prints that path, or nothing (with a message saying why) when it cannot.
compile_with_openblas() {
    local name=$1 program=$2
    if ! command -v cc >/dev/null || ! pkg-config --exists openblas 2>/dev/null; then
        echo "$name: no cc or no openblas pkg-config (apt-get install libopenblas-dev pkg-config); no $program" >&2
        return 0
    fi
    # shellcheck disable=SC2046
    if cc -O2 -o "$work/$program" "$here/$program.c" "$root/Sources/CKernels/nnblaskernels.c" \
        -I"$root/Sources/CKernels/include" $(pkg-config --cflags --libs openblas) -lpthread; then
        echo "$work/$program"
    else
        echo "$name: compiling $program.c failed; no $program" >&2
    fi
}
