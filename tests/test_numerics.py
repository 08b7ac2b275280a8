"""Stable softmax and cross-entropy, and the finite-difference gradient check."""
import numpy as onp
import pytest
from mxnet import autograd, gluon, np, npx

from helpers.gradcheck import check_gradient, numerical_gradient
from helpers.numerics import log_softmax, stable_cross_entropy, stable_softmax
from helpers.train import cross_entropy, softmax

EXTREME = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -999.0],
                    [1000.0, 1000.0, 1000.0], [100.0, 0.0, 0.0]])


def test_naive_softmax_overflows_where_the_stable_one_does_not():
    assert onp.isnan(softmax(EXTREME).asnumpy()).any()
    P = stable_softmax(EXTREME).asnumpy()
    assert onp.isfinite(P).all() and onp.allclose(P.sum(axis=1), 1)
    assert onp.allclose(P, npx.softmax(EXTREME).asnumpy(), atol=1e-6)


def test_log_softmax_and_cross_entropy_agree_with_mxnet_at_extremes():
    y = np.array([2, 0, 1, 1])
    assert onp.allclose(log_softmax(EXTREME).asnumpy(), npx.log_softmax(EXTREME).asnumpy(),
                        rtol=1e-5, atol=1e-3)
    ours = stable_cross_entropy(EXTREME, y).asnumpy()
    theirs = gluon.loss.SoftmaxCrossEntropyLoss()(EXTREME, y).asnumpy()
    assert onp.isfinite(ours).all() and onp.allclose(ours, theirs, rtol=1e-5, atol=1e-3)
    assert ours[0] == pytest.approx(2000.0)
    assert not onp.isfinite(cross_entropy(softmax(EXTREME), y).asnumpy()).all()


def test_stable_equals_naive_where_naive_works():
    X = np.random.uniform(-20, 20, (200, 10))
    y = np.array(onp.random.randint(0, 10, 200))
    assert onp.allclose(stable_softmax(X).asnumpy(), softmax(X).asnumpy(), atol=1e-7)
    assert onp.allclose(stable_cross_entropy(X, y).asnumpy(),
                        cross_entropy(softmax(X), y).asnumpy(), rtol=1e-4, atol=1e-5)


def test_numerical_gradient_of_known_functions():
    x = onp.array([[1.0, -2.0], [0.5, 3.0]])
    assert onp.allclose(numerical_gradient(lambda v: (v ** 2).sum(), x), 2 * x, atol=1e-6)
    assert onp.allclose(numerical_gradient(lambda v: onp.sin(v).sum(), x), onp.cos(x), atol=1e-6)


def test_check_gradient_accepts_the_right_gradient_and_names_a_wrong_entry():
    x = onp.array([1.0, 2.0, 3.0])
    def f(v):
        return (v ** 3).sum()

    assert check_gradient(f, x, 3 * x ** 2) < 1e-5
    wrong = 3 * x ** 2
    wrong[1] += 0.5
    with pytest.raises(AssertionError, match=r"index \(1,\)"):
        check_gradient(f, x, wrong)
    with pytest.raises(AssertionError, match="shape"):
        check_gradient(f, x, onp.zeros(2))


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    o = np.random.normal(0, 3, (4, 6)).astype("float64")
    t = np.array([0, 5, 2, 2])
    o.attach_grad()
    with autograd.record():
        l = stable_cross_entropy(o, t).sum()
    l.backward()
    expected = stable_softmax(o) - npx.one_hot(t, 6).astype("float64")
    assert onp.allclose(o.grad.asnumpy(), expected.asnumpy(), atol=1e-12)
    def f(v):
        return float(stable_cross_entropy(np.array(v, dtype="float64"), t).sum())

    check_gradient(f, o.asnumpy(), o.grad.asnumpy())
