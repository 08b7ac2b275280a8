"""What the lessons say about themselves holds: every "notebook NN" names a notebook that
exists, a topic is sent to the notebook that teaches it, the notebooks of the original
lesson use d2l as it does and every `d2l.` call there exists and runs, the asides stay
out of the main path, and the figures show what the exercises produce. Also: the original
lesson is defined and credited where it first appears, its sections are named beside the
kit's headings, each departure from it is said where it happens; the classroom path and
each lesson's planned time agree with the README; engineering asides sit in appendix
sections after the summary; the figures of lesson 07 say what they show.

Most tests read the stored notebooks (fast); the one on d2l calls reads the lessons as
executed once per run (`executed_lessons`, tests/conftest.py).
"""
import ast
import importlib
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NUMBERS = {p.name[:2] for p in LESSONS}
COURSE = sorted((ROOT / "course").glob("source/*/*.ipynb"))
# The original lesson's notebooks: d2l 0.17's sections 3.5, 3.6, 3.7 and 5.6, whose code
# imports d2l (3.4, notebook 01, has no code of its own).
ORIGINAL_D2L = ("02", "03", "04", "05")

# Topic -> the notebooks that teach it. A passage that sends the reader to one notebook
# for a topic must send them to one of these.
TOPICS = {
    r"calibrat": {"01", "07"},
    r"confus": {"07"},
    r"temperature": {"01", "07"},
    r"reliability|expected calibration error|\bECE\b": {"07"},
    r"overflow|log-sum-exp|numerical(ly)? stab": {"04", "06"},
    r"finite difference|gradient check": {"06"},
    r"validation": {"07", "08"},
    r"in[- ]memory": {"02"},
    r"hybridi": {"04", "05"},
    r"data parallelism|several devices": {"05"},
    r"\btun(e|es|ed|ing)\b": {"08"},
    r"template": {"07"},
}
# Where each of these is taught: a heading of that notebook names it.
HEADINGS = {
    "01": [r"softmax", r"one-hot", r"maximum likelihood", r"gradient", r"weight decay",
           r"entropy", r"accuracy directly", r"calibration", r"linear model"],
    "02": [r"dataset", r"classes", r"minibatch", r"in memory"],
    "03": [r"initializing", r"softmax", r"loss", r"accuracy", r"training", r"prediction",
           r"d2l", r"asynchronous"],
    "04": [r"model", r"logits", r"loss function", r"training"],
    "05": [r"device", r"copy", r"small", r"data parallelism"],
    "06": [r"overflow", r"maximum", r"softmax minus one-hot", r"finite differences"],
    "07": [r"validation split", r"reliability diagram", r"temperature scaling", r"confused",
           r"confident mistakes", r"templates"],
    "08": [r"standardization", r"weight decay", r"validation split", r"like with like",
           r"test set, once"],
}
REFERENCE = re.compile(r"\b[Nn]otebooks? ((?:\d\d)(?:(?:,| and| to| or)+ \d\d)*)")


def cells(path):
    return nbformat.read(path, as_version=4).cells


