#!/usr/bin/env bash
# Regenerates docs/nnmodel.1 from the command definitions (swift-argument-parser's generate-manual
# plugin). Run it after changing any command's options or help; a test fails while the committed
# page misses a command or option the binary has.
#
#   scripts/man.sh [--configuration debug|release]   (default: debug, the test build)
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=debug
[ "${1:-}" = "--configuration" ] && configuration=${2:?--configuration needs debug or release}
swift package plugin generate-manual --configuration "$configuration" >&2
page=.build/plugins/GenerateManual/outputs/nnmodel/nnmodel.1
[ -s "$page" ] || { echo "man.sh: the plugin wrote no $page" >&2; exit 1; }
mkdir -p docs
# The page's date is the day it was generated; keep the file stable between days.
sed '2s/^\.Dd .*/.Dd nnmodel/' "$page" > docs/nnmodel.1
echo "man.sh: wrote docs/nnmodel.1" >&2
