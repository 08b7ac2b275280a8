"""Write a fake class of five students' submissions of a1_softmax, to try grading on.

From the kit's folder (course/README.md, "Try it on a fake class first"):

    cd course && ../.venv/bin/nbgrader generate_assignment a1_softmax --force && cd ..
    ./kit fake-class
    ./kit grade a1_softmax

(not ``nbgrader autograde``: this course's nbgrader_config.py refuses it, since it would
run the students' code unsandboxed; ``./kit grade`` grades each submission in a sandbox.)

Each student starts from the released notebook (release/a1_softmax/softmax.ipynb) and
answers the way the name says; submitted/<student>/a1_softmax/softmax.ipynb is the result:

- correct:     the source notebook's solutions (and its written answer);
- overflow:    the textbook softmax, exp(X) / sum: right for small logits, nan for large;
- batch_max:   a softmax that subtracts the whole batch's maximum, not each row's: right
               while every row is on one scale, nan for a row around -1000 beside one
               around 1000;
- empty:       the release as handed out, nothing answered;
- wrong_shape: a stable softmax that returns the transpose, (q, batch).

Every student but `empty` answers log-sum-exp and the question with the solutions, so
each score differs from full marks by the softmax points alone. Generated from the current
source and release every time, the answers cannot drift from the notebooks.
tests/test_grading.py grades this class and checks each student's score. It lives with
the tests (tests/classes/), which a student bundle leaves out; `./kit fake-class` runs it.
"""
import argparse
import sys
from pathlib import Path

import nbformat

COURSE = Path(__file__).resolve().parents[2] / "course"  # the kit's own course
ASSIGNMENT, NOTEBOOK = "a1_softmax", "softmax.ipynb"

OVERFLOW = '''\
def softmax(X, axis=-1):
    """Softmax of logits X along axis."""
    X_exp = np.exp(X)
    partition = X_exp.sum(axis=axis, keepdims=True)
    return X_exp / partition
'''

BATCH_MAX = '''\
def softmax(X, axis=-1):
    """Softmax of logits X along axis, shifted by the largest logit of the batch."""
    X_exp = np.exp(X - X.max())
    return X_exp / X_exp.sum(axis=axis, keepdims=True)
'''

WRONG_SHAPE = '''\
def softmax(X):
    """Row-wise softmax of logits X: (batch, q) -> (batch, q)."""
    X_exp = np.exp(X - X.max(axis=1, keepdims=True))
    return (X_exp / X_exp.sum(axis=1, keepdims=True)).T
'''

# student -> {grade_id of a solution cell: its source}; None: leave the release as it is
STUDENTS = {
    "correct": {},
    "overflow": {"softmax": OVERFLOW},
    "batch_max": {"softmax": BATCH_MAX},
    "empty": None,
    "wrong_shape": {"softmax": WRONG_SHAPE},
}


def strip_markers(source):
    """A solution cell's source without nbgrader's BEGIN/END SOLUTION lines, as a student writes it."""
    keep = [line for line in source.splitlines()
            if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    return "\n".join(keep)


def solutions(course):
    """{grade_id: source} of the solution cells of the source notebook, markers stripped."""
    nb = nbformat.read(course / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    return {c.metadata.nbgrader["grade_id"]: strip_markers(c.source) for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def write_class(course=COURSE):
    """Write submitted/<student>/a1_softmax/softmax.ipynb for every student; return their paths."""
    course = Path(course).resolve()
    release = course / "release" / ASSIGNMENT / NOTEBOOK
    if not release.is_file():
        nbgrader = Path(sys.executable).parent / "nbgrader"
        sys.exit(f"{release} is missing: make the student copy first: "
                 f"cd {course} && {nbgrader} generate_assignment {ASSIGNMENT} --force")
    answers = solutions(course)
    paths = []
    for student, overrides in STUDENTS.items():
        nb = nbformat.read(release, as_version=4)
        if overrides is not None:
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id in answers:
                    cell.source = overrides.get(grade_id, answers[grade_id])
        path = course / "submitted" / student / ASSIGNMENT / NOTEBOOK
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
        paths.append(path)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--course", type=Path, default=COURSE,
                        help="the course folder (default: the kit's course/)")
    args = parser.parse_args(argv)
    for path in write_class(args.course):
        print(path.relative_to(args.course.resolve()))


if __name__ == "__main__":
    main()
