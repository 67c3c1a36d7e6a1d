#!/usr/bin/env bash
# Keras interoperability check: does real Keras load what nnmodel writes, and does nnmodel read
# it back unchanged?
#
#   scripts/keras-interop.sh                     # uses python3
#   NNMODEL_PYTHON=/work/venv-keras/bin/python scripts/keras-interop.sh
#
# Needs a Python with TensorFlow, Keras 3, tf_keras and h5py. Without TensorFlow it prints how to
# make one and exits 0 (skipped), so it is safe to call from CI on machines without TensorFlow:
#
#   python3 -m venv /work/venv-keras
#   /work/venv-keras/bin/pip install tensorflow-cpu==2.21.0 tf_keras==2.21.0 h5py
#
# Steps (all files in a fresh temporary folder, kept with NNMODEL_INTEROP_KEEP=1 or when
# NNMODEL_INTEROP_DIR names the folder to use):
#   1. swift build -c release --static-swift-stdlib --product nnmodel        (skipped when NNMODEL_BIN names a binary)
#   2. nnmodel train --epochs 1 --output DIR/seed.nnm --quiet
#   3. X = the first 64 Fashion-MNIST test images / 255, float32 (Fixtures/keras/interop_check.py)
#   4. nnmodel predict DIR/seed.nnm --input X --output P        (nnmodel's own predictions)
#   5. nnmodel convert DIR/seed.nnm DIR/seed.h5                 (Keras 2 legacy HDF5 layout)
#   6. Keras 3 keras.models.load_model AND tf_keras.models.load_model load DIR/seed.h5 (compile=True),
#      predict X, and must match P: max abs diff <= NNMODEL_INTEROP_TOLERANCE (default 1e-5).
#      Each library also saves what it loaded (Keras 3: .keras and .h5, tf_keras: .h5).
#   7. nnmodel convert DIR/seed.h5 DIR/back.nnm, predict, and compare with P (<= 1e-6: the
#      float32 weights make the round trip exactly, so this is expected to be 0).
#   8. nnmodel converts each file Keras saved in step 6 and its predictions must match P.
#   9. nnmodel convert DIR/seed.nnm DIR/seed.keras (Keras 3 .keras archive); nnmodel diff finds it
#      equal to seed.nnm; Keras 3 keras.saving.load_model loads it (compile=True), matches P, restores
#      every optimizer variable and trains a step from them; tf_keras is tried and its result printed
#      (it cannot load archives in Keras 3's layout). Keras 3's own re-save is read back by nnmodel.
#  10. A model with a Dense layer for every activation (plus Activation and Dropout layers), trained
#      by nnmodel train --output DIR/every.keras on a seeded CSV, loaded by Keras 3 as in step 9.
#
# Exit status: 0 all checks passed (or skipped: no TensorFlow), 1 a check failed, 2 the environment
# is incomplete (TensorFlow present but not Keras 3 / tf_keras / h5py) or a step could not run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

py=${NNMODEL_PYTHON:-python3}
tolerance=${NNMODEL_INTEROP_TOLERANCE:-1e-5}
check="$root/Fixtures/keras/interop_check.py"
export TF_CPP_MIN_LOG_LEVEL=2 CUDA_VISIBLE_DEVICES=-1 TF_ENABLE_ONEDNN_OPTS=0 PYTHONHASHSEED=0

say() { printf 'keras-interop: %s\n' "$*"; }

if ! command -v "$py" >/dev/null 2>&1 || ! "$py" -c 'import tensorflow' >/dev/null 2>&1; then
    say "SKIPPED: TensorFlow is not importable by '$py' (set NNMODEL_PYTHON to a Python that has it)."
    say "To run this check, create a virtualenv outside the repository and point NNMODEL_PYTHON at it:"
    say "  python3 -m venv /work/venv-keras"
    say "  /work/venv-keras/bin/pip install tensorflow-cpu==2.21.0 tf_keras==2.21.0 h5py"
    say "  NNMODEL_PYTHON=/work/venv-keras/bin/python scripts/keras-interop.sh"
    exit 0
fi
if ! "$py" -c 'import keras, tf_keras, h5py, numpy; assert int(keras.__version__.split(".")[0]) >= 3' >/dev/null 2>&1; then
    say "ERROR: '$py' has TensorFlow but not Keras 3, tf_keras and h5py; install them with"
    say "  $py -m pip install tf_keras==\$($py -c 'import tensorflow as t; print(t.__version__)') h5py"
    exit 2
fi
say "python: $py ($("$py" -c 'import tensorflow as t, keras as k, tf_keras as f; print(f"tensorflow {t.__version__}, keras {k.__version__}, tf_keras {f.__version__}")' 2>/dev/null))"

if [[ -n ${NNMODEL_INTEROP_DIR:-} ]]; then
    dir=$NNMODEL_INTEROP_DIR
    mkdir -p "$dir"
