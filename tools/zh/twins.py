"""Keep every Chinese edition in step with its English original: lessons and assignments.

A twin is the Chinese edition of an English notebook: ``notebooks/zh/NN_name.ipynb`` for a
lesson, ``course/source_zh/<assignment>/<name>.ipynb`` for an assignment. It has the English
notebook's cells, with the same ids, in the same order, of the same types. Its code cells
are the English ones, character for character, metadata included (so one run serves both,
and the grader sees the same tests). Its markdown cells are in Chinese, and each carries
in its metadata ``translated_from``: a fingerprint of the English cell it was translated
from. When the English text of a cell changes, the fingerprint no longer matches, and the
twin is out of step until someone translates the change.

    ./kit twins check          # what is out of step, with the English text
    ./kit twins sync           # copy English code (and new cells) into twins
    ./kit twins stamp PATH...  # after translating: record the fingerprints

``sync`` never touches Chinese prose: a cell new in English arrives in English and without
a fingerprint, so ``check`` (and tests/test_chinese.py) fail until it is translated and
stamped. Translate from the English diff (``git diff <commit> -- notebooks/NN_name.ipynb``).
"""
import argparse
import hashlib
import re
import sys
from pathlib import Path

import nbformat

from tools.lessons.notebooks import notebook_paths, twin_path

ROOT = Path(__file__).resolve().parents[2]

COURSE = ROOT / "course"
STAMP = "translated_from"
# Sections every lesson has, and their names in the Chinese edition (d2l-zh's).
SECTIONS = {"Summary": "总结", "Exercises": "练习", "References": "参考文献"}
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# What is not prose in a markdown cell: math, code, and the answer placeholder of nbgrader.
NOT_PROSE = re.compile(r"\$\$.+?\$\$|\$[^$]+\$|```.*?```|`[^`]*`|YOUR ANSWER HERE", re.DOTALL)
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


def fingerprint(source):
    """The fingerprint a translation records of its English cell's text."""
    return "sha256:" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def pairs():
    """(English notebook, its twin's path) for every lesson and every assignment notebook."""
    found = [(p, twin_path(p)) for p in notebook_paths()]
    for p in sorted((COURSE / "source").glob("*/*.ipynb")):
        found.append((p, COURSE / "source_zh" / p.parent.name / p.name))
    return found


def has_prose(source):
    """True if a markdown cell holds words to translate (not only math, code or a placeholder)."""
    return bool(re.search(r"[A-Za-z]{3,}", NOT_PROSE.sub(" ", source)))


def headings(source):
    """The (level, text) of each heading of a markdown cell."""
    return [(len(m.group(1)), m.group(2)) for m in HEADING.finditer(source)]


# --------------------------------------------------------------------------- checking

def problems(english, twin, name="the twin"):
    """What keeps `twin` (a notebook) from being the Chinese edition of `english`: [] if
    nothing. Each problem names the cell (by id) and what to do."""
    found = []
    en_cells, zh_cells = english.cells, twin.cells
    en_shape = [(c.get("id"), c.cell_type) for c in en_cells]
    zh_shape = [(c.get("id"), c.cell_type) for c in zh_cells]
    if en_shape != zh_shape:
        return [f"{name}: {_shape_difference(en_shape, zh_shape)}; run tools/zh/twins.py sync"]
    for en, zh in zip(en_cells, zh_cells):
        where = f"{name}: cell {en.get('id')}"
        if en.cell_type == "code":
            if zh.source != en.source:
                found.append(f"{where}: its code differs from the English edition's; run "
                             "tools/zh/twins.py sync")
            elif _code_metadata(zh) != _code_metadata(en):
                found.append(f"{where}: its metadata differs from the English edition's")
            if zh.get("outputs") or zh.get("execution_count"):
                found.append(f"{where}: has outputs; store the notebook clean")
            continue
        if _shared_metadata(zh) != _shared_metadata(en):
            found.append(f"{where}: its grading metadata differs from the English edition's")
        if not has_prose(en.source):
            continue
        if not CJK.search(NOT_PROSE.sub(" ", zh.source)):
            found.append(f"{where} is not translated yet (English: {_excerpt(en.source)})")
        elif zh.metadata.get(STAMP) != fingerprint(en.source):
            what = "has no fingerprint" if STAMP not in zh.metadata else \
                "was translated from an older English text"
            found.append(f"{where} {what}; the English now reads: {_excerpt(en.source)} "
                         "(translate it, then run tools/zh/twins.py stamp)")
        found.extend(f"{where}: {p}" for p in _section_problems(en.source, zh.source))
    return found


def _shape_difference(en_shape, zh_shape):
    en_ids, zh_ids = [i for i, _ in en_shape], [i for i, _ in zh_shape]
    missing = [i for i in en_ids if i not in zh_ids]
    extra = [i for i in zh_ids if i not in en_ids]
    if missing:
        return f"cells {missing} of the English edition are missing"
    if extra:
        return f"cells {extra} are not in the English edition"
    for (i, a), (j, b) in zip(en_shape, zh_shape):
        if i != j:
            return f"cell {j} stands where the English edition has cell {i}"
        if a != b:
            return f"cell {i} is a {b} cell, a {a} cell in the English edition"
    return "the cells differ"


