"""tools/lessons/sync_saved.py: a drifted #@save copy is found and rewritten from helpers/."""
import json
import shutil

from tools.lessons.sync_saved import notebooks, sync, without_docstrings


def saved_cell(nb):
    return next(c for c in nb["cells"] if c["cell_type"] == "code"
                and "".join(c["source"]).lstrip().startswith("#@save")
                and "def " in "".join(c["source"]))


def test_a_drifted_copy_is_reported_then_rewritten(project, tmp_path):
    source = next(p for p in notebooks(project) if "03_" in p.name)
    copy = tmp_path / "notebooks" / source.name
    copy.parent.mkdir()
    shutil.copy(source, copy)
    nb = json.loads(copy.read_text())
    cell = saved_cell(nb)
    original = "".join(cell["source"])
    cell["source"] = original.replace("return ", "return 0 * ", 1)
    copy.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    others = [c["source"] for c in nb["cells"] if c is not cell]

    assert sync([copy], check=True, log=lambda m: None) == [(copy.name, cell.get("id"))]
    assert "0 * " in copy.read_text()  # --check changes nothing

    assert len(sync([copy], log=lambda m: None)) == 1
    after = json.loads(copy.read_text())
    fixed = saved_cell(after)
    assert "0 * " not in "".join(fixed["source"])
    assert [c["source"] for c in after["cells"] if c.get("id") != fixed.get("id")] == others
    assert sync([copy], check=True, log=lambda m: None) == []


def test_the_lessons_match_helpers(project):
    assert sync(notebooks(project), check=True, log=lambda m: None) == []


def test_docstrings_alone_are_no_drift():
    import ast
    a = ast.parse('def f(x):\n    """One."""\n    return x\n').body[0]
    b = ast.parse('def f(x):\n    """Another, longer."""\n    return x\n').body[0]
    c = ast.parse('def f(x):\n    return x + 1\n').body[0]
    assert without_docstrings(a) == without_docstrings(b) != without_docstrings(c)
