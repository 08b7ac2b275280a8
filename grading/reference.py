"""The grader's reference answers, in NumPy float64. Never visible inside a sandbox.

Same interface as grading.checks.reference (the one a student's own checks use), written
apart from it; tests/test_checks.py keeps the two in agreement. Why two: grading/checks/ is
inside every sandbox, where a submission's code can read, import or change it; this copy
is read only in the grader's own process, so nothing a submission does reaches the
answers it is judged against. The dataset's labels
and test images are the kit's verified Fashion-MNIST, read in the grader's process.
"""
import math

import numpy as onp

_TEXT = ("t-shirt", "trouser", "pullover", "dress", "coat",
         "sandal", "shirt", "sneaker", "bag", "ankle boot")


def softmax(x, axis=-1):
    """Softmax of logits x along `axis` (the last: row-wise for (batch, q))."""
    z = onp.asarray(x, dtype=onp.float64)
    z = z - z.max(axis=axis, keepdims=True)
    e = onp.exp(z)
    return e / onp.sum(e, axis=axis, keepdims=True)


def logsumexp(x, axis=-1):
    """log(sum(exp(x))) along `axis` of x, which the result no longer has."""
    z = onp.asarray(x, dtype=onp.float64)
    m = z.max(axis=axis, keepdims=True)
    return onp.squeeze(m + onp.log(onp.sum(onp.exp(z - m), axis=axis, keepdims=True)), axis=axis)


def labels(indices):
    """Fashion-MNIST's text labels of class indices."""
    return [_TEXT[int(i)] for i in indices]


def to_tensor(images):
    """Images (n, 28, 28, 1) 0..255 -> float32 (n, 1, 28, 28) in [0, 1]."""
    x = onp.moveaxis(onp.asarray(images, dtype=onp.float64), -1, 1) / 255.0
    return x.astype(onp.float32)


def cross_entropy(y_hat, y):
    """-log y_hat[i, y[i]] of each example."""
    p = onp.asarray(y_hat, dtype=onp.float64)
    return -onp.log(onp.take_along_axis(p, onp.asarray(y)[:, None], axis=1)[:, 0])


def correct_count(scores, y):
    """How many rows of scores have their largest entry at y."""
    return float(onp.sum(onp.argmax(scores, axis=1) == onp.asarray(y)))


def sgd_step(param, grad, lr, batch_size):
    """param - lr * grad / batch_size."""
    return onp.asarray(param, dtype=onp.float64) - (lr / batch_size) * onp.asarray(grad, onp.float64)


def loss(x, y):
    """Softmax cross-entropy of logits x and labels y, per example."""
    z = onp.asarray(x, dtype=onp.float64)
    true = onp.take_along_axis(z, onp.asarray(y)[:, None], axis=1)[:, 0]
    return logsumexp(z) - true


def train_epoch(batches, W, lr):
    """(mean loss, accuracy, W after) of one epoch of softmax regression with minibatch SGD."""
    W = onp.array(W, dtype=onp.float64)
    b = onp.zeros(W.shape[1])
    loss_sum, right, count = 0.0, 0.0, 0
    for X, y in batches:
        X, y = onp.asarray(X, onp.float64), onp.asarray(y)
        logits = X @ W + b
        P = softmax(logits)
        loss_sum += float(onp.sum(loss(logits, y)))
        right += correct_count(logits, y)
        count += y.shape[0]
        one_hot = onp.eye(W.shape[1])[y]
        G = (P - one_hot) / y.shape[0]
        W = W - lr * X.T @ G
        b = b - lr * G.sum(axis=0)
    return loss_sum / count, right / count, W


_data = {}


def _arrays():
    if not _data:
        from helpers.data import load_arrays
        _data.update(load_arrays())
    return _data


def dataset_labels(split):
    """The labels of the "train" or "test" split, in stored order."""
    return _arrays()[f"{split}_labels"]


