"""The Chinese edition: in step with the English one, and whole.

- Every English lesson and assignment notebook has a Chinese twin with the same cells:
  the same code, character for character, and prose translated from the English text
  that is there now (tools/zh/twins.py: a fingerprint per cell), with the same sections
  (Summary/总结, Exercises/练习) and none of the terms the glossary rules out.
- The twin check itself catches each way of drifting apart.
- One run serves both editions: a twin takes the English run's outputs by position, and
  refuses to when its code differs.
- The check messages in Chinese: every key, the same fields, chosen by KIT_LANG; the
  verdicts never change with the language.
- The Chinese student copies (tools/zh/release.py): nbgrader's copies with Chinese prose,
  accepted by nbgrader's validator, graded as the English ones, handed out through
  nbgrader's exchange as course/README.md says.
- README.zh-CN.md names every lesson and the commands a Chinese-reading student types.

The Chinese site pages are checked in the browser by tests/test_site.py.
"""
import json
import os
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grading.checks import messages
from grading.checks.messages_zh import CHINESE
from tools.lessons.notebooks import (NOTEBOOKS, TwinMismatch, borrow_outputs, notebook_paths,
                                     twin_path)
from tools.zh import twins
from tests.kit_paths import ROOT

PAIRS = twins.pairs()
LESSON_PAIRS = [(e, t) for e, t in PAIRS if e.parent == NOTEBOOKS]
HAN = re.compile(r"[\u4e00-\u9fff]")
GLOSSARY = NOTEBOOKS / "zh" / "glossary.md"


def relative(path):
    return str(path.relative_to(ROOT))


# --------------------------------------------------------------------------- the twins

def test_every_lesson_and_assignment_has_a_twin():
    lessons = [e for e, _ in LESSON_PAIRS]
    assert lessons == notebook_paths() and len(lessons) >= 9
    assert len(PAIRS) > len(LESSON_PAIRS), "the assignments have twins too"
    missing = [relative(t) for _, t in PAIRS if not t.is_file()]
    assert not missing, f"no Chinese edition yet: {missing} (tools/zh/twins.py sync starts one)"


@pytest.mark.parametrize("english,twin", PAIRS, ids=[relative(t) for _, t in PAIRS])
def test_the_twin_is_in_step(english, twin):
    """Same cells, same code, prose translated from today's English, same sections."""
    if not twin.is_file():
        pytest.fail(f"{relative(twin)} is missing", pytrace=False)
    found = twins.problems(nbformat.read(english, as_version=4),
                           nbformat.read(twin, as_version=4), relative(twin))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("english,twin", LESSON_PAIRS, ids=[t.stem for _, t in LESSON_PAIRS])
