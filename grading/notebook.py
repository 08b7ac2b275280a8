"""Read a submission, whatever it holds, and rebuild the notebook the grader runs.

The course's own cells (set-up, tests with their hidden parts, the given code) come from
source/, never from the submission: only the answer cells and the cells a student added
are the student's. A submission that is not a readable notebook raises SubmissionError
with the reason; a notebook followed by stray bytes is read up to its end. The grader
runs the code again and never uses stored outputs, so a notebook heavy with them (plotly
figures) is read without them; nbformat 3 (an old Jupyter's) is read as well as 4; and a
notebook handed in under another name (`softmax (1).ipynb`) is found (`find_notebook`).
"""
import json
import mmap
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_NOTEBOOK_BYTES = 20 * 2**20   # the notebook without its stored outputs
MAX_FILE_BYTES = 256 * 2**20      # the file as handed in, outputs and all
MAX_CELLS = 2000                  # a homework has tens
MAX_TOKENS = 4_000_000            # strings and brackets walked to skip stored outputs
STUBS = ("raise NotImplementedError()", "YOUR ANSWER HERE")  # nbgrader's, as handed out
SKIPPED_KEYS = (b'"outputs"', b'"attachments"')
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_SPACE = b" \t\r\n"
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


class SubmissionError(ValueError):
    """The submission is not a notebook the grader can read; the message says why."""


@dataclass
class Cell:
    """One cell of the notebook as graded."""

    kind: str                 # "kit" (the course's), "answer" (a solution cell), "extra"
    cell_type: str            # "code", "markdown" or "raw"
    source: str
    grade_id: str = None
    nbgrader: dict = field(default_factory=dict)  # the source cell's nbgrader metadata
    forbid: tuple = ()        # library names the answer may not use (metadata "grading")
    shown: str = None         # a test cell as students see it: without its hidden tests
    stub: str = None          # an answer cell as handed out (nbgrader's placeholder)

    @property
    def points(self):
        """The cell's points (0 for a cell that is not graded)."""
        return float(self.nbgrader.get("points", 0)) if self.nbgrader.get("grade") else 0.0

    @property
    def is_test(self):
        """An autograded test cell: a grade cell of code that is no answer."""
        return bool(self.nbgrader.get("grade")) and self.cell_type == "code" and \
            not self.nbgrader.get("solution")

    @property
    def is_written(self):
        """A written answer, graded by hand."""
        return bool(self.nbgrader.get("grade")) and bool(self.nbgrader.get("solution")) and \
            self.cell_type != "code"


def clean_text(text):
    """`text` with any lone surrogate (half of a UTF-16 pair, which JSON allows and UTF-8
    cannot hold) replaced by U+FFFD; pairs are joined into their character."""
    if text.isascii():
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _source_text(value):
    if isinstance(value, list):
        value = "".join(v for v in value if isinstance(v, str))
    return clean_text(value) if isinstance(value, str) else ""


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


def _cells_v3(doc):
    """nbformat 3's cells (in worksheets; code in "input"; headings) as nbformat 4's."""
    out = []
    for sheet in doc.get("worksheets") or []:
        for cell in (sheet.get("cells") if isinstance(sheet, dict) else None) or []:
            if not isinstance(cell, dict):
                continue
            cell = dict(cell)
            if cell.get("cell_type") == "code":
                cell["source"] = cell.get("input", "")
            elif cell.get("cell_type") == "heading":
                level = cell.get("level") if isinstance(cell.get("level"), int) else 1
                cell["cell_type"] = "markdown"
                cell["source"] = "#" * min(max(level, 1), 6) + " " + _source_text(cell.get("source"))
            out.append(cell)
    return out


def student_cells(doc):
    """[(grade_id or None, cell_type, source)] of a submission's JSON, read defensively."""
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and doc.get("nbformat") == 3 and isinstance(doc.get("worksheets"),
                                                                          list):
        cells = _cells_v3(doc)
    if not isinstance(cells, list):
        raise SubmissionError("the file is JSON but not a notebook (it has no list of cells)")
    if len(cells) > MAX_CELLS:
        raise SubmissionError(f"the notebook has {len(cells)} cells, over the limit of "
                              f"{MAX_CELLS}")
    out = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        cell_type = cell.get("cell_type")
        if cell_type not in ("code", "markdown", "raw"):
            continue
        meta = cell.get("metadata")
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        grade_id = nbg.get("grade_id") if isinstance(nbg, dict) else None
        if not (isinstance(grade_id, str) and GRADE_ID.match(grade_id)):
            grade_id = None
        out.append((grade_id, cell_type, _source_text(cell.get("source"))))
    return out


