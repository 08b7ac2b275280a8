"""The Chinese student copies of the assignments: release/ with the prose of source_zh/.

nbgrader makes the student copies (``release/``) from ``source/``; each assignment notebook
has a Chinese twin in ``source_zh/`` with the same cells (tools/zh/twins.py keeps them in
step). This writes ``release_zh/``: every student copy of ``release/``, each markdown cell
of the course in Chinese (the twin's cell of the same id), everything else as nbgrader
made it: the code, the answer cells, the tests, the metadata. A locked cell's checksum is
computed again for its Chinese text, so ``nbgrader validate`` accepts the copy. The
grader takes only the answers from a submission, so a Chinese copy is graded exactly as
an English one. From the course folder, after ``nbgrader generate_assignment``:

    ../kit release-zh              # every assignment in release/
    ../kit release-zh a1_softmax   # only these
"""
import argparse
import shutil
import sys
from pathlib import Path

import nbformat

from tools.zh.twins import problems


class ReleaseError(RuntimeError):
    """A Chinese copy cannot be made; the message says why and what to run."""


def chinese_copy(release, twin):
    """The student copy `release` (a notebook) with the course's prose of `twin`."""
    from nbgrader.utils import compute_checksum, is_locked, is_solution
    prose = {c.get("id"): c.source for c in twin.cells if c.cell_type == "markdown"}
    out = nbformat.from_dict(nbformat.v4.new_notebook())
    out.metadata = nbformat.from_dict(dict(release.metadata))
    for cell in release.cells:
        cell = nbformat.from_dict(dict(cell))
        cell.metadata = nbformat.from_dict(dict(cell.metadata))
        if cell.cell_type == "markdown" and not is_solution(cell):
            if cell.get("id") not in prose:
                raise ReleaseError(f"cell {cell.get('id')} of the student copy has no Chinese "
                                   "text in the twin: run ./kit twins check")
            cell.source = prose[cell.get("id")]
            if is_locked(cell) and "checksum" in cell.metadata.get("nbgrader", {}):
                cell.metadata.nbgrader["checksum"] = compute_checksum(cell)
        out.cells.append(cell)
    return out


def release_zh(course, names=()):
    """Write release_zh/<assignment>/ for each generated assignment (or those `names`);
    returns the notebooks written. Raises ReleaseError when a twin is missing or stale."""
    course = Path(course).resolve()
    release = course / "release"
    assignments = sorted(p for p in release.glob("*") if p.is_dir()) if release.is_dir() else []
    if names:
        missing = [n for n in names if not (release / n).is_dir()]
        if missing:
            raise ReleaseError(f"not generated yet: {', '.join(missing)} (run nbgrader "
                               "generate_assignment in the course folder first)")
        assignments = [release / n for n in names]
    if not assignments:
        raise ReleaseError(f"{release} holds no assignment: run nbgrader generate_assignment "
                           "in the course folder first")
    written = []
    for folder in assignments:
        target = course / "release_zh" / folder.name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(folder, target)
        for path in sorted(folder.glob("*.ipynb")):
            source = course / "source" / folder.name / path.name
            twin_path = course / "source_zh" / folder.name / path.name
            if not twin_path.is_file():
                raise ReleaseError(f"{twin_path} is missing: the Chinese edition of {source}")
            twin = nbformat.read(twin_path, as_version=4)
            stale = problems(nbformat.read(source, as_version=4), twin, str(twin_path))
            if stale:
                raise ReleaseError("the Chinese edition is out of step with the English one:\n  "
                                   + "\n  ".join(stale))
            nbformat.write(chinese_copy(nbformat.read(path, as_version=4), twin),
                           target / path.name)
            written.append(target / path.name)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="./kit release-zh",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="assignments (default: all in release/)")
    parser.add_argument("--course", type=Path, default=Path.cwd(),
                        help="the course folder (the current folder)")
    args = parser.parse_args(argv)
    course = args.course.resolve()
    try:
        written = release_zh(course, args.assignments)
    except ReleaseError as e:
        print(f"release_zh: {e}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path.relative_to(course)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