def passages(text):
    """A markdown text cut into list items (whole) and the sentences of its paragraphs."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        for part in re.split(r"\n(?=\s*(?:\d+\.|\*|-) )", block):
            if re.match(r"\s*(?:\d+\.|\*|-) ", part):
                out.append(part)
            else:
                out += re.split(r"(?<=[.?!])\s+(?=[A-Z(*`$])", part)
    return [p for p in out if p.strip()]


def referenced(text):
    """The two-digit notebook numbers a text refers to ("notebooks 03 to 05": 03, 04, 05)."""
    found = []
    for group in REFERENCE.findall(text):
        numbers = re.findall(r"\d\d", group)
        if " to " in group and len(numbers) == 2:
            numbers = [f"{n:02d}" for n in range(int(numbers[0]), int(numbers[1]) + 1)]
        found += numbers
    return found


def misdirections(text, own=None):
    """Passages of `text` that send the reader to one notebook for a topic it does not teach."""
    wrong = []
    for passage in passages(text):
        refs = set(referenced(passage)) - {own}
        if len(refs) != 1:
            continue
        homes = set().union(*(h for t, h in TOPICS.items() if re.search(t, passage, re.I)))
        if homes and not refs & homes:
            wrong.append(f"notebook {refs.pop()} for {sorted(homes)}: {passage.strip()[:120]}")
    return wrong


def prose_of(path):
    return "\n\n".join(c.source for c in cells(path))


# ---------------------------------------------------------------- notebook references

@pytest.mark.parametrize("path", LESSONS + COURSE, ids=lambda p: p.name)
def test_every_notebook_named_exists(path):
    missing = sorted(set(referenced(prose_of(path))) - NUMBERS)
    assert not missing, f"{path.name} names notebooks {missing}; there are {sorted(NUMBERS)}"


def test_readmes_name_existing_notebooks():
    for readme in (ROOT / "README.md", ROOT / "course" / "README.md"):
        missing = sorted(set(referenced(readme.read_text())) - NUMBERS)
        assert not missing, f"{readme.name} names notebooks {missing}"


@pytest.mark.parametrize("path", LESSONS + COURSE, ids=lambda p: p.name)
def test_topics_point_to_the_notebook_that_teaches_them(path):
    own = path.name[:2] if path in LESSONS else None
    text = "\n\n".join(c.source for c in cells(path) if c.cell_type == "markdown")
    assert not misdirections(text, own), misdirections(text, own)


def test_the_topic_check_catches_a_wrong_notebook():
    """The two slips the lessons once had: calibration and the confusion matrix sent to 06."""
    assert misdirections("The softmax makes outputs that *look* like probabilities, but "
                         "nothing in its formula makes them calibrated: that is a property "
                         "of a trained model, to be measured (notebook 06 does).")
    assert misdirections("3. Which two classes do you expect to be confused most often?\n"
                         "   we will check it in notebook 06.")
    assert not misdirections("measured, for calibration, in notebook 07.")
    assert referenced("notebooks 03 to 05, and notebook 01") == ["03", "04", "05", "01"]


@pytest.mark.parametrize("number", sorted(HEADINGS))
def test_each_notebook_has_the_headings_of_what_it_teaches(number):
    path = next(p for p in LESSONS if p.name.startswith(number))
    headings = "\n".join(line for c in cells(path) if c.cell_type == "markdown"
                         for line in c.source.splitlines() if line.startswith("#"))
    missing = [t for t in HEADINGS[number] if not re.search(t, headings, re.I)]
    assert not missing, f"{path.name} has no heading on {missing}:\n{headings}"


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


# Lessons beyond the original one that follow sources of their own: what each must name.
OWN_SOURCES = {
    "09": ("Scaling Distributed Machine Learning with the Parameter Server", "OSDI 2014",
           "12.7", "d2l.ai", "zh.d2l.ai", "动手学深度学习", "Distributed Training in MXNet"),
}


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_each_lesson_names_its_sources(path):
    text = prose_of(path)
    heading = re.search(r"^## References$", text, re.M)
    assert heading, f"{path.name} has no ## References"
    references = " ".join(text[heading.end():].split())  # the list, its line breaks undone
    if path.name[:2] in ("01",) + ORIGINAL_D2L:
        assert "d2l.ai" in text and "zh.d2l.ai" in text and "动手学深度学习" in text, path.name
    missing = [s for s in OWN_SOURCES.get(path.name[:2], ()) if s not in references]
    assert not missing, f"{path.name}'s References do not name {missing}"


# ---------------------------------------------------------------- the main path and the asides

@pytest.mark.parametrize("number, names", [
    ("02", ("to_tensor", "ArrayLoader", "load_data_in_memory")),
    ("03", ("correct_count", "to_device")),
])
def test_engineering_asides_sit_in_optional_sections(number, names):
    path = next(p for p in LESSONS if p.name.startswith(number))
    section = None
    for cell in cells(path):
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("## "):
                    section = line
        elif cell.source.lstrip().startswith("#@save"):
            for name in names:
                if re.search(rf"^(def|class) {name}\b", cell.source, re.M):
                    assert section and section.startswith(("## Optional", "## Appendix")), \
                        f"{path.name}: {name} is defined under {section!r}"


# ---------------------------------------------------------------- figures

def test_the_training_chart_shows_losses_above_one_and_a_diverging_run():
    from helpers.plot import plot_history
    slow = plot_history({"train_loss": [1.37, 0.9], "train_acc": [0.6, 0.7],
                         "test_acc": [0.62, 0.7]}, "lr 0.01")
    assert slow.layout.yaxis.range[1] >= 1.37
    usual = plot_history({"train_loss": [0.6, 0.5], "train_acc": [0.8, 0.84]})
    assert tuple(usual.layout.yaxis.range) == (0, 1)
    diverged = plot_history({"train_loss": [2.1, float("nan")], "train_acc": [0.3, 0.1]}, "lr 1")
    assert "not finite from epoch 2" in diverged.layout.title.text
    assert diverged.data[0].y[1] is None


def test_image_titles_leave_the_images_above_them_alone():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as onp
    from helpers.plot import show_images
    titles = [f"ankle boot /\npullover {i}" for i in range(12)]
    axes = show_images(onp.zeros((12, 28, 28)), 2, 6, titles=titles, scale=1.8)
    fig = axes[0].figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for below, above in zip(axes[6:], axes[:6]):
        title = below.title.get_window_extent(renderer)
        image = above.get_window_extent(renderer)
        assert title.y1 <= image.y0, "a title overlaps the image above it"
    plt.close(fig)



# ---------------------------------------------------------------- the original lesson, credited

ZH = ROOT / "notebooks" / "zh"
ORIGINAL_POST = "https://my.oschina.net/u/4321684/blog/4626963"
CITED_POSTS = ("https://www.jianshu.com/p/e0d0f75118f1",
               "https://blog.csdn.net/tonydz0523/article/details/108696637")


def lesson(number, zh=False):
    return next(p for p in sorted((ZH if zh else ROOT / "notebooks").glob(f"{number}_*.ipynb")))


def markdown(path):
    return [c.source for c in cells(path) if c.cell_type == "markdown"]


def code(path):
    return "\n".join(c.source for c in cells(path) if c.cell_type == "code")


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


# ---------------------------------------------------------------- the classroom path

PLANNED = re.compile(r"\*\*Planned time:\*\* (\d+) minutes")
PLANNED_ZH = re.compile(r"\*\*计划用时\*\*：(\d+) 分钟")
OWN_TIMES = tuple(sorted(NUMBERS))


def readme_times():
    """{lesson number: (minutes, where)} from README.md's lesson table."""
    rows = re.findall(r"^\| (\d\d) \| [^|]+ \| (\d+) min, ([a-z0-9 ]+) \|", (ROOT / "README.md")
                      .read_text(), re.M)
    return {n: (int(m), where) for n, m, where in rows}


