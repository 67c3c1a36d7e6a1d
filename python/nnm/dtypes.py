"""Storage dtypes of ``.nnm`` tensors: little-endian float32, float16, bfloat16 and float64.

Computation is float32: every dtype is converted to float32 on load. Writing rounds to nearest,
ties to even (float16 overflows to infinity; bfloat16 keeps float32's range).
"""
from __future__ import annotations

import numpy as np

#: Bytes per element of every dtype the format defines.
DTYPE_SIZES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8}

_NUMPY = {"float32": np.dtype("<f4"), "float16": np.dtype("<f2"), "float64": np.dtype("<f8")}


def decode(raw: bytes, dtype: str, shape) -> np.ndarray:
    """The float32 array stored in ``raw`` (exactly ``prod(shape) * size`` bytes)."""
    if dtype == "bfloat16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        values = bits.view(np.float32)
    else:
        values = np.frombuffer(raw, dtype=_NUMPY[dtype]).astype(np.float32)
    return values.reshape(tuple(shape))


def bfloat16_bits(values: np.ndarray) -> np.ndarray:
    """The bfloat16 bit patterns of float32 ``values``, rounded to nearest even (NaN stays NaN)."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounding = np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))
    rounded = ((bits + rounding) >> np.uint32(16)).astype(np.uint16)  # wraps like nnmodel's &+
    nan = np.isnan(values)
    if nan.any():
        rounded[nan] = ((bits[nan] >> np.uint32(16)) | np.uint32(0x0040)).astype(np.uint16)
    return rounded


def encode(values: np.ndarray, dtype: str) -> bytes:
    """The little-endian bytes of float32 ``values`` stored as ``dtype``, in C order."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    if dtype == "float32":
        return values.astype("<f4", copy=False).tobytes()
    if dtype == "float16":
        with np.errstate(over="ignore"):
            return values.astype("<f2").tobytes()
    if dtype == "float64":
        return values.astype("<f8").tobytes()
    if dtype == "bfloat16":
        return bfloat16_bits(values).astype("<u2", copy=False).tobytes()
    raise ValueError(f"unknown dtype '{dtype}'; expected one of {', '.join(DTYPE_SIZES)}")
