#!/usr/bin/env python3
"""Writes the .nnm test vectors of Spec/FORMAT.md into this folder, with the standard library only.

Independent of nnmodel's Swift writer: tiny.nnm here must equal, byte for byte, what
`NNMWriter.encode` produces for the same model (the Swift tests check this), and every invalid
vector is listed in vectors.json with the error a reader must report.

    python3 Fixtures/nnm/make_vectors.py
"""
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC = b"\x89NNM\r\n\x1a\n"
ALIGN = 64
CREATED = "2026-01-01T00:00:00Z"
PRODUCER = "nnmodel 0.1.0"


def dumps(value):
    """JSON as the format writes it: ', ' and ': ' separators, no extra whitespace."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), allow_nan=False).encode("utf-8")


def aligned(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


def architecture(activation="sigmoid", layer_class="Dense"):
    dense = {
        "name": "dense", "trainable": True, "dtype": "float32", "units": 1, "activation": activation,
        "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    }
    return {"class_name": "Sequential", "config": {"name": "tiny", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "input_layer"}},
        {"class_name": layer_class, "config": dense},
    ]}}


def encode(values, dtype):
    if dtype == "float32":
        return struct.pack("<%df" % len(values), *values)
    if dtype == "float64":
        return struct.pack("<%dd" % len(values), *values)
    if dtype == "float16":
        return struct.pack("<%de" % len(values), *values)
    if dtype == "bfloat16":  # the exact values below need no rounding
        return b"".join(struct.pack("<I", struct.unpack("<I", struct.pack("<f", v))[0])[2:] for v in values)
    raise ValueError(dtype)


KERNEL = [0.5, -0.25]  # shape [2, 1]
BIAS = [0.125]         # shape [1]


def build(dtype="float32", arch=None, tensors=None, major=1, minor=0, extra_header=None,
          header_override=None, crc_override=None, length_override=None, tail_cut=0, mutate=None):
    """Assembles a file; the keyword arguments break it in controlled ways."""
    if tensors is None:
        tensors = [("dense/kernel", [2, 1], KERNEL), ("dense/bias", [1], BIAS)]
    table, blobs, offset = [], [], 0
    for name, shape, values in tensors:
        blob = encode(values, dtype)
        table.append({"name": name, "dtype": dtype, "shape": shape, "offset": offset, "length": len(blob),
                      "crc32": zlib.crc32(blob)})
        blobs.append((offset, blob))
        offset = aligned(offset + len(blob))
    header = {"architecture": arch or architecture(), "tensors": table,
              "metadata": {"producer": PRODUCER, "created": CREATED}}
    if extra_header:
        header.update(extra_header)
    if mutate:
        mutate(header)
    text = header_override if header_override is not None else dumps(header)
    crc = zlib.crc32(text) if crc_override is None else crc_override
    length = len(text) if length_override is None else length_override
    out = bytearray(MAGIC + struct.pack("<HHIQ", major, minor, crc, length) + text)
    out += b"\0" * (aligned(len(out)) - len(out))
    data_start = len(out)
    for off, blob in blobs:
        out += b"\0" * (data_start + off - len(out))
        out += blob
    if tail_cut:
        out = out[:-tail_cut]
    return bytes(out)


def main():
    vectors = []

    def emit(name, data, error=None, message=None, note=""):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        entry = {"file": name, "valid": error is None, "note": note}
        if error:
            entry.update({"error": error, "message": message})
        vectors.append(entry)

    emit("tiny.nnm", build(), note="the worked example of Spec/FORMAT.md")
    emit("tiny-float16.nnm", build("float16"), note="weights stored as float16")
    emit("tiny-bfloat16.nnm", build("bfloat16"), note="weights stored as bfloat16")
    emit("tiny-float64.nnm", build("float64"), note="weights stored as float64")
    emit("newer-minor.nnm", build(minor=7, extra_header={"future_field": {"anything": [1, 2, 3]}}),
         note="a later minor version with an unknown header field: must load")

    good = build()
    emit("empty.nnm", b"", "notNNM", "found an empty file")
    emit("bad-magic.nnm", b"\x89HDF\r\n\x1a\n" + good[8:], "notNNM", "expected the magic bytes")
    emit("short.nnm", good[:20], "tooShort", "shorter than the 24-byte preamble")
    emit("future-major.nnm", build(major=2), "unsupportedVersion", "version 2.0 is newer than this nnmodel reads")
    emit("header-past-end.nnm", build(length_override=100000), "headerPastEnd", "runs past the end")
    emit("header-too-large.nnm", build(length_override=1 << 40), "headerTooLarge", "exceeds the limit")
    text = dumps({"architecture": architecture(), "tensors": [], "metadata": {}})
    emit("header-checksum.nnm", build(crc_override=zlib.crc32(text) ^ 1, header_override=text),
         "headerChecksumMismatch", "header checksum mismatch")
    emit("invalid-json.nnm", build(header_override=b'{"architecture": [1, 2'), "invalidHeader", "invalid JSON")
    emit("invalid-utf8.nnm", build(header_override=b'{"a": "\xff\xfe"}'), "invalidHeader", "invalid UTF-8")
    emit("not-an-object.nnm", build(header_override=b'[1, 2, 3]'), "invalidHeader", "expected a JSON object")

    def edit(index, **changes):
        def f(header):
            header["tensors"][index].update(changes)
        return f

    emit("tensor-out-of-bounds.nnm", build(mutate=edit(1, offset=4096)), "tensorOutOfBounds", "dense/bias")
    emit("truncated-data.nnm", build(tail_cut=2), "tensorOutOfBounds", "dense/bias")
    emit("tensors-overlap.nnm", build(mutate=edit(1, offset=0)), "tensorsOverlap", "'dense/kernel' and 'dense/bias' overlap")
    emit("misaligned-tensor.nnm", build(mutate=edit(1, offset=8)), "misalignedTensor", "not a multiple of 64")
    emit("shape-overflow.nnm", build(mutate=edit(0, shape=[4294967296, 4294967296, 16])), "invalidTensorShape",
         "more elements than can be addressed")
    emit("length-mismatch.nnm", build(mutate=edit(0, length=12)), "tensorLengthMismatch", "declares 12 bytes")
    emit("unknown-dtype.nnm", build(mutate=edit(0, dtype="int4")), "unknownDType", "unknown dtype 'int4'")
    emit("duplicate-tensor.nnm", build(mutate=edit(1, name="dense/kernel")), "duplicateTensor", "appears twice")
    emit("tensor-checksum.nnm", build(mutate=edit(0, crc32=12345)), "checksumMismatch", "tensor 'dense/kernel'")
    emit("missing-tensor.nnm", build(tensors=[("dense/kernel", [2, 1], KERNEL)]), "missingTensor", "'dense/bias'")
    emit("shape-mismatch.nnm", build(tensors=[("dense/kernel", [1, 2], KERNEL), ("dense/bias", [1], BIAS)]),
         "tensorShapeMismatch", "has shape [1, 2], the architecture needs [2, 1]")
    emit("unknown-layer.nnm", build(arch=architecture(layer_class="Conv3D")), "invalidArchitecture",
         "unsupported class 'Conv3D'")
    emit("unknown-activation.nnm", build(arch=architecture(activation="sparsemax")), "invalidArchitecture",
         "unsupported activation 'sparsemax'")

    with open(os.path.join(HERE, "vectors.json"), "w") as f:
        json.dump({"description": "Test vectors of Spec/FORMAT.md; regenerate with make_vectors.py",
                   "kernel": KERNEL, "bias": BIAS, "vectors": vectors}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
