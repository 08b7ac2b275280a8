"""Assignment 3, softmax regression from scratch (course/source/a3_scratch/): cross-entropy,
accuracy, sgd, one epoch of training, and the accuracy bar (which assignments 4, 5 and 8
use too).

How a check, its judge, its inputs and its reference answer work together:
grading/checks/__init__.py.
"""
import math

import numpy as onp

from grading.checks import convert, inputs
from grading.checks.a1_softmax import softmax
from grading.checks.common import (array_of, assert_close, assert_shape, fail, items_of, num,
                                   number_of)
from grading.checks.judge import judge
from grading.checks.messages import say
from grading.checks.session import start


# ---------------------------------------------------------------- check_cross_entropy

def probabilities_and_labels(batch, dtype, seed):
    """y_hat (batch, q) rows of probabilities and y (batch,) int32 labels; batch None: (2, 3)."""
    r = inputs.rng(seed)
    n, q = (2, 3) if batch is None else (batch, 10)
    z = r.normal(0, 2, size=(n, q))
    y_hat = softmax(z).astype(dtype)
    return y_hat, r.randint(0, q, size=n).astype("int32")


def cross_entropy(y_hat, y):
    """-log y_hat[i, y[i]] of each example: (batch, q), (batch,) -> (batch,)."""
    p = onp.asarray(y_hat, dtype=onp.float64)
    return -onp.log(p[onp.arange(len(y)), y])


def check_cross_entropy(cross_entropy, batch=None, dtype="float32", seed=0):
    """Assert cross_entropy(y_hat, y) = -log y_hat[i, y[i]] per example.

    y_hat: (batch, q) probabilities; y: (batch,) int32 labels; the result is (batch,).
    Default: a batch of 2 examples with 3 classes.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("cross_entropy", {"batch": batch, "dtype": dtype, "seed": seed})
    y_hat, y = probabilities_and_labels(batch, dtype, run.seed)
    out = run.call(cross_entropy, convert.mx_array(y_hat), convert.mx_array(y))
    run.finish({"out": convert.array(out)})


@judge
def judge_cross_entropy(record, params, seed, ref):
    y_hat, y = probabilities_and_labels(params["batch"], params["dtype"], seed)
    want = ref.cross_entropy(y_hat, y)
    name = "cross_entropy(y_hat, y)"
    assert_shape(record["out"], (len(y),), name, say("one_loss_per_example"))
    got = array_of(record["out"], name)
    if onp.allclose(got, -want, rtol=1e-4):
        fail("cross_entropy.sign")
    assert_close(got, want, name, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- check_accuracy

def scores_and_labels(seed, n=8, q=3):
    """Scores (n, q) float32 without ties and labels (n,) int32, about half of them right."""
    r = inputs.rng(seed)
    scores = r.permutation(n * q).reshape(n, q).astype("float32") / (n * q)
    labels = scores.argmax(axis=1).astype("int32")
    wrong = r.permutation(n)[: n // 2]
    labels[wrong] = (labels[wrong] + 1 + r.randint(0, q - 1, size=wrong.size)) % q
    return scores, labels


def correct_count(scores, y):
    """Number of rows of scores (n, q) whose largest entry is at y (n,)."""
    return float((onp.asarray(scores).argmax(axis=1) == onp.asarray(y)).sum())


def check_accuracy(accuracy, predicted_classes=False, seed=0):
    """Assert that accuracy(y_hat, y) counts the correct predictions (a float, not a fraction).

    y_hat: (8, 3) scores, or (8,) predicted classes with `predicted_classes`; y: (8,) int32.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("accuracy", {"predicted_classes": bool(predicted_classes), "seed": seed})
    scores, y = scores_and_labels(run.seed)
    y_hat = scores.argmax(axis=1).astype("float32") if predicted_classes else scores
    got = run.call(accuracy, convert.mx_array(y_hat), convert.mx_array(y))
    run.finish({"count": convert.number(got)})


@judge
def judge_accuracy(record, params, seed, ref):
    scores, y = scores_and_labels(seed)
    n, q = scores.shape
    want = ref.correct_count(scores, y)
    value = record["count"]
    if isinstance(value, dict) and "__shape__" in value and \
            tuple(value["__shape__"]) not in ((), (1,)):
        fail("accuracy.shape", shape=tuple(value["__shape__"]))
    got = number_of(value, "accuracy.number")
    form = (say("accuracy.classes", n=n) if params["predicted_classes"]
            else say("accuracy.scores", n=n, q=q))
    if want != n and math.isclose(got, want / n):
        fail("accuracy.fraction", want=float(want), got=num(got))
    if not math.isclose(got, want):
        fail("accuracy.count", form=form, want=float(want), right=int(want), n=n, got=num(got))


# ---------------------------------------------------------------- check_sgd

def sgd_parameters(seed):
    """W (3, 2), b (2,) and their gradients gW, gb, all float32."""
    r = inputs.rng(seed)
    return tuple(r.normal(0, 1, size=s).astype("float32") for s in ((3, 2), (2,), (3, 2), (2,)))


