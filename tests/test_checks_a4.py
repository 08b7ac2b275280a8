"""The checks of grading/checks/a4_concise.py: check_concise_net, check_loss, check_trainer,
check_dense_labels.

Each passes a right answer and names the fault of a wrong one, the mistake a student
makes, in the words a student reads (tests/test_checks.py: the generic checks, records,
grading mode and the two references).
"""
import pytest

import mxnet as mx
from mxnet import gluon, init, np

from grading import checks
from helpers import train as ref
from tests.check_answers import concise_net, naive_softmax


def test_check_concise_net():
    checks.check_concise_net(concise_net())
    with pytest.raises(AssertionError, match=r"expected shape \(2, 10\), got \(2, 256\)"):
        checks.check_concise_net(concise_net(units=256))
    with pytest.raises(AssertionError, match="exactly one layer with weights .* found 2"):
        checks.check_concise_net(concise_net(layers=2))
    # 7,840 draws with sigma 0.1: the measured deviation lands either side of 0.1
    mx.random.seed(0)
    with pytest.raises(AssertionError, match=r"standard deviation is 0\.(09|10)[0-9]* "
                                             r"\(init.Normal\(sigma=0.01\)"):
        checks.check_concise_net(concise_net(init_=init.Normal(sigma=0.1)))
    with pytest.raises(AssertionError, match=r"net is not initialized: call net.initialize"):
        checks.check_concise_net(concise_net(init_=None))


def test_check_loss():
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    checks.check_loss(loss)
    checks.check_loss(loss, offset=1000)
    checks.check_loss(loss, batch=1)
    on_probabilities = lambda o, y: ref.cross_entropy(naive_softmax(o), y)  # noqa: E731
    checks.check_loss(on_probabilities)
    with pytest.raises(AssertionError, match=r"in loss\(logits, y\) for logits around 1000"):
        checks.check_loss(on_probabilities, offset=1000)
    with pytest.raises(AssertionError, match=r"it takes logits, not probabilities"):
        checks.check_loss(lambda o, y: ref.cross_entropy(np.abs(o) / 10, y))


def test_check_trainer():
    net = concise_net()
    checks.check_trainer(gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}),
                         net)
    with pytest.raises(AssertionError, match="use the 'sgd' optimizer, got 'Adam'"):
        checks.check_trainer(gluon.Trainer(net.collect_params(), "adam"), net)
    with pytest.raises(AssertionError, match="learning rate should be 0.1, got 0.01"):
        checks.check_trainer(gluon.Trainer(net.collect_params(), "sgd",
                                           {"learning_rate": 0.01}), net)
    other = concise_net()
    with pytest.raises(AssertionError, match="exactly the parameters of net"):
        checks.check_trainer(gluon.Trainer(other.collect_params(), "sgd",
                                           {"learning_rate": 0.1}), net)
    with pytest.raises(AssertionError, match="should be a gluon.Trainer, got dict"):
        checks.check_trainer({}, net)


def test_check_dense_labels():
    def one_hot(y, q):
        return np.eye(q, dtype="float32")[y]
    dense = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    checks.check_dense_labels(one_hot, dense)
    checks.check_dense_labels(one_hot, dense, batch=1, q=3)
    with pytest.raises(AssertionError, match=r"^one_hot\(y, 10\): row 0 is"):
        checks.check_dense_labels(lambda y, q: 1 - one_hot(y, q), dense)
    with pytest.raises(AssertionError, match=r"expected shape \(8, 10\), got \(10, 8\)"):
        checks.check_dense_labels(lambda y, q: one_hot(y, q).T, dense)
    with pytest.raises(AssertionError, match=r"^dense_loss\(logits, one_hot\(y, q\)\): "):
        checks.check_dense_labels(one_hot, lambda o, Y: dense(o, Y) / 2)