def test_the_readme_states_the_classroom_path_and_its_time():
    readme = (ROOT / "README.md").read_text()
    assert "The classroom path: lessons 01 to 05, in two sittings of 90 minutes" in readme
    times = readme_times()
    assert sorted(times) == sorted(NUMBERS), times
    for sitting in ("sitting 1", "sitting 2"):
        minutes = sum(m for m, where in times.values() if where == sitting)
        assert 0 < minutes <= 90, (sitting, minutes)
    on_path = sorted(n for n, (_, where) in times.items() if where.startswith("sitting"))
    assert on_path == ["01", "02", "03", "04", "05"]
    assert times["09"][1] == "appendix"


@pytest.mark.parametrize("number", OWN_TIMES)
def test_each_lesson_states_its_planned_time_at_the_top(number):
    for zh, pattern in ((False, PLANNED), (True, PLANNED_ZH)):
        first = markdown(lesson(number, zh))[0]
        m = pattern.search(first)
        assert m, f"{lesson(number, zh).name} gives no planned time in its first cell"
        assert int(m.group(1)) == readme_times()[number][0], "README and lesson disagree"


APPENDIX_TOPICS = {"02": (r"in memory",),
                   "03": (r"helpers and their names in d2l", r"asynchronous execution",
                          r"training loop fast"),
                   "04": (r"step costs",),
                   "05": (r"CUDA build", r"copy costs", r"model this small"),
                   "09": (r"role dies", r"several machines")}
