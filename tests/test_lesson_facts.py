"""What the lessons say about themselves holds: every "notebook NN" names a notebook that
exists, a topic is sent to the notebook that teaches it, the notebooks of the original
lesson use d2l as it does and every `d2l.` call there exists and runs, the asides stay
out of the main path, and the figures show what the exercises produce.

Most tests read the stored notebooks (fast); the one on d2l calls reads the lessons as
executed once per run (`executed_lessons`, tests/conftest.py).
"""
import ast
import importlib
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NUMBERS = {p.name[:2] for p in LESSONS}
COURSE = sorted((ROOT / "course").glob("source/*/*.ipynb"))
# The original lesson's notebooks: d2l 0.17's sections 3.5, 3.6, 3.7 and 5.6, whose code
# imports d2l (3.4, notebook 01, has no code of its own).
ORIGINAL_D2L = ("02", "03", "04", "05")

# Topic -> the notebooks that teach it. A passage that sends the reader to one notebook
# for a topic must send them to one of these.
TOPICS = {
    r"calibrat": {"01", "07"},
    r"confus": {"07"},
    r"temperature": {"01", "07"},
    r"reliability|expected calibration error|\bECE\b": {"07"},
    r"overflow|log-sum-exp|numerical(ly)? stab": {"04", "06"},
    r"finite difference|gradient check": {"06"},
    r"validation": {"07", "08"},
    r"in[- ]memory": {"02"},
    r"hybridi": {"04", "05"},
    r"data parallelism|several devices": {"05"},
    r"\btun(e|es|ed|ing)\b": {"08"},
    r"template": {"07"},
}
# Where each of these is taught: a heading of that notebook names it.
HEADINGS = {
    "01": [r"softmax", r"one-hot", r"maximum likelihood", r"entropy", r"accuracy directly",
           r"calibration", r"linear model"],
    "02": [r"dataset", r"classes", r"minibatch", r"in memory"],
    "03": [r"initializing", r"softmax", r"loss", r"accuracy", r"training", r"prediction",
           r"d2l", r"asynchronous"],
    "04": [r"model", r"logits", r"loss function", r"training"],
    "05": [r"device", r"copy", r"small", r"data parallelism"],
    "06": [r"overflow", r"maximum", r"softmax minus one-hot", r"finite differences"],
    "07": [r"validation split", r"reliability diagram", r"temperature scaling", r"confused",
           r"confident mistakes", r"templates"],
    "08": [r"standardization", r"weight decay", r"validation split", r"like with like",
           r"test set, once"],
}
REFERENCE = re.compile(r"\b[Nn]otebooks? ((?:\d\d)(?:(?:,| and| to| or)+ \d\d)*)")


def cells(path):
    return nbformat.read(path, as_version=4).cells


