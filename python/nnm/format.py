"""Reading and writing ``.nnm`` files (``Spec/FORMAT.md``, version 1.0).

``load`` checks everything section 5 of the spec requires, in its order, before it trusts a field:
nothing is allocated from a size the file declares before that size is checked against the file.
``save`` writes what section 6 guarantees: a file that passes those checks, written to a temporary
file in the target's folder, flushed with ``fsync`` and renamed over the target.
"""
from __future__ import annotations

import datetime
import os
import stat
import struct
import zlib
from typing import Any, BinaryIO, Dict, List, Optional, Tuple

import numpy as np

from . import architecture as arch_mod
from . import dtypes, jsonio, records
from .errors import ConfigError, FormatError
from .jsonio import as_int, excerpt
from .model import Model

MAGIC = b"\x89NNM\r\n\x1a\n"
MAJOR_VERSION = 1
MINOR_VERSION = 0
PREAMBLE_SIZE = 24
MAXIMUM_HEADER_LENGTH = 16 << 20
ALIGNMENT = 64
MAXIMUM_TENSORS = 1 << 16
MAXIMUM_RANK = 8
PRODUCER = "nnm-python 0.1.0"
_INT64_MAX = (1 << 63) - 1
_CHUNK = 4 << 20


def _aligned(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _q(text: str) -> str:
    return excerpt(text, 200)


class TensorEntry:
    """One row of the tensor table, checked."""

    __slots__ = ("name", "dtype", "shape", "offset", "length", "crc32")

    def __init__(self, name: str, dtype: str, shape: Tuple[int, ...], offset: int, length: int, crc32: int):
        self.name, self.dtype, self.shape = name, dtype, shape
        self.offset, self.length, self.crc32 = offset, length, crc32

    def as_json(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape), "offset": self.offset,
                "length": self.length, "crc32": self.crc32}


class Header:
    """A validated preamble and header: everything the file says, and where the data starts."""

    def __init__(self, major, minor, header_length, data_offset, file_size, architecture_json, architecture,
                 tensors, optimizer, metadata):
        self.major, self.minor = major, minor
        self.header_length, self.data_offset, self.file_size = header_length, data_offset, file_size
        self.architecture_json = architecture_json
        self.architecture: arch_mod.Architecture = architecture
        self.tensors: List[TensorEntry] = tensors
        self.optimizer: Optional[Dict[str, Any]] = optimizer
        self.metadata: Dict[str, Any] = metadata


# MARK: reading

def _describe_magic(head: bytes) -> str:
    text = " ".join(f"{b:02X}" for b in head[:8])
    if head.startswith(b"\x89HDF"):
        return f"{text} (an HDF5 file)"
    if head.startswith(b"PK\x03\x04"):
        return f"{text} (a zip archive, such as a .keras file)"
    if head.startswith(b"\x93NUMPY"):
        return f"{text} (a NumPy .npy file)"
    return text


def _check_preamble(pre: bytes, size: int, path: str) -> Tuple[int, int, int, int]:
    """Steps 1 to 3: magic, version, header length. Returns (major, minor, crc, length)."""
    head = pre[:8]
    if head != MAGIC and not (0 < len(head) < 8 and MAGIC.startswith(head)):
        found = "an empty file" if not head else _describe_magic(head)
        raise FormatError("notNNM", path, "not an nnm model file: expected the magic bytes "
                                          f"89 4E 4E 4D 0D 0A 1A 0A, found {found}")
    if size < PREAMBLE_SIZE:
        raise FormatError("tooShort", path, f"not an nnm model file: it is {size} bytes, shorter than the "
                                            f"{PREAMBLE_SIZE}-byte preamble")
    major, minor, crc, length = struct.unpack("<HHIQ", pre[8:24])
    if major != MAJOR_VERSION:
        if major == 0:
            raise FormatError("unsupportedVersion", path, f"invalid nnm format version {major}.{minor}")
        raise FormatError("unsupportedVersion", path,
                          f"nnm format version {major}.{minor} is newer than this nnmodel reads "
                          f"({MAJOR_VERSION}.x, {PRODUCER}); upgrade the nnm package to read it")
    if length > MAXIMUM_HEADER_LENGTH:
        raise FormatError("headerTooLarge", path, f"header length {length} bytes exceeds the limit of "
                                                  f"{MAXIMUM_HEADER_LENGTH} bytes")
    if length > size - PREAMBLE_SIZE:
        raise FormatError("headerPastEnd", path, f"header length {length} bytes runs past the end of the "
                                                 f"{size}-byte file (truncated?)")
    return major, minor, crc, length


