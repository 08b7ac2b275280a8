"""Device choice and data parallelism, on CPU contexts standing in for GPUs."""
import numpy as onp
import mxnet as mx
from mxnet import gluon, init, np
from mxnet.gluon import nn

import helpers.devices as devices_module
from helpers.devices import train_epoch_multi, try_all_gpus, try_gpu
from helpers.fast_data import ArrayLoader
from helpers.train import evaluate_accuracy, train_epoch



def test_without_gpus_the_cpu_is_the_device(monkeypatch):
    monkeypatch.setattr(devices_module.npx, "num_gpus", lambda: 0)
    assert try_gpu() == mx.cpu() and try_gpu(3) == mx.cpu()
    assert try_all_gpus() == [mx.cpu()]


def test_with_gpus_they_are_chosen(monkeypatch):
    monkeypatch.setattr(devices_module.npx, "num_gpus", lambda: 2)
    assert try_gpu() == mx.gpu(0) and try_gpu(1) == mx.gpu(1) and try_gpu(2) == mx.cpu()
    assert try_all_gpus() == [mx.gpu(0), mx.gpu(1)]


def blobs(n=512, seed=0):
    rng = onp.random.RandomState(seed)
    y = rng.randint(0, 3, n).astype("int32")
    centres = onp.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype="float32")
    return (centres[y] + rng.normal(0, 0.7, (n, 4)).astype("float32")).reshape(n, 1, 1, 4), y


def make_net(ctx):
    net = nn.Dense(3, in_units=4)
    net.initialize(init.Constant(0.0), ctx=ctx)
    net.weight.set_data(np.array(onp.arange(12, dtype="float32").reshape(3, 4) / 20))
    return net


def test_two_devices_train_exactly_like_one():
    X, y = blobs()
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    one = make_net(mx.cpu(0))
    two_devices = [mx.cpu(0), mx.cpu(1)]
    two = make_net(two_devices)
    trainer_one = gluon.Trainer(one.collect_params(), "sgd", {"learning_rate": 0.3})
    trainer_two = gluon.Trainer(two.collect_params(), "sgd", {"learning_rate": 0.3})
    for _ in range(3):
        l1, a1 = train_epoch(one, ArrayLoader(X, y, 64), loss, trainer_one)
        l2, a2 = train_epoch_multi(two, ArrayLoader(X, y, 64), loss, trainer_two, two_devices)
        assert abs(l1 - l2) < 1e-5 and a1 == a2
    for ctx in two_devices:
        onp.testing.assert_allclose(two.weight.data(ctx).asnumpy(), one.weight.data().asnumpy(),
                                    rtol=1e-5, atol=1e-6)
    assert two.weight.list_ctx() == two_devices
    assert evaluate_accuracy(two, ArrayLoader(X, y, 100), mx.cpu(1)) > 0.9


def test_uneven_batches_are_split_too():
    X, y = blobs(n=101)
    two_devices = [mx.cpu(0), mx.cpu(1)]
    net = make_net(two_devices)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    loss, acc = train_epoch_multi(net, ArrayLoader(X, y, 33), gluon.loss.SoftmaxCrossEntropyLoss(),
                                  trainer, two_devices)
    assert onp.isfinite(loss) and 0 <= acc <= 1
