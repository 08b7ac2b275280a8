"""Reference answers for the checks a student runs in a notebook, in NumPy float64.

The grader does not use these: it compares with its own copy, outside the student's
reach (grading/reference.py), and a test keeps the two in agreement. Where a task asks
for a derivation (the gradients of a loss), this copy measures the answer by finite
differences instead of stating it: it checks a student's work without handing it out.
"""
import numpy as onp


def softmax(x, axis=-1):
    """Softmax of logits x along `axis` (the last: each row of a (batch, q) array), stably."""
    from scipy.special import softmax  # imported here: importing the checks stays cheap
    return softmax(onp.asarray(x, dtype=onp.float64), axis=axis)


def logsumexp(x, axis=-1):
    """log(sum(exp(x))) along `axis` of x (the last: one number per row), stably."""
    from scipy.special import logsumexp
    return logsumexp(onp.asarray(x, dtype=onp.float64), axis=axis)


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


def softmax_ce_gradient(x, Y):
    """Gradient of the summed cross-entropy with respect to logits x (batch, q), for labels Y
    as rows of distributions (batch, q): softmax - Y."""
    return softmax(x) - onp.asarray(Y, onp.float64)


def smooth_gradients(parts, w, arrays):
    """The gradient, with respect to each array, of inputs.smooth_problem's f: for array k,
    c_k cos a_k + d_k a_k + w_k (sum_m w_m sum(a_m))."""
    total = sum(wk * onp.sum(a) for wk, a in zip(w, arrays))
    return [c * onp.cos(a) + d * a + wk * total for (c, d, _), wk, a in zip(parts, w, arrays)]


def regularized_loss(X, y, W, b, reg):
    """(loss, dW, db): the mean cross-entropy of softmax(X W + b) plus reg / 2 * sum(W^2), and
    its gradients with respect to W and b, measured by central finite differences."""
    X, W, b = (onp.asarray(a, onp.float64) for a in (X, W, b))
    rows = onp.arange(len(y))

    def loss(W, b):
        O = X @ W + b
        return float((logsumexp(O) - O[rows, onp.asarray(y)]).mean() + reg / 2 * (W ** 2).sum())

    grads = []
    for k, a in enumerate((W, b)):
        g = onp.zeros_like(a)
        for i in onp.ndindex(a.shape):
            step = onp.zeros_like(a)
            step[i] = 1e-5
            args = [(W + step, b), (W - step, b)] if k == 0 else [(W, b + step), (W, b - step)]
            g[i] = (loss(*args[0]) - loss(*args[1])) / 2e-5
        grads.append(g)
    return (loss(W, b), *grads)


def ece(confidence, correct, num_bins):
    """Expected calibration error over num_bins equal-width bins of [0, 1] (1 in the last)."""
    confidence = onp.asarray(confidence, onp.float64)
    correct = onp.asarray(correct, onp.float64)
    which = onp.minimum((confidence * num_bins).astype(int), num_bins - 1)
    total = 0.0
    for k in range(num_bins):
        inside = which == k
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return total


def nll(logits, y, T):
    """Mean negative log-likelihood of labels y under softmax(logits / T)."""
    z = onp.asarray(logits, onp.float64) / T
    return float((logsumexp(z) - z[onp.arange(len(y)), onp.asarray(y)]).mean())


def best_temperature(logits, y):
    """The temperature in [0.05, 20] that minimizes nll(logits, y, T)."""
    from scipy.optimize import minimize_scalar
    found = minimize_scalar(lambda t: nll(logits, y, onp.exp(t)), bounds=(onp.log(0.05),
                            onp.log(20.0)), method="bounded", options={"xatol": 1e-8})
    return float(onp.exp(found.x))


def validation_count(count, val_fraction):
    """How many of a class's `count` examples a stratified split puts in validation."""
    return int(round(count * val_fraction))


def best_setting(results):
    """Index of the entry of `results` with the largest "val_acc" (the first of equals)."""
    return int(onp.argmax([r["val_acc"] for r in results]))



def one_hot(y, q):
    """One-hot rows (n, q) of labels y (n,)."""
    out = onp.zeros((len(y), q))
    out[onp.arange(len(y)), onp.asarray(y)] = 1
    return out


def step_argument(sizes):
    """What trainer.step is given when a batch is split into shards of `sizes`: the batch size."""
    return sum(sizes)