def parse_header(pre: bytes, header_bytes: bytes, file_size: int, path: str) -> Header:
    """Steps 4 to 11 on a preamble and its header bytes, for a file of ``file_size`` bytes."""
    major, minor, stored_crc, length = _check_preamble(pre, file_size, path)
    crc = zlib.crc32(header_bytes)
    if crc != stored_crc:
        raise FormatError("headerChecksumMismatch", path, f"header checksum mismatch: expected CRC-32 "
                                                          f"0x{stored_crc:08x}, computed 0x{crc:08x} (the file is damaged)")

    def invalid(reason: str) -> FormatError:
        return FormatError("invalidHeader", path, f"invalid header: {_q(reason)}")

    try:
        root = jsonio.parse(header_bytes)
    except jsonio.JSONError as e:
        raise invalid(str(e)) from None
    if not isinstance(root, dict):
        raise invalid(f"expected a JSON object, found {jsonio.kind_name(root)}")
    if "architecture" not in root:
        raise invalid("missing 'architecture'")
    table = root.get("tensors")
    if not isinstance(table, list):
        raise invalid("missing 'tensors' array")
    try:
        architecture = arch_mod.parse(root["architecture"])
    except ConfigError as e:
        raise FormatError("invalidArchitecture", path, str(e)) from None
    if len(table) > MAXIMUM_TENSORS:
        raise FormatError("tooManyTensors", path, f"{len(table)} tensors exceed the limit of {MAXIMUM_TENSORS}")
    tensors = _check_table(table, path, invalid)
    optimizer = None
    if root.get("optimizer") is not None:
        try:
            optimizer = records.check_optimizer(root["optimizer"])
        except ConfigError as e:
            raise FormatError("invalidOptimizerState", path, f"invalid optimizer state: {_q(str(e))}") from None
    metadata = root.get("metadata")
    metadata = {} if metadata is None else metadata
    try:
        records.check_metadata(metadata)
    except ConfigError as e:
        raise invalid(f"metadata: {e}") from None
    data_offset = _aligned(PREAMBLE_SIZE + length)
    header = Header(major, minor, length, data_offset, file_size, root["architecture"], architecture, tensors,
                    optimizer, metadata)
    _check_placement(header, path)
    required_tensors(header, path)
    return header


def _check_table(table: list, path: str, invalid) -> List[TensorEntry]:
    """Step 7 and 8: every entry well formed, every name once."""
    tensors: List[TensorEntry] = []
    names = set()
    for i, entry in enumerate(table):
        get = entry.get if isinstance(entry, dict) else (lambda key: None)
        name = get("name")
        if not isinstance(name, str):
            raise invalid(f"tensor {i} has no 'name' string")
        if name in names:
            raise FormatError("duplicateTensor", path, f"tensor '{_q(name)}' appears twice in the tensor table")
        names.add(name)
        dtype = get("dtype")
        if not isinstance(dtype, str):
            raise invalid(f"tensor '{name}' has no 'dtype' string")
        if dtype not in dtypes.DTYPE_SIZES:
            raise FormatError("unknownDType", path, f"tensor '{_q(name)}' has unknown dtype '{_q(dtype)}'; "
                                                    f"expected one of {', '.join(dtypes.DTYPE_SIZES)}")
        dims = get("shape")
        if not isinstance(dims, list):
            raise invalid(f"tensor '{name}' has no 'shape' array")
        if len(dims) > MAXIMUM_RANK:
            raise FormatError("invalidTensorShape", path, f"tensor '{_q(name)}': rank {len(dims)} exceeds {MAXIMUM_RANK}")
        shape = []
        for d in dims:
            n = as_int(d)
            if n is None or n < 0:
                raise FormatError("invalidTensorShape", path, f"tensor '{_q(name)}': dimension "
                                                              f"{jsonio.compact(d, 40)} is not a non-negative integer")
            shape.append(n)
        count = 1
        for n in shape:
            count *= n
        if count > _INT64_MAX:
            raise FormatError("invalidTensorShape", path,
                              f"tensor '{_q(name)}': shape {shape} has more elements than can be addressed")
        expected = count * dtypes.DTYPE_SIZES[dtype]
        if expected > _INT64_MAX:
            raise FormatError("invalidTensorShape", path,
                              f"tensor '{_q(name)}': shape {shape} has more bytes than can be addressed")
        offset = as_int(get("offset"))
        if offset is None or offset < 0:
            raise invalid(f"tensor '{name}' has no valid 'offset'")
        length = as_int(get("length"))
        if length is None or length < 0:
            raise invalid(f"tensor '{name}' has no valid 'length'")
        if length != expected:
            raise FormatError("tensorLengthMismatch", path,
                              f"tensor '{_q(name)}' declares {length} bytes, its dtype and shape need {expected}")
        crc = as_int(get("crc32"))
        if crc is None or not 0 <= crc <= 0xFFFFFFFF:
            raise invalid(f"tensor '{name}' has no valid 'crc32' (an integer 0...4294967295)")
        tensors.append(TensorEntry(name, dtype, tuple(shape), offset, length, crc))
    return tensors