# What stays out of a classroom lesson's main path (its cells before the summary): the
# asides its appendix holds.
ASIDES = {"02": ("load_data_in_memory(", "ArrayLoader", "to_tensor(", "time_epoch"),
          "03": ("| the kit |", "cpu_shared", "engine thread", "def correct_count",
                 "def to_device"),
          "04": ("./kit bench", "the graph's memory", "PyTorch")}


@pytest.mark.parametrize("number", sorted(APPENDIX_TOPICS))
def test_engineering_asides_sit_in_appendix_sections_after_the_summary(number):
    headings = [line for text in markdown(lesson(number)) for line in text.splitlines()
                if line.startswith("## ")]
    after = headings[headings.index("## Summary") + 1:]
    for topic in APPENDIX_TOPICS[number]:
        where = [h for h in headings if re.search(topic, h)]
        assert where and where[0] in after and where[0].startswith("## Appendix: "), \
            f"{number}: the aside on {topic!r} is not an appendix section after the summary"
    assert after[-1] == "## References"
    assert all(h.startswith("## Appendix: ") for h in after[:-1] if h != "## Exercises")
    zh = [line for text in markdown(lesson(number, True)) for line in text.splitlines()
          if line.startswith("## ")]
    zh_after = zh[zh.index("## 总结") + 1:]
    assert zh_after[-1] == "## 参考文献"
    assert all(h.startswith("## 附录：") for h in zh_after[:-1] if h != "## 练习"), zh_after


@pytest.mark.parametrize("number", sorted(ASIDES))
def test_the_main_path_holds_none_of_the_asides(number):
    """A class that stops at the summary meets no engineering aside on its way."""
    main = []
    for cell in cells(lesson(number)):
        if cell.cell_type == "markdown" and re.search(r"^## Summary$", cell.source, re.M):
            break
        main.append(cell.source)
    found = [a for a in ASIDES[number] if a in "\n".join(main)]
    assert not found, f"{number}'s main path holds {found}; they belong in its appendix"


def test_lesson_09_is_an_appendix_for_systems_minded_classes():
    for zh, title, note in ((False, "# Appendix:", "appendix for systems-minded classes"),
                            (True, "# 附录：", "给关注系统的班级的附录")):
        first = markdown(lesson("09", zh))[0]
        assert first.startswith(title) and note in first
    assert "[Appendix: beyond one machine](notebooks/09_distributed.ipynb)" in \
        (ROOT / "README.md").read_text()


def test_no_lesson_sends_the_reader_to_next_lessons_that_are_not_there():
    for path in LESSONS:
        text = " ".join(prose_of(path).split())
        assert "the next lessons" not in text, f"{path.name} promises lessons the kit has not"


# ---------------------------------------------------------------- lesson 05: claims one can check

def test_05_no_longer_quotes_figures_no_one_can_reproduce():
    text = " ".join("\n".join(markdown(lesson("05"))).split())
    assert "H100" not in text and "PyTorch" not in text
    assert "what memory allows" not in text


