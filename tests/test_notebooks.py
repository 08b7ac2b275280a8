"""The lesson notebooks: stored clean, built on the d2l skeleton, in step with helpers/,
and with assertions that fail when the model does not learn.

tests/test_lessons.py runs every notebook; these tests check the rest.
"""
import ast
import importlib
import pkgutil
import re
from pathlib import Path

import nbformat
import pytest

import helpers
from tools.lessons.sync_saved import without_docstrings
from tests.kit_paths import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
STORED = NOTEBOOKS + sorted((ROOT / "course").glob("source/**/*.ipynb"))


def code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_the_lesson_notebooks_are_there():
    names = [p.stem for p in NOTEBOOKS]
    assert names[:5] == ["01_softmax_operation", "02_fashion_mnist", "03_softmax_scratch",
                         "04_softmax_concise", "05_gpu"], names
    numbers = [n[:2] for n in names]
    assert numbers == sorted(set(numbers)), f"notebook numbers repeat or skip: {numbers}"


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    dirty = [i for i, c in enumerate(code_cells(path)) if c.outputs or c.execution_count]
    assert not dirty, (f"{path.name}: code cells {dirty} have outputs or execution counts; "
                       "clear them (Kernel > Restart and Clear Outputs) before committing")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_follows_the_lesson_skeleton(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and re.match(r"# [^#]", first.source), \
        f"{path.name} must open with an H1 title"
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"^## Summary$", markdown, re.M), f"{path.name} lacks ## Summary"
    assert re.search(r"^## Exercises$", markdown, re.M), f"{path.name} lacks ## Exercises"
    setup = code_cells(path)[0].source
    for seed in ("random.seed(", "onp.random.seed(", "mx.random.seed("):
        assert seed in setup, f"{path.name}: the first code cell must call {seed}...)"
    assert "import *" not in "\n".join(c.source for c in code_cells(path))


def helper_definitions():
    """name -> (module, AST node) of every top-level def and class in helpers/."""
    found = {}
    for info in pkgutil.iter_modules(helpers.__path__):
        module = importlib.import_module(f"helpers.{info.name}")
        tree = ast.parse(Path(module.__file__).read_text())
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                assert node.name not in found, f"{node.name} is defined twice in helpers/"
                found[node.name] = (info.name, node)
    return found


def saved_definitions():
    """(notebook, name, AST node) of every def and class in a `#@save` cell."""
    for path in NOTEBOOKS:
        for cell in code_cells(path):
            if cell.source.lstrip().startswith("#@save"):
                for node in ast.parse(cell.source).body:
                    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                        yield path.stem, node.name, node


def test_saved_definitions_are_the_helpers():
    defs = helper_definitions()
    saved = list(saved_definitions())
    assert len(saved) >= 15, f"only {len(saved)} #@save definitions found"
    for notebook, name, node in saved:
        assert name in defs, f"{notebook} saves {name}, which helpers/ does not define"
        module, helper = defs[name]
        assert without_docstrings(node) == without_docstrings(helper), (
            f"{name} in {notebook} differs from helpers/{module}.py: change both together")
        doc = ast.get_docstring(helper) or ""
        assert notebook in doc, f"helpers/{module}.py:{name}'s docstring must name {notebook}"


def test_sync_check_catches_a_drift():
    notebook, name, node = next(iter(saved_definitions()))
    _, helper = helper_definitions()[name]
    drifted = ast.parse(ast.unparse(node).replace("return", "return 1 +", 1)).body[0]
    assert without_docstrings(drifted) != without_docstrings(helper)


def run_notebook_with(path, parameters, timeout=300):
    """Execute a notebook with its `parameters` cell replaced; return the error, if any."""
    from nbclient.exceptions import CellExecutionError
    from tools.lessons.run import make_client

    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source = parameters
    client = make_client(nb, path.parent, timeout)
    try:
        client.execute()
    except CellExecutionError as e:
        return e
    return None


def test_accuracy_assertions_fail_a_model_that_cannot_learn():
    path = ROOT / "notebooks" / "03_softmax_scratch.ipynb"
    error = run_notebook_with(path, "FAST_DATA = True\nbatch_size, lr, num_epochs = 256, 0.0, 1")
    assert error is not None, "notebook 03 passed with lr = 0: its assertions do not bite"
    assert error.ename == "AssertionError", error.ename
    assert "train_loss < 0.5" in str(error), str(error)[-500:]


def test_the_classic_data_switch_runs_the_hybridized_model():
    # FAST_DATA = False feeds DataLoader batches (shared memory) to a hybridized network;
    # one epoch is too few for the lesson's bar, so the run must stop at the assertions.
    path = ROOT / "notebooks" / "04_softmax_concise.ipynb"
    error = run_notebook_with(path, "FAST_DATA = False\nbatch_size, lr, num_epochs = 256, 0.1, 1")
    assert error is not None and error.ename == "AssertionError", error and str(error)[-800:]


def test_the_readme_lists_every_lesson():
    readme = (ROOT / "README.md").read_text()
    missing = [p.name for p in NOTEBOOKS if f"(notebooks/{p.name})" not in readme]
    assert not missing, f"README.md's lesson table lacks {missing}"