def _check_placement(header: Header, path: str) -> None:
    """Steps 9 and 10: every tensor inside the data section, aligned, without overlaps."""
    data_size = max(0, header.file_size - header.data_offset)
    for t in header.tensors:
        if t.offset % ALIGNMENT:
            raise FormatError("misalignedTensor", path, f"tensor '{_q(t.name)}' starts at data offset {t.offset}, "
                                                        f"which is not a multiple of {ALIGNMENT}")
        if t.offset + t.length > data_size:
            raise FormatError("tensorOutOfBounds", path,
                              f"tensor '{_q(t.name)}' (offset {t.offset}, {t.length} bytes) lies outside the "
                              f"{data_size}-byte data section (truncated file?)")
    placed = sorted((t for t in header.tensors if t.length > 0), key=lambda t: t.offset)
    for a, b in zip(placed, placed[1:]):
        if a.offset + a.length > b.offset:
            raise FormatError("tensorsOverlap", path, f"tensors '{_q(a.name)}' and '{_q(b.name)}' overlap")


def required_tensors(header: Header, path: str) -> Tuple[List[TensorEntry], Dict[str, List[TensorEntry]]]:
    """Step 11: the weights the architecture needs and the optimizer's slot tensors, checked."""
    by_name = {t.name: t for t in header.tensors}

    def find(name: str, shape: Tuple[int, ...]) -> TensorEntry:
        entry = by_name.get(name)
        if entry is None:
            raise FormatError("missingTensor", path, f"tensor '{_q(name)}' (shape {list(shape)}) required by the "
                                                     "architecture is missing")
        if entry.shape != shape:
            raise FormatError("tensorShapeMismatch", path, f"tensor '{_q(name)}' has shape {list(entry.shape)}, "
                                                           f"the architecture needs {list(shape)}")
        return entry

    specs = header.architecture.weight_specs
    weights = [find(s.name, s.shape) for s in specs]
    slots: Dict[str, List[TensorEntry]] = {}
    for slot in (header.optimizer or {}).get("slots", []):
        slots[slot] = [find(f"optimizer/{slot}/{s.name}", s.shape) for s in specs if s.trainable]
    return weights, slots


