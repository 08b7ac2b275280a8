"""Read a submission, whatever it holds, and rebuild the notebook the grader runs.

The course's own cells (set-up, tests with their hidden parts, the given code) come from
source/, never from the submission: only the answer cells and the cells a student added
are the student's. A submission that is not a readable notebook raises SubmissionError
with the reason; a notebook followed by stray bytes is read up to its end.
"""
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_NOTEBOOK_BYTES = 20 * 2**20
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


def read_json(path):
    """The submission's JSON as a dict, and a note ("" or what was ignored). Raises SubmissionError."""
    path = Path(path)
    try:
        size = path.lstat().st_size
        if not path.is_file() or path.is_symlink():
            raise SubmissionError("the submission is not a regular file")
        if size > MAX_NOTEBOOK_BYTES:
            raise SubmissionError(f"the notebook is {size / 2**20:.0f} MB, over the "
                                  f"{MAX_NOTEBOOK_BYTES // 2**20} MB limit")
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise SubmissionError(f"the notebook is not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise SubmissionError(f"the notebook cannot be read ({e.strerror})") from None
    try:
        return json.loads(text), ""
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


def student_cells(doc):
    """[(grade_id or None, cell_type, source)] of a submission's JSON, read defensively."""
    cells = doc.get("cells") if isinstance(doc, dict) else None
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
