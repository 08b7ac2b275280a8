"""The assignments' own test cells against the mistakes students make, and against pastes.

Each row is a wrong answer that the assignments' tests let through before they were
reshaped (a softmax shifted by the whole batch's maximum, a `reshape` for `to_tensor`, a
`try_gpu` that never asks, the kit's own helpers pasted in, a tuning run that chooses by
the test set...): it must now fail the test cells of its task, while the source
notebook's solution passes them. The test cells run here as the notebook has them, hidden
tests included, in this process (no kernel, no grader: a few seconds); the grader's
verdict on some of the same answers is tests/test_grading.py's fixture class.

Also here: no check of an understanding task prints its expected value; the trap sees a
pasted `scipy.optimize` temperature fit; both editions pass `nbgrader validate`. That
the student bundle holds no solution is tests/test_student_bundle.py.
"""
import inspect
import re
import textwrap

import nbformat
import numpy as onp
import pytest
from tests.kit_paths import ROOT

SOURCE = ROOT / "course" / "source"
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def cells(assignment):
    """{grade_id or cell id: cell} of an assignment's source notebook."""
    path = next((SOURCE / assignment).glob("*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    return {c.metadata.get("nbgrader", {}).get("grade_id", c.get("id")): c for c in nb.cells}


# Cells that train, load the data set or only show something: the tests here need none.
SLOW = {"train", "tune", "model", "data", "templates", "check"}


def run_task(assignment, tests, answers="", extra=None):
    """Run the notebook's code cells but its test cells and SLOW ones (its solutions
    included), then `answers` (code that redefines some of them) and the names of `extra`,
    then the test cells `tests`, hidden tests included. Returns {test cell: None if it
    passed, else the exception}. NumPy mode is on, as in every test (tests/conftest.py)."""
    by_id = cells(assignment)
    space = {"__name__": f"__{assignment}__"}
    for gid, cell in by_id.items():
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and not meta.get("grade") and gid not in SLOW:
            exec(cell.source, space)  # noqa: S102 (the course's own code)
    exec(textwrap.dedent(answers), space)  # noqa: S102
    space.update(extra or {})
    outcome = {}
    for gid in tests:
        source = "\n".join(line for line in by_id[gid].source.splitlines()
                           if line.strip() not in HIDDEN)
        try:
            exec(source, space)  # noqa: S102
            outcome[gid] = None
        except Exception as e:  # noqa: BLE001 (a failing test cell, whatever it raised)
            outcome[gid] = e
    return outcome


def failed(outcome):
    return {gid for gid, e in outcome.items() if e is not None}


def source_of(function):
    return textwrap.dedent(inspect.getsource(function))


def lesson_code(lesson, name):
    """The code cell of notebook `lesson` that defines `name`, as a student would copy it."""
    nb = nbformat.read(ROOT / "notebooks" / f"{lesson}.ipynb", as_version=4)
    return next(c.source for c in nb.cells
                if c.cell_type == "code" and re.search(rf"^def {name}\(", c.source, re.M))


# ---------------------------------------------------------------- the wrong answers

BATCH_MAX_SOFTMAX = '''
def softmax(X, axis=-1):
    X_exp = np.exp(X - X.max())  # the whole batch's maximum
    return X_exp / X_exp.sum(axis=axis, keepdims=True)
'''
TEXTBOOK_SOFTMAX = '''
def softmax(X, axis=-1):
    X_exp = np.exp(X)
    return X_exp / X_exp.sum(axis=axis, keepdims=True)
'''
BATCH_MAX_LOGSUMEXP = '''
def logsumexp(X, axis=-1):
    X_max = X.max()
    return X_max + np.log(np.exp(X - X_max).sum(axis=axis))
'''
RESHAPE_TO_TENSOR = '''
def to_tensor(images):
    n, height, width, channels = images.shape
    return (images.astype("float32") / 255).reshape(n, channels, height, width)
'''
NEVER_ASKS = '''
def try_gpu(i=0):
    return mx.cpu()

def try_all_gpus():
    return [mx.cpu()]
'''
BATCH_MAX_GRADIENT = '''
def cross_entropy_grad(O, Y):
    O_exp = np.exp(O - O.max())
    return O_exp / O_exp.sum(axis=1, keepdims=True) - Y
'''
LESSON_06_GRADIENT = '''
def cross_entropy_grad(O, Y):  # notebook 06: softmax minus one-hot, for integer labels
    return stable_softmax(O) - npx.one_hot(Y.argmax(axis=1), O.shape[1]).astype(O.dtype)
'''
NO_PENALTY = '''
def softmax_loss(X, y, W, b, reg):
    n, q = X.shape[0], W.shape[1]
    O = np.dot(X, W) + b
    O = O - O.max(axis=1, keepdims=True)
    loss = float((np.log(np.exp(O).sum(axis=1)) - O[np.arange(n), y]).mean())
    G = cross_entropy_grad(O, npx.one_hot(y, q).astype(O.dtype)) / n
    return loss, np.dot(X.T, G), G.sum(axis=0)
'''
BATCH_MAX_NLL = '''
def nll(logits, y, T):
    z = logits / T
    with onp.errstate(all="ignore"):
        return float((z.max() + onp.log(onp.exp(z - z.max()).sum(axis=1))
                      - z[onp.arange(len(y)), y]).mean())
'''


def helpers_source(module, name):
    import importlib
    return source_of(getattr(importlib.import_module(module), name))


ROWS = [
    # (assignment, test cells that must fail, answers, extra names, why)
    ("a1_softmax", {"test_softmax_hidden"}, BATCH_MAX_SOFTMAX, None,
     "softmax shifted by the batch's maximum: nan for rows around -1000 beside rows around 1000"),
    ("a1_softmax", {"test_softmax", "test_softmax_hidden"}, TEXTBOOK_SOFTMAX, None,
     "the textbook softmax keeps none of the softmax points"),
    ("a1_softmax", {"test_logsumexp"}, BATCH_MAX_LOGSUMEXP, None,
     "log-sum-exp shifted by the batch's maximum"),
    ("a1_softmax", {"test_softmax_hidden"},
     lambda: lesson_code("06_numerics", "stable_softmax").replace("#@save", "")
     + "\nsoftmax = stable_softmax\n", None,
     "lesson 06's stable_softmax pasted: rows of a matrix only"),
    ("a1_softmax", {"test_softmax_hidden"},
     lambda: helpers_source("helpers.numerics", "stable_softmax") + "\nsoftmax = stable_softmax\n",
     None, "helpers.numerics.stable_softmax pasted"),
    ("a2_data", {"test_to_tensor"}, RESHAPE_TO_TENSOR, None,
     "to_tensor by reshape: right for one channel only"),
    ("a5_devices", {"test_try_gpu"}, NEVER_ASKS, None,
     "try_gpu that returns cpu() without asking how many GPUs there are"),
    ("a5_devices", {"test_try_gpu"}, "def try_gpu(i=0):\n    return mx.cpu()\n", None,
     "lambda i=0: mx.cpu() as try_gpu, with a right try_all_gpus"),
    ("a6_gradient", {"test_cross_entropy_grad_hidden"}, BATCH_MAX_GRADIENT, None,
     "the gradient shifted by the batch's maximum"),
    ("a6_gradient", {"test_cross_entropy_grad_hidden"},
     lambda: lesson_code("06_numerics", "stable_softmax").replace("#@save", "")
     + LESSON_06_GRADIENT, None, "lesson 06's softmax minus one-hot pasted"),
    ("a6_gradient", {"test_numerical_gradients"},
     lambda: helpers_source("helpers.gradcheck", "numerical_gradient")
     + "\nnumerical_gradients = numerical_gradient\n", None,
     "helpers.gradcheck.numerical_gradient pasted under the task's name"),
    ("a6_gradient", {"test_softmax_loss"}, NO_PENALTY, None, "the L2 penalty left out"),
    ("a6_gradient", {"test_vectorised"}, "softmax_loss_naive = softmax_loss\n", None,
     "the 'naive' version is the vectorised one: nothing to time"),
    ("a7_calibration", {"test_nll"}, BATCH_MAX_NLL, None, "the NLL shifted by the batch's maximum"),
    ("a7_calibration", {"test_ece"},
     lambda: helpers_source("helpers.metrics", "reliability_bins")
     + helpers_source("helpers.metrics", "_bin_of")
     + helpers_source("helpers.metrics", "expected_calibration_error"), None,
     "helpers.metrics' ECE pasted: it takes confidences, the task probabilities"),
    ("a8_tuning", {"test_stratified_folds"},
     lambda: helpers_source("helpers.metrics", "stratified_split")
     + "\nstratified_folds = stratified_split\n", None,
     "helpers.metrics.stratified_split pasted: one split, not folds"),
]


def tuning_space(results, chosen, val_passes, test_passes):
    """The names a8's test_choice reads, as a tuning cell would leave them (no training)."""
    class Counted:
        def __init__(self, passes):
            self.passes = passes
    return {"results": results, "chosen": chosen, "candidates": (0.01, 0.1),
            "val_iter": Counted(val_passes), "test_iter": Counted(test_passes)}


RIGHT = [{"lr": 0.01, "val_acc": 0.75}, {"lr": 0.1, "val_acc": 0.82}]
BY_TEST = [{"lr": 0.01, "val_acc": 0.75, "test_acc": 0.83}, {"lr": 0.1, "val_acc": 0.82,
                                                             "test_acc": 0.81}]
ROWS += [
    ("a8_tuning", {"test_choice"}, "", tuning_space(BY_TEST, BY_TEST[0], 2, 3),
     "chose by test: every candidate measured on the test set, the best test accuracy kept"),
    ("a8_tuning", {"test_choice"}, "", tuning_space(RIGHT, RIGHT[1], 2, 3),
     "chose by validation, but read the test set once per candidate and once more"),
    ("a8_tuning", {"test_choice"}, "", tuning_space([], {"lr": 0.1, "val_acc": 0.82}, 0, 1),
     "no tuning at all: one model, tested once"),
    ("a8_tuning", {"test_choice"}, "", tuning_space(RIGHT, RIGHT[0], 2, 1),
     "kept the candidate validation ranks last"),
]


@pytest.mark.parametrize("assignment, fails, answers, extra, why", ROWS,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(ROWS)])
def test_a_common_wrong_answer_fails_its_task(assignment, fails, answers, extra, why):
    if callable(answers):
        answers = answers()
    outcome = run_task(assignment, sorted(fails), answers, extra)
    assert failed(outcome) == fails, f"{why}: {outcome}"


TASK_TESTS = {
    "a1_softmax": ["test_softmax", "test_softmax_hidden", "test_logsumexp"],
    "a2_data": ["test_labels", "test_to_tensor"],
    "a5_devices": ["test_try_gpu", "test_split_batch", "test_step_argument"],
    "a6_gradient": ["test_cross_entropy_grad", "test_cross_entropy_grad_hidden",
                    "test_numerical_gradients", "test_softmax_loss_naive", "test_softmax_loss",
                    "test_vectorised"],
    "a7_calibration": ["test_ece", "test_nll", "test_fit_temperature", "test_calibrate"],
    "a8_tuning": ["test_stratified_folds", "test_select_setting", "test_choice"],
}


@pytest.mark.parametrize("assignment", sorted(TASK_TESTS))
def test_the_solutions_pass_those_tests(assignment):
    extra = tuning_space(RIGHT, RIGHT[1], 2, 1) if assignment == "a8_tuning" else None
    outcome = run_task(assignment, TASK_TESTS[assignment], extra=extra)
    assert not failed(outcome), outcome


def test_a_pasted_scipy_temperature_fit_is_trapped(tmp_path, monkeypatch):
    """helpers.metrics.fit_temperature (scipy's minimize_scalar) in a7's answer: the grader's
    trap sees the forbidden optimizer called, however the answer reached it."""
    from grading.forbidden import expand
    from grading import checks
    from grading.checks import records, session
    pasted = {"__name__": "__main__", "onp": onp}  # a notebook cell's globals
    exec(helpers_source("helpers.metrics", "nll") + helpers_source("helpers.metrics",  # noqa: S102
                                                                   "fit_temperature"), pasted)
    fit_temperature = pasted["fit_temperature"]
    forbid = sorted(expand(cells("a7_calibration")["fit_temperature"].metadata["grading"]
                           ["forbid"]))
    monkeypatch.setenv(session.GRADING_DIR, str(tmp_path))
    monkeypatch.setenv(session.GRADING_SEED, "s3cret")
    session.begin("t", forbid)
    try:  # twice, as the test cell does: the pasted code imports scipy.optimize when first run
        checks.check_fit_temperature(fit_temperature, n=300)
        checks.check_fit_temperature(fit_temperature, n=300, scale=0.5)
    finally:
        session.begin(None)
    (header, _), _ = records.read((tmp_path / "t.1.npz").read_bytes())
    assert any("scipy.optimize" in hit for hit in header.get("trapped", [])), header


# ---------------------------------------------------------------- understanding, not given away

def message_of(call):
    with pytest.raises(AssertionError) as caught:
        call()
    return str(caught.value)


def test_no_check_of_an_understanding_task_prints_its_expected_value():
    from mxnet import gluon, np
    from grading import checks
    from grading.checks import reference
    from grading.checks.a5_devices import shard_sizes
    from grading.checks.a6_gradient import regression_problem
    from grading.checks.a8_tuning import tuning_results

    # a5: what trainer.step divides by
    sizes = shard_sizes(0)
    for wrong in (lambda s: s[0], lambda s: len(s), lambda s: 1, lambda s: sum(s) / 2):
        text = message_of(lambda: checks.check_step_argument(wrong))
        assert str(sum(sizes[0])) not in re.sub(r"\[[^\]]*\]", "", text), text
    # a4: dense labels
    dense = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    text = message_of(lambda: checks.check_dense_labels(
        lambda y, q: np.eye(q, dtype="float32")[y], lambda o, Y: dense(o, Y) / 2))
    assert "not the right value" in text and not re.search(r"expected [-\d\[]", text), text
    # a6: the regularized loss and its gradients
    space = {}
    exec(NO_PENALTY.replace("cross_entropy_grad(O, npx.one_hot(y, q).astype(O.dtype))",  # noqa: S102
                            "(np.exp(O) / np.exp(O).sum(axis=1, keepdims=True)"
                            " - npx.one_hot(y, q).astype(O.dtype))"),
         {"np": np, "npx": __import__("mxnet").npx}, space)
    text = message_of(lambda: checks.check_regularized_loss(space["softmax_loss"]))
    want, _, _ = reference.regularized_loss(*regression_problem(8, 5, 3, 0), 0.1)
    assert f"{want:.4g}" not in text and "leaves out the penalty" in text, text
    # a7: the honest report
    text = message_of(lambda: checks.check_calibration_report(
        lambda vl, vy, tl, ty: (1.0, 0.1, 0.1)))
    assert "about" not in text and not re.search(r"expected [-\d\[]", text), text
    # a8: the choice
    results = tuning_results(0)
    best = results[reference.best_setting(results)]
    text = message_of(lambda: checks.check_select_setting(
        lambda r: min(r, key=lambda e: e["val_acc"])))
    assert f"lr={best['lr']}, wd={best['wd']}" not in text, text


# ---------------------------------------------------------------- both editions, validated

def test_both_editions_pass_nbgrader_validate_as_sources_and_fail_it_as_releases(tmp_path):
    """`nbgrader validate` as course/README.md's step 1 has a teacher run it, on all sixteen
    notebooks: the English and Chinese source of every assignment passes all its tests (the
    hidden ones included), and both student copies pass none."""
    from tests.course_copy import PASSED, Course
    from tools.zh.release import release_zh
    course = Course(tmp_path)
    course.generate("*")
    release_zh(course.dir)
    sources = sorted(course.dir.glob("source/*/*.ipynb")) + \
        sorted(course.dir.glob("source_zh/*/*.ipynb"))
    releases = sorted(course.dir.glob("release/*/*.ipynb")) + \
        sorted(course.dir.glob("release_zh/*/*.ipynb"))
    assert len(sources) == len(releases) == 16
    out = course.nbgrader("validate", *map(str, sources)).stdout
    assert out.count(PASSED) == 16, out[-3000:]
    out = course.nbgrader("validate", "--invert", *map(str, releases)).stdout
    assert out.count("Success! The notebook does not pass any tests.") == 16, out[-3000:]
