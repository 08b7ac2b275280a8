"""The grader's parts, each on its own, without a sandbox: fast, and each names its failure.

Reading submissions (broken files, odd structures, the course's cells restored), the scan
for delegated answers and tampering, and the verdict's bookkeeping (calls changed,
missing, unreadable). tests/test_grading_parts_shown.py: what the grader shows;
tests/test_grading_parts_slots.py: the machinery around a kernel.
"""

import pytest

from grading import verdict
from grading.ipynb import SubmissionError, read_json
from grading.notebook import assemble, source_cells, student_cells
from grading.scan import scan
from tests.kit_paths import ROOT

A1 = ROOT / "course" / "source" / "a1_softmax" / "softmax.ipynb"
A3 = ROOT / "course" / "source" / "a3_scratch" / "softmax_scratch.ipynb"
A6 = ROOT / "course" / "source" / "a6_gradient" / "gradient.ipynb"
A7 = ROOT / "course" / "source" / "a7_calibration" / "calibration.ipynb"
A8 = ROOT / "course" / "source" / "a8_tuning" / "tuning.ipynb"


def submission(source, answers=None, extras=()):
    """The cells a student hands in: `source`'s, `answers` replaced, `extras` after their anchor."""
    out = []
    for c in source:
        text = (answers or {}).get(c.grade_id, c.source)
        out.append((c.grade_id, c.cell_type, text))
        out += [(None, "code", e) for anchor, e in extras if anchor == c.grade_id]
    return out


# ---------------------------------------------------------------- reading a submission

def test_read_json_salvages_a_notebook_with_stray_bytes(tmp_path):
    good = tmp_path / "nb.ipynb"
    good.write_text(A1.read_text() + "\n\x00garbage}")
    doc, note = read_json(good)
    assert doc["cells"] and "ignored" in note


@pytest.mark.parametrize("content, message", [
    ('{"cells": [', r"not valid JSON \(line 1, column 12"),
    (b"{\"cells\": \"\xff\"}", "not UTF-8"),
    ('[1, 2]', "not a notebook"),
    ('{"cells": 7}', "not a notebook"),
])
def test_read_json_says_what_is_wrong(tmp_path, content, message):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(SubmissionError, match=message):
        student_cells(read_json(path)[0])


def test_read_json_refuses_links(tmp_path):
    (tmp_path / "nb.ipynb").symlink_to(A1)
    with pytest.raises(SubmissionError, match="not a regular file"):
        read_json(tmp_path / "nb.ipynb")


def test_student_cells_skip_what_is_not_a_cell():
    doc = {"cells": [7, {"cell_type": "evil"}, {"cell_type": "code", "source": ["a", 1, "b"],
                                                "metadata": {"nbgrader": {"grade_id": "../x"}}},
                     {"cell_type": "markdown", "source": "m",
                      "metadata": {"nbgrader": {"grade_id": "answer"}}}]}
    assert student_cells(doc) == [(None, "code", "ab"), ("answer", "markdown", "m")]


def test_assemble_restores_the_course_cells_and_keeps_the_students():
    source = source_cells(A1)
    handed_in = [(g, t, "# edited!" if g in ("setup", "test_softmax") else text)
                 for g, t, text in submission(source, {"softmax": "def softmax(X): return X"},
                                              [("softmax", "print('mine')")])]
    handed_in = [c for c in handed_in if c[0] != "logsumexp"]  # the student deleted an answer
    handed_in.append(("softmax", "code", "def softmax(X): return 2 * X"))  # a duplicate id
    cells = assemble(source, handed_in)
    by_id = {c.grade_id: c for c in cells if c.grade_id}
    assert by_id["setup"].source.startswith("# MXNet") and by_id["setup"].kind == "kit"
    assert "### BEGIN HIDDEN TESTS" not in by_id["test_softmax_hidden"].source
    assert "check_softmax(softmax, offset=1000, mixed=True)" in by_id["test_softmax_hidden"].source
    assert by_id["softmax"].source == "def softmax(X): return X"
    assert by_id["logsumexp"].source == "" and by_id["logsumexp"].kind == "answer"
    extras = [c.source for c in cells if c.kind == "extra"]
    assert extras == ["print('mine')", "def softmax(X): return 2 * X"]
    order = [c.grade_id or c.source for c in cells]
    assert order.index("print('mine')") == order.index("softmax") + 1
    assert sum(1 for c in cells if c.cell_type == "markdown" and c.source.startswith("# Assignment")) == 1


# ---------------------------------------------------------------- the scan

def scanned(path, answers=None, extras=()):
    source = source_cells(path)
    return scan(assemble(source, submission(source, answers, extras)))


