"""Which notebook of each student's folder is graded.

`find_submissions` makes a Job per submitted/<student>/<assignment>/ folder; `find_notebook`
finds the notebook in it: by its name, or the folder's one notebook (a browser's
`softmax (1).ipynb`, a renamed copy), or among several the one that holds the answers.
"""
import glob
from pathlib import Path

from grading.grade import Job
from grading.ipynb import MAX_NOTEBOOK_BYTES, SubmissionError, read_json
from grading.notebook import is_stub, student_cells


def find_submissions(coursedir, assignment, notebook, students=None, grade_ids=(),
                     others=()):
    """Jobs for every student with a submitted/<student>/<assignment>/ folder (or those named).

    The notebook is found by its name, or as the folder's one notebook (find_notebook);
    a job without one says why.
    """
    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    folders = sorted(Path(p) for p in glob.glob(glob.escape(pattern).replace("[*]", "*")))
    jobs = []
    for folder in folders:
        student = folder.parent.name
        if folder.is_symlink() or folder.parent.is_symlink() or not folder.is_dir():
            continue
        if students and student not in students:
            continue
        path, found = find_notebook(folder, notebook, grade_ids, others)
        jobs.append(Job(assignment, notebook, student, path, found))
    return jobs


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
