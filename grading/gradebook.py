"""nbgrader's gradebook and autograded/ notebooks, written by the grader process alone.

The course's nbgrader_config.py decides the course id and the database (its db_url:
the course's gradebook.db by default, or a shared PostgreSQL). Scores go where nbgrader's
own autograde puts them, so formgrader, `nbgrader export` and the feedback commands read
them as usual; a manual grade already given is kept, and marked for review as nbgrader
does. A submission that needs the teacher's attention is flagged.

Student markdown (a written answer, a cell the student added) goes into the autograded
notebook as a fenced code block: formgrader renders that notebook with nbconvert's
markdown, which would make links (javascript:, data:) and decode entities; inside a
fence every character shows as written and nothing forms a link, an image or a tag.
When the grader runs as root, every file and folder it makes belongs to the course
folder's owner.
"""
import os
import re
import stat
import tempfile
from pathlib import Path

import nbformat

# The files nbgrader's exchange puts beside a submitted notebook and feedback needs.
KEPT_FILES = ("timestamp.txt", "submission_secret.txt")
MAX_KEPT_BYTES = 4096


def course_settings(course_dir):
    """nbgrader's CourseDirectory for the course folder, from its nbgrader_config.py."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    coursedir = CourseDirectory(config=config)
    if not config.CourseDirectory.get("root"):
        coursedir.root = str(course_dir)
    return coursedir


def make_folder(folder, owner=None):
    """mkdir -p `folder`; the folders it makes belong to `owner` ((uid, gid) or None)."""
    folder = Path(folder)
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for made in reversed(missing):
        made.mkdir(exist_ok=True)
        if owner:
            os.lchown(made, *owner)


def atomic_write(path, data, owner=None):
    """Write bytes or text to `path` through a temporary file: never half a file.

    owner: (uid, gid) the file (and any folder made for it) belongs to, or None.
    """
    path = Path(path)
    make_folder(path.parent, owner)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)
        if owner:
            os.lchown(tmp, *owner)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def kept_files(folder):
    """{name: text} of the exchange's small files beside a submission: plain files only."""
    out = {}
    for name in KEPT_FILES:
        path = Path(folder) / name
        try:
            st = path.lstat()
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_size <= MAX_KEPT_BYTES:
            out[name] = path.read_text(errors="replace")
    return out


def timestamp_of(kept):
    """The submission's time from its timestamp.txt, or None."""
    from nbgrader.utils import parse_utc
    text = kept.get("timestamp.txt", "").strip()
    try:
        return parse_utc(text) if text else None
    except (ValueError, OverflowError, TypeError):
        return None


def fenced(text):
    """`text` as a markdown fenced code block: shown as written, never a link, image or tag.

    The fence is longer than any run of backticks in the text, so no line of it can close
    the block; inside, markdown makes no link and decodes no entity, and HTML is escaped.
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def autograded_notebook(cells, runs, verdicts, note=None):
    """The graded notebook (nbformat v4): every cell, its outputs, each test's verdict."""
    by_id = {v.grade_id: v for v in verdicts}
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    if note:
        cell = nbformat.v4.new_markdown_cell(f"**Grader's note:**\n\n{fenced(note)}")
        cell.metadata["grading"] = {"origin": "grader"}
        nb.cells.append(cell)
    for i, c in enumerate(cells):
        text = c.source
        if c.cell_type == "markdown" and c.kind != "kit":
            text = fenced(c.source)  # the text as written is kept in the metadata below
        if c.cell_type == "code":
            cell = nbformat.v4.new_code_cell(text)
            run = runs.get(i)
            outputs = [o for o in (run.outputs if run else [])
                       if not (c.is_test and o["output_type"] == "error")]
            if c.is_test and by_id.get(c.grade_id) and by_id[c.grade_id].status != "passed":
                outputs.append({"output_type": "error", "ename": "AssertionError",
                                "evalue": by_id[c.grade_id].message, "traceback": []})
            cell.outputs = [nbformat.from_dict(o) for o in outputs]
        elif c.cell_type == "markdown":
            cell = nbformat.v4.new_markdown_cell(text)
        else:
            cell = nbformat.v4.new_raw_cell(text)
        if c.nbgrader:
            cell.metadata["nbgrader"] = dict(c.nbgrader)
        cell.metadata["grading"] = {"origin": "course" if c.kind == "kit" else "student"}
        if text != c.source:
            cell.metadata["grading"]["text"] = c.source
        if c.kind == "kit" and c.shown:  # the student's feedback shows no hidden test
            cell.metadata["grading"]["shown"] = c.shown
        nb.cells.append(cell)
    return nb