def test_a_chinese_lesson_has_the_lesson_skeleton(english, twin):
    nb = nbformat.read(twin, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.match(r"# [^#]", nb.cells[0].source) and HAN.search(nb.cells[0].source), \
        f"{twin.name} must open with a Chinese H1 title"
    assert re.search(r"^## 总结$", markdown, re.M), f"{twin.name} lacks ## 总结"
    assert re.search(r"^## 练习$", markdown, re.M), f"{twin.name} lacks ## 练习"
    prose = twins.NOT_PROSE.sub(" ", markdown)
    han, latin = len(HAN.findall(prose)), len(re.findall(r"[A-Za-z]+", prose))
    assert han > 3 * latin, f"{twin.name}: {han} Chinese characters, {latin} Latin words"


def avoided_terms():
    """{term the glossary rules out: the term to write instead}."""
    avoided = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[2] and not set(cells[2]) <= set("-") and HAN.search(cells[2]):
            for term in re.split(r"[、,，]", cells[2]):
                avoided[term.strip()] = cells[1]
    return avoided


def test_the_glossary_rules_out_terms_and_the_twins_avoid_them():
    avoided = avoided_terms()
    assert {"互熵", "标定", "未归一化的预测"} <= set(avoided), avoided
    for _, twin in PAIRS:
        if not twin.is_file():
            continue
        for cell in nbformat.read(twin, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            prose = twins.NOT_PROSE.sub(" ", cell.source)
            for term, instead in avoided.items():
                assert term not in prose, (f"{relative(twin)}, cell {cell.get('id')}: "
                                           f"{term!r}; the glossary writes {instead!r}")


# --------------------------------------------------------------------------- drift

def _pair():
    """A small English notebook and its Chinese twin, in step."""
    english = new_notebook(cells=[
        new_markdown_cell("# Softmax\n\nLogits become probabilities.", id="m0"),
        new_code_cell("x = 1", id="c0"),
        new_markdown_cell("## Summary\n\n* Softmax normalizes.", id="m1"),
        new_markdown_cell("$$x$$", id="m2")])
    twin = twins.synced(english)
    twin.cells[0].source = "# Softmax\n\nlogit 变成概率。"
    twin.cells[2].source = "## 总结\n\n* softmax 做规范化。"
    return english, twins.stamped(english, twin)


def test_a_twin_in_step_has_no_problem():
    english, twin = _pair()
    assert twins.problems(english, twin) == []
    assert twin.cells[3].source == "$$x$$", "a cell of math alone needs no translation"


@pytest.mark.parametrize("change,expected", [
    (lambda en, zh: setattr(en.cells[1], "source", "x = 2"), "its code differs"),
    (lambda en, zh: setattr(en.cells[0], "source", en.cells[0].source + " Always."),
     "was translated from an older English text"),
    (lambda en, zh: en.cells.insert(2, new_markdown_cell("New words.", id="m9")),
     "cells ['m9'] of the English edition are missing"),
    (lambda en, zh: zh.cells.reverse(), "stands where the English edition has"),
    (lambda en, zh: setattr(zh.cells[2], "source", "## 小结\n\n* softmax 做规范化。"),
     "must be called '总结'"),
    (lambda en, zh: setattr(zh.cells[0], "source", "# Softmax\n\nLogits become probabilities."),
     "is not translated yet"),
    (lambda en, zh: zh.cells[0].metadata.pop(twins.STAMP), "has no fingerprint"),
    (lambda en, zh: en.cells[1].metadata.update(tags=["parameters"]), "its metadata differs"),
])
def test_the_twin_check_catches_drift(change, expected):
    english, twin = _pair()
    change(english, twin)
    found = twins.problems(english, twin)
    assert any(expected in p for p in found), found


def test_sync_copies_code_and_new_cells_and_keeps_chinese_prose():
    english, twin = _pair()
    english.cells[1].source = "x = 2"
    english.cells.insert(2, new_markdown_cell("New words.", id="m9"))
    synced = twins.synced(english, twin)
    assert [c.get("id") for c in synced.cells] == ["m0", "c0", "m9", "m1", "m2"]
    assert synced.cells[1].source == "x = 2"
    assert synced.cells[0].source.endswith("logit 变成概率。")
    found = twins.problems(english, synced)
    assert any("m9 is not translated yet" in p for p in found), found
    with pytest.raises(ValueError, match=r"\['m9'\] are not translated"):
        twins.stamped(english, synced)


def test_the_command_line_reports_what_is_out_of_step(tmp_path, capsys):
    english, twin = _pair()
    twin.cells[1].source = "x = 3"
    nbformat.write(english, tmp_path / "en.ipynb")
    nbformat.write(twin, tmp_path / "zh.ipynb")
    found = twins.check([(tmp_path / "en.ipynb", tmp_path / "zh.ipynb"),
                         (tmp_path / "en.ipynb", tmp_path / "missing.ipynb")])
    assert any("cell c0: its code differs" in p for p in found), found
    assert any("missing.ipynb is missing" in p for p in found), found
    assert twins.main(["stamp", str(tmp_path / "zh.ipynb")]) == 2
    assert "is not the Chinese edition of a lesson" in capsys.readouterr().err


# --------------------------------------------------------------------------- one run, two editions

def test_a_twin_takes_the_english_runs_outputs_by_position():
    english, twin = _pair()
    executed = nbformat.from_dict(json.loads(json.dumps(english)))
    executed.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    executed.cells[1].execution_count = 1
    executed.metadata["widgets"] = {"state": "saved"}
    page = borrow_outputs(twin, executed)
    assert page.cells[1].outputs[0]["text"] == "1\n" and page.cells[1].execution_count == 1
    assert page.metadata["widgets"] == {"state": "saved"}
    assert page.cells[0].source.endswith("logit 变成概率。")
    assert not twin.cells[1].outputs, "the twin itself stays clean"
    executed.cells[1].source = "x = 2"
    with pytest.raises(TwinMismatch, match="code cell 1, line 1, differs"):
        borrow_outputs(twin, executed)


# --------------------------------------------------------------------------- check messages

def _fields(template):
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_message_has_a_chinese_translation():
    assert set(CHINESE) == set(messages.ENGLISH), (
        f"to translate: {sorted(set(messages.ENGLISH) - set(CHINESE))}; "
        f"no longer used: {sorted(set(CHINESE) - set(messages.ENGLISH))}")
    for key, english in messages.ENGLISH.items():
        assert _fields(CHINESE[key]) <= _fields(english), \
            f"{key}: fields {_fields(CHINESE[key]) - _fields(english)} are never filled in"
        words = re.sub(r"\{[^}]*\}", " ", english)
        if re.search(r"\b(?!dtype|keepdims)[a-z]{3,}\b", words):
            assert HAN.search(CHINESE[key]), f"{key} is not in Chinese: {CHINESE[key]!r}"


def test_kit_lang_chooses_the_language(monkeypatch):
    assert messages.language_from(None) == "en" and messages.language_from("") == "en"
    for value in ("zh", "zh-CN", "zh_CN.UTF-8", "ZH"):
        assert messages.language_from(value) == "zh", value
    with pytest.raises(ValueError, match="KIT_LANG='fr'.*en, zh"):
        messages.language_from("fr")


def test_a_chinese_message_appears_when_kit_lang_asks_for_it():
    """A student's check, in a fresh Python with KIT_LANG=zh: the message is the Chinese one."""
    code = ("from grading.checks import check_softmax\n"
            "try:\n    check_softmax(lambda X: X.T)\n"
            "except AssertionError as e:\n    print(e)\n")
    env = {k: v for k, v in os.environ.items() if k != "KIT_LANG"}
    zh = subprocess.run([sys.executable, "-c", code], env={**env, "KIT_LANG": "zh"},
                        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "softmax(X)：期望的形状是 (256, 10)，实际是 (10, 256)" in zh.stdout, zh.stdout + zh.stderr
    assert "正好是转置" in zh.stdout


def _outcomes(language):
    """What a set of right and wrong answers gets from the checks, in `language`."""
    from mxnet import np

    from grading.checks import check_cross_entropy, check_labels, check_logsumexp, check_softmax
    from helpers.numerics import stable_softmax

    def naive(X):
        return np.exp(X) / np.exp(X).sum(axis=1, keepdims=True)

    def lse(X):
        m = X.max(axis=1, keepdims=True)
        return m[:, 0] + np.log(np.exp(X - m).sum(axis=1))

    cases = [
        (check_softmax, stable_softmax, {}), (check_softmax, lambda X: X.T, {}),
        (check_softmax, naive, {"offset": 1000}), (check_softmax, naive, {}),
        (check_logsumexp, lse, {}), (check_logsumexp, lambda X: X.sum(axis=1), {}),
        (check_logsumexp, lambda X: None, {}),
        (check_cross_entropy, lambda y_hat, y: -np.log(y_hat[np.arange(len(y)), y]), {}),
        (check_cross_entropy, lambda y_hat, y: np.log(y_hat[np.arange(len(y)), y]), {}),
        (check_labels, lambda labels: ["t-shirt"] * len(labels), {}),
    ]
    old = messages.LANGUAGE
    messages.LANGUAGE = language
    try:
        out = []
        for check, answer, params in cases:
            try:
                check(answer, **params)
                out.append((check.__name__, None))
            except AssertionError as e:
                out.append((check.__name__, str(e)))
        return out
    finally:
        messages.LANGUAGE = old


def test_the_verdicts_do_not_change_with_the_language():
    english, chinese = _outcomes("en"), _outcomes("zh")
    assert [(c, m is None) for c, m in english] == [(c, m is None) for c, m in chinese]
    failed = [(e, z) for (_, e), (_, z) in zip(english, chinese) if e is not None]
    assert len(failed) >= 6, english
    for e, z in failed:
        assert not HAN.search(e) and HAN.search(z), (e, z)


# --------------------------------------------------------------------------- Chinese student copies

@pytest.fixture(scope="module")
def chinese_release(tmp_path_factory):
    """a1_softmax generated by nbgrader in a copy of course/, then its Chinese copy."""
    from tools.zh.release import release_zh
    tmp = tmp_path_factory.mktemp("course")
    course = tmp / "course"
    shutil.copytree(ROOT / "course", course, ignore=shutil.ignore_patterns(
        "release", "release_zh", "submitted", "autograded", "feedback", "gradebook.db",
        "__pycache__"))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "jupyter"),
               JUPYTER_DATA_DIR=str(tmp / "jupyter-data"))
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment",
                           "a1_softmax", "--force"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = release_zh(course, ["a1_softmax"])
    return course, written


def test_the_chinese_student_copy_is_nbgraders_in_chinese(chinese_release):
    from nbgrader.validator import Validator
    course, written = chinese_release
    assert [p.relative_to(course).as_posix() for p in written] == \
        ["release_zh/a1_softmax/softmax.ipynb"]
    english = nbformat.read(course / "release" / "a1_softmax" / "softmax.ipynb", as_version=4)
    chinese = nbformat.read(written[0], as_version=4)
    assert [(c.get("id"), c.cell_type) for c in chinese.cells] == \
        [(c.get("id"), c.cell_type) for c in english.cells]
    for en, zh in zip(english.cells, chinese.cells):
        if en.cell_type == "code" or en.metadata.get("nbgrader", {}).get("solution"):
            assert zh.source == en.source and zh.metadata == en.metadata, en.get("id")
        else:
            assert HAN.search(zh.source), f"cell {en.get('id')} is not in Chinese"
    assert "### BEGIN SOLUTION" not in json.dumps(chinese), "no solution in a student copy"
    # nbgrader's validator checks the locked cells' checksums: the Chinese text has its own.
    assert Validator()._get_changed_cells(chinese) == []
    tampered = nbformat.from_dict(json.loads(json.dumps(chinese)))
    next(c for c in tampered.cells if c.get("id") == "task-softmax").source += "！"
    assert len(Validator()._get_changed_cells(tampered)) == 1


def test_a_chinese_submission_is_graded_as_an_english_one(chinese_release):
    """The grader rebuilds the notebook it runs from source/ and the answers alone."""
    from grading.notebook import assemble, source_cells, student_cells
    course, written = chinese_release
    source = source_cells(course / "source" / "a1_softmax" / "softmax.ipynb")

    def graded(path):
        doc = json.loads(Path(path).read_text())
        for cell in doc["cells"]:  # the same answers in both copies
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "softmax":
                cell["source"] = "def softmax(X):\n    return X\n"
        return [(c.kind, c.cell_type, c.source, c.grade_id) for c in assemble(source,
                student_cells(doc)) if c.cell_type == "code"]

    english = graded(course / "release" / "a1_softmax" / "softmax.ipynb")
    assert graded(written[0]) == english
    assert ("answer", "code", "def softmax(X):\n    return X\n", "softmax") in english



def test_the_exchange_hands_out_the_chinese_copy(chinese_release, tmp_path):
    """course/README.md: release_assignment with release_zh/ as the release folder."""
    course, written = chinese_release
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter"),
               JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"))
    proc = subprocess.run([sys.executable, "-m", "nbgrader", "release_assignment", "a1_softmax",
                           "--CourseDirectory.release_directory=release_zh",
                           f"--Exchange.root={exchange}"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    handed = exchange / "softmax-kit" / "outbound" / "a1_softmax" / "softmax.ipynb"
    assert handed.read_bytes() == written[0].read_bytes()

def test_release_zh_refuses_what_it_cannot_make(tmp_path):
    from tools.zh.release import ReleaseError, release_zh
    with pytest.raises(ReleaseError, match="holds no assignment: run nbgrader generate"):
        release_zh(tmp_path)
    (tmp_path / "release" / "a1_softmax").mkdir(parents=True)
    with pytest.raises(ReleaseError, match="not generated yet: a9_none"):
        release_zh(tmp_path, ["a9_none"])


# --------------------------------------------------------------------------- README.zh-CN.md

def test_the_chinese_readme_names_every_lesson_and_the_student_commands():
    readme = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    missing = [p.name for p in notebook_paths()
               if f"(notebooks/zh/{p.name})" not in readme]
    assert not missing, f"README.zh-CN.md does not link the Chinese lessons {missing}"
    for command in ("./kit run", "./kit lab", "KIT_LANG=zh", "notebooks/zh/glossary.md",
                    "release_zh", "nbgrader validate"):
        assert command in readme, command
    assert twin_path(notebook_paths()[0]).parent == NOTEBOOKS / "zh"
