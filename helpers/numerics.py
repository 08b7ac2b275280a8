"""Numerically stable softmax and cross-entropy (notebook 06_numerics).

The textbook softmax of notebook 03 computes exp(o) as is: exp overflows to inf for
float32 logits above ~88, and the cross-entropy then takes log(0). Subtracting the
row's maximum first, and combining the softmax with the log (log-sum-exp), avoids both.
"""
from mxnet import np


def stable_softmax(X):
    """Softmax that never overflows: subtract each row's max first (notebook 06_numerics).

    X: (batch, q) logits. Returns (batch, q) probabilities.
    """
    X_exp = np.exp(X - X.max(axis=1, keepdims=True))
    return X_exp / X_exp.sum(axis=1, keepdims=True)


def log_softmax(X):
    """Log of the softmax by the log-sum-exp trick (notebook 06_numerics).

    X: (batch, q) logits. Returns (batch, q) log-probabilities, finite for finite X.
    """
    shifted = X - X.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def stable_cross_entropy(logits, y):
    """Cross-entropy from logits, never log(0) (notebook 06_numerics).

    logits: (batch, q); y: (batch,) class indices. Returns (batch,).
    """
    return -log_softmax(logits)[np.arange(len(logits)), y]
