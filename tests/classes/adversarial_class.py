"""Write a class of students who try to fool the grader, to see what `./kit grade` does with them.

From the kit's folder (course/README.md, "What grading withstands"):

    cd course && ../.venv/bin/nbgrader generate_assignment "a[137]_*" --force && cd ..
    ./kit fake-class --adversarial
    ./kit grade a1_softmax a3_scratch a7_calibration --cell-timeout 5

Each student starts from the released notebook and answers with the source notebook's
solutions, unless the entry says otherwise; then changes answers, adds cells, or breaks
the file. `deserved` is what the work is worth; `attention` says whether the grader must
list the submission for the teacher. tests/test_grading_adversarial.py grades this class
and checks, for every student, the score, the attention, and that nothing outside the
student's own sandbox changed.

The attacks name the course's and the kit's real folders ($course, $kit), as a student
who knows the layout would, and the port of a server the test runs ($port).

The students live beside this file in adversarial/, one module per kind (its __init__
lists them); this file puts them in the class's order and writes their notebooks. Both
live with the tests (tests/classes/), which a student bundle leaves out.
"""
import argparse
import functools
import importlib
import importlib.util
import json
import string
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
KIT = HERE.parents[1]
COURSE = KIT / "course"  # the kit's own course
KINDS = ("untidy", "checks", "sandbox", "reading", "scan", "blind_spots")