def _open_regular(path: str) -> BinaryIO:
    """Opens a regular file for reading without blocking on a FIFO or device."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
            raise FormatError("notAFile", path, f"expected an nnm model file, found {what}")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_exactly(f: BinaryIO, offset: int, count: int, path: str, what: str) -> bytes:
    f.seek(offset)
    data = f.read(count)
    if len(data) != count:
        raise FormatError("tensorOutOfBounds", path, f"{what}: the file ended after {len(data)} of {count} bytes "
                                                     "(was it truncated while being read?)")
    return data


def read_header(path) -> Header:
    """Reads and validates only the preamble and header: the cost does not grow with the weights."""
    path = os.fspath(path)
    with _open_regular(path) as f:
        return _read_header(f, path)


def _read_header(f: BinaryIO, path: str) -> Header:
    size = os.fstat(f.fileno()).st_size
    pre = f.read(min(size, PREAMBLE_SIZE))
    _, _, _, length = _check_preamble(pre, size, path)
    header_bytes = _read_exactly(f, PREAMBLE_SIZE, length, path, "header")
    return parse_header(pre, header_bytes, size, path)


def _read_tensor(f: BinaryIO, header: Header, entry: TensorEntry, verify: bool, path: str) -> np.ndarray:
    raw = _read_exactly(f, header.data_offset + entry.offset, entry.length, path, f"tensor '{_q(entry.name)}'")
    if verify:
        _check_crc(entry, zlib.crc32(raw), path)
    return dtypes.decode(raw, entry.dtype, entry.shape)


def _check_crc(entry: TensorEntry, crc: int, path: str) -> None:
    if crc != entry.crc32:
        raise FormatError("checksumMismatch", path, f"checksum mismatch in tensor '{_q(entry.name)}': expected CRC-32 "
                                                    f"0x{entry.crc32:08x}, computed 0x{crc:08x} (the file is damaged)")


def _verify_stream(f: BinaryIO, header: Header, entry: TensorEntry, path: str) -> None:
    """Checks a tensor's CRC-32 through a bounded buffer (for tensors the model does not use)."""
    f.seek(header.data_offset + entry.offset)
    crc, left = 0, entry.length
    while left:
        chunk = f.read(min(left, _CHUNK))
        if not chunk:
            raise FormatError("tensorOutOfBounds", path, f"tensor '{_q(entry.name)}': the file ended "
                                                         f"{left} bytes early (was it truncated while being read?)")
        crc = zlib.crc32(chunk, crc)
        left -= len(chunk)
    _check_crc(entry, crc, path)


def load(path, verify: bool = True) -> Model:
    """Loads the model in the ``.nnm`` file at ``path``.

    Every check of ``Spec/FORMAT.md`` section 5 is made; ``verify=False`` skips only the tensors'
    CRC-32s (step 12). Raises ``FormatError`` (a ``ValueError``) naming the file, what was
    expected and what was found, and ``OSError`` when the file cannot be read at all.
    """
    path = os.fspath(path)
    with _open_regular(path) as f:
        header = _read_header(f, path)
        weight_entries, slot_entries = required_tensors(header, path)
        used = {e.name for e in weight_entries}
        used.update(e.name for entries in slot_entries.values() for e in entries)
        weights = {e.name: _read_tensor(f, header, e, verify, path) for e in weight_entries}
        optimizer = None
        if header.optimizer is not None:
            optimizer = dict(header.optimizer)
            specs = [s for s in header.architecture.weight_specs if s.trainable]
            optimizer["slot_values"] = {
                slot: {s.name: _read_tensor(f, header, e, verify, path) for s, e in zip(specs, entries)}
                for slot, entries in slot_entries.items()}
        if verify:  # tensors this version does not use are still checked (section 5, step 12)
            for entry in header.tensors:
                if entry.name not in used:
                    _verify_stream(f, header, entry, path)
    model = Model._from_parts(header.architecture_json, header.architecture, weights, optimizer, header.metadata)
    model.format_version = (header.major, header.minor)
    return model


# MARK: writing

def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _prepare(model: Model, dtype: str, producer: str, created: Optional[str]) -> Tuple[bytes, List[Tuple[TensorEntry, bytes]]]:
    """The preamble + header + padding, and the tensors with their table entries."""
    if dtype not in dtypes.DTYPE_SIZES:
        raise ValueError(f"unknown dtype '{dtype}'; expected one of {', '.join(dtypes.DTYPE_SIZES)}")
    items: List[Tuple[TensorEntry, bytes]] = []
    offset = 0

    def add(name: str, values: np.ndarray, storage: str) -> None:
        nonlocal offset
        data = dtypes.encode(values, storage)
        items.append((TensorEntry(name, storage, tuple(values.shape), offset, len(data), zlib.crc32(data)), data))
        offset = _aligned(offset + len(data))

    specs = model._arch.weight_specs
    for spec in specs:
        add(spec.name, model.weights[spec.name], dtype)
    optimizer_record = None
    if model.optimizer is not None:
        optimizer_record = {k: v for k, v in model.optimizer.items() if k != "slot_values"}
        for slot in optimizer_record["slots"]:
            for spec in specs:
                if spec.trainable:
                    add(f"optimizer/{slot}/{spec.name}", model.optimizer["slot_values"][slot][spec.name], "float32")
    metadata: Dict[str, Any] = {"producer": producer,
                                "created": created or model.metadata.get("created") or _now()}
    metadata.update((k, v) for k, v in model.metadata.items() if k not in metadata)
    header: Dict[str, Any] = {"architecture": arch_mod.to_keras2_config(model._arch),
                              "tensors": [entry.as_json() for entry, _ in items]}
    if optimizer_record is not None:
        header["optimizer"] = optimizer_record
    header["metadata"] = metadata
    text = jsonio.dumps(header)
    preamble = MAGIC + struct.pack("<HHIQ", MAJOR_VERSION, MINOR_VERSION, zlib.crc32(text), len(text)) + text
    preamble += b"\0" * (_aligned(len(preamble)) - len(preamble))
    return preamble, items


