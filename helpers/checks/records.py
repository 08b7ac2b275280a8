"""What crosses from a student's kernel to the grader: plain data, in a plain file.

A record is a dict of plain values: None, bools, numbers, strings, lists, dicts with
string keys, and NumPy arrays of numbers, booleans or text. `pack` splits it into JSON
and arrays; `write` stores both in one .npz file (no pickle); `read` parses such a file
back from bytes, refusing anything else: object arrays, arrays or files over the limits,
unknown members, malformed JSON. A check's judge then sees exactly what `read` returns,
in the student's own kernel and in the grader alike.
"""
import io
import json
import math
import re
import zipfile

import numpy as onp

MAX_FILE_BYTES = 64 * 2**20
MAX_ARRAY_BYTES = 48 * 2**20
MAX_META_CHARS = 1_000_000
DTYPE_KINDS = "biufU"  # bool, int, uint, float, unicode text
_MEMBER = re.compile(r"^(meta|a[0-9]{1,4})\.npy$")


class RecordError(ValueError):
    """A record file that is not a well-formed, bounded record."""


def pack(record):
    """Split `record` into (JSON-able meta, {key: array}); anything not plain becomes {"__repr__": text}."""
    arrays = {}

    def walk(value, depth=0):
        if depth > 20:
            return {"__repr__": "nested too deeply"}
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, onp.integer)):
            return int(value)
        if isinstance(value, (float, onp.floating)):
            return float(value)
        if isinstance(value, onp.ndarray) and value.dtype.kind in DTYPE_KINDS:
            key = f"a{len(arrays)}"
            arrays[key] = value
            return {"__array__": key}
        if isinstance(value, (list, tuple)):
            return [walk(v, depth + 1) for v in value]
        if isinstance(value, dict):
            return {str(k): walk(v, depth + 1) for k, v in value.items()}
        return {"__repr__": type(value).__name__}

    return walk(record), arrays


def unpack(meta, arrays):
    """The record that `pack` split into `meta` and `arrays`."""
    def walk(value):
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            if set(value) == {"__array__"}:
                try:
                    return arrays[value["__array__"]]
                except (KeyError, TypeError):
                    raise RecordError("a record names an array it does not hold") from None
            return {k: walk(v) for k, v in value.items()}
        return value
    return walk(meta)


def write(path, header, record):
    """Store `header` (the check's name and parameters) and `record` in the .npz file `path`."""
    meta, arrays = pack(record)
    text = json.dumps({"header": header, "record": meta})
    with open(path, "wb") as f:
        onp.savez(f, meta=onp.array(text), **arrays)


def _array(member_bytes, name):
    fp = io.BytesIO(member_bytes)
    try:
        version = onp.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = onp.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = onp.lib.format.read_array_header_2_0(fp)
        else:
            raise RecordError(f"{name}: unsupported .npy version {version}")
    except ValueError as e:
        raise RecordError(f"{name}: not an array ({e})") from None
    if dtype.kind not in DTYPE_KINDS or dtype.hasobject or dtype.fields:
        raise RecordError(f"{name}: arrays of {dtype} are not accepted")
    nbytes = dtype.itemsize * math.prod(shape)
    if nbytes > MAX_ARRAY_BYTES:
        raise RecordError(f"{name}: {nbytes} bytes, over the limit")
    fp.seek(0)
    try:
        array = onp.lib.format.read_array(fp, allow_pickle=False)
    except ValueError as e:
        raise RecordError(f"{name}: {e}") from None
    return array


def read(data):
    """Parse the bytes of a record file; return (header, record). Raises RecordError."""
    if len(data) > MAX_FILE_BYTES:
        raise RecordError("the record file is too large")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            if len(infos) > 1000:
                raise RecordError("too many members")
            members = {}
            for info in infos:
                if not _MEMBER.match(info.filename) or info.file_size > MAX_FILE_BYTES:
                    raise RecordError(f"unexpected member {info.filename[:40]!r}")
                members[info.filename[:-4]] = _array(z.read(info), info.filename)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as e:
        raise RecordError(f"not a record file ({e})") from None
    meta = members.pop("meta", None)
    if meta is None or meta.shape != () or meta.dtype.kind != "U" or len(str(meta)) > MAX_META_CHARS:
        raise RecordError("the record has no readable header")
    try:
        doc = json.loads(str(meta))
    except ValueError as e:
        raise RecordError(f"the record's header is not JSON ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("header"), dict):
        raise RecordError("the record's header is malformed")
    return doc["header"], unpack(doc.get("record"), members)


def round_trip(header, record):
    """`record` as the grader would read it back from a file: (header, record)."""
    buffer = io.BytesIO()
    meta, arrays = pack(record)
    onp.savez(buffer, meta=onp.array(json.dumps({"header": header, "record": meta})), **arrays)
    return read(buffer.getvalue())