def unhide(source):
    """A test cell's source with its hidden tests kept and their marker lines removed."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in HIDDEN)


def hide(source):
    """A test cell's source as handed out: its hidden tests and their markers removed."""
    out, hidden = [], False
    for line in source.splitlines():
        if line.strip() in HIDDEN:
            hidden = line.strip() == HIDDEN[0]
        elif not hidden:
            out.append(line)
    return "\n".join(out)


def source_cells(path):
    """The source notebook's cells as Cells: the kit's with hidden tests, the answers as solved."""
    doc = json.loads(Path(path).read_text())
    cells = []
    for cell in doc["cells"]:
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        text = _source_text(cell.get("source"))
        kind = "answer" if nbg.get("solution") else "kit"
        shown = stub_of(text, cell["cell_type"]) if kind == "answer" else None
        if nbg.get("grade") and not nbg.get("solution"):
            text, shown = unhide(text), hide(text)
        forbid = tuple(cell.get("metadata", {}).get("grading", {}).get("forbid", ()))
        cells.append(Cell(kind, cell["cell_type"], text, nbg.get("grade_id"), dict(nbg), forbid,
                          None if kind == "answer" or shown == text else shown,
                          shown if kind == "answer" else None))
    return cells


SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")


def stub_of(text, cell_type):
    """An answer cell's text as nbgrader hands it out: the solution replaced by the placeholder."""
    if cell_type != "code":
        return STUBS[1]
    out, inside = [], False
    for line in text.splitlines():
        if line.strip() == SOLUTION[0]:
            indent = line[:len(line) - len(line.lstrip())]
            out += [f"{indent}# YOUR CODE HERE", f"{indent}{STUBS[0]}"]
            inside = True
        elif line.strip() == SOLUTION[1]:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out) if any(line.strip() == SOLUTION[0] for line in text.splitlines()) \
        else f"# YOUR CODE HERE\n{STUBS[0]}"


def is_stub(text, stub=None):
    """True for an answer still as handed out (`stub`, or nbgrader's placeholder alone), or emptied."""
    text = text.strip()
    if not text:
        return True
    if stub is not None:
        return " ".join(text.split()) == " ".join(stub.split())
    return text in STUBS or " ".join(text.split()) == f"# YOUR CODE HERE {STUBS[0]}"


def _align(source, submitted):
    """Grade ids for a submission whose cells lost their metadata: each answer cell of
    `source` is matched to the student's cell of its type between the same course cells."""
    kit = {}
    for i, c in enumerate(source):
        if c.kind == "kit":
            kit[(c.cell_type, c.source.strip())] = i
            kit[(c.cell_type, (c.shown or c.source).strip())] = i
    out, at = [], -1
    for _, cell_type, text in submitted:
        here = kit.get((cell_type, text.strip()))
        if here is not None:
            at = here
            out.append((source[here].grade_id, cell_type, text))
            continue
        grade_id = None
        for c in source[at + 1:]:
            if c.kind == "kit":
                break
            if c.cell_type == cell_type and c.grade_id not in {g for g, _, _ in out}:
                grade_id = c.grade_id
                break
        out.append((grade_id, cell_type, text))
    return out


