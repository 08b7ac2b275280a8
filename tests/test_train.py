"""The scratch model's pieces, each checked against MXNet's own or by hand."""
import numpy as onp
import pytest
import mxnet as mx
from mxnet import gluon, init, np, npx
from mxnet.gluon import nn

from helpers.fast_data import ArrayLoader
from helpers.train import (accuracy, correct_count, cross_entropy, evaluate_accuracy, sgd,
                           softmax, train, train_epoch)



@pytest.mark.parametrize("shape", [(1, 3), (7, 10), (256, 10)])
def test_softmax_rows_sum_to_one_and_match_npx(shape):
    X = np.random.normal(0, 4, shape)
    P = softmax(X)
    assert P.shape == shape
    assert (P >= 0).all()
    onp.testing.assert_allclose(P.sum(axis=1).asnumpy(), 1, rtol=1e-5)
    onp.testing.assert_allclose(P.asnumpy(), npx.softmax(X).asnumpy(), rtol=1e-5, atol=1e-7)


def test_cross_entropy_matches_gluon_loss_on_the_same_logits():
    logits = np.random.normal(0, 3, (64, 10))
    y = np.array(onp.random.randint(0, 10, 64), dtype="int32")
    ours = cross_entropy(softmax(logits), y)
    theirs = gluon.loss.SoftmaxCrossEntropyLoss()(logits, y)
    onp.testing.assert_allclose(ours.asnumpy(), theirs.asnumpy(), rtol=1e-4, atol=1e-5)


def test_cross_entropy_by_hand():
    y_hat = np.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    y = np.array([0, 2])
    onp.testing.assert_allclose(cross_entropy(y_hat, y).asnumpy(), -onp.log([0.1, 0.5]),
                                rtol=1e-6)


def test_accuracy_on_hand_made_cases():
    y_hat = np.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5], [0.8, 0.1, 0.1], [0.2, 0.7, 0.1]])
    y = np.array([2, 0, 0, 1], dtype="int32")
    assert accuracy(y_hat, y) == 3.0
    assert accuracy(np.array([2, 2, 2, 2]), y) == 1.0  # predicted classes, not scores
    assert accuracy(y_hat, np.array([0, 1, 1, 0], dtype="int32")) == 0.0
    assert float(correct_count(y_hat, y)) == 3.0


def test_evaluate_accuracy_of_an_untrained_net_is_near_chance(fashion_mnist_dir):
    from helpers.fast_data import load_data_in_memory
    mx.random.seed(1)
    _, test_iter = load_data_in_memory(256, root=fashion_mnist_dir)
    net = nn.Dense(10)
    net.initialize(init.Normal(sigma=0.01))
    acc = evaluate_accuracy(net, test_iter)
    assert 0.02 < acc < 0.2, acc


def test_evaluate_accuracy_counts_every_example_once():
    X = np.array(onp.eye(10, dtype="float32").reshape(10, 1, 1, 10))
    y = np.array([0, 1, 2, 3, 4, 5, 6, 7, 0, 0], dtype="int32")
    def identity(X):  # predicts class i for image i
        return X.reshape((-1, 10))

    assert evaluate_accuracy(identity, ArrayLoader(X, y, batch_size=3)) == 0.8


def test_sgd_takes_the_averaged_gradient_step():
    W = np.array([1.0, 2.0])
    W.attach_grad()
    W.grad[:] = np.array([4.0, -8.0])
    sgd([W], lr=0.5, batch_size=4)
    onp.testing.assert_allclose(W.asnumpy(), [0.5, 3.0])


def blobs(n=600, seed=0):
    """Three well separated classes in 4-d, as (n, 1, 1, 4) float32 and (n,) int32."""
    rng = onp.random.RandomState(seed)
    y = rng.randint(0, 3, n).astype("int32")
    centres = onp.array([[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0]], dtype="float32")
    X = centres[y] + rng.normal(0, 0.5, (n, 4)).astype("float32")
    return X.reshape(n, 1, 1, 4), y


def test_train_epoch_learns_with_a_custom_updater():
    X, y = blobs()
    train_iter = ArrayLoader(X, y, 32, shuffle=True, rng=onp.random.RandomState(0))
    W = np.random.normal(0, 0.01, (4, 3))
    b = np.zeros(3)
    W.attach_grad()
    b.attach_grad()
    def net(X):
        return softmax(np.dot(X.reshape((-1, 4)), W) + b)

    def updater(batch_size):
        return sgd([W, b], 0.5, batch_size)

    first_loss, _ = train_epoch(net, train_iter, cross_entropy, updater)
    for _ in range(3):
        last_loss, last_acc = train_epoch(net, train_iter, cross_entropy, updater)
    assert last_loss < first_loss / 2
    assert last_acc > 0.95


def test_train_with_a_gluon_trainer_records_every_epoch():
    X, y = blobs()
    train_iter = ArrayLoader(X[:500], y[:500], 32, shuffle=True)
    test_iter = ArrayLoader(X[500:], y[500:], 32)
    net = nn.Dense(3)
    net.initialize(init.Normal(sigma=0.01))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    seen = []
    history = train(net, train_iter, test_iter, gluon.loss.SoftmaxCrossEntropyLoss(), 4,
                    trainer, on_epoch=lambda epoch, h: seen.append((epoch, len(h["test_acc"]))))
    assert seen == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert all(len(v) == 4 for v in history.values())
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["test_acc"][-1] > 0.95
