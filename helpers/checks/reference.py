"""Reference answers for the checks a student runs in a notebook, in NumPy float64.

The grader does not use these: it compares with its own copy, outside the student's
reach (grading/reference.py), and a test keeps the two in agreement.
"""
import numpy as onp

num_gpus = None  # a student's machine: trust what npx.num_gpus() says there


def softmax(x):
    """Row-wise softmax of logits x (batch, q), stably."""
    z = onp.asarray(x, dtype=onp.float64)
    e = onp.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def logsumexp(x):
    """log(sum(exp(x))) of each row of x (batch, q), stably: (batch,)."""
    z = onp.asarray(x, dtype=onp.float64)
    m = z.max(axis=1)
    return m + onp.log(onp.exp(z - m[:, None]).sum(axis=1))


def labels(indices):
    """Fashion-MNIST's text labels of class indices."""
    from helpers.data import get_fashion_mnist_labels
    return get_fashion_mnist_labels(indices)


def to_tensor(images):
    """Images (n, 28, 28, 1), values 0..255 -> float32 (n, 1, 28, 28) in [0, 1]."""
    return (onp.asarray(images).astype(onp.float32) / 255).transpose(0, 3, 1, 2)


def cross_entropy(y_hat, y):
    """-log y_hat[i, y[i]] of each example: (batch, q), (batch,) -> (batch,)."""
    p = onp.asarray(y_hat, dtype=onp.float64)
    return -onp.log(p[onp.arange(len(y)), y])


def correct_count(scores, y):
    """Number of rows of scores (n, q) whose largest entry is at y (n,)."""
    return float((onp.asarray(scores).argmax(axis=1) == onp.asarray(y)).sum())


def sgd_step(param, grad, lr, batch_size):
    """One minibatch SGD step: param - lr * grad / batch_size."""
    return onp.asarray(param, onp.float64) - lr * onp.asarray(grad, onp.float64) / batch_size


def loss(x, y):
    """Softmax cross-entropy of logits x (batch, q) and labels y: logsumexp - true logit."""
    return logsumexp(x) - onp.asarray(x, onp.float64)[onp.arange(len(y)), y]


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


def dataset_labels(split):
    """The labels of Fashion-MNIST's "train" or "test" split, in stored order."""
    from helpers.data import load_arrays
    return load_arrays()[f"{split}_labels"]


def test_accuracy(W, b):
    """Accuracy on Fashion-MNIST's test set of the linear model softmax(X W + b), W (784, 10)."""
    from helpers.data import load_arrays
    a = load_arrays()
    X = a["test_images"].reshape(len(a["test_images"]), -1).astype(onp.float32) / 255
    predicted = (X @ onp.asarray(W, onp.float32) + onp.asarray(b, onp.float32)).argmax(axis=1)
    return float((predicted == a["test_labels"]).mean())