def test_05_times_the_cpu_copy_beside_numpy(executed_lessons):
    run = nbformat.read(executed_lessons["05_gpu"]["path"], as_version=4)
    cell = next(c for c in run.cells if c.cell_type == "code" and "copy_seconds" in c.source)
    printed = "".join(o.get("text", "") for o in cell.outputs)
    for size in ("one batch", "training set"):
        lines = [line for line in printed.splitlines() if line.strip().startswith(size)]
        assert any("MXNet" in line for line in lines) and any("NumPy" in line for line in lines)


# ---------------------------------------------------------------- lesson 07: figures that say what they show

def figures_of(cell):
    """The plotly figures a code cell of an executed notebook displayed, as dicts."""
    return [o["data"]["application/vnd.plotly.v1+json"] for o in cell.get("outputs", [])
            if "application/vnd.plotly.v1+json" in o.get("data", {})]


def test_07_labels_its_held_out_curve_val(executed_lessons):
    run = nbformat.read(executed_lessons["07_calibration"]["path"], as_version=4)
    training = next(c for c in run.cells if c.cell_type == "code" and "ProgressChart(" in c.source)
    names = [t["name"] for fig in figures_of(training) for t in fig["data"]]
    assert "val acc" in names and "test acc" not in names, names


def test_07_shows_before_and_after_on_the_same_split(executed_lessons):
    run = nbformat.read(executed_lessons["07_calibration"]["path"], as_version=4)
    pairs = [fig for c in run.cells if c.cell_type == "code" for fig in figures_of(c)
             if "before and after" in fig["layout"]["title"]["text"]]
    assert len(pairs) == 1, "one figure compares before and after"
    titles = [a["text"] for a in pairs[0]["layout"]["annotations"]]
    assert len(titles) == 2 and len({t.split(",")[0] for t in titles}) == 1, titles
    assert "T = 1:" in titles[0] and "T = 1:" not in titles[1]


def test_07_asserts_nothing_on_a_small_ece_difference_and_measures_its_noise():
    source = code(lesson("07"))
    assert not re.search(r"assert\s+ece_after\s*<\s*ece_before", source)
    assert "paired_bootstrap_ece" in source
    text = " ".join("\n".join(markdown(lesson("07"))).split())
    assert "nearly calibrated" in text and "noise" in text
    assert "why must a linear model" not in text.lower()


def test_07_weights_share_one_colour_scale(executed_lessons):
    assert "weight_templates(W, labels)" in code(lesson("07"))
    assert "one colour scale" in " ".join("\n".join(markdown(lesson("07"))).split())


def test_07_chinese_edition_says_the_same():
    text = " ".join("\n".join(markdown(lesson("07", zh=True))).split())
    assert "接近校准" in text and "噪声" in text and "自助法" in text
    assert "共用一个以 0 为中心对称的色阶" in text


# ---------------------------------------------------------------- lesson 08's exercise, measured

def test_08_exercise_on_standardization_says_what_was_measured():
    text = " ".join(prose_of(lesson("08")).split())
    exercises = text[text.index("## Exercises"):]
    assert "Nothing diverges" in exercises and "0.844" in exercises
    text = " ".join(prose_of(lesson("08", zh=True)).split())
    exercises = text[text.index("## 练习"):]
    assert "训练不会发散" in exercises and "0.844" in exercises


# ---------------------------------------------------------------- lessons 02 to 04: departures said

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


def test_03_sends_the_reader_to_a_learning_rate_whose_loss_the_chart_can_show():
    """The chart's y axis grows for a loss above 1: 0.01's first epoch (1.37 measured); lr 1
    is nan from the first epoch, which the exercise says, and the chart marks (see above)."""
    for zh, axis, pointer in ((False, "y axis", "exercise 3"), (True, "y 轴", "练习 3")):
        texts = [text for _, text in sections(lesson("03", zh))]
        chart = next(t for t in texts if axis in t and pointer in t)
        sentence = next(s for s in re.split(r"(?<=\.)\s+|(?<=。)", chart) if pointer in s)
        assert "0.01" in sentence, sentence
        exercises = next(t for t in texts if "## Exercises" in t or "## 练习" in t)
        third = re.search(r"3\. (.+?) 4\. ", exercises).group(1)
        assert "0.01" in third and "`nan`" in third, third


