"""The lessons' text, read for the tests of what the lessons say (tests/test_lesson_facts*.py).

The lessons (notebooks/NN_*.ipynb) and their Chinese editions (notebooks/zh/), the course's
assignments; a notebook's cells, its prose, its markdown, its code, and its markdown cells
under the English headings they fall under.
"""

import nbformat
from tests.kit_paths import ROOT

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NUMBERS = {p.name[:2] for p in LESSONS}
COURSE = sorted((ROOT / "course").glob("source/*/*.ipynb"))
# The original lesson's notebooks: d2l 0.17's sections 3.5, 3.6, 3.7 and 5.6, whose code
# imports d2l (3.4, notebook 01, has no code of its own).
ORIGINAL_D2L = ("02", "03", "04", "05")
ZH = ROOT / "notebooks" / "zh"


def cells(path):
    return nbformat.read(path, as_version=4).cells


def prose_of(path):
    return "\n\n".join(c.source for c in cells(path))


def lesson(number, zh=False):
    return next(p for p in sorted((ZH if zh else ROOT / "notebooks").glob(f"{number}_*.ipynb")))


def markdown(path):
    return [c.source for c in cells(path) if c.cell_type == "markdown"]


def code(path):
    return "\n".join(c.source for c in cells(path) if c.cell_type == "code")


def sections(path):
    """[(the English heading a cell falls under, the cell's text)] for the markdown cells of
    a lesson or of its twin (the twin's cells are the English ones, in the same order)."""
    english = cells(lesson(path.name[:2]))
    out, heading = [], ""
    for en, cell in zip(english, cells(path)):
        if en.cell_type != "markdown":
            continue
        heads = [line for line in en.source.splitlines() if line.startswith("#")]
        heading = heads[0] if heads else heading
        out.append((heading, " ".join(cell.source.split())))
    return out
