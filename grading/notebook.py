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
MAX_FILE_BYTES = 512 * 2**20      # the file as handed in, outputs and all
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


def _source_text(value):
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return value if isinstance(value, str) else ""


def _value_start(data, at):
    """Index of the first byte after `at` that is not white space."""
    while at < len(data) and data[at] in _SPACE:
        at += 1
    return at


def without_outputs(data):
    """(the JSON text `data` with every "outputs" and "attachments" list or dict inside a
    cell emptied, bytes of the notebook's end or None): bytes in, bytes out, one pass."""
    keep, stack, cut, skip_level, end = [], [], 0, None, None
    for m in _TOKEN.finditer(data):
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
            with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                raw, end = without_outputs(m)
                raw = bytes(raw)
                if end is not None and end < size and m[end:].strip():
                    note = f"ignored {size - end} bytes after the notebook's end"
            if len(raw) > MAX_NOTEBOOK_BYTES:
                raise SubmissionError(f"the notebook is {len(raw) / 2**20:.0f} MB without its "
                                      f"outputs, over the {MAX_NOTEBOOK_BYTES // 2**20} MB limit")
            shed = (size - len(raw)) / 2**20
            note = "; ".join(n for n in (f"its {shed:.0f} MB of stored outputs were not read "
                                         "(the grader runs the code again)", note) if n)
        else:
            raw = path.read_bytes()
        text = raw.decode("utf-8")
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


def source_cells(path):
    """The source notebook's cells as Cells: the kit's with hidden tests, the answers as solved."""
    doc = json.loads(Path(path).read_text())
    cells = []
    for cell in doc["cells"]:
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        text = _source_text(cell.get("source"))
        kind = "answer" if nbg.get("solution") else "kit"
        if nbg.get("grade") and not nbg.get("solution"):
            text = unhide(text)
        forbid = tuple(cell.get("metadata", {}).get("grading", {}).get("forbid", ()))
        cells.append(Cell(kind, cell["cell_type"], text, nbg.get("grade_id"), dict(nbg), forbid))
    return cells


def assemble(source, submitted):
    """The cells to grade: `source` (source_cells) with the answers and added cells of `submitted`.

    Answer cells take the student's text (empty if the student deleted the cell); kit cells
    keep the course's; a cell the student added runs after the course cell it followed.
    """
    ids = {c.grade_id: c for c in source if c.grade_id}
    plain = {(c.cell_type, c.source) for c in source if not c.grade_id}
    answers, added, anchor = {}, {None: []}, None
    for grade_id, cell_type, text in submitted:
        if grade_id in ids and grade_id not in answers:
            answers[grade_id] = (cell_type, text)
            anchor = grade_id
            added.setdefault(anchor, [])
        elif grade_id is None and (cell_type, text) in plain:
            continue
        else:
            added.setdefault(anchor, []).append(Cell("extra", cell_type, text))
    cells = list(added[None])
    for c in source:
        if c.kind == "answer":
            text = answers[c.grade_id][1] if c.grade_id in answers else ""
            cells.append(Cell("answer", c.cell_type, text, c.grade_id, c.nbgrader, c.forbid))
        else:
            cells.append(c)
        cells.extend(added.get(c.grade_id, []) if c.grade_id else [])
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
    if exact.exists() or exact.is_symlink():
        return exact, None
    try:
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".ipynb"
                       and p.stem not in others and not p.is_symlink() and p.is_file())
    except OSError:
        found = []
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
