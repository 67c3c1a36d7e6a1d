#!/usr/bin/env bash
# The main job: set up, build, train the Fashion-MNIST seed model, save it, inspect it and evaluate it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build -c release --static-swift-stdlib --product nnmodel
nnmodel=.build/release/nnmodel
mkdir -p out
"$nnmodel" train --output out/seed.nnm --history out/history.csv
"$nnmodel" inspect out/seed.nnm
# train already printed the confusion matrix and the per-class report: show evaluate's summary lines.
report=$("$nnmodel" evaluate out/seed.nnm)
echo "${report%%$'\n\n'*}"