def _encode_checked(model: Model, dtype: str, producer: str, created: Optional[str], path: str):
    try:
        preamble, items = _prepare(model, dtype, producer, created)
    except (TypeError, ValueError) as e:
        if isinstance(e, FormatError):
            raise
        raise FormatError("cannotWrite", path, f"cannot write as .nnm: {_q(str(e))}") from None
    header_length = struct.unpack("<Q", preamble[16:24])[0]
    if header_length > MAXIMUM_HEADER_LENGTH:
        raise FormatError("cannotWrite", path,
                          f"cannot write as .nnm: its header would be {header_length} bytes, more than the "
                          f"{MAXIMUM_HEADER_LENGTH}-byte limit readers accept (a very long history or metadata?)")
    # What is written must be what a reader accepts (Spec/FORMAT.md section 6).
    file_size = len(preamble) + (items[-1][0].offset + items[-1][0].length if items else 0)
    try:
        parse_header(preamble[:PREAMBLE_SIZE], preamble[PREAMBLE_SIZE:PREAMBLE_SIZE + header_length], file_size, path)
    except FormatError as e:
        raise FormatError("cannotWrite", path, f"cannot write as .nnm: the file would not read back: {e}") from None
    return preamble, items


def encode(model: Model, dtype: str = "float32", *, producer: str = PRODUCER, created: Optional[str] = None) -> bytes:
    """The complete ``.nnm`` file of ``model`` as bytes (see ``save`` for the arguments)."""
    preamble, items = _encode_checked(model, dtype, producer, created, "<bytes>")
    out = bytearray(preamble)
    for entry, data in items:
        out += b"\0" * (len(preamble) + entry.offset - len(out))
        out += data
    return bytes(out)


def save(model: Model, path, dtype: str = "float32", *, producer: str = PRODUCER,
         created: Optional[str] = None) -> None:
    """Saves ``model`` to ``path`` as ``.nnm``, atomically.

    The weights are stored as ``dtype`` (``"float32"``, ``"float16"``, ``"bfloat16"`` or
    ``"float64"``, rounded to nearest even); the optimizer state, when the model has one, is kept
    (its slots as float32). The metadata is the model's, with ``producer`` set and ``created``
    set to the ``created`` argument when given, else kept from the model (a rewrite keeps the
    source's time), else the current UTC time (ISO 8601, ``2026-01-01T00:00:00Z``). The file is written to a temporary file in the same folder, flushed
    with ``fsync`` and renamed over ``path``: an interrupted save leaves the previous file or the
    complete new one. A header over 16 MiB, or anything else a reader would refuse, raises
    ``FormatError`` (kind ``cannotWrite``) before anything is written.
    """
    path = os.fspath(path)
    if not isinstance(model, Model):
        raise TypeError(f"expected an nnm.Model, found {type(model).__name__}")
    preamble, items = _encode_checked(model, dtype, producer, created, path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        what = ("it is a folder" if stat.S_ISDIR(st.st_mode) else
                "it is a symbolic link (give the path of the file itself)" if stat.S_ISLNK(st.st_mode) else
                "it is not a regular file")
        raise FormatError("cannotWrite", path, f"cannot replace it: {what}")
    fd = -1
    temporary = os.path.join(folder, f".nnm-tmp-{os.path.basename(path)}.{os.getpid()}.{os.urandom(4).hex()}")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        mask = os.umask(0)
        os.umask(mask)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~mask)
        with os.fdopen(fd, "wb") as f:
            fd = -1
            f.write(preamble)
            position = 0
            for entry, data in items:
                if entry.offset > position:
                    f.write(b"\0" * (entry.offset - position))
                f.write(data)
                position = entry.offset + entry.length
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
