"""Rebuild the notebook the grader runs, from the course's source and a student's cells.

The course's own cells (set-up, tests with their hidden parts, the given code) come from
source/, never from the submission: only the answer cells and the cells a student added
are the student's. A submission's cells are read defensively from its JSON
(grading.ipynb reads the file), nbformat 3 (an old Jupyter's) as well as 4.
"""
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from grading.ipynb import SubmissionError, clean_text

MAX_CELLS = 2000                  # a homework has tens
STUBS = ("raise NotImplementedError()", "YOUR ANSWER HERE")  # nbgrader's, as handed out
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


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


def _source_text(value):
    if isinstance(value, list):
        value = "".join(v for v in value if isinstance(v, str))
    return clean_text(value) if isinstance(value, str) else ""


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