def passages(text):
    """A markdown text cut into list items (whole) and the sentences of its paragraphs."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        for part in re.split(r"\n(?=\s*(?:\d+\.|\*|-) )", block):
            if re.match(r"\s*(?:\d+\.|\*|-) ", part):
                out.append(part)
            else:
                out += re.split(r"(?<=[.?!])\s+(?=[A-Z(*`$])", part)
    return [p for p in out if p.strip()]


def referenced(text):
    """The two-digit notebook numbers a text refers to ("notebooks 03 to 05": 03, 04, 05)."""
    found = []
    for group in REFERENCE.findall(text):
        numbers = re.findall(r"\d\d", group)
        if " to " in group and len(numbers) == 2:
            numbers = [f"{n:02d}" for n in range(int(numbers[0]), int(numbers[1]) + 1)]
        found += numbers
    return found


def misdirections(text, own=None):
    """Passages of `text` that send the reader to one notebook for a topic it does not teach."""
    wrong = []
    for passage in passages(text):
        refs = set(referenced(passage)) - {own}
        if len(refs) != 1:
            continue
        homes = set().union(*(h for t, h in TOPICS.items() if re.search(t, passage, re.I)))
        if homes and not refs & homes:
            wrong.append(f"notebook {refs.pop()} for {sorted(homes)}: {passage.strip()[:120]}")
    return wrong


def prose_of(path):
    return "\n\n".join(c.source for c in cells(path))


# ---------------------------------------------------------------- notebook references

@pytest.mark.parametrize("path", LESSONS + COURSE, ids=lambda p: p.name)
def test_every_notebook_named_exists(path):
    missing = sorted(set(referenced(prose_of(path))) - NUMBERS)
    assert not missing, f"{path.name} names notebooks {missing}; there are {sorted(NUMBERS)}"


def test_readmes_name_existing_notebooks():
    for readme in (ROOT / "README.md", ROOT / "course" / "README.md"):
        missing = sorted(set(referenced(readme.read_text())) - NUMBERS)
        assert not missing, f"{readme.name} names notebooks {missing}"


@pytest.mark.parametrize("path", LESSONS + COURSE, ids=lambda p: p.name)
def test_topics_point_to_the_notebook_that_teaches_them(path):
    own = path.name[:2] if path in LESSONS else None
    text = "\n\n".join(c.source for c in cells(path) if c.cell_type == "markdown")
    assert not misdirections(text, own), misdirections(text, own)


def test_the_topic_check_catches_a_wrong_notebook():
    """The two slips the lessons once had: calibration and the confusion matrix sent to 06."""
    assert misdirections("The softmax makes outputs that *look* like probabilities, but "
                         "nothing in its formula makes them calibrated: that is a property "
                         "of a trained model, to be measured (notebook 06 does).")
    assert misdirections("3. Which two classes do you expect to be confused most often?\n"
                         "   we will check it in notebook 06.")
    assert not misdirections("measured, for calibration, in notebook 07.")
    assert referenced("notebooks 03 to 05, and notebook 01") == ["03", "04", "05", "01"]


@pytest.mark.parametrize("number", sorted(HEADINGS))
def test_each_notebook_has_the_headings_of_what_it_teaches(number):
    path = next(p for p in LESSONS if p.name.startswith(number))
    headings = "\n".join(line for c in cells(path) if c.cell_type == "markdown"
                         for line in c.source.splitlines() if line.startswith("#"))
    missing = [t for t in HEADINGS[number] if not re.search(t, headings, re.I)]
    assert not missing, f"{path.name} has no heading on {missing}:\n{headings}"


# ---------------------------------------------------------------- d2l, as in the original

def d2l_names(path):
    """(cell index, name, called) of every `d2l.name` in the notebook's code."""
    found = []
    for i, cell in enumerate(cells(path)):
        if cell.cell_type != "code":
            continue
        source = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith("%"))
        tree = ast.parse(source)
        calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "d2l":
                found.append((i, node.attr, id(node) in calls))
    return found


@pytest.mark.parametrize("number", ORIGINAL_D2L)
def test_the_original_lessons_notebooks_import_and_use_d2l(number):
    path = next(p for p in LESSONS if p.name.startswith(number))
    setup = next(c for c in cells(path) if c.cell_type == "code").source
    assert "from d2l import mxnet as d2l" in setup, f"{path.name} does not import d2l"
    assert [name for _, name, called in d2l_names(path) if called], \
        f"{path.name} imports d2l and calls none of it"


def test_every_d2l_name_exists_in_the_pinned_d2l():
    d2l = importlib.import_module("d2l.mxnet")
    for path in LESSONS:
        for _, name, _ in d2l_names(path):
            assert hasattr(d2l, name), f"{path.name} uses d2l.{name}, which d2l does not have"


def test_every_d2l_call_ran(executed_lessons):
    """In the lessons as executed, every cell that calls d2l ran, without an error."""
    for path in LESSONS:
        calls = {i for i, _, called in d2l_names(path) if called}
        if not calls:
            continue
        run = nbformat.read(executed_lessons[path.stem]["path"], as_version=4).cells
        for i in sorted(calls):
            assert run[i].execution_count, f"{path.name}: cell {i} (d2l) did not run"
            errors = [o for o in run[i].outputs if o.output_type == "error"]
            assert not errors, f"{path.name}: cell {i} (d2l) failed: {errors[0].ename}"


