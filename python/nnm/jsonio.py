"""Strict JSON reading and the canonical JSON writing of the ``.nnm`` header.

Reading refuses what nnmodel's own parser refuses, so that a file means the same model to every
reader: repeated object keys, ``NaN``/``Infinity``, numbers out of double range, unpaired
surrogates, and nesting deeper than 256 levels.

Writing uses ``", "`` and ``": "`` as separators and no other whitespace, keeps the order of
object members, prints integral numbers below 2^53 as integers (as nnmodel does, so that a file
nnmodel wrote is reproduced byte for byte) and refuses non-finite numbers.
"""
from __future__ import annotations

import json
import math
from typing import Any, Optional

MAXIMUM_DEPTH = 256
_INTEGRAL_LIMIT = 9_007_199_254_740_992  # 2^53


class JSONError(ValueError):
    """The text is not the strict JSON the format allows; the message says why and where."""


class _Refused(ValueError):
    pass


def _object_pairs(pairs):
    seen = set()
    for key, _ in pairs:
        if key in seen:
            raise _Refused(f"duplicate key '{_excerpt(key, 64)}' in an object")
        seen.add(key)
    return dict(pairs)


def _constant(name):
    raise _Refused(f"{name} is not a JSON number")


def _parse_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"number {_excerpt(text, 40)} out of range")
    return value


def _parse_int(text):
    if len(text) > 300 and not math.isfinite(float(text)):
        raise _Refused(f"number {_excerpt(text, 40)} out of range")
    return int(text)


def parse(data: bytes) -> Any:
    """Parses UTF-8 JSON bytes strictly (see the module documentation)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise JSONError(f"invalid UTF-8 at byte {e.start}") from None
    try:
        value = json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_constant,
                           parse_float=_parse_float, parse_int=_parse_int)
    except _Refused as e:
        raise JSONError(f"invalid JSON: {e}") from None
    except json.JSONDecodeError as e:
        offset = len(text[:e.pos].encode("utf-8", "surrogatepass"))
        raise JSONError(f"invalid JSON at byte {offset}: {e.msg}") from None
    except RecursionError:
        raise JSONError(f"invalid JSON: nesting deeper than {MAXIMUM_DEPTH} levels") from None
    except ValueError as e:  # e.g. an integer with more digits than Python converts
        raise JSONError(f"invalid JSON: {e}") from None
    _check_tree(value)
    return value


def _check_tree(root: Any) -> None:
    """Refuses nesting deeper than MAXIMUM_DEPTH and strings that are not Unicode text."""
    stack = [(root, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_string(value)
        elif isinstance(value, (list, dict)):
            if depth + 1 > MAXIMUM_DEPTH:
                raise JSONError(f"invalid JSON: nesting deeper than {MAXIMUM_DEPTH} levels")
            if isinstance(value, dict):
                for k, v in value.items():
                    _check_string(k)
                    stack.append((v, depth + 1))
            else:
                stack.extend((v, depth + 1) for v in value)


def _check_string(s: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise JSONError("invalid JSON: unpaired surrogate in a string") from None


def dumps(value: Any) -> bytes:
    """The canonical UTF-8 serialization of ``value`` (see the module documentation).

    Raises ``TypeError`` for values JSON cannot hold and ``ValueError`` for non-finite numbers,
    strings that are not Unicode text, and nesting deeper than the readers accept.
    """
    parts: list = []
    _write(value, parts, 0)
    return "".join(parts).encode("utf-8")


def _write(value: Any, out: list, depth: int) -> None:
    if value is None:
        out.append("null")
    elif value is True or value is False:
        out.append("true" if value else "false")
    elif isinstance(value, str):
        _check_string(value)
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):  # after bool; numpy integers are caught below
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(format_number(value))
    elif isinstance(value, (dict, list, tuple)):
        if depth + 1 > MAXIMUM_DEPTH:
            raise ValueError(f"nesting deeper than {MAXIMUM_DEPTH} levels")
        if isinstance(value, dict):
            out.append("{")
            for i, (k, v) in enumerate(value.items()):
                if not isinstance(k, str):
                    raise TypeError(f"object keys must be strings, found {type(k).__name__}")
                if i:
                    out.append(", ")
                _write(k, out, depth + 1)
                out.append(": ")
                _write(v, out, depth + 1)
            out.append("}")
        else:
            out.append("[")
            for i, v in enumerate(value):
                if i:
                    out.append(", ")
                _write(v, out, depth + 1)
            out.append("]")
    else:
        # numpy scalars and other number types
        import numpy as np

        if isinstance(value, np.bool_):
            _write(bool(value), out, depth)
        elif isinstance(value, np.integer):
            _write(int(value), out, depth)
        elif isinstance(value, np.floating):
            _write(float(value), out, depth)
        else:
            raise TypeError(f"{type(value).__name__} cannot be written as JSON")


def format_number(x: float) -> str:
    """A float as nnmodel writes it: integral values below 2^53 as integers, others shortest."""
    if not math.isfinite(x):
        raise ValueError(f"{x} is not a finite number; JSON cannot hold it")
    if x == math.floor(x) and abs(x) < _INTEGRAL_LIMIT:
        return str(int(x))
    return repr(x)


# Accessors with the meaning nnmodel gives JSON values.

def as_int(value: Any) -> Optional[int]:
    """The value as an integer when it is a number with no fractional part within +-9e15."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if -9.0e15 <= value <= 9.0e15 else None
    if isinstance(value, float) and math.isfinite(value) and value == math.floor(value) \
            and -9.0e15 <= value <= 9.0e15:
        return int(value)
    return None


def as_number(value: Any) -> Optional[float]:
    """The value as a float when it is a number (not a Boolean)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def kind_name(value: Any) -> str:
    """A short name of a JSON value's kind, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def compact(value: Any, limit: int = 200) -> str:
    """A JSON value in one short line, for messages."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        text = repr(value)
    return _excerpt(text, limit)


def _excerpt(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text``, control characters escaped."""
    cut = text[:limit]
    cut = "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)
    return cut + ("..." if len(text) > limit else "")


def excerpt(text: str, limit: int = 200) -> str:
    return _excerpt(text, limit)
