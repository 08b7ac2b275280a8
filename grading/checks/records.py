"""What crosses from a student's kernel to the grader: plain data, in a plain file.

A record is a dict of plain values: None, bools, numbers, strings, lists, dicts with
string keys, and NumPy arrays of numbers, booleans or text. `pack` splits it into JSON
and arrays; `write` stores both in one .npz file (no pickle); `read` parses such a file
back from bytes, refusing anything else: object arrays, unknown members, malformed or
deeply nested JSON, and anything over the limits. A file comes from a student's kernel,
so it is read as a hostile one: the members are counted before anything is unpacked,
each is unpacked a chunk at a time and never beyond what its header declares or what
is left of `max_bytes` (a few kilobytes of zeros can claim gigabytes), and the JSON's
depth is bounded before it is parsed. A check's judge then sees exactly what `read`
returns, in the student's own kernel and in the grader alike.
"""
import io
import json
import math
import re
import zipfile
import zlib

import numpy as onp

MAX_FILE_BYTES = 16 * 2**20     # a record file, as written
MAX_ARRAY_BYTES = 16 * 2**20    # one array, unpacked
MAX_RECORD_BYTES = 32 * 2**20   # all of one file's members, unpacked
MAX_MEMBERS = 64
MAX_META_CHARS = 1_000_000
MAX_DEPTH = 32                  # lists and dicts within each other, in a record
CHUNK = 2**20
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


def _depth(text):
    """How deeply JSON `text` nests its lists and dicts (brackets inside strings not counted)."""
    deepest = depth = 0
    for token in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        t = token.group()
        if t in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif t in "]}":
            depth -= 1
    return deepest


def _member(z, info, limit):
    """The bytes of member `info`, unpacked a chunk at a time; at most `limit` of them."""
    if info.file_size > limit:
        raise RecordError(f"{info.filename[:40]}: {info.file_size} bytes unpacked, over the "
                          "limit")
    out = bytearray()
    with z.open(info) as f:
        while True:
            chunk = f.read(min(CHUNK, limit + 1 - len(out)))
            if not chunk:
                break
            out += chunk
            if len(out) > limit:
                raise RecordError(f"{info.filename[:40]}: more bytes than the limit")
    return bytes(out)


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
    if nbytes > MAX_ARRAY_BYTES or nbytes > len(member_bytes):
        raise RecordError(f"{name}: {nbytes} bytes, over the limit or more than the member holds")
    fp.seek(0)
    try:
        array = onp.lib.format.read_array(fp, allow_pickle=False)
    except ValueError as e:
        raise RecordError(f"{name}: {e}") from None
    return array


def read(data, max_bytes=MAX_RECORD_BYTES):
    """Parse the bytes of a record file; return ((header, record), bytes unpacked).

    Raises RecordError for anything that is not a well-formed record within the limits,
    `max_bytes` among them: what its members may hold once unpacked, in all.
    """
    if len(data) > MAX_FILE_BYTES:
        raise RecordError("the record file is too large")
    left = min(max_bytes, MAX_RECORD_BYTES)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            if len(infos) > MAX_MEMBERS:
                raise RecordError(f"{len(infos)} members, over the limit of {MAX_MEMBERS}")
            members = {}
            for info in infos:
                if not _MEMBER.match(info.filename) or info.filename[:-4] in members:
                    raise RecordError(f"unexpected member {info.filename[:40]!r}")
                raw = _member(z, info, min(left, MAX_ARRAY_BYTES + 4096))
                left -= len(raw)
                members[info.filename[:-4]] = _array(raw, info.filename)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, ValueError,
            NotImplementedError, zlib.error) as e:
        if isinstance(e, RecordError):
            raise
        raise RecordError(f"not a record file ({type(e).__name__}: {str(e)[:200]})") from None
    meta = members.pop("meta", None)
    if meta is None or meta.shape != () or meta.dtype.kind != "U" or len(str(meta)) > MAX_META_CHARS:
        raise RecordError("the record has no readable header")
    text = str(meta)
    if _depth(text) > MAX_DEPTH:
        raise RecordError(f"the record nests deeper than {MAX_DEPTH} levels")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise RecordError(f"the record's header is not JSON ({str(e)[:200]})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("header"), dict):
        raise RecordError("the record's header is malformed")
    used = min(max_bytes, MAX_RECORD_BYTES) - left
    return (doc["header"], unpack(doc.get("record"), members)), used


def round_trip(header, record):
    """`record` as the grader would read it back from a file: (header, record)."""
    buffer = io.BytesIO()
    meta, arrays = pack(record)
    onp.savez(buffer, meta=onp.array(json.dumps({"header": header, "record": meta})), **arrays)
    return read(buffer.getvalue())[0]
