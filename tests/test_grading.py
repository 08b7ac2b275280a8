"""The graded exercises in course/: the sources, the releases and a class graded.

Every source notebook passes its own tests; every student release fails them and holds
no solution and no hidden test; a fixture class of five submissions of a1_softmax is
graded by `./kit grade` (tools/course/grade.py) and each score asserted; feedback (rebuilt
after a manual grade too) and grade export work, and a student's own check says what it
should. tests/test_grading_commands.py runs the other commands of the workflow;
tests/test_grading_adversarial.py grades the students who try to fool the grader.

Everything runs on a temporary copy of course/ (tests/course_copy.py). About a minute:
each notebook's kernel imports MXNet.
"""
import csv
import json
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from tests.course_copy import ASSIGNMENTS, COURSE, FIXTURE, PASSED, SOURCES, Course

# The fixture class (tests/classes/fixture_class.py): which autograded cells each student fails.
FAILS = {
    "correct": set(),
    "overflow": {"test_softmax", "test_softmax_hidden"},  # the visible test: logits ~ 1000
    "batch_max": {"test_softmax_hidden"},  # the hidden tests only: rows ~ 1000 and ~ -1000
    "empty": {"test_softmax", "test_softmax_hidden", "test_logsumexp"},
    "wrong_shape": {"test_softmax", "test_softmax_hidden"},  # softmax's points, not logsumexp's
}
UNANSWERED = "unanswered"  # hands in every release as it was given
TUNE_BY_TEST = """\
results = []
for lr in candidates:
    candidate, trainer = make_net(lr)
    for epoch in range(num_epochs):
        train_epoch(candidate, train_iter, loss, trainer)
    results.append({"lr": lr, "val_acc": evaluate_accuracy(candidate, val_iter),
                    "test_acc": evaluate_accuracy(candidate, test_iter)})
chosen = max(results, key=lambda r: r["test_acc"])
net, trainer = make_net(chosen["lr"])
for epoch in range(num_epochs):
    train_epoch(net, full_iter, loss, trainer)
test_acc = evaluate_accuracy(net, test_iter)
"""
# Wrong answers of later assignments that earned their points before the tests were
# reshaped, graded for real: (assignment, student, {answer: source}, the cells it fails).
WRONG = [
    ("a5_devices", "never_asks", {"try_gpu": "def try_gpu(i=0):\n    return mx.cpu()\n\n\n"
                                             "def try_all_gpus():\n    return [mx.cpu()]\n"},
     {"test_try_gpu"}),
    ("a8_tuning", "chooses_by_test", {"tune": TUNE_BY_TEST}, {"test_choice"}),
]