def sgd_step(param, grad, lr, batch_size):
    """One minibatch SGD step: param - lr * grad / batch_size."""
    return onp.asarray(param, onp.float64) - lr * onp.asarray(grad, onp.float64) / batch_size


def check_sgd(sgd, lr=0.1, batch_size=4, seed=0):
    """Assert that sgd(params, lr, batch_size) does param[:] = param - lr * grad / batch_size in place.

    params: [W (3, 2), b (2,)] with known gradients.
    """
    __tracebackhide__ = True  # noqa: F841
    from mxnet import autograd
    run = start("sgd", {"lr": lr, "batch_size": batch_size, "seed": seed})
    W0, b0, gW, gb = sgd_parameters(run.seed)
    W, b = convert.mx_array(W0), convert.mx_array(b0)
    W.attach_grad()
    b.attach_grad()
    with autograd.record():
        l = (W * convert.mx_array(gW)).sum() + (b * convert.mx_array(gb)).sum()
    l.backward()
    out = run.call(sgd, [W, b], lr, batch_size)
    run.finish({"returned_none": out is None, "W": convert.array(W), "b": convert.array(b)})


@judge
def judge_sgd(record, params, seed, ref):
    lr, batch_size = params["lr"], params["batch_size"]
    W0, b0, gW, gb = sgd_parameters(seed)
    W, b = array_of(record["W"], "W"), array_of(record["b"], "b")
    unchanged = (W.shape == W0.shape and onp.array_equal(W, W0))
    if not record["returned_none"] and unchanged:
        fail("sgd.returned")
    if unchanged and b.shape == b0.shape and onp.array_equal(b, b0):
        fail("sgd.unchanged")
    for name, got, p0, g in (("W", W, W0, gW), ("b", b, b0, gb)):
        want = ref.sgd_step(p0, g, lr, batch_size)
        if got.shape == p0.shape and onp.allclose(got, p0 - lr * g, atol=1e-6) and \
                not onp.allclose(got, want):
            fail("sgd.no_division", name=name)
        assert_close(got, want, say("sgd.after", name=name, lr=lr, batch_size=batch_size),
                     atol=1e-6)


# ---------------------------------------------------------------- check_train_epoch

def toy_problem(n, batch_size, seed):
    """A 3-class problem with 4 features as a list of (X (batch, 4), y (batch,)) NumPy batches,
    the last one smaller, and initial weights W (4, 3) ~ N(0, 0.01)."""
    r = inputs.rng(seed)
    x = r.normal(0, 1, size=(n, 4)).astype("float32")
    y = ((x[:, 0] > 0).astype("int32") + (x[:, 1] > 0.5).astype("int32")).astype("int32")
    batches = [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, n, batch_size)]
    W = r.normal(0, 0.01, size=(4, 3)).astype("float32")
    return batches, W


def train_epoch(batches, W, lr):
    """One epoch of softmax regression (bias starting at 0) with minibatch SGD.

    batches: list of (X (batch, d), y (batch,)); W: (d, q). Returns (mean loss, accuracy,
    W after the epoch), the loss and accuracy of each batch taken before its update.
    """
    W = onp.asarray(W, onp.float64).copy()
    b = onp.zeros(W.shape[1])
    total, correct, n = 0.0, 0.0, 0
    for X, y in batches:
        X = onp.asarray(X, onp.float64)
        P = softmax(X @ W + b)
        rows = onp.arange(len(y))
        total += float(-onp.log(P[rows, y]).sum())
        correct += float((P.argmax(axis=1) == y).sum())
        n += len(y)
        G = P.copy()
        G[rows, y] -= 1
        W -= lr * (X.T @ G) / len(y)
        b -= lr * G.sum(axis=0) / len(y)
    return total / n, correct / n, W


def _toy_model(W0, use_trainer):
    """(net, loss, updater, weights) of softmax regression on 4 features, 3 classes, lr 0.5.

    weights() returns the weight matrix (4, 3) as NumPy. Built from the kit's own pieces
    (helpers.train), or from Gluon with `use_trainer`.
    """
    from mxnet import gluon, np
    from helpers import train
    if use_trainer:
        net = gluon.nn.Dense(3, in_units=4)
        net.initialize()
        net.weight.set_data(convert.mx_array(W0.T.copy()))
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
        loss = gluon.loss.SoftmaxCrossEntropyLoss()
        return net, loss, trainer, lambda: net.weight.data().asnumpy().T
    W, b = convert.mx_array(W0), np.zeros(3, dtype="float32")
    W.attach_grad()
    b.attach_grad()

    def net(X):
        return train.softmax(np.dot(X, W) + b)

    def updater(batch_size):
        train.sgd([W, b], 0.5, batch_size)
    return net, train.cross_entropy, updater, lambda: W.asnumpy()