def test_the_helper_table_names_what_exists():
    """Notebook 03's table: each kit helper is importable, each d2l name is in d2l, or the
    row says it is d2l 0.17's."""
    d2l = importlib.import_module("d2l.mxnet")
    path = next(p for p in LESSONS if p.name.startswith("03"))
    table = next(c.source for c in cells(path) if "| the kit |" in c.source)
    rows = [line for line in table.splitlines() if line.startswith("| `helpers.")]
    assert len(rows) >= 15, rows
    for row in rows:
        helper, _, theirs = (cell.strip() for cell in row.strip("|").split("|"))
        module, _, name = helper.strip("`").rpartition(".")
        assert hasattr(importlib.import_module(module), name), helper
        for d2l_name in re.findall(r"`d2l\.(\w+)`", theirs):
            assert hasattr(d2l, d2l_name) or "d2l 0.17" in theirs, row


def test_the_scratch_model_starts_from_the_same_weights_in_lesson_and_assignment():
    lesson = next(p for p in LESSONS if p.name.startswith("03"))
    assignment = ROOT / "course" / "source" / "a3_scratch" / "softmax_scratch.ipynb"
    for path in (lesson, assignment):
        code = "\n".join(c.source for c in cells(path) if c.cell_type == "code")
        assert re.search(r"W = np\.random\.normal\(0, 0\.02, \(num_inputs, num_outputs\)\)", code), \
            f"{path.name} does not draw W from N(0, 0.02) as the original lesson does"


# Lessons beyond the original one that follow sources of their own: what each must name.
OWN_SOURCES = {
    "09": ("Scaling Distributed Machine Learning with the Parameter Server", "OSDI 2014",
           "12.7", "d2l.ai", "zh.d2l.ai", "动手学深度学习", "Distributed Training in MXNet"),
}


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_each_lesson_names_its_sources(path):
    text = prose_of(path)
    heading = re.search(r"^## References$", text, re.M)
    assert heading, f"{path.name} has no ## References"
    references = " ".join(text[heading.end():].split())  # the list, its line breaks undone
    if path.name[:2] in ("01",) + ORIGINAL_D2L:
        assert "d2l.ai" in text and "zh.d2l.ai" in text and "动手学深度学习" in text, path.name
    missing = [s for s in OWN_SOURCES.get(path.name[:2], ()) if s not in references]
    assert not missing, f"{path.name}'s References do not name {missing}"


# ---------------------------------------------------------------- the main path and the asides

@pytest.mark.parametrize("number, names", [
    ("02", ("to_tensor", "ArrayLoader", "load_data_in_memory")),
    ("03", ("correct_count", "to_device")),
])
def test_engineering_asides_sit_in_optional_sections(number, names):
    path = next(p for p in LESSONS if p.name.startswith(number))
    section = None
    for cell in cells(path):
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("## "):
                    section = line
        elif cell.source.lstrip().startswith("#@save"):
            for name in names:
                if re.search(rf"^(def|class) {name}\b", cell.source, re.M):
                    assert section and section.startswith("## Optional"), \
                        f"{path.name}: {name} is defined under {section!r}"


# ---------------------------------------------------------------- figures

def test_the_training_chart_shows_losses_above_one_and_a_diverging_run():
    from helpers.plot import plot_history
    slow = plot_history({"train_loss": [1.37, 0.9], "train_acc": [0.6, 0.7],
                         "test_acc": [0.62, 0.7]}, "lr 0.01")
    assert slow.layout.yaxis.range[1] >= 1.37
    usual = plot_history({"train_loss": [0.6, 0.5], "train_acc": [0.8, 0.84]})
    assert tuple(usual.layout.yaxis.range) == (0, 1)
    diverged = plot_history({"train_loss": [2.1, float("nan")], "train_acc": [0.3, 0.1]}, "lr 1")
    assert "not finite from epoch 2" in diverged.layout.title.text
    assert diverged.data[0].y[1] is None


def test_image_titles_leave_the_images_above_them_alone():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as onp
    from helpers.plot import show_images
    titles = [f"ankle boot /\npullover {i}" for i in range(12)]
    axes = show_images(onp.zeros((12, 28, 28)), 2, 6, titles=titles, scale=1.8)
    fig = axes[0].figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for below, above in zip(axes[6:], axes[:6]):
        title = below.title.get_window_extent(renderer)
        image = above.get_window_extent(renderer)
        assert title.y1 <= image.y0, "a title overlaps the image above it"
    plt.close(fig)
