"""The original lesson, kept and credited: its notebooks use d2l as it does and every `d2l.`
call there exists and runs; it is defined and credited where it first appears, its sections
are named beside the kit's headings, and each departure from it is said where it happens, in
both editions; lesson 01 derives what d2l's section 3.4 leaves to exercises.

Most tests read the stored notebooks (fast); the one on d2l calls reads the lessons as
executed once per run (`executed_lessons`, tests/conftest.py).
"""
import ast
import importlib
import re

import nbformat
import pytest

from tests.lesson_text import (LESSONS, NUMBERS, ORIGINAL_D2L, ROOT, cells, code, lesson,
                               markdown, prose_of, sections)


# ---------------------------------------------------------------- d2l, as in the original

def d2l_names(path):
    """(cell index, name, called) of every `d2l.name` in the notebook's code."""
    found = []
    for i, cell in enumerate(cells(path)):
        if cell.cell_type != "code":
            continue
        source = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith("%"))
        tree = ast.parse(source)
        calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == "d2l":
                found.append((i, node.attr, id(node) in calls))
    return found


@pytest.mark.parametrize("number", ORIGINAL_D2L)
def test_the_original_lessons_notebooks_import_and_use_d2l(number):
    path = next(p for p in LESSONS if p.name.startswith(number))
    setup = next(c for c in cells(path) if c.cell_type == "code").source
    assert "from d2l import mxnet as d2l" in setup, f"{path.name} does not import d2l"
    assert [name for _, name, called in d2l_names(path) if called], \
        f"{path.name} imports d2l and calls none of it"


def test_every_d2l_name_exists_in_the_pinned_d2l():
    d2l = importlib.import_module("d2l.mxnet")
    for path in LESSONS:
        for _, name, _ in d2l_names(path):
            assert hasattr(d2l, name), f"{path.name} uses d2l.{name}, which d2l does not have"


def test_every_d2l_call_ran(executed_lessons):
    """In the lessons as executed, every cell that calls d2l ran, without an error."""
    for path in LESSONS:
        calls = {i for i, _, called in d2l_names(path) if called}
        if not calls:
            continue
        run = nbformat.read(executed_lessons[path.stem]["path"], as_version=4).cells
        for i in sorted(calls):
            assert run[i].execution_count, f"{path.name}: cell {i} (d2l) did not run"
            errors = [o for o in run[i].outputs if o.output_type == "error"]
            assert not errors, f"{path.name}: cell {i} (d2l) failed: {errors[0].ename}"


def test_the_helper_table_names_what_exists():
    """Notebook 03's table: each kit helper is importable, each d2l name is in d2l, or the
    row says it is d2l 0.17's."""
    d2l = importlib.import_module("d2l.mxnet")
    path = next(p for p in LESSONS if p.name.startswith("03"))
    table = next(c.source for c in cells(path) if "| the kit |" in c.source)
    rows = [line for line in table.splitlines() if line.startswith("| `helpers.")]
    assert len(rows) >= 15, rows
    for row in rows:
        helper, _, theirs = (cell.strip() for cell in row.strip("|").split("|"))
        module, _, name = helper.strip("`").rpartition(".")
        assert hasattr(importlib.import_module(module), name), helper
        for d2l_name in re.findall(r"`d2l\.(\w+)`", theirs):
            assert hasattr(d2l, d2l_name) or "d2l 0.17" in theirs, row


def test_the_scratch_model_starts_from_the_same_weights_in_lesson_and_assignment():
    lesson = next(p for p in LESSONS if p.name.startswith("03"))
    assignment = ROOT / "course" / "source" / "a3_scratch" / "softmax_scratch.ipynb"
    for path in (lesson, assignment):
        code = "\n".join(c.source for c in cells(path) if c.cell_type == "code")
        assert re.search(r"W = np\.random\.normal\(0, 0\.02, \(num_inputs, num_outputs\)\)", code), \
            f"{path.name} does not draw W from N(0, 0.02) as the original lesson does"


# ---------------------------------------------------------------- the original lesson, credited

ORIGINAL_POST = "https://my.oschina.net/u/4321684/blog/4626963"
CITED_POSTS = ("https://www.jianshu.com/p/e0d0f75118f1",
               "https://blog.csdn.net/tonydz0523/article/details/108696637")


@pytest.mark.parametrize("zh", [False, True], ids=["en", "zh"])
def test_the_original_lesson_is_defined_where_it_first_appears(zh):
    """The first mention, in the first lesson, says what the original lesson is and links it."""
    name = "最初的这堂课" if zh else "original lesson"
    for path in [lesson(n, zh) for n in sorted(NUMBERS)]:
        first = next((p for text in markdown(path) for p in re.split(r"\n\s*\n", text)
                      if name in p), None)
        if first is not None:
            break
    assert path.name.startswith("01"), f"'{name}' first appears in {path.name}, not in 01"
    definition = "\n".join(p for text in markdown(path) for p in re.split(r"\n\s*\n", text)
                           if ORIGINAL_POST in p)
    assert definition and name in definition and all(u in definition for u in CITED_POSTS), \
        f"{path.name} mentions '{name}' without defining it beside {ORIGINAL_POST}"
    references = prose_of(path)[prose_of(path).index("## 参考文献" if zh else "## References"):]
    assert ORIGINAL_POST in references and all(u in references for u in CITED_POSTS)


