"""The grader's reference answers, in NumPy float64. Never visible inside a sandbox.

Same interface as helpers.checks.reference (the one a student's own checks use), written
apart from it; tests/test_checks.py keeps the two in agreement. The dataset's labels
and test images are the kit's verified Fashion-MNIST, read in the grader's process.
"""
import numpy as onp

num_gpus = 0  # a sandbox shows no GPU

_TEXT = ("t-shirt", "trouser", "pullover", "dress", "coat",
         "sandal", "shirt", "sneaker", "bag", "ankle boot")


def _rows_max(z):
    return z.max(axis=1, keepdims=True)


def softmax(x):
    """Row-wise softmax of logits x (batch, q)."""
    z = onp.asarray(x, dtype=onp.float64)
    z = z - _rows_max(z)
    e = onp.exp(z)
    return e / onp.sum(e, axis=1, keepdims=True)


def logsumexp(x):
    """log(sum(exp(x))) of each row of x (batch, q): (batch,)."""
    z = onp.asarray(x, dtype=onp.float64)
    m = _rows_max(z)
    return (m + onp.log(onp.sum(onp.exp(z - m), axis=1, keepdims=True)))[:, 0]


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