def _load_kinds():
    """adversarial/'s modules, found beside this file.

    This file is run as a script or loaded by its path (`./kit fake-class`, the grading and
    hub tests, benchmarks/hub_load.py), so adversarial/ is loaded by its path too.
    """
    folder = HERE / "adversarial"
    package = sys.modules.get("adversarial")
    if package is None:
        spec = importlib.util.spec_from_file_location("adversarial", folder / "__init__.py")
        package = sys.modules["adversarial"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(package)
    if list(package.__path__) != [str(folder)]:
        raise ImportError(f"another package named adversarial is loaded ({package.__path__}), "
                          f"not {folder}: load this file in a fresh Python")
    return {name: importlib.import_module(f"adversarial.{name}") for name in ("student", *KINDS)}


_kinds = _load_kinds()
Student, NOTEBOOKS, OVERFLOW = (_kinds["student"].Student, _kinds["student"].NOTEBOOKS,
                                _kinds["student"].OVERFLOW)
LINGERING, WRITER = _kinds["sandbox"].LINGERING, _kinds["sandbox"].WRITER  # the hub test's
SCRIPTS_WRITTEN = _kinds["reading"].SCRIPTS_WRITTEN
TEXT_EDITS = {**_kinds["untidy"].TEXT_EDITS, **_kinds["reading"].TEXT_EDITS}
NB_EDITS = _kinds["untidy"].NB_EDITS

# The class in the order it is written and graded (the order the students came in).
ORDER = ("correct", "noop_module", "noop_names", "patched_numpy", "ast_rewriter", "input_rewriter",
         "knows_tested", "kit_reference", "gradebook_editor", "writer", "leaker", "scripts",
         "lingering", "infinite_loop", "long_sleep", "ignores_sigint", "exits_kernel", "not_json",
         "not_a_notebook", "trailing_junk", "fork_bomb", "memory_hog", "disk_filler", "network",
         "forger", "output_flood", "scratch_correct", "fake_accuracy", "helpers_train", "md_links",
         "environ_reader", "unshare", "getattr_alias", "attrgetter", "timeit_string",
         "logging_sys", "softmin", "loss_class", "empty_records", "record_bomb", "deep_record",
         "sleepy", "plots_own_softmax", "compares_with_library", "renamed", "two_copies",
         "no_notebook", "heavy_outputs", "nbformat3", "legacy_alias", "renamed_module",
         "wrapped_library", "thread_library", "apply_along_axis", "lone_surrogate", "shell_flood",
         "huge_cell", "many_cells", "deep_outputs", "slow_last_cell", "tmpfs_inodes",
         "copy_kept_original", "answer_below_stub", "no_metadata", "sanity_in_answer",
         "class_answer", "bom", "utf16", "lambda_block", "json_symbol", "hybrid_lambda",
         "resolve_direct", "resolve_lazy", "profile_off", "dataset_transform", "lazy_train_epoch",
         "timeit_hidden", "timeit_line", "unread_helper", "own_alias", "own_self", "compare_loop",
         "plots_in_loop", "sanity_variable", "utf16_outputs", "answer_under_placeholder",
         "hidden_leak", "png_flood", "scan_findings", "shell_escapes", "memfd_files")


def _in_order(kinds):
    """Every kind's students, in ORDER; an error names a student missing from either."""
    by_name = {s.name: s for kind in kinds for s in kind.STUDENTS}
    count = sum(len(kind.STUDENTS) for kind in kinds)
    if count != len(by_name) or set(by_name) != set(ORDER) or len(ORDER) != len(set(ORDER)):
        raise RuntimeError(f"adversarial/ and ORDER disagree: in ORDER only "
                           f"{sorted(set(ORDER) - set(by_name))}, in adversarial/ only "
                           f"{sorted(set(by_name) - set(ORDER))}, {count} students for "
                           f"{len(by_name)} names")
    return [by_name[name] for name in ORDER]


STUDENTS = _in_order([_kinds[name] for name in KINDS])


def strip_markers(source):
    """A solution cell's source without nbgrader's BEGIN/END SOLUTION lines."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def solutions(course, assignment):
    nb = nbformat.read(course / "source" / assignment / f"{NOTEBOOKS[assignment]}.ipynb", 4)
    return {c.metadata.nbgrader["grade_id"]: strip_markers(c.source) for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


FIGURE = "<the stored plotly figure>"  # stands for it while the notebook is written


@functools.cache
def figure_json():
    """The stored figure (three scatter traces of a million points) as JSON, indented as
    nbformat writes a notebook: rendered once, for every student and course that stores it
    (it is 90 MB of text, seconds of CPU each time)."""
    figure = {"data": [{"type": "scatter", "x": list(range(10**6)),
                        "y": [i % 7 for i in range(10**6)]} for _ in range(3)]}
    return json.dumps(figure, indent=1, sort_keys=True, separators=(",", ": "),
                      ensure_ascii=False)


def with_figure(text):
    """A notebook's text with the stored figure in place of FIGURE, at its depth: the text
    nbformat.writes gives for the notebook holding the figure itself."""
    at = text.index(json.dumps(FIGURE))
    line = text[text.rindex("\n", 0, at) + 1:at]
    indent = len(line) - len(line.lstrip(" "))
    return text[:at] + figure_json().replace("\n", "\n" + " " * indent) + \
        text[at + len(json.dumps(FIGURE)):]


def notebook_of(student, course, fields):
    """The submitted notebook's text for `student`."""
    release = course / "release" / student.assignment / f"{NOTEBOOKS[student.assignment]}.ipynb"
    if not release.is_file():
        nbgrader = Path(sys.executable).parent / "nbgrader"
        sys.exit(f"{release} is missing: make the student copy first: cd {course} && "
                 f"{nbgrader} generate_assignment {student.assignment} --force")
    nb = nbformat.read(release, as_version=4)
    answers = {} if student.unanswered else solutions(course, student.assignment)
    answers.update({k: v for k, v in student.answers.items() if v is not None})
    cells = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
        cells.append(cell)
        for after, source in student.extras:
            if after == grade_id:
                cells.append(nbformat.v4.new_code_cell(string.Template(source).substitute(fields)))
    nb.cells = cells
    if student.edit in NB_EDITS:
        NB_EDITS[student.edit](nb, nbformat.read(release, as_version=4))
    if student.stored == "plotly":  # a figure of 30 MB stored with the first code cell
        code = next(c for c in nb.cells if c.cell_type == "code")
        code.outputs = [nbformat.v4.new_output(
            "display_data", data={"application/vnd.plotly.v1+json": FIGURE,
                                  "text/plain": "Figure"})]
    if student.stored == "v3":
        return nbformat.v3.writes_json(nbformat.convert(nb, 3))
    text = nbformat.writes(nb)
    if student.stored == "plotly":
        text = with_figure(text)
    if student.raw == "truncated":
        return text[: len(text) // 2]
    if student.raw == "junk":
        return text + "\n\x00 this is not JSON }"
    if student.raw is not None:
        return student.raw
    return TEXT_EDITS[student.edit](text) if student.edit in TEXT_EDITS else text


def write_class(course=COURSE, port=9, students=STUDENTS):
    """Write submitted/<student>/<assignment>/<notebook>.ipynb for every student; return the paths."""
    course = Path(course).resolve()
    fields = {"course": str(course), "kit": str(KIT), "port": str(port)}
    paths = []
    for student in students:
        folder = course / "submitted" / student.name / student.assignment
        folder.mkdir(parents=True, exist_ok=True)
        names = (f"{NOTEBOOKS[student.assignment]}.ipynb",) if student.files is None \
            else student.files
        for name in names:
            (folder / name).write_text(notebook_of(student, course, fields),
                                       encoding=student.encoding)
            paths.append(folder / name)
        for name in student.stub_files:
            (folder / name).write_bytes((course / "release" / student.assignment /
                                         f"{NOTEBOOKS[student.assignment]}.ipynb").read_bytes())
            paths.append(folder / name)
        if not names:
            (folder / "notes.txt").write_text("the notebook is on my other laptop\n")
            paths.append(folder / "notes.txt")
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--course", type=Path, default=COURSE,
                        help="the course folder (default: the kit's course/)")
    parser.add_argument("--port", type=int, default=9,
                        help="the port the network attack tries on 127.0.0.1 (default 9)")
    args = parser.parse_args(argv)
    for path in write_class(args.course, args.port):
        print(path.relative_to(args.course.resolve()))
    print(json.dumps({s.name: s.deserved for s in STUDENTS}))


if __name__ == "__main__":
    main()