else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/nnmodel-interop.XXXXXX")
    # removed on success unless NNMODEL_INTEROP_KEEP=1; kept (and named) on any failure
    trap 'rc=$?; if [[ $rc == 0 && ${NNMODEL_INTEROP_KEEP:-0} != 1 ]]; then rm -rf "$dir"; else say "files kept in $dir"; fi' EXIT
fi
say "working in $dir"

if [[ -n ${NNMODEL_BIN:-} ]]; then
    nnmodel=$NNMODEL_BIN
else
    say "building: swift build -c release --static-swift-stdlib --product nnmodel"
    swift build -c release --static-swift-stdlib --product nnmodel
    nnmodel="$(swift build -c release --static-swift-stdlib --show-bin-path)/nnmodel"
fi
[[ -x $nnmodel ]] || { say "ERROR: no nnmodel binary at $nnmodel"; exit 2; }

run() { say "\$ $*"; "$@"; }

run "$nnmodel" train --epochs 1 --output "$dir/seed.nnm" --quiet
run "$py" "$check" make-input --output "$dir/x.npy" --count 64
run "$nnmodel" predict "$dir/seed.nnm" --input "$dir/x.npy" --output "$dir/p.npy"
run "$nnmodel" convert "$dir/seed.nnm" "$dir/seed.h5"

status=0
run "$py" "$check" check-keras "$dir/seed.h5" --input "$dir/x.npy" --expected "$dir/p.npy" \
    --tolerance "$tolerance" --resave-dir "$dir/keras" || status=1

run "$nnmodel" convert "$dir/seed.h5" "$dir/back.nnm"
run "$nnmodel" predict "$dir/back.nnm" --input "$dir/x.npy" --output "$dir/back.npy"
run "$py" "$check" compare "$dir/back.npy" "$dir/p.npy" --tolerance 1e-6 \
    --label "nnm -> h5 -> nnm round trip" || status=1

for saved in "$dir"/keras/keras3_resaved.keras "$dir"/keras/keras3_resaved.h5 "$dir"/keras/tfkeras_resaved.h5; do
    [[ -f $saved ]] || continue
    name=$(basename "$saved")
    if run "$nnmodel" convert "$saved" "$dir/from_${name%.*}_${name##*.}.nnm" &&
        run "$nnmodel" predict "$dir/from_${name%.*}_${name##*.}.nnm" --input "$dir/x.npy" \
            --output "$dir/from_${name%.*}_${name##*.}.npy"; then
        run "$py" "$check" compare "$dir/from_${name%.*}_${name##*.}.npy" "$dir/p.npy" --tolerance "$tolerance" \
            --label "Keras-saved $name read by nnmodel" || status=1
    else
        say "FAIL: nnmodel cannot read $name (written by Keras from nnmodel's file)"
        status=1
    fi
done

# .keras archives nnmodel writes.
run "$nnmodel" convert "$dir/seed.nnm" "$dir/seed.keras"
run "$nnmodel" diff "$dir/seed.nnm" "$dir/seed.keras" || { say "FAIL: seed.keras differs from seed.nnm"; status=1; }
run "$py" "$check" check-keras-archive "$dir/seed.keras" --input "$dir/x.npy" --expected "$dir/p.npy" \
    --tolerance "$tolerance" --resave-dir "$dir/keras-archive" || status=1
if [[ -f $dir/keras-archive/keras3_resaved.keras ]] &&
    run "$nnmodel" predict "$dir/keras-archive/keras3_resaved.keras" --input "$dir/x.npy" --output "$dir/from_resaved_archive.npy"; then
    run "$py" "$check" compare "$dir/from_resaved_archive.npy" "$dir/p.npy" --tolerance "$tolerance" \
        --label "Keras 3's re-save of nnmodel's .keras read by nnmodel" || status=1
else
    say "FAIL: nnmodel cannot read Keras 3's re-save of its .keras"
    status=1
fi

run "$py" "$check" make-activation-model --config "$dir/every.json" --data "$dir/every.csv" --input "$dir/x6.npy"
run "$nnmodel" train --config "$dir/every.json" --data "$dir/every.csv" --epochs 1 --quiet --output "$dir/every.keras"
run "$nnmodel" predict "$dir/every.keras" --input "$dir/x6.npy" --output "$dir/p6.npy"
run "$py" "$check" check-keras-archive "$dir/every.keras" --input "$dir/x6.npy" --expected "$dir/p6.npy" \
    --tolerance "$tolerance" || status=1

# A CNN written by Keras (Keras 3 .keras and .h5, tf_keras .h5): nnmodel predicts what Keras
# does, and Keras loads nnmodel's .h5 and .keras of it with the same predictions.
run "$py" "$check" make-cnn-model --output-dir "$dir/cnn"
run "$py" "$check" cnn-round-trip --nnmodel "$nnmodel" --dir "$dir/cnn" --tolerance "$tolerance" || status=1

if [[ $status == 0 ]]; then
    say "PASSED: Keras 3 and tf_keras load nnmodel's .h5 and Keras 3 its .keras with nnmodel's predictions (and Adam's state), and nnmodel reads them and Keras's re-saves back"
else
    say "FAILED"
fi
exit $status
