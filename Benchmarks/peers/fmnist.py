"""Reads Fashion-MNIST from Debian's IDX gz files (dataset-fashion-mnist), no downloads.

Shared by the peer scripts; numpy and the standard library only.
"""
import gzip
import os
import struct

import numpy as np

DATA_DIR = os.environ.get("NNMODEL_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")

FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def read_idx(path):
    """One IDX file (unsigned bytes) as a uint8 array of the shape its header gives."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, kind, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(split):
    """(images uint8 [N, 28, 28], labels uint8 [N]) of 'train' or 'test'."""
    images, labels = FILES[split]
    return read_idx(os.path.join(DATA_DIR, images)), read_idx(os.path.join(DATA_DIR, labels))
