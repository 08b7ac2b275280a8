"""What the lessons say of one another and of the READMEs holds: every "notebook NN" names a
notebook that exists, a topic is sent to the notebook that teaches it, each notebook has the
headings of what it teaches and names its sources; the classroom path and each lesson's
planned time agree with the README; engineering asides sit in appendix sections after the
summary; a README section a lesson names exists in its reader's README.

The original lesson, kept and credited: tests/test_lesson_facts_original.py; the lessons'
claims one can check: tests/test_lesson_facts_claims.py. These tests read the stored
notebooks.
"""
import re

import pytest

from tests.lesson_text import (COURSE, LESSONS, NUMBERS, ORIGINAL_D2L, ROOT, cells, lesson,
                               markdown, prose_of)

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
