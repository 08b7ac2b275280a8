"""Notebooks as handed in, read on their own: renamed, duplicated, nbformat 3, heavy with
stored outputs."""
import copy
import json

import nbformat

from grading.ipynb import read_json, without_outputs
from grading.notebook import student_cells
from grading.submissions import find_notebook
from tests.kit_paths import ROOT

A1 = ROOT / "course" / "source" / "a1_softmax" / "softmax.ipynb"


def _notebook(tmp_path, name="softmax.ipynb", **write):
    nb = nbformat.read(A1, as_version=4)
    path = tmp_path / name
    path.write_text(nbformat.writes(nb, **write))
    return path


def test_a_notebook_under_another_name_is_found(tmp_path):
    _notebook(tmp_path, "softmax (1).ipynb")
    path, note = find_notebook(tmp_path, "softmax", ["softmax"])
    assert path.name == "softmax (1).ipynb" and "softmax (1).ipynb" in note
    _notebook(tmp_path, "softmax (2).ipynb")
    path, note = find_notebook(tmp_path, "softmax", ["softmax"])
    assert path is None and "rename the one to grade" in note
    (tmp_path / "softmax (2).ipynb").write_text('{"cells": []}')  # holds no cell of the task
    path, _ = find_notebook(tmp_path, "softmax", ["softmax"])
    assert path.name == "softmax (1).ipynb"
    _notebook(tmp_path)
    assert find_notebook(tmp_path, "softmax", ["softmax"]) == (tmp_path / "softmax.ipynb", None)


def test_nbformat_3_is_read_as_4(tmp_path):
    nb = nbformat.read(A1, as_version=4)
    path = tmp_path / "softmax.ipynb"
    path.write_text(nbformat.v3.writes_json(nbformat.convert(copy.deepcopy(nb), 3)))
    doc, _ = read_json(path)
    got = student_cells(doc)
    want = [(c.metadata.get("nbgrader", {}).get("grade_id"), c.cell_type, c.source)
            for c in nb.cells]
    assert [(g, t) for g, t, _ in got] == [(g, t) for g, t, _ in want]
    assert [s for *_, s in got if s] == [s for *_, s in want if s]


def test_stored_outputs_are_not_read(tmp_path):
    nb = nbformat.read(A1, as_version=4)
    figure = {"data": [{"x": list(range(3 * 10**6)), "y": "]}\\\"" * 10}]}
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("display_data", data={
        "application/vnd.plotly.v1+json": figure, "text/plain": "Figure"})]
    path = tmp_path / "softmax.ipynb"
    path.write_text(nbformat.writes(nb))
    assert path.stat().st_size > 21 * 2**20
    doc, note = read_json(path)
    assert "stored outputs were not read" in note
    assert len(student_cells(doc)) == len(nb.cells)
    assert all(c.get("outputs", []) == [] for c in doc["cells"])


def test_without_outputs_keeps_everything_else_byte_for_byte():
    doc = {"cells": [{"cell_type": "code", "source": '"outputs": [', "metadata": {},
                      "outputs": [{"text": "]} [{"}], "execution_count": 1},
                     {"cell_type": "markdown", "source": "x", "attachments": {"a": {}}}],
           "metadata": {"outputs": 3}, "nbformat": 4, "nbformat_minor": 5}
    raw = json.dumps(doc, indent=1).encode() + b"\n trailing"
    out, end = without_outputs(raw)
    got = json.loads(out)
    assert got["cells"][0]["outputs"] == [] and got["cells"][1]["attachments"] == {}
    assert got["metadata"] == {"outputs": 3} and got["cells"][0]["source"] == '"outputs": ['
    assert raw[end:].strip() == b"trailing"