def test_accuracy(W, b):
    """Test-set accuracy of the linear model X W + b, W (784, 10)."""
    a = _arrays()
    X = a["test_images"].reshape(a["test_images"].shape[0], 784).astype(onp.float32) / 255
    logits = X @ onp.asarray(W, dtype=onp.float32) + onp.asarray(b, dtype=onp.float32)
    return float(onp.mean(logits.argmax(axis=1) == a["test_labels"]))


def softmax_ce_gradient(x, Y):
    """softmax(x) - Y for label distributions Y (rows): the gradient of the summed
    cross-entropy w.r.t. the logits."""
    return softmax(x) - onp.asarray(Y, dtype=onp.float64)


def smooth_gradients(parts, w, arrays):
    """The gradient of sum_k [sum(c_k sin a_k) + sum(d_k a_k^2)/2] + (sum_k w_k sum(a_k))^2/2
    with respect to each array a_k."""
    coupling = float(onp.sum([wk * onp.sum(a) for wk, a in zip(w, arrays)]))
    return [onp.asarray(c) * onp.cos(a) + onp.asarray(d) * onp.asarray(a) + wk * coupling
            for (c, d, _), wk, a in zip(parts, w, arrays)]


def regularized_loss(X, y, W, b, reg):
    """(loss, dW, db) of the mean softmax cross-entropy of X W + b plus reg/2 ||W||^2."""
    X, W, b = (onp.asarray(a, dtype=onp.float64) for a in (X, W, b))
    n = X.shape[0]
    logits = X @ W + b
    delta = softmax_ce_gradient(logits, onp.eye(W.shape[1])[onp.asarray(y)])
    value = float(onp.mean(loss(logits, y)) + reg / 2 * onp.sum(W * W))
    return value, X.T @ delta / n + reg * W, onp.sum(delta, axis=0) / n


def ece(confidence, correct, num_bins):
    """sum over equal-width bins of (share of examples) * |accuracy - mean confidence|."""
    conf = onp.asarray(confidence, dtype=onp.float64)
    hit = onp.asarray(correct, dtype=onp.float64)
    edges = onp.linspace(0.0, 1.0, num_bins + 1)
    bins = onp.clip(onp.searchsorted(edges, conf, side="right") - 1, 0, num_bins - 1)
    n = conf.shape[0]
    out = 0.0
    for k in onp.unique(bins):
        sel = bins == k
        out += sel.sum() / n * abs(hit[sel].mean() - conf[sel].mean())
    return float(out)


def nll(logits, y, T):
    """Mean of -log softmax(logits / T)[i, y[i]]."""
    z = onp.asarray(logits, dtype=onp.float64) / T
    true = onp.take_along_axis(z, onp.asarray(y)[:, None], axis=1)[:, 0]
    return float(onp.mean(logsumexp(z) - true))


def best_temperature(logits, y):
    """argmin over T in [0.05, 20] of nll(logits, y, T), by golden-section search on log T."""
    lo, hi = onp.log(0.05), onp.log(20.0)
    ratio = (onp.sqrt(5.0) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = nll(logits, y, onp.exp(a)), nll(logits, y, onp.exp(b))
    while hi - lo > 1e-9:
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = nll(logits, y, onp.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = nll(logits, y, onp.exp(b))
    return float(onp.exp((lo + hi) / 2))


def validation_count(count, val_fraction):
    """The validation share of a class of `count` examples."""
    return int(round(count * val_fraction))


def best_setting(results):
    """Position of the best validation accuracy in `results`, the first one on ties."""
    best = 0
    for i, r in enumerate(results):
        if r["val_acc"] > results[best]["val_acc"]:
            best = i
    return best



def one_hot(y, q):
    """Rows of the identity picked by labels y."""
    return onp.eye(q)[onp.asarray(y)]


def step_argument_is(sizes, value):
    """True if `value` is what trainer.step is given for shards of `sizes`: the whole batch,
    the total of the shard sizes."""
    return math.isclose(value, float(onp.sum(sizes)))
