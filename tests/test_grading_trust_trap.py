"""The checks' trap, on its own, without a sandbox: a library answer is seen however reached.

By any name (getattr, attrgetter, sys.modules, a code string, a loss class), through a
library's wrapper or a thread of the student's, under a module name of the student's;
not what a library calls inside itself, nor what the check hands over for the student
to use.
"""
import sys

import pytest

from grading import checks
from grading.checks import records, session


def _graded_call(tmp_path, monkeypatch, forbid, fn):
    monkeypatch.setenv(session.GRADING_DIR, str(tmp_path))
    monkeypatch.setenv(session.GRADING_SEED, "s3cret")
    session.begin("t", forbid)
    try:
        checks.check_softmax(fn, shape=(3, 5))
    finally:
        session.begin(None)
    (header, _), _ = records.read((tmp_path / "t.0.npz").read_bytes())
    return header.get("trapped", [])


def _own_softmax(X):
    from mxnet import np
    e = np.exp(X - X.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _through_a_loss(X):
    from mxnet import gluon, np
    j = np.zeros(X.shape[0], dtype="int32")
    return np.exp(-gluon.loss.SoftmaxCrossEntropyLoss()(X, j))[:, None] * np.ones_like(X)


@pytest.mark.parametrize("name, fn, caught", [
    ("own work", _own_softmax, []),
    ("getattr with a built name", lambda X: getattr(__import__("mxnet").npx, "soft" + "max")(X),
     ["mxnet.numpy_extension.softmax"]),
    ("operator.attrgetter", lambda X: __import__("operator").attrgetter("softmax")(
        __import__("mxnet").npx)(X), ["mxnet.numpy_extension.softmax"]),
    ("sys.modules", lambda X: sys.modules["mxnet.numpy_extension"].softmax(X),
     ["mxnet.numpy_extension.softmax"]),
    ("a code string", lambda X: eval("npx.softmax(X)", {"npx": __import__("mxnet").npx, "X": X}),
     ["mxnet.numpy_extension.softmax"]),
    ("a loss class", _through_a_loss, ["mxnet.gluon.loss.SoftmaxCELoss"]),
])
def test_the_trap_sees_a_library_answer_however_it_is_reached(name, fn, caught, tmp_path,
                                                              monkeypatch):
    from grading.forbidden import expand
    forbid = sorted(expand(["softmax"]))
    assert _graded_call(tmp_path, monkeypatch, forbid, fn)[:1] == caught


def _wrapped(X):
    from mxnet.ndarray import numpy_extension
    from mxnet.util import use_np
    return __import__("mxnet").np.exp(use_np(numpy_extension.log_softmax)(X))


def _threaded(X):
    import threading
    box = []
    worker = threading.Thread(target=lambda: box.append(__import__("mxnet").npx.softmax(X)))
    worker.start()
    worker.join()
    return box[0]


@pytest.mark.parametrize("name, fn", [("a library wrapper", _wrapped),
                                      ("a thread of its own", _threaded)])
def test_the_trap_sees_through_wrappers_and_threads(name, fn, tmp_path, monkeypatch):
    from grading.forbidden import expand
    assert _graded_call(tmp_path, monkeypatch, sorted(expand(["softmax"])), fn)


def test_a_module_name_of_the_students_is_no_disguise(tmp_path, monkeypatch):
    """Code is a library's by where it was loaded from and its namespace, not by __name__."""
    namespace = {"__name__": "numpy", "npx": __import__("mxnet").npx}
    exec(compile("def softmax(X):\n    return npx.softmax(X)", "<student>", "exec"), namespace)
    assert _graded_call(tmp_path, monkeypatch, ["softmax"], namespace["softmax"])


def test_what_the_check_hands_over_is_the_students_to_use(tmp_path, monkeypatch):
    """a3's train_epoch gets the check's own net and loss, built from the kit's helpers."""
    from helpers import train
    monkeypatch.setenv(session.GRADING_DIR, str(tmp_path))
    monkeypatch.setenv(session.GRADING_SEED, "s3cret")
    session.begin("t", ["cross_entropy", "sgd", "softmax"])
    try:
        checks.check_train_epoch(train.train_epoch)
    finally:
        session.begin(None)
    (header, _), _ = records.read((tmp_path / "t.0.npz").read_bytes())
    assert "trapped" not in header


def test_the_trap_ignores_what_a_library_calls_inside_itself(tmp_path, monkeypatch):
    """pick is forbidden, but the allowed loss may use it: only the student's own calls count."""
    from mxnet import gluon, np

    def loss_based(X):
        j = np.zeros(X.shape[0], dtype="int32")
        return np.exp(-gluon.loss.SoftmaxCrossEntropyLoss()(X, j))[:, None] * np.ones_like(X)
    assert _graded_call(tmp_path, monkeypatch, ["pick"], loss_based) == []
