"""Every lesson runs from top to bottom in a fresh kernel of the project's Python, as
`./kit run` runs it; the lessons' own assertions (the accuracy bars among them) do the
checking. Each lesson is executed once per test run (`executed_lessons`, tests/conftest.py)
and its executed copy also feeds the site's tests.
"""
import nbformat
import pytest

from tools.lessons.notebooks import notebook_paths, reported_accuracies

LESSONS = [p.stem for p in notebook_paths()]


@pytest.mark.parametrize("stem", LESSONS)
def test_the_lesson_runs(executed_lessons, stem):
    result = executed_lessons[stem]
    print(f"{stem}: {result['seconds']} s")
    assert result["ok"], f"{stem} failed: {result['error']}"


@pytest.mark.parametrize("stem", [s for s in LESSONS if s[:2] in ("03", "04", "05", "07", "08", "09")])
def test_the_training_lessons_report_their_accuracy(executed_lessons, stem):
    nb = nbformat.read(executed_lessons[stem]["path"], as_version=4)
    accuracies = reported_accuracies(nb)
    assert accuracies, f"{stem} printed no 'final ... accuracy: x' line"
    assert all(0.80 < a < 0.90 for a in accuracies.values()), accuracies


def test_every_cell_of_every_lesson_ran(executed_lessons):
    """The executed copies are whole: each code cell ran, in order, and none raised."""
    for stem, result in executed_lessons.items():
        nb = nbformat.read(result["path"], as_version=4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code" and c.source.strip()]
        assert counts and None not in counts, f"{stem}: a code cell did not run"
        assert counts == sorted(counts), f"{stem}: cells ran out of order"
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"{stem}: {errors[0].ename}: {errors[0].evalue}"