def test_scan_passes_honest_work():
    found = scanned(A1, extras=[("setup", "from grading.checks import check_close\n"
                                          "import numpy as onp\nprint(onp.pi)")])
    assert found.delegated == {} and found.tampering == []


@pytest.mark.parametrize("answers, extras, task, what", [
    ({"softmax": "def softmax(X):\n    return npx.softmax(X)"}, (), "softmax", "npx.softmax"),
    ({"softmax": "from mxnet.npx import softmax as s\ndef softmax(X):\n    return s(X)"}, (),
     "softmax", "softmax from mxnet.npx"),
    ({"softmax": "from helpers.numerics import stable_softmax\n"}, (), "softmax",
     "stable_softmax from helpers.numerics"),
    ({"softmax": "def softmax(X):\n    return sm(X)"}, [("setup", "sm = getattr(npx, 'softmax')")],
     "softmax", "softmax (through getattr)"),
    ({}, [("softmax", "helper = d2l.softmax\nsoftmax = helper")], "softmax", "d2l.softmax"),
    ({"softmax": "def softmax(X):\n    return mx.nd.softmin(-X)"}, (), "softmax",
     "mx.nd.softmin"),
    ({"logsumexp": "def logsumexp(X):\n    j = np.zeros(len(X), dtype='int32')\n"
                   "    return X[:, 0] + gluon.loss.SoftmaxCrossEntropyLoss()(X, j)"}, (),
     "logsumexp", "gluon.loss.SoftmaxCrossEntropyLoss"),
])
def test_scan_finds_delegated_answers(answers, extras, task, what):
    found = scanned(A1, answers, extras)
    assert task in found.delegated, found
    assert what in [f.what for f in found.delegated[task]]


@pytest.mark.parametrize("path, answers, task, what", [
    (A6, {"cross_entropy_grad": "def cross_entropy_grad(O, y):\n    O.attach_grad()\n"
                                "    with autograd.record():\n        l = loss(O, y)\n"
                                "    l.backward()\n    return O.grad"},
     "cross_entropy_grad", "O.attach_grad"),
    (A6, {"numerical_gradients": "from helpers.gradcheck import numerical_gradient\n"},
     "numerical_gradients", "numerical_gradient from helpers.gradcheck"),
    (A6, {"numerical_gradients": "from scipy.optimize import approx_fprime\n"
                                 "def numerical_gradients(f, params, eps=1e-6):\n"
                                 "    return [approx_fprime(params[0], f, eps)]"},
     "numerical_gradients", "approx_fprime from scipy.optimize"),
    (A6, {"softmax_loss_naive": "from mxnet import autograd\n"}, "softmax_loss_naive",
     "autograd from mxnet"),
    (A7, {"ece": "from helpers.metrics import expected_calibration_error\n"}, "ece",
     "expected_calibration_error from helpers.metrics"),
    (A7, {"fit_temperature": "import helpers.metrics\n"
                             "fit_temperature = helpers.metrics.fit_temperature"},
     "fit_temperature", "the module helpers.metrics"),
    (A7, {"nll": "def nll(logits, y, T):\n    return float(-special.log_softmax(logits / T)"
                 "[range(len(y)), y].mean())"}, "nll", "special.log_softmax"),
    (A8, {"stratified_folds": "from sklearn.model_selection import train_test_split\n"},
     "stratified_folds", "train_test_split from sklearn.model_selection"),
    (A8, {"stratified_folds": "from helpers.metrics import stratified_split\n"},
     "stratified_folds", "stratified_split from helpers.metrics"),
])
def test_scan_finds_delegated_answers_in_the_later_assignments(path, answers, task, what):
    """a6 to a8: autograd, the kit's own gradcheck and metrics, a library's split earn nothing."""
    found = scanned(path, answers)
    assert task in found.delegated, found
    assert what in [f.what for f in found.delegated[task]], found.delegated[task]


def test_scan_spares_extras_that_feed_no_answer():
    """A plot with d2l.plt, a comparison with the library, the lesson's imports: no cost."""
    extras = [("test_softmax_hidden", "from d2l import mxnet as d2l\n"
                                      "d2l.plt.plot(softmax(np.ones((2, 3)))[0].asnumpy())"),
              ("test_softmax_hidden", "print(abs(softmax(X) - npx.softmax(X)).max())"),
              ("test_logsumexp", "from helpers.numerics import stable_softmax\n"
                                 "print(stable_softmax(np.ones((2, 3))))"),
              ("test_logsumexp", "softmax = npx.softmax  # after its last test: harmless")]
    found = scanned(A1, extras=extras)
    assert found.delegated == {}, found.delegated
    assert found.tampering == [] and found.dynamic == []


