"""Rewrite the notebooks' ``#@save`` definitions from helpers/, the canonical copy.

What ``#@save`` means here: the cell's definitions are a copy of helpers/, and this tool
overwrites them from there. That is the opposite direction of d2l's ``#@save``, which saves
a cell's code from the book into the d2l package: here helpers/ is the source, the
notebook the copy, so edit a ``#@save`` function in helpers/, never in the notebook.

A lesson teaches a function in a ``#@save`` cell; later lessons, the course and the tests
import the same function from helpers/. Change it in helpers/, then run

    ./kit sync-saved            # rewrite every drifted #@save cell
    ./kit sync-saved --check    # only list them; exit 1 if any

Each top-level ``def``/``class`` of a ``#@save`` cell is replaced by the source of the
helper of the same name; the rest of the cell (comments, other statements) stays. Every
notebook under notebooks/ is covered, translations included. tests/test_notebooks.py is the
gate that fails while a copy differs.
"""
import argparse
import ast
import importlib
import json
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def without_docstrings(node):
    """ast.dump of a def or class with every docstring in it removed: its code alone."""
    node = ast.parse(ast.unparse(node)).body[0]
    for n in ast.walk(node):
        body = getattr(n, "body", None)
        if (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            n.body = body[1:] or [ast.Pass()]
    return ast.dump(node)


def helper_sources():
    """name -> source text of every top-level def and class in helpers/ (modules only)."""
    import helpers
    found = {}
    for info in pkgutil.iter_modules(helpers.__path__):
        if info.ispkg:
            continue
        module = importlib.import_module(f"helpers.{info.name}")
        text = Path(module.__file__).read_text()
        for node in ast.parse(text).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
                lines = text.splitlines()[start - 1:node.end_lineno]
                found[node.name] = "\n".join(lines)
    return found


def synced(source, helpers):
    """The cell `source` with each drifted definition replaced by its helper; None if none drifted.

    A definition drifts when its code differs; a notebook may keep a shorter docstring.
    """
    lines = source.split("\n")
    tree = ast.parse(source)
    out, pos, changed = [], 0, False
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name not in helpers:
            continue
        start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
        helper = ast.parse(helpers[node.name]).body[0]
        if without_docstrings(node) == without_docstrings(helper):
            continue
        out += lines[pos:start]
        out.append(helpers[node.name])
        pos = node.end_lineno
        changed = True
    out += lines[pos:]
    return "\n".join(out) if changed else None


def notebooks(root=ROOT):
    return sorted((root / "notebooks").rglob("*.ipynb"))


def sync(paths, check=False, log=print):
    """Rewrite (or with `check`, only report) drifted #@save cells; return [(notebook, cell id)]."""
    helpers = helper_sources()
    drifted = []
    for path in paths:
        raw = path.read_text(encoding="utf-8")
        nb = json.loads(raw)
        touched = False
        for cell in nb["cells"]:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if cell["cell_type"] != "code" or not source.lstrip().startswith("#@save"):
                continue
            new = synced(source, helpers)
            if new is None:
                continue
            drifted.append((path.name, cell.get("id")))
            log(f"{path.relative_to(path.parents[1])}: cell {cell.get('id')} differs from helpers/")
            if not check:
                cell["source"] = new.splitlines(keepends=True)
                touched = True
        if touched:
            text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
            tmp = path.with_suffix(".ipynb.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
    return drifted


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drifted cells; change nothing")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/**)")
    args = parser.parse_args(argv)
    drifted = sync(args.paths or notebooks(), check=args.check)
    if not drifted:
        print("every #@save cell matches helpers/")
        return 0
    verb = "differ" if args.check else "rewritten from helpers/"
    print(f"{len(drifted)} #@save cell(s) {verb}")
    return 1 if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
