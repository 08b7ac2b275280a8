"""`./kit bench`'s MXNet rows: the lessons' models and loops, each trained in a process of its own.

lesson03 and lesson04 build what notebooks 03 and 04 build, line for line (a test checks
the lines against the notebooks); fused_epoch_fn is the fused row; mxnet_child trains one
row over its cells (train_speed.py --child runs it); mxnet_anatomy times a step's pieces.
MXNet and the kit are imported inside the functions: importing this module is light.
"""
import os
import time

from benchmarks.train_peer import (ANATOMY_BATCH, ANATOMY_CALLS, BATCH_SIZE, LR, os_threads,
                                   per_call, timed_epochs)


def lesson03(lr):
    """Notebook 03's model, loss and updater, as the notebook defines them."""
    from mxnet import np
    from helpers.train import cross_entropy, sgd, softmax
    num_inputs, num_outputs = 784, 10
    W = np.random.normal(0, 0.02, (num_inputs, num_outputs))
    b = np.zeros(num_outputs)
    W.attach_grad()
    b.attach_grad()

    def net(X):
        return softmax(np.dot(X.reshape((-1, W.shape[0])), W) + b)

    def updater(batch_size):
        return sgd([W, b], lr, batch_size)

    return net, cross_entropy, updater


def lesson04(lr, static=True):
    """Notebook 04's net, loss and trainer (static=False: a plain hybridize() of the net)."""
    from mxnet import gluon, init
    from mxnet.gluon import nn
    net = nn.HybridSequential()
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    if static:
        net.hybridize(static_alloc=True, static_shape=True)
        loss.hybridize(static_alloc=True, static_shape=True)
    else:
        net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr})
    return net, loss, trainer


def fused_epoch_fn(net, loss, X_all, y_all, batch_size, lr):
    """The fused row: one_epoch() -> (mean loss, accuracy), training net's own parameters.

    Notebook 04's net and loss, the gather of the batch and the two sums are one symbolic
    graph, bound once per batch shape (so its backward graph is built once, where autograd
    builds one at every step); each step copies the batch's indices in, runs the graph
    forward and backward, and updates both parameters with one multi_sgd_update.
    """
    import numpy as onp
    import mxnet as mx
    n = len(y_all)
    net(X_all[:1])  # the parameters' shapes, deferred until a first batch
    params = list(net.collect_params().values())
    weights = [p.data().as_nd_ndarray() for p in params]
    pairs = [t for w, p in zip(weights, params) for t in (w, p.grad().as_nd_ndarray())]

    def bind(size):
        X_sym, y_sym, idx = (mx.sym.var(name).as_np_ndarray() for name in ("X", "y", "idx"))
        X, y = mx.sym.np.take(X_sym, idx, axis=0), mx.sym.np.take(y_sym, idx, axis=0)
        y_hat = net(X)
        l = loss(y_hat, y).sum()
        correct = (mx.sym.np.argmax(y_hat, axis=1).astype("int32") == y).astype("float32")
        sums = mx.sym.np.stack([l, correct.sum()])
        graph = mx.sym.Group([mx.sym.make_loss(l.as_nd_ndarray()),
                              mx.sym.BlockGrad(sums.as_nd_ndarray())])
        args = {"X": X_all.as_nd_ndarray(), "y": y_all.as_nd_ndarray(),
                "idx": mx.nd.zeros((size,), dtype="int64")}
        req = {"X": "null", "y": "null", "idx": "null"}
        grads = {}
        for w, p in zip(weights, params):
            args[p.name], grads[p.name], req[p.name] = w, p.grad().as_nd_ndarray(), "write"
        return graph.bind(mx.cpu(), args=args, args_grad=grads, grad_req=req)

    executors = {batch_size: bind(batch_size)}
    if n % batch_size:
        executors[n % batch_size] = bind(n % batch_size)

    def one_epoch():
        perm = mx.nd.array(onp.random.permutation(n), dtype="int64")
        sums = mx.nd.zeros((2,))
        for i in range(0, n, batch_size):
            size = min(batch_size, n - i)
            exe = executors[size]
            perm[i:i + size].copyto(exe.arg_dict["idx"])
            exe.forward(is_train=True)
            exe.backward()
            mx.nd.multi_sgd_update(*pairs, lrs=(lr / size,) * len(weights),
                                   wds=(0.0,) * len(weights), num_weights=len(weights),
                                   out=weights)
            sums += exe.outputs[1]
        total_loss, correct = sums.asnumpy()
        return float(total_loss) / n, float(correct) / n

    return one_epoch