def assemble(source, submitted, notes=None):
    """The cells to grade: `source` (source_cells) with the answers and added cells of `submitted`.

    Answer cells take the student's text (empty if the student deleted the cell); kit cells
    keep the course's; a cell the student added runs after the course cell it followed.
    A notebook whose cells lost their nbgrader metadata is matched by position between the
    course's cells; a written answer typed in a cell added under its answer cell, left as
    handed out, is moved into it. Each is said in `notes` (a list), for the teacher.
    """
    ids = {c.grade_id: c for c in source if c.grade_id}
    if submitted and not any(g in ids for g, _, _ in submitted):
        submitted = _align(source, submitted)
        if notes is not None and any(g in ids for g, _, _ in submitted):
            notes.append("the notebook's cells have no nbgrader metadata: answers matched "
                         "to their questions by position")
    plain = {(c.cell_type, c.source) for c in source if not c.grade_id}
    plain |= {(c.cell_type, c.shown) for c in source if c.shown}
    answers, added, anchor = {}, {None: []}, None
    for grade_id, cell_type, text in submitted:
        if grade_id in ids and grade_id not in answers:
            answers[grade_id] = (cell_type, text)
            anchor = grade_id
            added.setdefault(anchor, [])
        elif grade_id in ids and ids[grade_id].kind == "kit":
            continue  # a course cell again (duplicated): the course's is kept
        elif grade_id is None and (cell_type, text) in plain:
            continue
        else:
            added.setdefault(anchor, []).append(Cell("extra", cell_type, text))
    cells = list(added[None])
    for c in source:
        extras = added.get(c.grade_id, []) if c.grade_id else []
        if c.kind == "answer":
            text = answers[c.grade_id][1] if c.grade_id in answers else ""
            below = [e for e in extras if e.cell_type == "markdown"]
            if c.cell_type == "markdown" and is_stub(text, c.stub) and below:
                text = "\n\n".join(e.source for e in below)
                extras = [e for e in extras if e.cell_type != "markdown"]
                if notes is not None:
                    notes.append(f"the written answer {c.grade_id} was typed in a cell added "
                                 "under its answer cell: it is graded there")
            cells.append(Cell("answer", c.cell_type, text, c.grade_id, c.nbgrader, c.forbid))
        else:
            cells.append(c)
        cells.extend(extras)
    return cells


def find_notebook(folder, notebook, grade_ids=(), others=()):
    """(the path of the notebook to grade in a student's `folder`, or None; a note or None).

    `<notebook>.ipynb` if it is there; else the one notebook of the folder (a browser's
    `softmax (1).ipynb`, a renamed copy), or among several the one that holds the
    assignment's cells (`grade_ids`); `others` are the assignment's other notebooks.
    The note says which file was graded, or why none was.
    """
    folder = Path(folder)
    exact = folder / f"{notebook}.ipynb"
    try:
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".ipynb"
                       and p.stem not in others and not p.is_symlink() and p.is_file())
    except OSError:
        found = []
    if exact.exists() or exact.is_symlink():
        copies = [p for p in found if p != exact]
        if copies and grade_ids and _unanswered(exact, grade_ids):
            answered = [p for p in copies if not _unanswered(p, grade_ids)]
            if len(answered) == 1:
                return answered[0], (f"graded {answered[0].name!r}: {notebook}.ipynb is the "
                                     "notebook as handed out, unanswered")
            return exact, (f"{notebook}.ipynb is unanswered, and the folder holds "
                           f"{len(copies)} other notebooks: rename the one to grade")
        return exact, None
    if len(found) > 1 and grade_ids:
        marks = [f'"grade_id": "{g}"'.encode() for g in grade_ids]
        holding = []
        for p in found:
            try:
                with open(p, "rb") as f:
                    head = f.read(MAX_NOTEBOOK_BYTES)
            except OSError:
                continue
            if any(m in head for m in marks):
                holding.append(p)
        found = holding if len(holding) == 1 else found
    if len(found) == 1:
        return found[0], f"graded {found[0].name!r}: the folder has no {notebook}.ipynb"
    if not found:
        return None, f"no notebook handed in: the folder has no {notebook}.ipynb"
    names = ", ".join(repr(p.name) for p in found[:5])
    return None, (f"no {notebook}.ipynb, and {len(found)} other notebooks ({names}): rename "
                  "the one to grade")


def _unanswered(path, grade_ids):
    """True if the notebook at `path` holds every answer cell of `grade_ids` as handed out
    (`grade_ids`: a list, or {grade_id: the cell as handed out})."""
    try:
        doc, _ = read_json(path)
        cells = student_cells(doc)
    except SubmissionError:
        return False
    stubs = grade_ids if isinstance(grade_ids, dict) else {}
    answers = {g: text for g, _, text in cells if g in grade_ids}
    return bool(answers) and all(is_stub(text, stubs.get(g)) for g, text in answers.items())
