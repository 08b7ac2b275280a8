"""Devices: pick a GPU when there is one, else the CPU, and train over several (notebook 05_gpu).

On a machine without GPUs, CPU contexts stand in for devices (mx.cpu(0), mx.cpu(1)),
so every function here runs, and is tested, without one.
"""
import mxnet as mx
from mxnet import autograd, gluon, npx

from helpers.train import correct_count


def try_gpu(i=0):
    """Return gpu(i) if it exists, otherwise cpu() (notebook 05_gpu)."""
    return mx.gpu(i) if npx.num_gpus() >= i + 1 else mx.cpu()


def try_all_gpus():
    """Return all available GPUs, or [cpu()] if there is none (notebook 05_gpu)."""
    devices = [mx.gpu(i) for i in range(npx.num_gpus())]
    return devices if devices else [mx.cpu()]


def train_epoch_multi(net, train_iter, loss, trainer, devices):
    """Train one epoch with data parallelism over `devices`; return (mean loss, accuracy).

    Each batch X: (batch, ...), y: (batch,) is split evenly across the devices with
    `gluon.utils.split_and_load`; one Trainer holds the parameters of every device and
    sums the gradients (notebook 05_gpu).
    """
    # Sums kept per device (arrays on different devices cannot be added), read at the end.
    total_loss, correct, n = [0] * len(devices), [0] * len(devices), 0
    for X, y in train_iter:
        X_shards = gluon.utils.split_and_load(X, devices, even_split=False)
        y_shards = gluon.utils.split_and_load(y, devices, even_split=False)
        with autograd.record():
            y_hats = [net(X_shard) for X_shard in X_shards]
            ls = [loss(y_hat, y_shard) for y_hat, y_shard in zip(y_hats, y_shards)]
        for l in ls:
            l.backward()
        trainer.step(X.shape[0])
        for k, (l, y_hat, y_shard) in enumerate(zip(ls, y_hats, y_shards)):
            total_loss[k] = total_loss[k] + l.sum()
            correct[k] = correct[k] + correct_count(y_hat, y_shard)
        n += y.size
    return sum(map(float, total_loss)) / n, sum(map(float, correct)) / n
