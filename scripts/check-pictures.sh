#!/usr/bin/env bash
# Renders NNPlot's sample pictures (training curves, confusion matrices,
# image grid, font sheet) and the README's pictures in docs/ (drawn by nnmodel
# from the trained seed model), and screenshots each one with headless
# Chromium, so a person can check that they look right in a real browser.
#
# Usage: scripts/check-pictures.sh [OUTPUT_DIR]   (default: .build/nnplot-pictures)
# Writes the samples to OUTPUT_DIR/samples and screenshots to OUTPUT_DIR/screenshots.
# Installs Debian's chromium (apt-get update && apt-get install -y chromium, as root) when no
# Chromium is found, as scripts/setup.sh installs the other packages; without root it says how
# and fails. Every picture must give a screenshot (a person then looks at them).
set -euo pipefail

cd "$(dirname "$0")/.."
out="${1:-.build/nnplot-pictures}"
mkdir -p "$out/samples" "$out/screenshots"
out="$(cd "$out" && pwd)"

echo "== rendering samples into $out/samples"
NNPLOT_SAMPLES_DIR="$out/samples" swift test --filter 'NNPlotTests.SampleFilesTests' >"$out/swift-test.log" 2>&1 || {
    tail -n 40 "$out/swift-test.log"
    echo "check-pictures: rendering the samples failed (full log: $out/swift-test.log)" >&2
    exit 1
}

browser=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then browser="$candidate"; break; fi
done
if [ -z "$browser" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing chromium (apt-get install -y chromium)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
        browser=chromium
    else
        echo "check-pictures: no chromium found; install it with 'sudo apt-get install -y chromium'" >&2
        echo "check-pictures: the samples are in $out/samples" >&2
        exit 1
    fi
fi

# Size of a picture in pixels: SVG width/height attributes, or a PNG's IHDR.
picture_size() {
    local file="$1"
    case "$file" in
        *.svg)
            local tag w h
            tag="$(tr '\n' ' ' <"$file" | grep -o '<svg [^>]*>' | head -n 1)"
            w="$(sed -n 's/.* width="\([0-9.]*\)".*/\1/p' <<<"$tag")"
            h="$(sed -n 's/.* height="\([0-9.]*\)".*/\1/p' <<<"$tag")"
            echo "${w%.*} ${h%.*}"
            ;;
        *.png)
            local w h
            w="$(od -An -tu1 -j16 -N4 "$file" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')"
            h="$(od -An -tu1 -j20 -N4 "$file" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')"
            echo "$w $h"
            ;;
    esac
}

cp docs/*.svg docs/*.png "$out/samples/" 2>/dev/null || true

status=0
for file in "$out"/samples/*.svg "$out"/samples/*.png; do
    [ -e "$file" ] || continue
    read -r width height < <(picture_size "$file")
    width=$(( ${width:-800} + 40 )); height=$(( ${height:-600} + 40 ))
    shot="$out/screenshots/$(basename "$file").png"
    rm -f "$shot"
    # --no-sandbox: Chromium refuses to start as root otherwise (containers, CI).
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --window-size="$width,$height" --screenshot="$shot" "file://$file" \
        >"$out/screenshots/chromium.log" 2>&1 || true
    if [ -s "$shot" ]; then
        echo "screenshot: $shot (${width}x${height})"
    else
        echo "check-pictures: no screenshot for $file (see $out/screenshots/chromium.log)" >&2
        status=1
    fi
done
exit "$status"