def test_04_naive_loss_is_truly_naive_and_says_what_npx_softmax_does():
    """The naive loss uses the textbook softmax of 03 (exp as it is); MXNet's npx.softmax,
    which subtracts the maximum first, is shown apart. The cells run here as in the lesson."""
    nb = cells(lesson("04"))
    source = {c.get("id"): c.source for c in nb}
    assert re.search(r"^naive = -np\.log\(softmax\(logits\)", source["c04-08"], re.M)
    assert not re.search(r"^naive = .*npx\.softmax", source["c04-08"], re.M)
    namespace = {}
    for cell_id in ("c04-01", "c04-08", "c04-09"):
        exec(source[cell_id], namespace)  # the imports, the three losses, the lesson's checks
    import numpy as onp
    assert onp.isnan(namespace["naive"].asnumpy()[:2]).all()
    for zh, words in ((False, "subtracts the maximum"), (True, "减去最大值")):
        assert any(words in t and "`npx.softmax`" in t for _, t in sections(lesson("04", zh)))


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


# ---------------------------------------------------------------- cross-references to the READMEs

README_REFERENCE = re.compile(r"(README(?:\.md|\.zh-CN\.md)?),? ?(?:的)?[“\"]([^”\"]+)[”\"]")


def readme_headings(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    return {m.group(1).strip() for m in re.finditer(r"^#{2,4} (.+)$", text, re.M)}


@pytest.mark.parametrize("zh", [False, True], ids=["en", "zh"])
def test_every_readme_section_a_lesson_names_exists_in_its_readme(zh):
    """A lesson that sends the reader to a README section names one its reader's README has:
    README.md for the English edition, README.zh-CN.md for the Chinese one (its "速度", not
    the English "Speed")."""
    readme = "README.zh-CN.md" if zh else "README.md"
    headings = readme_headings(readme)
    paths = [lesson(n, zh) for n in sorted(NUMBERS)]
    paths += sorted((ROOT / "course").glob("source_zh/*/*.ipynb" if zh else "source/*/*.ipynb"))
    wrong, seen = [], 0
    for path in paths:
        for text in markdown(path):
            for name, section in README_REFERENCE.findall(" ".join(text.split())):
                seen += 1
                if name == ("README.md" if zh else "README.zh-CN.md") or section not in headings:
                    wrong.append(f"{path.name}: {name}, {section!r}")
    assert seen >= 3, seen
    assert not wrong, f"sections {readme} does not have: {wrong}"


# ---------------------------------------------------------------- a2's model answer

@pytest.mark.parametrize("zh", [False, True], ids=["en", "zh"])
def test_a2_model_answer_tells_debians_files_truly(zh):
    """Debian's files hold Zalando's compressed data unchanged; only the gzip header differs.
    Gluon refuses them because it pins the SHA-1s of the first release (2017-08-26)."""
    path = ROOT / "course" / ("source_zh" if zh else "source") / "a2_data" / "fashion_mnist.ipynb"
    answer = next(c.source for c in cells(path) if c.metadata.get("nbgrader", {})
                  .get("grade_id") == "answer2")
    answer = " ".join(answer.split())
    wrong = ("重新压缩了这些文件",) if zh else ("re-compresses", "recompresses")
    assert not any(w in answer for w in wrong), answer
    for words in (("gzip 文件头", "原样", "2017-08-26") if zh
                  else ("gzip header", "unchanged", "2017-08-26")):
        assert words in answer, (words, answer)
