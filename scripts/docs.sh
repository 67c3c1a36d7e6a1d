#!/usr/bin/env bash
# Builds the DocC documentation of the library's public modules and fails on any warning in
# project code (SwiftPM's note about a file in the ZIPFoundation dependency is not ours).
# The archives land in .build/plugins/Swift-DocC/outputs/.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(NNModel NNSchema NNCore NNData NNFormat NNKeras NNJSON NNBase)
args=()
for t in "${targets[@]}"; do args+=(--target "$t"); done
log=$(swift package generate-documentation "${args[@]}" 2>&1) || { echo "$log" >&2; exit 1; }
warnings=$(echo "$log" | grep -E '^(warning|error)' | grep -v "^warning: 'zipfoundation'" || true)
if [ -n "$warnings" ]; then
  echo "$log" | grep -A4 -E '^(warning|error)' | grep -v "zipfoundation" >&2
  echo "docs.sh: $(echo "$warnings" | wc -l) DocC warning(s)" >&2
  exit 1
fi
echo "docs.sh: documentation for ${targets[*]} built without warnings"
