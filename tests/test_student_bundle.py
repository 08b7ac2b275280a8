"""The student bundle (`./kit bundle`, a student's by default) holds no answer.

No solution, no hidden test, no fixture class, no grader but the checks the notebooks' test
cells import; every line of every hidden test, and every solution of the assignments whose
tasks no lesson shows as is, are looked for in every file it holds. The teacher's bundle
holds them all.
"""
import nbformat
import pytest
from tests.kit_paths import ROOT

SOURCE = ROOT / "course" / "source"


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    """A student and a teacher bundle of the kit, without wheelhouses (seconds, no network)."""
    import tarfile
    from tools.setup import bundle
    folder = tmp_path_factory.mktemp("bundles")
    made = {}
    for kind in ("student", "teacher"):
        out = bundle.build(ROOT, folder / f"{kind}.tar", [], teacher=kind == "teacher")
        with tarfile.open(out) as tar:
            made[kind] = {m.name.split("/", 1)[1]: tar.extractfile(m).read()
                          for m in tar.getmembers() if m.isfile() and "/" in m.name}
    return made


def secrets():
    """(hidden test lines, solution blocks): every line of every hidden test, and each whole
    solution (its lines, stripped, joined) of the assignments whose tasks no lesson shows as
    is (a1, a6, a7, a8; the others' solutions are, by design, the lessons' own code)."""
    hidden, blocks = set(), []
    for path in sorted(SOURCE.glob("*/*.ipynb")):
        reshaped = path.parent.name in ("a1_softmax", "a6_gradient", "a7_calibration",
                                        "a8_tuning")
        for cell in nbformat.read(path, as_version=4).cells:
            inside, block = None, []
            for line in cell.source.splitlines():
                stripped = line.strip()
                if stripped in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                    inside, block = stripped, []
                elif stripped in ("### END SOLUTION", "### END HIDDEN TESTS"):
                    if inside == "### BEGIN SOLUTION" and reshaped and len(block) > 1:
                        blocks.append("\n".join(block))
                    inside = None
                elif inside == "### BEGIN HIDDEN TESTS" and stripped.startswith("check_"):
                    hidden.add(stripped)
                elif inside and stripped:
                    block.append(stripped)
    return hidden, blocks


def test_the_student_bundle_holds_no_solution_no_hidden_test_and_no_fixture_class(bundles):
    student, teacher = bundles["student"], bundles["teacher"]
    for path in student:
        assert not path.startswith(("course/source/", "course/source_zh/", "tests/")), path
    # Of the grader, only the checks the notebooks' test cells import (offline, on a laptop).
    checks = {path for path in teacher if path.startswith("grading/checks/")}
    assert {"grading/checks/__init__.py", "grading/checks/a1_softmax.py"} <= checks
    assert {path for path in student if path.startswith("grading/")} == {
        "grading/__init__.py", *checks}
    for name in ("tests/classes/fixture_class.py", "tests/classes/adversarial_class.py",
                 "tests/classes/adversarial/sandbox.py", "tools/course/grade.py"):
        assert name not in student and name in teacher
    for name in ("course/source/a1_softmax/softmax.ipynb", "grading/reference.py",
                 "grading/run.py"):
        assert name in teacher and name not in student
    from tools.setup.env import MODULE_FILES  # what set-up needs before .venv/ exists
    for needed in ("kit", "grading/checks/judge.py", "notebooks/01_softmax_operation.ipynb",
                   "course/nbgrader_config.py", "tools/lessons/run.py", *MODULE_FILES):
        assert needed in student, needed
    text = {path: data.decode("utf-8", "replace") for path, data in student.items()}
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS"):  # in code (the guides explain them)
        assert not [p for p, t in text.items() if marker in t and not p.endswith(".md")], marker
    hidden, blocks = secrets()
    assert len(hidden) > 40 and len(blocks) >= 10
    flat = {p: "\n".join(line.strip() for line in t.splitlines()) for p, t in text.items()}
    leaked = {(line, p) for p, t in flat.items() for line in hidden if line in t}
    assert not leaked, sorted(leaked)[:5]
    pasted = {(block.splitlines()[0], p) for p, t in flat.items() for block in blocks
              if block in t}
    assert not pasted, sorted(pasted)[:5]
    assert "A **student** bundle" in text["BUNDLE.md"] and "course/source/" in text["BUNDLE.md"]
    assert "A **teacher** bundle" in teacher["BUNDLE.md"].decode()
