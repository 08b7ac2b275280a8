"""What the kit's tools share about the lessons: which notebooks are lessons, what a lesson
reports (its 'final ... accuracy: x' lines), and where a lesson's Chinese edition lives and
how it takes the English run's outputs. The main job (tools/lessons/run.py), the site builder
(tools/site/build.py) and the tests read these facts here; nothing here imports them.
"""
import re
from itertools import zip_longest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
FINAL = re.compile(r"final (\w[\w -]*?) accuracy: ([0-9.]+)")


def notebook_paths(selected=()):
    """The lesson notebooks (NN_name.ipynb) in order; with `selected`, those whose name
    contains one of its strings."""
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if selected:
        paths = [p for p in paths if any(s in p.stem for s in selected)]
    return paths


def reported_accuracies(nb):
    """The 'final ... accuracy: x' lines a notebook printed, as {label: value}."""
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            for label, value in FINAL.findall(text):
                found[label] = float(value)
    return found


# --------------------------------------------------------------------------- editions

# The Chinese edition: notebooks/zh/NN_name.ipynb beside each English lesson, its prose in
# Chinese, its code cells exactly the English ones (tests/test_chinese.py keeps it so).
CHINESE = "zh"


class TwinMismatch(ValueError):
    """A twin's code cells are not the English edition's; the message names the first."""


def twin_path(path, lang=CHINESE):
    """Where the `lang` edition of lesson `path` (a path or a file name) lives."""
    return NOTEBOOKS / lang / Path(path).name


def code_sources(nb):
    """The sources of a notebook's code cells, in order."""
    return [c.source for c in nb.cells if c.cell_type == "code"]


def check_same_code(twin, english, name="the twin"):
    """Raise TwinMismatch unless `twin` and `english` have the same code cells in order."""
    mine, theirs = code_sources(twin), code_sources(english)
    for i, (here, there) in enumerate(zip(mine, theirs)):
        if here != there:
            lines = zip_longest(here.splitlines(), there.splitlines(), fillvalue="")
            n, (a, b) = next((n, ab) for n, ab in enumerate(lines, 1) if ab[0] != ab[1])
            raise TwinMismatch(f"{name}: code cell {i + 1}, line {n}, differs from the English "
                               f"edition's ({a.strip()[:60]!r} here, {b.strip()[:60]!r} there); "
                               "both editions must have the same code cells")
    if len(mine) != len(theirs):
        raise TwinMismatch(f"{name} has {len(mine)} code cells, the English edition "
                           f"{len(theirs)}; both editions must have the same code cells")


def borrow_outputs(twin, executed, name="the twin"):
    """`twin` with the outputs of `executed` (the English edition, as run): each code cell
    takes the outputs of the code cell at the same position, and the notebook the saved
    widget state and kernel facts. One run serves both editions; nothing runs here.
    Raises TwinMismatch when the code cells differ."""
    import copy
    check_same_code(twin, executed, name)
    out = copy.deepcopy(twin)
    ran = iter([c for c in executed.cells if c.cell_type == "code"])
    for cell in out.cells:
        if cell.cell_type == "code":
            source = next(ran)
            cell.outputs = copy.deepcopy(source.get("outputs", []))
            cell.execution_count = source.get("execution_count")
    for key in ("widgets", "kernelspec", "language_info"):
        if key in executed.metadata:
            out.metadata[key] = copy.deepcopy(executed.metadata[key])
    return out
