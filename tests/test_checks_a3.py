"""The checks of grading/checks/a3_scratch.py: check_cross_entropy, check_accuracy,
check_sgd, check_train_epoch, check_accuracy_bar.

Each passes a right answer and names the fault of a wrong one, the mistake a student
makes, in the words a student reads (tests/test_checks.py: the generic checks, records,
grading mode and the two references).
"""
import numpy as onp
import pytest

from mxnet import autograd, gluon, init, np

from grading import checks
from helpers import train as ref
from tests.check_answers import concise_net


def test_check_cross_entropy():
    checks.check_cross_entropy(ref.cross_entropy)
    checks.check_cross_entropy(ref.cross_entropy, batch=7, dtype="float64")
    with pytest.raises(AssertionError, match=r"expected shape \(2,\), got \(2, 2\) .*one loss"):
        checks.check_cross_entropy(lambda y_hat, y: -np.log(y_hat[:, y]))
    with pytest.raises(AssertionError, match=r"expected shape \(2,\), got \(\)"):
        checks.check_cross_entropy(lambda y_hat, y: ref.cross_entropy(y_hat, y).mean())
    with pytest.raises(AssertionError, match="has the wrong sign"):
        checks.check_cross_entropy(lambda y_hat, y: -ref.cross_entropy(y_hat, y))
    first_class = lambda y_hat, y: -np.log(y_hat[:, 0])  # noqa: E731
    with pytest.raises(AssertionError, match=r"^cross_entropy\(y_hat, y\): entry \d is "
                                             r"[0-9.]+, expected [0-9.]+$"):
        checks.check_cross_entropy(first_class)


def test_check_accuracy():
    checks.check_accuracy(ref.accuracy)
    checks.check_accuracy(ref.accuracy, predicted_classes=True)
    with pytest.raises(AssertionError, match=r"expected (\d)\.0, got 0\.\d+ .*divide by len"):
        checks.check_accuracy(lambda y_hat, y: ref.accuracy(y_hat, y) / len(y))
    with pytest.raises(AssertionError, match=r"for y_hat as scores \(8, 3\) should be (\d)\.0 "
                                             r"\(\1 of 8 right\), got \d"):
        checks.check_accuracy(lambda y_hat, y: float((y_hat.argmin(axis=1).astype(y.dtype)
                                                      == y).sum()))


def test_check_sgd():
    checks.check_sgd(ref.sgd)
    checks.check_sgd(ref.sgd, lr=0.5, batch_size=1)

    def no_division(params, lr, batch_size):
        for p in params:
            p[:] = p - lr * p.grad

    def rebinding(params, lr, batch_size):
        for p in params:
            p = p - lr * p.grad / batch_size  # noqa: F841

    def returning(params, lr, batch_size):
        return [p - lr * p.grad / batch_size for p in params]

    with pytest.raises(AssertionError, match="divide the gradient by batch_size"):
        checks.check_sgd(no_division)
    with pytest.raises(AssertionError, match="left the parameters unchanged"):
        checks.check_sgd(rebinding)
    with pytest.raises(AssertionError, match="in place .* returned something"):
        checks.check_sgd(returning)


def _train_epoch(net, train_iter, loss, updater, fixed_batch=None, mean=True, fraction=True,
                 update=True):
    """helpers.train.train_epoch's loop, with one of the mistakes switched on."""
    if isinstance(updater, gluon.Trainer):
        updater = updater.step
    total, correct, n = 0.0, 0.0, 0
    for X, y in train_iter:
        with autograd.record():
            y_hat = net(X)
            l = loss(y_hat, y)
        l.backward()
        if update:
            updater(fixed_batch or X.shape[0])
        total += float(l.sum())
        correct += ref.accuracy(y_hat, y)
        n += y.size
    return total / (n if mean else 1), correct / (n if fraction else 1)


def test_check_train_epoch():
    checks.check_train_epoch(ref.train_epoch)
    checks.check_train_epoch(ref.train_epoch, use_trainer=True)
    checks.check_train_epoch(_train_epoch)
    with pytest.raises(AssertionError, match="the mean loss over the epoch should be"):
        checks.check_train_epoch(lambda *a: _train_epoch(*a, mean=False))
    with pytest.raises(AssertionError, match=r"accuracy should be a fraction in \[0, 1\]"):
        checks.check_train_epoch(lambda *a: _train_epoch(*a, fraction=False))
    with pytest.raises(AssertionError, match=r"the weights after one epoch .*X\.shape\[0\]"):
        checks.check_train_epoch(lambda *a: _train_epoch(*a, fixed_batch=32))
    with pytest.raises(AssertionError, match=r"left the parameters unchanged: call "
                                             r"updater\(X.shape\[0\]\)"):
        checks.check_train_epoch(lambda *a: _train_epoch(*a, update=False))
    with pytest.raises(AssertionError, match=r"should return a tuple \(mean loss, accuracy\)"):
        checks.check_train_epoch(lambda *a: list(_train_epoch(*a)))


def test_check_accuracy_bar():
    checks.check_accuracy_bar(0.81, 0.78, 3)
    with pytest.raises(AssertionError, match=r"^test accuracy 0\.700 after 3 epochs is not "
                                             r"above the bar 0\.78"):
        checks.check_accuracy_bar(0.7, 0.78, 3)
    with pytest.raises(AssertionError, match="a fraction in"):
        checks.check_accuracy_bar(7980, 0.78, 3)




def test_check_accuracy_bar_measures_the_model():
    W, b = onp.zeros((784, 10), "float32"), onp.eye(10, dtype="float32")[3]  # always class 3
    checks.check_accuracy_bar(0.1, 0.05, 3, (np.array(W), np.array(b)))
    with pytest.raises(AssertionError, match=r"^test_acc is 0\.850, but the trained model's "
                                             r"accuracy on the test set is 0\.100"):
        checks.check_accuracy_bar(0.85, 0.78, 3, (np.array(W), np.array(b)))
    with pytest.raises(AssertionError, match=r"^test accuracy 0\.100 after 3 epochs is not "
                                             r"above the bar 0\.78"):
        checks.check_accuracy_bar(0.1, 0.78, 3, (W, b))
    net = gluon.nn.Sequential()
    net.add(gluon.nn.Dense(10))
    net.initialize(init.Zero())
    net(np.zeros((1, 784)))
    net[0].bias.set_data(np.array(b))
    checks.check_accuracy_bar(0.1, 0.05, 3, net)
    with pytest.raises(AssertionError, match="the model to evaluate should be"):
        checks.check_accuracy_bar(0.1, 0.05, 3, concise_net(layers=2))
