"""The checks of grading/checks/a1_softmax.py: check_softmax, check_keeps_input,
check_logsumexp.

Each passes a right answer and names the fault of a wrong one, the mistake a student
makes, in the words a student reads (tests/test_checks.py: the generic checks, records,
grading mode and the two references).
"""
import pytest

from mxnet import np

from grading import checks
from helpers import train as ref
from tests.check_answers import naive_softmax, stable_softmax


@pytest.mark.parametrize("kwargs", [{}, {"offset": 1000}, {"offset": -1000},
                                    {"shape": (1, 10)}, {"shape": (5, 1)},
                                    {"shape": (64, 2), "dtype": "float64", "offset": 1000},
                                    {"offset": 1000, "mixed": True},
                                    {"shape": (3, 5), "axis": 0},
                                    {"shape": (2, 7, 3), "axis": 1, "offset": 1000,
                                     "mixed": True}])
def test_check_softmax_passes_a_stable_softmax(kwargs):
    checks.check_softmax(stable_softmax, **kwargs)


def test_check_softmax_catches_a_batch_wide_maximum_and_a_fixed_axis():
    batch_max = lambda X, axis=-1: naive_softmax(X - X.max(), axis)  # noqa: E731
    checks.check_softmax(batch_max, offset=1000)  # every row around 1000: no harm done
    with pytest.raises(AssertionError, match=r"^nan in softmax\(X\) for logits around 1000 in "
                                             r"some rows and around -1000 in others"):
        checks.check_softmax(batch_max, offset=1000, mixed=True)
    with pytest.raises(AssertionError, match=r"^softmax\(X, axis=0\) works along the last "
                                             r"axis, not along axis 0"):
        checks.check_softmax(lambda X, axis=-1: stable_softmax(X), shape=(3, 5), axis=0)
    with pytest.raises(TypeError):
        checks.check_softmax(lambda X: stable_softmax(X), shape=(3, 5), axis=0)


def test_check_softmax_passes_the_textbook_softmax_on_small_logits():
    checks.check_softmax(naive_softmax)
    checks.check_softmax(ref.softmax, shape=(3, 5))


@pytest.mark.parametrize("offset", [1000, -1000])
def test_check_softmax_catches_overflow_and_underflow(offset):
    with pytest.raises(AssertionError, match=f"^nan in softmax\\(X\\) for logits around {offset} "):
        checks.check_softmax(naive_softmax, offset=offset)


def test_check_softmax_catches_wrong_shapes_and_axes():
    with pytest.raises(AssertionError, match=r"expected shape \(256, 10\), got \(10, 256\)"):
        checks.check_softmax(lambda X: stable_softmax(X).T)
    with pytest.raises(AssertionError, match=r"^rows must sum to 1; row 0 sums to "):
        checks.check_softmax(lambda X: np.exp(X) / np.exp(X).sum(axis=0, keepdims=True))
    with pytest.raises(AssertionError, match=r"got \(256,\) \(an axis is missing"):
        checks.check_softmax(lambda X: np.exp(X).sum(axis=1))
    with pytest.raises(AssertionError, match="did you forget a return"):
        checks.check_softmax(lambda X: None)


def test_check_softmax_catches_wrong_values_and_dtypes():
    with pytest.raises(AssertionError, match=r"^softmax\(X\) for logits around 0: row 0 is"):
        checks.check_softmax(lambda X: stable_softmax(2 * X))
    with pytest.raises(AssertionError, match="expected dtype float64, got float32; keep"):
        checks.check_softmax(lambda X: stable_softmax(X.astype("float32")), dtype="float64")


def test_check_keeps_input():
    checks.check_keeps_input(stable_softmax)

    def in_place(X):
        X -= X.max(axis=1, keepdims=True)
        return stable_softmax(X)
    with pytest.raises(AssertionError, match="changed its input X in place"):
        checks.check_keeps_input(in_place)


def stable_logsumexp(X, axis=-1):
    m = X.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(X - m).sum(axis=axis, keepdims=True))).squeeze(axis=axis)


def test_check_logsumexp():
    checks.check_logsumexp(stable_logsumexp)
    checks.check_logsumexp(stable_logsumexp, offset=-1000, shape=(1, 3), dtype="float64")
    checks.check_logsumexp(stable_logsumexp, shape=(2, 7, 3), axis=1, offset=1000, mixed=True)
    naive = lambda X: np.log(np.exp(X).sum(axis=1))  # noqa: E731
    checks.check_logsumexp(naive)
    with pytest.raises(AssertionError, match=r"^(nan|inf) in logsumexp\(X\) for logits around 1000"):
        checks.check_logsumexp(naive, offset=1000)
    batch_max = lambda X: X.max() + np.log(np.exp(X - X.max()).sum(axis=1))  # noqa: E731
    checks.check_logsumexp(batch_max, offset=1000)
    with pytest.raises(AssertionError, match=r"^inf in logsumexp\(X\) for logits around 1000 in "
                                             r"some rows"):
        checks.check_logsumexp(batch_max, offset=1000, mixed=True)
    with pytest.raises(AssertionError, match=r"expected shape \(256,\), got \(256, 1\) "
                                             r"\(one axis too many"):
        checks.check_logsumexp(lambda X: np.log(np.exp(X).sum(axis=1, keepdims=True)))