def write_submission(course, assignment, student, answers):
    """The release of `assignment` answered with the source's solutions, but `answers`."""
    source = next(p for p in SOURCES if p.parent.name == assignment)
    solutions = {_nbgrader(c)["grade_id"]: "\n".join(
        line for line in c.source.splitlines()
        if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
        for c in _cells(source) if _nbgrader(c).get("solution")}
    release = course.dir / "release" / assignment / source.name
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        grade_id = _nbgrader(cell).get("grade_id")
        if grade_id in solutions:
            cell.source = answers.get(grade_id, solutions[grade_id])
    target = course.dir / "submitted" / student / assignment / source.name
    target.parent.mkdir(parents=True)
    nbformat.write(nb, str(target))
SHAPE_MESSAGE = "expected shape (256, 10), got (10, 256)"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course copy with every assignment generated into release/ (all in one command)."""
    c = Course(tmp_path_factory.mktemp("grading"))
    c.generate("*")
    return c


@pytest.fixture(scope="module")
def graded(course):
    """The fixture class written into submitted/ (./kit fake-class), graded by ./kit grade,
    exported; its JSON report."""
    proc = subprocess.run([sys.executable, "-m", "tools.cli", "fake-class", "--course",
                           str(course.dir)], env=course.env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for release in course.dir.glob("release/*/*.ipynb"):  # every release, handed in as is
        target = course.dir / "submitted" / UNANSWERED / release.parent.name / release.name
        target.parent.mkdir(parents=True)
        shutil.copy(release, target)
    for assignment, student, answers, _ in WRONG:
        write_submission(course, assignment, student, answers)
    report = course.root / "report.json"
    course.grade("--all", "--json", str(report))  # every source notebook runs once, too
    course.nbgrader("export")
    return json.loads(report.read_text())


def _cells(path):
    return nbformat.read(path, as_version=4).cells


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def _between(source, begin, end):
    """The lines of `source` inside begin/end marker lines."""
    inside, out = False, []
    for line in source.splitlines():
        if line.strip() == begin:
            inside = True
        elif line.strip() == end:
            inside = False
        elif inside:
            out.append(line.strip())
    return out


def _outside(source, *pairs):
    """The lines of `source` outside every begin/end pair of marker lines."""
    lines = source.splitlines()
    for begin, end in pairs:
        keep, inside = [], False
        for line in lines:
            if line.strip() == begin:
                inside = True
            elif line.strip() == end:
                inside = False
            elif not inside:
                keep.append(line)
        lines = keep
    return [line.strip() for line in lines]


SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


# ---------------------------------------------------------------- the sources, as committed

def test_every_lesson_has_an_assignment():
    """An assignment for each of the lessons 01 to 08, numbered as they are."""
    numbers = [int(name[1:name.index("_")]) for name in ASSIGNMENTS]
    assert numbers == list(range(1, 9)), f"expected assignments a1 to a8, found {ASSIGNMENTS}"
    assert ASSIGNMENTS == sorted(ASSIGNMENTS) and len(set(ASSIGNMENTS)) == len(SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=ASSIGNMENTS)
def test_source_notebook_is_well_formed(path):
    """No outputs; a python3 kernel; solutions and hidden tests marked; one written question."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    ids = [_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c)]
    assert len(ids) == len(set(ids)), f"duplicate grade_id in {ids}"
    written, hidden = [], 0
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, \
                f"{path.name}: cell {cell.get('id')} has outputs: clear them before committing"
        if meta.get("grade"):
            assert meta.get("points", 0) > 0, f"grade cell {meta['grade_id']} has no points"
        if meta.get("solution") and cell.cell_type == "code":
            assert _between(cell.source, *SOLUTION), \
                f"solution cell {meta['grade_id']} lacks ### BEGIN/END SOLUTION"
        if meta.get("solution") and meta.get("grade") and cell.cell_type == "markdown":
            written.append(meta["grade_id"])
        hidden += bool(_between(cell.source, *HIDDEN))
        if meta.get("grade") and cell.cell_type == "code":
            visible = [line for line in _outside(cell.source, HIDDEN)
                       if line and not line.startswith("#")]
            assert visible, f"test cell {meta['grade_id']} has no visible test: it would " \
                            "pass in the release, and give students no feedback"
    assert written, f"{path.name} has no written question graded by hand"
    assert hidden, f"{path.name} has no hidden tests"


def test_course_readme_states_each_assignments_points():
    """course/README.md's table gives each assignment's total points as its notebook does."""
    readme = (COURSE / "README.md").read_text()
    for path, name in zip(SOURCES, ASSIGNMENTS):
        total = sum(_nbgrader(c).get("points", 0) for c in _cells(path) if _nbgrader(c).get("grade"))
        row = re.search(rf"^\| `{name}` .*\| (\d+) \((\d+)\) \|$", readme, re.M)
        assert row, f"course/README.md has no row for {name}"
        assert int(row.group(1)) == total, f"{name}: the README says {row.group(1)}, the notebook {total}"
        written = sum(_nbgrader(c).get("points", 0) for c in _cells(path)
                      if _nbgrader(c).get("grade") and c.cell_type == "markdown")
        assert written <= int(row.group(2)) < total, name


# ---------------------------------------------------------------- validate: sources and releases

def test_sources_pass_their_own_tests(graded):
    """`./kit grade --all` runs every source notebook first, sandboxed; each passed all its tests."""
    assert graded["problems"] == [], graded["problems"]
    assert {s["assignment"] for s in graded["submissions"]} == set(ASSIGNMENTS)


def test_releases_fail_their_tests(course, graded):
    """Each release, handed in as it is (student `unanswered`), fails every test: 0 points."""
    releases = sorted(course.dir.glob("release/*/*.ipynb"))
    assert [p.parent.name for p in releases] == ASSIGNMENTS
    got = {s["assignment"]: s for s in graded["submissions"] if s["student"] == UNANSWERED}
    assert sorted(got) == ASSIGNMENTS
    for name, entry in got.items():
        assert entry["score"] == 0 and entry["max_score"] > 0, entry
        assert all(status != "passed" for _, _, status, _ in entry["cells"].values()), entry


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(course, name):
    source = next(p for p in SOURCES if p.parent.name == name)
    release = course.dir / "release" / name / source.name
    src_cells, rel_cells = _cells(source), _cells(release)
    released = "\n".join(c.source for c in rel_cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in released, f"{release.name} contains {marker!r}"
    # Lines that only the solutions or the hidden tests have must not reach the release.
    public = set()
    secret = {}
    for cell in src_cells:
        meta = _nbgrader(cell)
        if meta.get("solution") and cell.cell_type == "markdown":
            secret.update((line.strip(), "the written answer")
                          for line in cell.source.splitlines())
            continue
        public.update(_outside(cell.source, SOLUTION, HIDDEN))
        secret.update((line, f"solution {meta.get('grade_id')}")
                      for line in _between(cell.source, *SOLUTION))
        secret.update((line, f"hidden test of {meta.get('grade_id')}")
                      for line in _between(cell.source, *HIDDEN))
    released_lines = {line.strip() for line in released.splitlines()}
    for line, what in secret.items():
        if line and line not in public:
            assert line not in released_lines, f"{release.name} leaks a line of {what}: {line!r}"
    by_id = {_nbgrader(c).get("grade_id"): c for c in rel_cells if _nbgrader(c)}
    for cell in src_cells:
        meta = _nbgrader(cell)
        if meta.get("solution"):
            stub = "raise NotImplementedError()" if cell.cell_type == "code" else "YOUR ANSWER HERE"
            assert stub in by_id[meta["grade_id"]].source


# ---------------------------------------------------------------- autograde the fixture class

def test_fixture_class_scores(course, graded, capsys):
    """correct: full marks; overflow and wrong_shape: softmax's points; batch_max: the hidden
    tests'; empty: zero."""
    from nbgrader.api import Gradebook
    assignment, notebook = FIXTURE
    with capsys.disabled():  # the time belongs in the test command's output
        print(f"\n./kit grade --all: {graded['seconds']:.1f} s for "
              f"{len(graded['submissions'])} submissions and the {len(SOURCES)} source notebooks' runs "
              "(two workers)")
    rows = {r["student_id"]: r for r in csv.DictReader(open(course.dir / "grades.csv"))
            if r["assignment"] == assignment
            and r["student_id"] not in {UNANSWERED, *(w[1] for w in WRONG)}}
    assert set(rows) == set(FAILS)
    with Gradebook(f"sqlite:///{course.dir / 'gradebook.db'}", "softmax-kit") as gb:
        for student, fails in FAILS.items():
            nb = gb.find_submission_notebook(notebook, assignment, student)
            code = {g.name: (g.auto_score, g.max_score) for g in nb.grades
                    if g.cell.cell_type == "code"}
            assert fails <= set(code)
            failed = {name for name, (score, top) in code.items() if score != top}
            assert failed == fails, f"{student}: failed {failed}, expected {fails}"
            lost = sum(code[name][1] for name in fails)
            assert nb.code_score == nb.max_code_score - lost, student
            assert float(rows[student]["score"]) == nb.code_score + nb.written_score
    with Gradebook(f"sqlite:///{course.dir / 'gradebook.db'}", "softmax-kit") as gb:
        correct = gb.find_submission_notebook(notebook, assignment, "correct")
        empty = gb.find_submission_notebook(notebook, assignment, "empty")
        assert correct.code_score == correct.max_code_score > 0
        assert correct.needs_manual_grade  # the written answer waits for the teacher
        assert empty.score == 0 and not empty.needs_manual_grade  # unanswered: 0, nothing to read


@pytest.mark.parametrize("assignment, student, answers, fails", WRONG,
                         ids=[w[1] for w in WRONG])
def test_a_wrong_answer_loses_its_task_and_only_it(graded, assignment, student, answers, fails):
    """a5's try_gpu that never asks, a8's tuning that chooses by the test set: graded, each
    loses exactly its task's test cells, and the feedback says why without the answer."""
    entry = next(s for s in graded["submissions"]
                 if s["student"] == student and s["assignment"] == assignment)
    failed = {name for name, (_, _, status, _) in entry["cells"].items() if status != "passed"}
    assert failed == fails, entry
    messages = " ".join(str(cell[3]) for cell in entry["cells"].values())
    assert {"never_asks": "on a machine with 1 GPU should be gpu(0), got cpu(0)",
            "chooses_by_test": "results holds a test accuracy (test_acc)"}[student] in messages


def feedback_page(course, student):
    return (course.dir / "feedback" / student / FIXTURE[0] / f"{FIXTURE[1]}.html").read_text()


def test_student_feedback_names_the_shape(course, graded):
    html = {s: feedback_page(course, s) for s in FAILS}
    assert SHAPE_MESSAGE in html["wrong_shape"]
    assert "nan in softmax(X) for logits around 1000" in html["overflow"]
    assert ("nan in softmax(X) for logits around 1000 in some rows and around -1000 in others"
            in html["batch_max"])
    assert SHAPE_MESSAGE not in html["correct"]
    graded_nb = course.dir / "autograded" / "correct" / FIXTURE[0] / f"{FIXTURE[1]}.ipynb"
    outputs = [o for c in _cells(graded_nb) if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]


def test_feedback_after_manual_grading(course, graded):
    """The teacher grades the written answer; `./kit grade --feedback` shows it, and the total."""
    from nbgrader.api import Gradebook
    assignment, notebook = FIXTURE
    assert "? / 4 points, waiting for your teacher" in feedback_page(course, "correct")
    with Gradebook(f"sqlite:///{course.dir / 'gradebook.db'}", "softmax-kit") as gb:
        gb.find_grade("answer", notebook, assignment, "correct").manual_score = 4
        gb.db.commit()
    proc = course.grade("--feedback", assignment)
    assert f"wrote {len(FAILS) + 1} feedback pages" in proc.stdout  # and `unanswered`
    page = feedback_page(course, "correct")
    assert "answer: 4 / 4 points" in page and "Score: <b>10 / 10</b>" in page


def test_students_own_check(course, graded):
    """What `nbgrader validate` tells a student: batch_max looks fine (its faults are hidden);
    overflow does not (the visible test has logits around 1000), nor does wrong_shape."""
    submitted = course.dir / "submitted"
    batch_max, overflow, wrong = (submitted / student / FIXTURE[0] / f"{FIXTURE[1]}.ipynb"
                                  for student in ("batch_max", "overflow", "wrong_shape"))
    out = course.nbgrader("validate", str(batch_max), str(overflow), str(wrong)).stdout
    assert out.startswith(PASSED), out
    flat = re.sub(r"\s+", " ", out)
    assert "VALIDATION FAILED ON 1 CELL(S)" in flat and "VALIDATION FAILED ON 2 CELL(S)" in flat
    assert "nan in softmax(X) for logits around 1000" in out
    assert SHAPE_MESSAGE in out