def test_scan_follows_what_feeds_an_answer_through_the_added_cells():
    extras = [("setup", "def stable(Z):\n    return npx.log_softmax(Z)"),
              ("setup", "helper = stable")]
    found = scanned(A1, {"logsumexp": "def logsumexp(X):\n    return (X - helper(X))[:, 0]"},
                    extras)
    assert [f.what for f in found.delegated["logsumexp"]] == ["npx.log_softmax"]
    assert "softmax" not in found.delegated


@pytest.mark.parametrize("code, what", [
    ("g = getattr\nf = g(npx, 'soft' + 'max')", "uses getattr under another name"),
    ("import operator\nf = operator.attrgetter('softmax')(npx)", "imports operator"),
    ("import timeit\ntimeit.timeit('npx.softmax(X)', globals=dict(npx=npx, X=1))",
     "imports timeit"),
    ("import logging\nm = logging.sys.modules['mxnet'].npx", "reaches logging.sys"),
    ("from functools import reduce", "imports functools"),
])
def test_scan_lists_what_it_cannot_follow(code, what):
    found = scanned(A1, extras=[("setup", code)])
    assert any(what in f.what for f in found.dynamic + found.tampering), found


def test_scan_keeps_a_delegation_with_its_own_task():
    """a3's training cell calls train_epoch: if train_epoch is borrowed, only its task pays."""
    found = scanned(A3, {"train_epoch": "from helpers.train import train_epoch\n"})
    assert set(found.delegated) == {"train_epoch"}


@pytest.mark.parametrize("code, what", [
    ("import numpy\nnumpy.isclose = lambda *a, **k: True", "changes numpy.isclose"),
    ("check_softmax = print", "rebinds check_softmax"),
    ("np = None", "rebinds np"),
    ("exec('x = 1')", "uses exec"),
    ("f = getattr(np, 'ex' + 'p')", "getattr with a computed name"),
    ("import ctypes", "imports ctypes"),
    ("%load_ext something\n!ls", "uses get_ipython"),
    ("x = ().__class__.__bases__", "reaches into __class__"),
    ("get_ipython().ast_transformers.append(None)", "uses get_ipython"),
])
def test_scan_flags_tampering(code, what):
    found = scanned(A1, extras=[("setup", code)])
    assert any(what in f.what for f in found.tampering), [f.what for f in found.tampering]


def test_scan_reports_code_that_does_not_parse():
    found = scanned(A1, {"softmax": "def softmax(X)\n    return X"})
    assert found.unparsable and found.delegated == {}


# ---------------------------------------------------------------- verdicts

SOFTMAX = {"check": "softmax", "params": {"shape": [3, 5], "dtype": "float32", "offset": 0.0,
                                          "seed": 0}}


def test_judge_cell_checks_the_calls_against_the_manifest():
    from grading import reference
    from grading.checks import inputs
    from grading.checks.session import derive_seed
    x = inputs.logits((3, 5), "float32", 0.0, derive_seed("s", "t", 0, 0))
    right = (SOFTMAX, {"P": reference.softmax(x).astype("float32")})
    assert verdict.judge_cell("t", [SOFTMAX], [right], "s", reference) == (None, "passed")
    changed = (dict(SOFTMAX, params=dict(SOFTMAX["params"], offset=1000)), right[1])
    message, status = verdict.judge_cell("t", [SOFTMAX], [changed], "s", reference)
    assert status == "failed" and "check_softmax ran with offset=1000, but the test asks for 0.0" in message
    assert verdict.judge_cell("t", [SOFTMAX], [], "s", reference)[1] == "missing"
    message, _ = verdict.judge_cell("t", [SOFTMAX], [right, right], "s", reference)
    assert "ran 2 checks where it has 1" in message
    message, _ = verdict.judge_cell("t", [SOFTMAX], ["not a record file"], "s", reference)
    assert "could not be read (not a record file)" in message
    message, _ = verdict.judge_cell("t", [SOFTMAX], [(SOFTMAX, {"Q": 1})], "s", reference)
    assert "could not be read (KeyError)" in message


def test_dependencies_follow_the_source_order():
    deps = verdict.dependencies(source_cells(A3))
    assert deps["test_cross_entropy"] == ["cross_entropy"]
    assert deps["test_train"] == ["train"]


def test_a_manifest_that_compares_with_the_kernel_is_refused():
    assert verdict.check_manifest({"test_x": [{"check": "close", "params": {}}]})
    assert verdict.check_manifest({"test_x": [SOFTMAX]}) == []