def test_the_readme_credits_the_original_post():
    for readme in ("README.md", "README.zh-CN.md"):
        assert ORIGINAL_POST in (ROOT / readme).read_text(encoding="utf-8"), readme


# The original lesson's sections and the kit's headings they correspond to.
ORIGINAL_SECTIONS = {"01": {"0": r"^# "}, "02": {"1": r"^# "}, "03": {"2": r"^# "},
                     "04": {"3": r"^# "},
                     "05": {"4": r"^# ", "5": r"^## The complete program"}}
# The numbered subsections of the original's sections 1 to 3, named in their notes.
SUBSECTIONS = {"02": ("1.1", "1.4"), "03": ("2.1", "2.10"), "04": ("3.1", "3.5")}


@pytest.mark.parametrize("number", sorted(ORIGINAL_SECTIONS))
@pytest.mark.parametrize("zh", [False, True], ids=["en", "zh"])
def test_the_original_sections_stand_beside_the_kits_headings(number, zh):
    """A quoted note in a heading's section, before any other heading, names the original
    section (under a lesson's title it follows the opening paragraph, which the site's index
    quotes)."""
    note = r"^> \*\*最初的这堂课\*\*：第 (\d) 节" if zh else r"^> \*\*Original lesson:\*\* section (\d)"
    english = [c.source for c in cells(lesson(number)) if c.cell_type == "markdown"]
    found = {}
    for i, text in enumerate(markdown(lesson(number, zh))):
        heading = next((line for line in english[i].splitlines() if line.startswith("#")), "")
        lines = text.splitlines()
        for j, line in enumerate(lines):
            m = re.match(note, line)
            if m:
                above = [x for x in lines[:j] if x.startswith("#")]
                assert above, f"{number}: the note stands under no heading of its cell"
                found[m.group(1)] = heading
    for section, pattern in ORIGINAL_SECTIONS[number].items():
        assert section in found and re.match(pattern, found[section]), (number, section, found)


@pytest.mark.parametrize("number", sorted(SUBSECTIONS))
def test_the_notes_of_02_to_04_name_the_subsections_they_cover(number):
    first, last = SUBSECTIONS[number]
    for zh, words in ((False, f"its sections {first} to {last}"), (True, f"{first} 至 {last} 节")):
        title = markdown(lesson(number, zh))[0]
        note = next(line for line in title.splitlines()
                    if line.startswith(("> **Original lesson:**", "> **最初的这堂课**")))
        assert words in note, (lesson(number, zh).name, note)


def test_the_section_map_names_every_section_of_the_original():
    text = markdown(lesson("01"))[0]
    for section in ("0 (the softmax operation)", "1 (the data, 1.1 to 1.4)",
                    "2 (from scratch, 2.1 to 2.10)", "3 (the concise version, 3.1\nto 3.5)",
                    "4 (the GPU)", "5 (the complete code)"):
        assert " ".join(section.split()) in " ".join(text.split()), section


@pytest.mark.parametrize("claim, words", [
    ("its opening line", ("generalization of logistic regression",)),
    ("its example", ("0.1, 0.8 and 0.1",)),
    ("its three steps", ("three steps", "original lesson's `softmax`")),
    ("Luce", ("*invented*", "does not repeat that")),
])
def test_each_departure_from_the_original_is_said_where_it_happens(claim, words):
    """Where 01 departs from the original lesson, one cell says so with the original's claim."""
    cells_saying = [t for t in markdown(lesson("01"))
                    if all(w in " ".join(t.split()) for w in words)]
    assert cells_saying, f"01 never says how it treats the original lesson's {claim}"
    assert all("original" in " ".join(t.split()).lower() or "post" in t for t in cells_saying)


@pytest.mark.parametrize("claim, english, chinese", [
    ("its opening line", ("generalization of logistic regression",), ("对数几率回归", "推广")),
    ("its example", ("0.1, 0.8 and 0.1",), ("0.1、0.8 和 0.1",)),
    ("its three steps", ("three steps", "original lesson's `softmax`"), ("三步",)),
    ("Luce", ("*invented*", "does not repeat that"), ("*发明*", "不采用这个说法")),
])
def test_the_chinese_edition_says_each_departure_in_the_same_cell(claim, english, chinese):
    """The twin of the cell where 01 says a departure says it too, in Chinese, and names the
    original lesson (最初的这堂课) where the English names it."""
    pairs = list(zip(cells(lesson("01")), cells(lesson("01", zh=True))))
    found = [(" ".join(en.source.split()), " ".join(zh.source.split())) for en, zh in pairs
             if en.cell_type == "markdown" and all(w in " ".join(en.source.split())
                                                   for w in english)]
    assert found, f"01 never says how it treats the original lesson's {claim}"
    for en, zh in found:
        assert all(w in zh for w in chinese), (claim, zh[:300])
        assert "最初的这堂课" in zh or "原文" in zh, (claim, zh[:300])