def _code_metadata(cell):
    return {k: v for k, v in cell.metadata.items() if k not in ("execution", "scrolled")}


def _shared_metadata(cell):
    """What a markdown cell shares with its English original: how it is graded."""
    return {k: cell.metadata.get(k) for k in ("nbgrader", "grading", "tags")}


def _section_problems(en_source, zh_source):
    en, zh = headings(en_source), headings(zh_source)
    if [level for level, _ in en] != [level for level, _ in zh]:
        return [f"its headings (levels {[lv for lv, _ in zh]}) are not the English ones "
                f"(levels {[lv for lv, _ in en]})"]
    out = []
    for (_, en_text), (_, zh_text) in zip(en, zh):
        if en_text in SECTIONS and zh_text != SECTIONS[en_text]:
            out.append(f"the section {en_text!r} must be called {SECTIONS[en_text]!r}, "
                       f"not {zh_text!r}")
    return out


def _excerpt(source, n=70):
    text = " ".join(source.split())
    return repr(text if len(text) <= n else text[:n] + "…")


def check(pair_list=None):
    """Every problem of every twin (a missing twin is one)."""
    found = []
    for english, twin in pair_list or pairs():
        name = str(twin.relative_to(ROOT)) if twin.is_relative_to(ROOT) else str(twin)
        if not twin.is_file():
            found.append(f"{name} is missing: the Chinese edition of {english.name} "
                         "(tools/zh/twins.py sync starts it)")
            continue
        found.extend(problems(nbformat.read(english, as_version=4),
                              nbformat.read(twin, as_version=4), name))
    return found


# --------------------------------------------------------------------------- changing

def synced(english, twin=None):
    """The twin with the English edition's code cells and shape: code cells (and every
    cell's grading metadata) copied from English; Chinese prose kept by cell id; a cell
    new in English copied in English, without a fingerprint (still to translate)."""
    old = {c.get("id"): c for c in (twin.cells if twin is not None else [])}
    out = nbformat.from_dict(nbformat.v4.new_notebook())
    out.metadata = nbformat.from_dict(dict(english.metadata))
    for en in english.cells:
        mine = old.get(en.get("id"))
        if en.cell_type == "code" or mine is None or mine.cell_type != en.cell_type:
            cell = nbformat.from_dict(dict(en))
            cell.metadata = nbformat.from_dict(
                {k: v for k, v in en.metadata.items() if k != STAMP})
        else:
            cell = nbformat.from_dict(dict(mine))
            cell.metadata = nbformat.from_dict(
                {**{k: v for k, v in mine.metadata.items() if k not in ("nbgrader", "grading")},
                 **{k: en.metadata[k] for k in ("nbgrader", "grading") if k in en.metadata}})
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        out.cells.append(cell)
    return out


def stamped(english, twin):
    """The twin with each translated markdown cell's fingerprint recorded. Raises ValueError
    (and stamps nothing) while its cells are not the English ones or a cell is untranslated."""
    if [(c.get("id"), c.cell_type) for c in english.cells] != \
            [(c.get("id"), c.cell_type) for c in twin.cells]:
        raise ValueError("its cells are not the English edition's: run tools/zh/twins.py sync")
    todo = [en.get("id") for en, zh in zip(english.cells, twin.cells)
            if en.cell_type == "markdown" and has_prose(en.source)
            and not CJK.search(NOT_PROSE.sub(" ", zh.source))]
    if todo:
        raise ValueError(f"cells {todo} are not translated yet")
    for en, zh in zip(english.cells, twin.cells):
        if zh.cell_type == "markdown" and has_prose(en.source):
            zh.metadata[STAMP] = fingerprint(en.source)
    return twin


def main(argv=None):
    parser = argparse.ArgumentParser(prog="./kit twins",
                                     description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="list what is out of step (exit 1 if anything)")
    sub.add_parser("sync", help="copy English code cells and new cells into every twin")
    stamp = sub.add_parser("stamp", help="record the fingerprints of translated cells")
    stamp.add_argument("twins", nargs="+", type=Path, help="twin notebooks to stamp")
    args = parser.parse_args(argv)

    if args.command == "check":
        found = check()
        print("\n".join(found) or "every Chinese edition is in step with its English one")
        return 1 if found else 0
    if args.command == "sync":
        for english, twin in pairs():
            before = nbformat.read(twin, as_version=4) if twin.is_file() else None
            after = synced(nbformat.read(english, as_version=4), before)
            if before is None or nbformat.writes(after) != nbformat.writes(before):
                twin.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(after, twin)
                print(f"updated {twin.relative_to(ROOT)}")
        return 0
    by_twin = {t.resolve(): e for e, t in pairs()}
    for path in args.twins:
        english = by_twin.get(path.resolve())
        if english is None:
            print(f"{path} is not the Chinese edition of a lesson or an assignment",
                  file=sys.stderr)
            return 2
        try:
            twin = stamped(nbformat.read(english, as_version=4), nbformat.read(path, as_version=4))
        except ValueError as e:
            print(f"{path}: not stamped: {e}", file=sys.stderr)
            return 1
        nbformat.write(twin, path)
        print(f"stamped {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
