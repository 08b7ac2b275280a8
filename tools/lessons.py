"""What the kit's tools share about the lessons: which notebooks are lessons, and what a
lesson reports (its 'final ... accuracy: x' lines). The main job (run_notebooks.py), the
site builder (build_site.py) and the tests read these facts here; nothing here imports them.
"""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