def mxnet_threads():
    """Threads per operation MXNet runs with: OpenMP's setting, which MXNet makes its own."""
    import ctypes
    import ctypes.util
    try:
        gomp = ctypes.CDLL(ctypes.util.find_library("gomp") or "libgomp.so.1")
        return gomp.omp_get_max_threads()
    except (OSError, AttributeError):
        setting = os.environ.get("OMP_NUM_THREADS", "")
        return int(setting) if setting.isdigit() else None



def mxnet_anatomy():
    """The fixed cost of each piece of a step, on a batch too small for arithmetic to count."""
    import numpy as onp
    import mxnet as mx
    from mxnet import autograd, np, npx
    from helpers.train import cross_entropy
    npx.set_np()
    onp.random.seed(0)
    mx.random.seed(0)
    n = ANATOMY_BATCH
    X = np.random.uniform(size=(n, 1, 28, 28))
    y = np.array(onp.random.randint(0, 10, n), dtype="int32")
    net, loss, trainer = lesson04(LR)
    net(X)
    net03, loss03, updater03 = lesson03(LR)
    y_hat03 = net03(X)
    items = {"op": lambda: y + 1}

    def forward04():
        with autograd.record():
            return loss(net(X), y)

    def backward04():
        forward04().backward()

    def step04():
        backward04()
        trainer.step(n)

    def step03():
        with autograd.record():
            l = loss03(net03(X), y)
        l.backward()
        updater03(n)

    items.update(forward04=forward04, backward04=backward04, step04=step04,
                 cross_entropy03=lambda: cross_entropy(y_hat03, y), step03=step03,
                 pick03=lambda: -np.log(npx.pick(y_hat03, y)))
    figures = {key: per_call(fn, npx.waitall) for key, fn in items.items()}
    steps = 50  # the fused row's steps come by the epoch: 50 steps and one read per call
    X_all = np.random.uniform(size=(n * steps, 784))
    y_all = np.array(onp.random.randint(0, 10, n * steps), dtype="int32")
    fused_net, fused_loss, _ = lesson04(LR)
    one_epoch = fused_epoch_fn(fused_net, fused_loss, X_all, y_all, n, LR)
    figures["fused"] = [v / steps for v in per_call(one_epoch, calls=ANATOMY_CALLS // steps)]
    return {"anatomy": figures, "threads": mxnet_threads(), "os_threads": os_threads(),
            "library": f"MXNet {mx.__version__}"}


def mxnet_child(spec):
    """Train one MXNet row over the spec's cells; return its figures."""
    if spec.get("anatomy"):
        return mxnet_anatomy()
    import random

    import numpy as onp
    import mxnet as mx
    from mxnet import npx

    from helpers.data import load_arrays, load_data_fashion_mnist
    from helpers.fast_data import ArrayLoader, to_tensor
    from helpers.train import evaluate_accuracy, train_epoch

    npx.set_np()
    model, path = spec["row"].split(":")
    tic = time.perf_counter()
    arrays = load_arrays()
    X_train, y_train = to_tensor(arrays["train_images"]), arrays["train_labels"]
    test_iter = ArrayLoader(to_tensor(arrays["test_images"]), arrays["test_labels"], 1000)
    load_seconds = time.perf_counter() - tic
    cells, test_acc = [], None
    for batch_size, factor, epochs in spec["cells"]:
        random.seed(spec["seed"])
        onp.random.seed(spec["seed"])
        mx.random.seed(spec["seed"])
        if path == "classic":
            train_iter, _ = load_data_fashion_mnist(batch_size)
        else:
            X = X_train if factor == 1 else onp.concatenate([X_train] * factor)
            y = y_train if factor == 1 else onp.concatenate([y_train] * factor)
            train_iter = ArrayLoader(X, y, batch_size, shuffle=True)
        if model == "scratch":
            net, loss, updater = lesson03(LR)
        else:
            net, loss, updater = lesson04(LR, static=path != "fast")
        if path == "fused":
            one_epoch = fused_epoch_fn(net, loss, train_iter.X.reshape((len(train_iter.y), -1)),
                                       train_iter.y, batch_size, LR)
        else:
            def one_epoch():
                return train_epoch(net, train_iter, loss, updater)  # reads its sums: done
        cell = timed_epochs(one_epoch, epochs)
        cells.append({"batch_size": batch_size, "factor": factor, **cell})
        if (batch_size, factor) == (BATCH_SIZE, 1):
            test_acc = evaluate_accuracy(net, test_iter)
        train_iter = X = y = one_epoch = None  # free this cell's data before the next
    return {"cells": cells, "test_acc": test_acc, "load_seconds": load_seconds,
            "threads": mxnet_threads(), "os_threads": os_threads(),
            "library": f"MXNet {mx.__version__}"}