def _unchanged(cell, checksum):
    """True if a written answer is still the stub the student was given (nbgrader's rule)."""
    from nbgrader.utils import compute_checksum
    node = nbformat.from_dict({"cell_type": cell.cell_type, "source": cell.source,
                               "metadata": {"nbgrader": dict(cell.nbgrader)}})
    return checksum is not None and compute_checksum(node) == checksum


class Book:
    """The grader's one connection to the gradebook."""

    def __init__(self, coursedir):
        from nbgrader.api import Gradebook
        self.coursedir = coursedir
        self.gb = Gradebook(coursedir.db_url, coursedir.course_id)
        self._checksums = {}

    def checksums(self, assignment, notebook):
        """{grade_id: checksum} of the notebook's cells as generate_assignment recorded them."""
        key = (assignment, notebook)
        if key not in self._checksums:
            nb = self.gb.find_notebook(notebook, assignment)
            self._checksums[key] = {c.name: c.checksum for c in nb.source_cells}
        return self._checksums[key]

    def rollback(self):
        """Undo what a failed record left half-done in the session."""
        self.gb.db.rollback()

    def close(self, owner=None):
        """Close the connection; a SQLite gradebook's files then belong to `owner`, if given."""
        self.gb.close()
        url = str(self.coursedir.db_url)
        if owner and url.startswith("sqlite:///"):
            path = Path(url[len("sqlite:///"):])
            for f in (path, path.with_name(path.name + "-journal"),
                      path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                if f.is_file() and not f.is_symlink() and f.stat().st_uid != owner[0]:
                    os.lchown(f, *owner)

    def notebooks(self, assignment):
        """The notebook names of an assignment, as generate_assignment recorded them."""
        from nbgrader.api import MissingEntry
        try:
            return [nb.name for nb in self.gb.find_assignment(assignment).notebooks]
        except MissingEntry:
            return None

    def record(self, assignment, notebook, student, cells, verdicts, flagged, timestamp=None):
        """Store one submission's scores: tests from `verdicts`, written answers by nbgrader's rule."""
        gb = self.gb
        gb.update_or_create_student(student)
        if timestamp is not None:
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(assignment, student)
        scores = {v.grade_id: v.score for v in verdicts}
        checksums = self.checksums(assignment, notebook)
        for c in cells:
            if not c.grade_id or not (c.nbgrader.get("grade") or c.nbgrader.get("solution")):
                continue
            unchanged = (_unchanged(c, checksums.get(c.grade_id)) if c.kind == "answer"
                         else False)
            if c.nbgrader.get("grade"):
                grade = gb.find_grade(c.grade_id, notebook, assignment, student)
                if c.is_test:
                    grade.auto_score = scores.get(c.grade_id, 0.0)
                else:
                    grade.auto_score = 0.0 if unchanged else None
                grade.needs_manual_grade = (grade.manual_score is not None
                                            or grade.auto_score is None)
            if c.nbgrader.get("solution"):
                comment = gb.find_comment(c.grade_id, notebook, assignment, student)
                comment.auto_comment = "No response." if unchanged else None
        gb.find_submission_notebook(notebook, assignment, student).flagged = bool(flagged)
        gb.db.commit()

    def record_missing(self, assignment, notebook, student, flagged=False):
        """A submission without this notebook: every grade 0, as nbgrader does; flagged if asked."""
        self.gb.update_or_create_student(student)
        self.gb.update_or_create_submission(assignment, student)
        nb = self.gb.find_submission_notebook(notebook, assignment, student)
        for grade in nb.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        nb.flagged = bool(flagged)
        self.gb.db.commit()

    def scores(self, assignment, notebook, student):
        """{grade_id: (score or None, max, needs manual grade)} as the gradebook has them now."""
        nb = self.gb.find_submission_notebook(notebook, assignment, student)
        return {g.name: (None if g.manual_score is None and g.auto_score is None else g.score,
                         g.max_score, g.needs_manual_grade) for g in nb.grades}


def write_autograded(coursedir, assignment, notebook, student, nb, kept, owner=None):
    """autograded/<student>/<assignment>/<notebook>.ipynb and the exchange's small files."""
    folder = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    atomic_write(folder / f"{notebook}.ipynb", nbformat.writes(nb), owner)
    for name, text in kept.items():
        atomic_write(folder / name, text, owner)
    return folder