def test_the_original_example_is_computed():
    assert "[0.1, 0.8, 0.1]" in code(lesson("01"))


# ---------------------------------------------------------------- theory against d2l 3.4

def test_lesson_01_derives_the_gradient_and_the_l2_penalty_in_its_text():
    text = "\n".join(markdown(lesson("01")))
    assert r"\mathrm{softmax}(\mathbf{o})_j - y_j" in text
    assert r"\frac{1}{n}\mathbf{X}^\top(\hat{\mathbf{Y}} - \mathbf{Y}) + \lambda \mathbf{W}" in text
    source = code(lesson("01"))
    assert "W.grad" in source and "lam / 2 * (W ** 2).sum()" in source, "checked by autograd"
    assert "network_figure(num_inputs=4, num_outputs=3)" in source
    exercises = text[text.index("## Exercises"):]
    assert "Show that the derivative of the cross-entropy" not in exercises, \
        "the gradient is derived in the text, not left as an exercise"


def test_there_is_no_previous_lesson_before_01():
    for zh in (False, True):
        text = markdown(lesson("01", zh))[0]
        assert "previous lesson" not in text and "上一课" not in text


# ---------------------------------------------------------------- lessons 02 to 04: departures said

@pytest.mark.parametrize("number, heading, english, chinese", [
    ("02", r"## Putting it all together",
     ("`load_data(batch_size, resize=None)`", "`loader`", "six worker", "four"),
     ("`load_data(batch_size, resize=None)`", "`loader`", "六个工作进程", "四个")),
    ("03", r"## Defining the softmax operation", ("three steps",), ("三步",)),
    ("03", r"## Training", ("`train`", "three lists", "dict", "checks nothing"),
     ("`train`", "三个列表", "字典", "不做任何检查")),
    ("03", r"## Training", ("three bars", "0.82", "fifth"), ("三个标准", "0.82", "第五轮")),
    ("03", r"## Prediction", ("first 8 images", "first ten", "whole test set"),
     ("前 8 张", "前十个批量", "整个测试集")),
    ("04", r"# Concise", ("`d2l.train_ch3`", "`d2l.load_data_fashion_mnist`",
                          "Running the book's own code"),
     ("`d2l.train_ch3`", "`d2l.load_data_fashion_mnist`", "运行书中的原始代码")),
], ids=["02-load_data", "03-three-steps", "03-train", "03-bars", "03-prediction", "04-d2l"])
def test_each_departure_of_02_to_04_is_said_where_it_happens(number, heading, english, chinese):
    """Under the heading where the kit departs from the original lesson, one cell of each
    edition says what the post does and what the kit does instead."""
    for zh, words, name in ((False, english, "original lesson"), (True, chinese, "最初的这堂课")):
        path = lesson(number, zh)
        saying = [text for h, text in sections(path) if re.match(heading, h)
                  and all(w in text for w in words) and name in text]
        assert saying, f"{path.name}: no cell under {heading!r} says {words} of the {name}"


def test_03_says_where_its_two_helpers_come_from_where_it_first_uses_them():
    setup = next(c.source for c in cells(lesson("03")) if c.cell_type == "code")
    assert "from helpers.train import correct_count, to_device" in setup
    assert "optional section" not in setup
    for zh, words in ((False, ("imported at the top", "appendix")), (True, ("开头", "导入", "附录"))):
        first = next(text for _, text in sections(lesson("03", zh)) if "`correct_count`" in text)
        assert all(w in first for w in words) and "`to_device`" in first, first


def test_03_and_04_say_truly_what_d2l_runs_in_the_kits_environment():
    """d2l.train_ch3 and d2l.load_data_fashion_mnist work in the kit's environment
    (helpers/book_code.py): the lessons no longer say they are missing or cannot load."""
    d2l = importlib.import_module("d2l.mxnet")
    assert hasattr(d2l, "train_ch3") and hasattr(d2l, "load_data_fashion_mnist")
    stale = ("not in the pinned d2l 1.0", "not in d2l 1.0", "cannot download the data",
             "d2l 1.0 中没有", "下载不到数据")
    for number in ("03", "04"):
        for zh, section in ((False, "Running the book's own code"), (True, "运行书中的原始代码")):
            text = " ".join(prose_of(lesson(number, zh)).split())
            found = [s for s in stale if s in text]
            assert not found, f"{lesson(number, zh).name} still says {found}"
            assert section in text, f"{lesson(number, zh).name} does not point to {section!r}"
