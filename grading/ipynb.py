"""Read a submitted file as a notebook's JSON, whatever it holds.

A submission that is not a readable notebook raises SubmissionError with the reason; a
notebook followed by stray bytes is read up to its end. The grader runs the code again
and never uses stored outputs, so a notebook heavy with them (plotly figures) is read
without them (`without_outputs`, one pass over the bytes); UTF-16 and UTF-32 text, and a
byte order mark, are read too.
"""
import json
import mmap
import re
from pathlib import Path

MAX_NOTEBOOK_BYTES = 20 * 2**20   # the notebook without its stored outputs
MAX_FILE_BYTES = 256 * 2**20      # the file as handed in, outputs and all
MAX_TOKENS = 4_000_000            # strings and brackets walked to skip stored outputs
SKIPPED_KEYS = (b'"outputs"', b'"attachments"')
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_SPACE = b" \t\r\n"


class SubmissionError(ValueError):
    """The submission is not a notebook the grader can read; the message says why."""


def clean_text(text):
    """`text` with any lone surrogate (half of a UTF-16 pair, which JSON allows and UTF-8
    cannot hold) replaced by U+FFFD; pairs are joined into their character."""
    if text.isascii():
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _value_start(data, at):
    """Index of the first byte after `at` that is not white space."""
    while at < len(data) and data[at] in _SPACE:
        at += 1
    return at


def without_outputs(data, max_tokens=MAX_TOKENS):
    """(the JSON text `data` with every "outputs" and "attachments" list or dict inside a
    cell emptied, bytes of the notebook's end or None): bytes in, bytes out, one pass.

    Raises ValueError past `max_tokens` strings and brackets (outputs nested millions deep).
    """
    keep, stack, cut, skip_level, end = [], bytearray(), 0, None, None
    for count, m in enumerate(_TOKEN.finditer(data)):
        if count > max_tokens:
            raise ValueError("its stored outputs nest too deeply to be skipped; clear them "
                             "(Edit > Clear Outputs of All Cells) and hand it in again")
        first = data[m.start()]
        if first == 0x22:  # a string: a key to skip, when a dict inside a cell holds it
            if skip_level is None and len(stack) >= 2 and stack[-1] == 0x7B and \
                    m.end() - m.start() in (9, 13) and data[m.start():m.end()] in SKIPPED_KEYS:
                colon = _value_start(data, m.end())
                if colon < len(data) and data[colon] == 0x3A:
                    value = _value_start(data, colon + 1)
                    if value < len(data) and data[value] in (0x5B, 0x7B):
                        keep.append(data[cut:value])
                        keep.append(b"[]" if data[value] == 0x5B else b"{}")
                        skip_level = len(stack)
            continue
        if first in (0x5B, 0x7B):
            stack.append(first)
        else:
            if not stack:
                break
            stack.pop()
            if skip_level is not None and len(stack) == skip_level:
                cut, skip_level = m.end(), None
            if not stack:
                end = m.end()
                break
    if skip_level is not None:
        return data, None  # unbalanced: let the parser say where
    keep.append(data[cut:end] if end is not None else data[cut:])
    return b"".join(keep), end


def _as_utf8(path, encoding):
    """The file at `path` opened for reading, as UTF-8: itself, or (UTF-16, UTF-32) a
    temporary UTF-8 copy made a megabyte at a time."""
    import codecs
    import tempfile
    if encoding == "utf-8":
        return open(path, "rb")
    copy = tempfile.TemporaryFile()
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with open(path, "rb") as f:
        while True:
            chunk = f.read(2**20)
            copy.write(decoder.decode(chunk, final=not chunk).encode("utf-8", "surrogatepass"))
            if not chunk:
                break
    copy.seek(0)
    return copy


def read_json(path):
    """The submission's JSON as a dict, and a note ("" or what was ignored). Raises SubmissionError."""
    path = Path(path)
    note = ""
    try:
        size = path.lstat().st_size
        if not path.is_file() or path.is_symlink():
            raise SubmissionError("the submission is not a regular file")
        if size > MAX_FILE_BYTES:
            raise SubmissionError(f"the notebook is {size / 2**20:.0f} MB, over the "
                                  f"{MAX_FILE_BYTES // 2**20} MB limit even with its outputs")
        if size > MAX_NOTEBOOK_BYTES:
            with open(path, "rb") as f:
                wide = json.detect_encoding(f.read(4))
            with _as_utf8(path, wide) as f, \
                    mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                raw, end = without_outputs(m)
                raw = bytes(raw)
                if end is not None and end < len(m) and m[end:].strip():
                    note = f"ignored {len(m) - end} bytes after the notebook's end"
            if len(raw) > MAX_NOTEBOOK_BYTES:
                raise SubmissionError(f"the notebook is {len(raw) / 2**20:.0f} MB without its "
                                      f"outputs, over the {MAX_NOTEBOOK_BYTES // 2**20} MB limit")
            shed = (size - len(raw)) / 2**20
            note = "; ".join(n for n in (f"its {shed:.0f} MB of stored outputs were not read "
                                         "(the grader runs the code again)", note,
                                         f"read as {wide} text" if wide != "utf-8" else "")
                             if n)
        else:
            raw = path.read_bytes()
        encoding = json.detect_encoding(raw[:4])  # a BOM, UTF-16 or UTF-32, as json does
        text = raw.decode(encoding)
        if text.startswith("\ufeff"):
            text = text[1:]
            encoding += " with a byte order mark"
        if encoding != "utf-8":
            note = "; ".join(n for n in (note, f"read as {encoding} text") if n)
    except UnicodeDecodeError as e:
        raise SubmissionError(f"the notebook is not UTF-8 text (byte {e.start})") from None
    except (OSError, ValueError) as e:
        raise SubmissionError(f"the notebook cannot be read ({getattr(e, 'strerror', e)})") from None
    try:
        return json.loads(text), note
    except json.JSONDecodeError as e:
        error = e
    except RecursionError:
        raise SubmissionError("the notebook is not valid JSON (nested too deeply)") from None
    try:  # a whole notebook followed by stray bytes: keep the notebook
        doc, end = json.JSONDecoder().raw_decode(text.lstrip())
        return doc, f"ignored {len(text.lstrip()) - end} bytes after the notebook's end"
    except (json.JSONDecodeError, RecursionError):
        raise SubmissionError(f"the notebook is not valid JSON (line {error.lineno}, column "
                              f"{error.colno}: {error.msg})") from None
