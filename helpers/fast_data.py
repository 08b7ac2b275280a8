"""The in-memory data path: a whole split as one float32 array on the device (notebook 02_fashion_mnist).

Gluon's DataLoader converts one image at a time with ToTensor; for a linear model that
conversion costs far more than the arithmetic. Here each split is converted once, and an
epoch is a fresh permutation sliced into batches, all on the device.
"""
import numpy as onp
import mxnet as mx
from mxnet import np

from helpers.data import load_arrays


def to_tensor(images):
    """Convert uint8 images to what ToTensor gives, for a whole array at once (notebook 02_fashion_mnist).

    images: (n, 28, 28, 1) uint8. Returns (n, 1, 28, 28) float32 in [0, 1] (NumPy).
    """
    return (images.astype(onp.float32) / 255).transpose(0, 3, 1, 2)


class ArrayLoader:
    """Iterate over minibatches of arrays that already live on the device (notebook 02_fashion_mnist).

    X: (n, 1, 28, 28) float32; y: (n,) int32. Each pass over it is one epoch; with
    `shuffle`, every epoch draws a fresh permutation from `rng` (a NumPy RandomState,
    default: NumPy's global one, so seeding NumPy makes the order repeatable).
    """

    def __init__(self, X, y, batch_size, shuffle=False, device=None, rng=None):
        device = device or mx.cpu()
        self.X = np.array(X, ctx=device)
        self.y = np.array(y, dtype="int32", ctx=device)
        self.batch_size, self.shuffle, self.device = batch_size, shuffle, device
        self.rng = rng

    def __len__(self):
        return -(-len(self.y) // self.batch_size)

    def __iter__(self):
        X, y, n = self.X, self.y, len(self.y)
        if not self.shuffle:
            for i in range(0, n, self.batch_size):
                yield X[i:i + self.batch_size], y[i:i + self.batch_size]
            return
        rng = self.rng if self.rng is not None else onp.random
        perm = np.array(rng.permutation(n), dtype="int64", ctx=self.device)
        for i in range(0, n, self.batch_size):
            idx = perm[i:i + self.batch_size]
            # a gather on the device; axis=0 for y too: without an axis, MXNet's np.take
            # first reshapes y with an operation of its own, a copy of every label
            yield np.take(X, idx, axis=0), np.take(y, idx, axis=0)


def load_data_in_memory(batch_size, device=None, root=None):
    """Return (train_iter, test_iter) over device-resident arrays (notebook 02_fashion_mnist).

    Batches match load_data_fashion_mnist's: X (batch_size, 1, 28, 28) float32 in [0, 1],
    y (batch_size,) int32; train is shuffled each epoch, test is not.
    """
    a = load_arrays(root)
    return (ArrayLoader(to_tensor(a["train_images"]), a["train_labels"], batch_size,
                        shuffle=True, device=device),
            ArrayLoader(to_tensor(a["test_images"]), a["test_labels"], batch_size,
                        shuffle=False, device=device))