def check_train_epoch(train_epoch, use_trainer=False, n=70, batch_size=32, seed=0):
    """Assert that train_epoch(net, train_iter, loss, updater) trains one epoch and returns (mean loss, accuracy).

    Runs it on a toy problem (n examples of 4 features, 3 classes; the last batch smaller)
    with a linear softmax model, whose updater is a function of the batch size, or a
    gluon.Trainer with `use_trainer`.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("train_epoch", {"use_trainer": bool(use_trainer), "n": n,
                                "batch_size": batch_size, "seed": seed})
    batches, W0 = toy_problem(n, batch_size, run.seed)
    data = [(convert.mx_array(X), convert.mx_array(y)) for X, y in batches]
    net, loss, updater, weights = _toy_model(W0, use_trainer)
    result = run.call(train_epoch, net, data, loss, updater)
    if isinstance(result, tuple) and len(result) == 2:
        summary = {"values": [convert.number(v) for v in result]}
    else:
        summary = {"values": None, "repr": convert.text(result)[1]}
    run.finish({"result": summary, "W": convert.array(weights())})


@judge
def judge_train_epoch(record, params, seed, ref):
    n = params["n"]
    batches, W0 = toy_problem(n, params["batch_size"], seed)
    result = record["result"]
    if result.get("values") is None:
        fail("train_epoch.result", got=result.get("repr"))
    W = array_of(record["W"], "W")
    if W.shape == W0.shape and onp.array_equal(W, W0):
        fail("train_epoch.unchanged")
    train_loss, train_acc = (number_of(v, "train_epoch.result")
                             for v in items_of(result["values"], 2, "train_epoch"))
    want_loss, want_acc, W_want = ref.train_epoch(batches, W0, lr=0.5)
    if not 0 <= train_acc <= 1:
        fail("train_epoch.fraction", got=num(train_acc))
    if not math.isclose(train_loss, want_loss, rel_tol=1e-3):
        fail("train_epoch.loss", want=num(want_loss), got=num(train_loss), n=n)
    if not math.isclose(train_acc, want_acc, abs_tol=1e-6):
        fail("train_epoch.accuracy", want=num(want_acc), got=num(train_acc))
    assert_close(W, W_want, say("train_epoch.weights"), rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------- check_accuracy_bar

def test_accuracy(W, b):
    """Accuracy on Fashion-MNIST's test set of the linear model softmax(X W + b), W (784, 10)."""
    from helpers.data import load_arrays
    a = load_arrays()
    X = a["test_images"].reshape(len(a["test_images"]), -1).astype(onp.float32) / 255
    predicted = (X @ onp.asarray(W, onp.float32) + onp.asarray(b, onp.float32)).argmax(axis=1)
    return float((predicted == a["test_labels"]).mean())


def _linear_weights(model):
    """W (784, 10) and b (10,) as NumPy of a linear model: (W, b) arrays or a Gluon block."""
    if isinstance(model, (tuple, list)) and len(model) == 2:
        return convert.array(model[0]), convert.array(model[1])
    try:
        params = dict(model.collect_params().items())
    except Exception:  # noqa: BLE001 (not a Gluon block)
        return None, None
    weights = [p for name, p in params.items() if name.endswith("weight")]
    biases = [p for name, p in params.items() if name.endswith("bias")]
    if len(weights) != 1 or len(biases) != 1:
        return None, None
    W = convert.array(weights[0].list_data()[0])
    return (W.T if hasattr(W, "T") else W), convert.array(biases[0].list_data()[0])


def check_accuracy_bar(test_acc, bar, num_epochs, model=None):
    """Assert that a training run reached test accuracy `test_acc` > `bar` after `num_epochs`.

    model: the trained linear model, (W, b) with W (784, 10), or a Gluon net with one Dense
    layer; given, the accuracy is measured on the test set too, and must match test_acc.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("accuracy_bar", {"bar": bar, "num_epochs": num_epochs,
                                 "model": model is not None})
    record = {"test_acc": convert.number(test_acc)}
    if model is not None:
        record["W"], record["b"] = _linear_weights(model)
        record["model_kind"] = convert.type_name(model)
        record["expected_model"] = "(W, b) or a net with one Dense layer"
    run.finish(record)


@judge
def judge_accuracy_bar(record, params, seed, ref):
    bar, num_epochs = params["bar"], params["num_epochs"]
    if record["test_acc"] is None:
        fail("accuracy_bar.none")
    acc = number_of(record["test_acc"], "accuracy_bar.number")
    if not 0 <= acc <= 1:
        fail("accuracy_bar.fraction", got=num(acc))
    if params["model"]:
        W, b = record["W"], record["b"]
        if not (isinstance(W, onp.ndarray) and W.shape == (784, 10) and W.dtype.kind == "f"
                and isinstance(b, onp.ndarray) and b.shape == (10,) and b.dtype.kind == "f"):
            fail("accuracy_bar.model", what=record.get("expected_model", "a linear model"),
                 got=record.get("model_kind"))
        measured = ref.test_accuracy(W, b)
        if abs(acc - measured) > 0.002:
            fail("accuracy_bar.mismatch", got=acc, measured=measured)
        acc = measured
    if acc <= bar:
        fail("accuracy_bar.below", acc=acc, num_epochs=num_epochs, bar=bar)
