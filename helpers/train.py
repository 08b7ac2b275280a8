"""Softmax regression from scratch: the model's pieces and the training loop.

Each function is taught in a notebook (named in its docstring) and reused by the later
ones; tests/test_notebook_sync.py keeps the notebook's copy and this one identical.
"""
import mxnet as mx
from mxnet import autograd, gluon, np


def softmax(X):
    """Turn each row of logits into probabilities (notebook 03_softmax_scratch).

    X: (batch, q) logits. Returns (batch, q), rows non-negative and summing to 1.
    This is the textbook form: exp overflows for logits above ~88 (see stable_softmax).
    """
    X_exp = np.exp(X)
    partition = X_exp.sum(axis=1, keepdims=True)
    return X_exp / partition  # broadcasting divides each row by its sum


def cross_entropy(y_hat, y):
    """Negative log-probability of the true class (notebook 03_softmax_scratch).

    y_hat: (batch, q) probabilities; y: (batch,) class indices. Returns (batch,).
    """
    return -np.log(y_hat[np.arange(len(y_hat)), y])


def accuracy(y_hat, y):
    """Number of correct predictions (notebook 03_softmax_scratch).

    y_hat: (batch, q) scores or (batch,) predicted classes; y: (batch,) class indices.
    """
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.astype(y.dtype) == y
    return float(cmp.astype(y.dtype).sum())


def correct_count(y_hat, y):
    """Number of correct predictions, left on the device as a 0-d array (notebook 03_softmax_scratch).

    y_hat: (batch, q) scores; y: (batch,) class indices. Unlike `accuracy` it does not
    wait for the result, so a training loop can keep the device busy.
    """
    return (y_hat.argmax(axis=1).astype(y.dtype) == y).sum()


def to_device(X, y, device=None):
    """Move a batch to `device` (notebook 03_softmax_scratch).

    X: (batch, ...), y: (batch,). Without a device, a batch stays where it is, unless it
    sits in shared memory (context cpu_shared, as DataLoader workers hand it over),
    which a hybridized network refuses: then it is copied to cpu().
    """
    if device is None and X.ctx.device_type == "cpu_shared":
        device = mx.cpu()
    if device is None:
        return X, y
    return X.as_in_ctx(device), y.as_in_ctx(device)


def evaluate_accuracy(net, data_iter, device=None):
    """Accuracy of `net` over a whole dataset (notebook 03_softmax_scratch).

    data_iter yields X: (batch, ...) and y: (batch,); with `device`, each batch is moved
    there first (notebook 05_gpu). Counts stay on the device until the end.
    """
    correct, n = 0, 0
    for X, y in data_iter:
        X, y = to_device(X, y, device)
        correct = correct + correct_count(net(X), y)
        n += y.size
    return float(correct) / n


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent (notebook 03_softmax_scratch).

    Updates each parameter in place with its gradient, averaged over the batch.
    """
    for param in params:
        param -= lr / batch_size * param.grad  # in place; lr / batch_size is one Python number


def train_epoch(net, train_iter, loss, updater, device=None):
    """Train one epoch; return (mean loss, accuracy) over it (notebook 03_softmax_scratch).

    updater: a function of the batch size (custom SGD) or a `gluon.Trainer`; loss gives one
    value per example. Each batch's losses, outputs and labels stay on the device, and are
    added up once, at the end of the epoch: reading them every batch would make Python wait
    for each batch, and adding them up every batch would cost operations of their own.
    """
    if isinstance(updater, gluon.Trainer):
        updater = updater.step
    losses, outputs, labels = [], [], []
    for X, y in train_iter:
        X, y = to_device(X, y, device)
        with autograd.record():
            y_hat = net(X)
            l = loss(y_hat, y)
        l.backward()
        updater(X.shape[0])
        losses.append(l)
        outputs.append(y_hat)
        labels.append(y)
    y = np.concatenate(labels)
    total_loss = np.concatenate(losses).sum()
    correct = correct_count(np.concatenate(outputs), y)
    return float(total_loss) / y.size, float(correct) / y.size


def train(net, train_iter, test_iter, loss, num_epochs, updater, device=None, on_epoch=None):
    """Train for `num_epochs`; return the history of the three curves (notebook 03_softmax_scratch).

    Returns dict of lists: train_loss, train_acc, test_acc (one entry per epoch).
    on_epoch(epoch, history), if given, is called after each epoch (a live chart, say).
    """
    history = {"train_loss": [], "train_acc": [], "test_acc": []}
    for epoch in range(num_epochs):
        train_loss, train_acc = train_epoch(net, train_iter, loss, updater, device)
        test_acc = evaluate_accuracy(net, test_iter, device)
        history["train_loss"].append(train_loss)
        history["train_acc"].append(train_acc)
        history["test_acc"].append(test_acc)
        if on_epoch is not None:
            on_epoch(epoch + 1, history)
    return history
