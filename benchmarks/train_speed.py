"""Benchmark: the lessons' training loops, seconds per epoch, side by side with PyTorch.

    ./kit bench --peer-python ~/torch-cpu/bin/python   # with the PyTorch rows (15 minutes or more)
    ./kit bench                                        # the MXNet rows only
    ./kit bench --only gluon:static torch:concise --repeats 7 --scaling-repeats 0
    ./kit bench --threads default                      # each library at its own default

The rows (every one trains softmax regression on Fashion-MNIST's 60,000 training images,
batch size 256, learning rate 0.1):

  scratch:classic  notebook 03 with FAST_DATA = False: Gluon's DataLoader with ToTensor
  scratch:fast     notebook 03 as it runs: the in-memory data (helpers/fast_data.py), the
                   lesson's net, cross_entropy and sgd, helpers/train.py's train_epoch
  gluon:classic    notebook 04 with FAST_DATA = False
  gluon:static     notebook 04 as it runs: nn.Dense(10), the net and the loss hybridized
                   with static_alloc and static_shape, gluon.Trainer, train_epoch
  gluon:fast       notebook 04's model with a plain net.hybridize() (the loss not compiled)
  gluon:fused      not a lesson, the fastest MXNet this benchmark knows: notebook 04's net
                   and loss, the gather of the batch and the sums as one symbolic graph,
                   bound once (its backward graph is built once, where autograd builds
                   one at every step), both parameters updated by one multi_sgd_update
  torch:scratch    the peer of the scratch rows: notebook 03's model, loss, sgd and loop,
                   line for line in PyTorch (as d2l's PyTorch edition has section 3.6)
  torch:concise    the peer of the gluon rows: nn.Linear, CrossEntropyLoss, optim.SGD and
                   the same loop (as d2l's PyTorch edition has section 3.7)

The PyTorch rows run in a Python the user names (`--peer-python`, an environment with a CPU
build of PyTorch), from this same file, which then imports only the standard library and
torch: never MXNet, never the kit (the peer reports what it imported, and a peer that
imported MXNet is refused). The kit hands the peer the same training and test arrays the
MXNet rows train on, as raw files in a private temporary folder.

The protocol: every row runs in a process of its own (so its peak memory and its threads
are its own), rows interleaved, the order reversed on every other repetition; each process
trains `--epochs` epochs and the first is left out (it pays for warming up); the figure is
the median over the remaining epochs of all repetitions. CPU time is the process's, every
thread counted (MXNet runs its operations on an engine thread beside Python), and it is
the figure to compare: on shared cores wall time swings far more. `--threads N` (default 1)
gives both libraries N threads per operation (OMP_NUM_THREADS, MKL_NUM_THREADS and
OPENBLAS_NUM_THREADS in each process's environment, and torch.set_num_threads); each row
prints the threads it ran with: per operation, and of the whole process.

A scaling table follows (batch sizes 64, 256 and 1024; the training set once, twice and four
times over), so that a change that helps one size and hurts another shows, with a fit of
each row's epoch time to a cost per step plus a cost per example. Last, a step's fixed
costs taken apart: each piece of the lessons' steps timed on a batch of 16, where the
arithmetic is negligible, in MXNet and in PyTorch. A benchmark prints figures measured side
by side in one run; it asserts nothing.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LR, BATCH_SIZE = 0.1, 256
SCALING_BATCHES, SCALING_FACTORS = (64, 256, 1024), (1, 2, 4)

# row -> (what it is, its PyTorch peer)
ROWS = {
    "scratch:classic": ("notebook 03, FAST_DATA = False", "torch:scratch"),
    "scratch:fast": ("notebook 03 as it runs", "torch:scratch"),
    "gluon:classic": ("notebook 04, FAST_DATA = False", "torch:concise"),
    "gluon:static": ("notebook 04 as it runs", "torch:concise"),
    "gluon:fast": ("04's model, plain hybridize()", "torch:concise"),
    "gluon:fused": ("04's model, one graph bound once", "torch:concise"),
    "torch:scratch": ("peer of notebook 03", None),
    "torch:concise": ("peer of notebook 04", None),
}
SCALED = ("scratch:fast", "gluon:static", "gluon:fused", "torch:scratch", "torch:concise")
# The classic path's DataLoader workers are processes of their own: their CPU time is not
# the row's, so the classic rows show wall time only.
CLASSIC = ("scratch:classic", "gluon:classic")


def is_peer(row):
    return row.startswith("torch:")


# --------------------------------------------------------------------------- measuring

def os_threads():
    """Threads of this process, or None where /proc does not say."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def timed_epochs(one_epoch, epochs):
    """Run one_epoch `epochs` times; per epoch: wall, process CPU, CPU of the calling thread."""
    wall, cpu, main = [], [], []
    for _ in range(epochs):
        w0, c0, t0 = time.perf_counter(), time.process_time(), time.thread_time()
        result = one_epoch()
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
        main.append(time.thread_time() - t0)
    return {"epoch_seconds": wall, "cpu_seconds": cpu, "main_thread_cpu": main,
            "train": result}


# --------------------------------------------------------------------------- the MXNet rows

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


ANATOMY = (
    ("op", "one small operation: y + 1 on the batch's labels"),
    ("forward04", "notebook 04's forward, recorded: l = loss(net(X), y)"),
    ("backward04", "the same, then l.backward()"),
    ("step04", "the same, then the update: notebook 04's whole step"),
    ("cross_entropy03", "notebook 03's cross_entropy alone (its fancy indexing)"),
    ("pick03", "the same loss picked with npx.pick (PyTorch: gather)"),
    ("step03", "notebook 03's whole step: net, cross_entropy, backward, sgd"),
    ("fused", "the fused row's step: graph forward and backward, one update"),
)
ANATOMY_BATCH, ANATOMY_CALLS = 16, 1000


def per_call(fn, sync=None, calls=ANATOMY_CALLS):
    """CPU microseconds per call of fn: [every thread, the calling thread alone]."""
    for _ in range(max(1, calls // 20)):
        fn()
    if sync:
        sync()
    c0, t0 = time.process_time(), time.thread_time()
    for _ in range(calls):
        fn()
    if sync:
        sync()
    return [1e6 * (time.process_time() - c0) / calls, 1e6 * (time.thread_time() - t0) / calls]


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


# --------------------------------------------------------------------------- the PyTorch peer
# Runs under the peer's Python: the standard library and torch only.

def peer_probe():
    """Print what the peer's Python offers; exit 3 if it has no torch."""
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        return 3
    print(json.dumps({"torch": torch.__version__, "python": sys.version.split()[0],
                      "threads": torch.get_num_threads()}))
    return 0


def peer_data(folder, factor):
    """The training and test arrays the kit wrote, as torch tensors (train tiled `factor` times)."""
    import torch
    with open(os.path.join(folder, "meta.json")) as f:
        meta = json.load(f)

    def read(name, dtype, shape):
        size = 1
        for s in shape:
            size *= s
        return torch.from_file(os.path.join(folder, name), shared=False, size=size,
                               dtype=dtype).reshape(shape)

    n, n_test, shape = meta["n_train"], meta["n_test"], tuple(meta["image_shape"])
    X = read("train_X.f32", torch.float32, (n,) + shape)
    y = read("train_y.i64", torch.int64, (n,))
    if factor > 1:
        X, y = torch.cat([X] * factor), torch.cat([y] * factor)
    return X, y, read("test_X.f32", torch.float32, (n_test,) + shape), \
        read("test_y.i64", torch.int64, (n_test,))


def peer_scratch(torch, lr, with_loss=False):
    """Notebook 03's model, loss and sgd in PyTorch; (net, step), step(X, y) -> (y_hat, l)."""
    num_inputs, num_outputs = 784, 10
    W = torch.normal(0, 0.02, size=(num_inputs, num_outputs), requires_grad=True)
    b = torch.zeros(num_outputs, requires_grad=True)

    def softmax(X):
        X_exp = torch.exp(X)
        partition = X_exp.sum(1, keepdim=True)
        return X_exp / partition

    def net(X):
        return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)

    def cross_entropy(y_hat, y):
        return -torch.log(y_hat[torch.arange(len(y_hat)), y])

    def sgd(params, lr, batch_size):
        with torch.no_grad():
            for param in params:
                param -= lr / batch_size * param.grad
                param.grad.zero_()

    def step(X, y):
        y_hat = net(X)
        l = cross_entropy(y_hat, y)
        l.sum().backward()
        sgd([W, b], lr, X.shape[0])
        return y_hat, l

    return (net, step, cross_entropy) if with_loss else (net, step)


def peer_concise(torch, lr):
    """Notebook 04's model, loss and trainer in PyTorch; step(X, y) -> (y_hat, l)."""
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    torch.nn.init.normal_(net[1].weight, std=0.01)
    torch.nn.init.zeros_(net[1].bias)
    loss = torch.nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(net.parameters(), lr=lr)

    def step(X, y):
        y_hat = net(X)
        l = loss(y_hat, y)
        trainer.zero_grad()
        l.mean().backward()
        trainer.step()
        return y_hat, l

    return net, step


def peer_anatomy(torch):
    """mxnet_anatomy's pieces in PyTorch (the fused row has no counterpart)."""
    torch.manual_seed(0)
    n = ANATOMY_BATCH
    X = torch.rand(n, 1, 28, 28)
    y = torch.randint(0, 10, (n,))
    net, step04_fn = peer_concise(torch, LR)
    loss = torch.nn.CrossEntropyLoss(reduction="none")
    trainer = torch.optim.SGD(net.parameters(), lr=LR)
    net03, step03_fn, cross_entropy = peer_scratch(torch, LR, with_loss=True)
    with torch.no_grad():
        y_hat03 = net03(X)

    def forward04():
        return loss(net(X), y)

    def backward04():
        l = forward04()
        trainer.zero_grad()
        l.mean().backward()

    def step04():
        backward04()
        trainer.step()

    items = {"op": lambda: y + 1, "forward04": forward04, "backward04": backward04,
             "step04": step04, "cross_entropy03": lambda: cross_entropy(y_hat03, y),
             "pick03": lambda: -torch.log(y_hat03.gather(1, y[:, None])[:, 0]),
             "step03": lambda: step03_fn(X, y)}
    return {"anatomy": {key: per_call(fn) for key, fn in items.items()},
            "threads": torch.get_num_threads(), "os_threads": os_threads(),
            "library": f"PyTorch {torch.__version__}",
            "imported_mxnet": "mxnet" in sys.modules, "imported_kit": "helpers" in sys.modules}


def peer_child(spec):
    """Train one PyTorch row over the spec's cells; return its figures."""
    import torch
    threads = spec["threads"]
    if threads is not None:
        torch.set_num_threads(threads)
    if spec.get("anatomy"):
        return peer_anatomy(torch)
    model = spec["row"].split(":")[1]
    cells, test_acc, load_seconds = [], None, 0.0
    for batch_size, factor, epochs in spec["cells"]:
        torch.manual_seed(spec["seed"])
        tic = time.perf_counter()
        X_all, y_all, X_test, y_test = peer_data(spec["data"], factor)
        load_seconds = time.perf_counter() - tic
        net, step = (peer_scratch if model == "scratch" else peer_concise)(torch, LR)

        def one_epoch():
            # helpers/train.py's train_epoch: each batch's losses, outputs and labels kept,
            # added up once at the end of the epoch
            losses, outputs, labels = [], [], []
            for idx in torch.randperm(len(y_all)).split(batch_size):
                X, y = X_all[idx], y_all[idx]
                y_hat, l = step(X, y)
                losses.append(l.detach())
                outputs.append(y_hat.detach())
                labels.append(y)
            y = torch.cat(labels)
            correct = (torch.cat(outputs).argmax(dim=1) == y).sum()
            return float(torch.cat(losses).sum()) / len(y), float(correct) / len(y)

        cell = timed_epochs(one_epoch, epochs)
        cells.append({"batch_size": batch_size, "factor": factor, **cell})
        if (batch_size, factor) == (BATCH_SIZE, 1):
            with torch.no_grad():
                test_acc = float((net(X_test).argmax(dim=1) == y_test).float().mean())
        X_all = y_all = None  # free this cell's data before the next
    return {"cells": cells, "test_acc": test_acc, "load_seconds": load_seconds,
            "threads": torch.get_num_threads(), "os_threads": os_threads(),
            "library": f"PyTorch {torch.__version__}",
            "imported_mxnet": "mxnet" in sys.modules, "imported_kit": "helpers" in sys.modules}


# --------------------------------------------------------------------------- the parent

class BenchError(Exception):
    """A run that cannot go on; the message says what is wrong and what to do."""


def thread_env(threads):
    env = dict(os.environ)
    if threads is not None:
        for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            env[name] = str(threads)
    return env


def run_row(row, cells, seed, args, data_dir, anatomy=False):
    """One process training `row` over `cells` (or timing a step's pieces, with `anatomy`);
    its figures, with its peak memory."""
    spec = {"row": row, "cells": cells, "seed": seed, "threads": args.threads,
            "anatomy": anatomy}
    if is_peer(row):
        spec["data"] = data_dir
        cmd = [args.peer_python, "-I", os.path.abspath(__file__), "--peer", json.dumps(spec)]
    else:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)]
    with tempfile.TemporaryFile(mode="w+") as err_file:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file, text=True,
                                env=thread_env(args.threads), cwd=ROOT)
        out = proc.stdout.read()
        proc.stdout.close()
        _, status, usage = os.wait4(proc.pid, 0)  # its peak memory, which Popen.wait drops
        proc.returncode = os.waitstatus_to_exitcode(status)
        err_file.seek(0)
        err = err_file.read()
    if proc.returncode != 0:
        tail = "\n".join(err.strip().splitlines()[-8:])
        raise BenchError(f"the {row} run failed (exit status {proc.returncode}):\n{tail}")
    try:
        result = json.loads(out.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise BenchError(f"the {row} run printed no result; it ended with:\n"
                         + "\n".join((out + err).strip().splitlines()[-8:])) from None
    if is_peer(row) and (result.get("imported_mxnet") or result.get("imported_kit")):
        raise BenchError(f"the {row} run imported MXNet or the kit: a peer must run on its "
                         "own, with torch alone (is --peer-python the kit's own Python?)")
    # ru_maxrss: KiB on Linux, bytes on macOS
    result["peak_mib"] = usage.ru_maxrss / (2 ** 20 if sys.platform == "darwin" else 2 ** 10)
    return result


def probe_peer(peer_python):
    """What the peer's Python offers (torch's version, its default threads), or BenchError."""
    if not (os.path.isfile(peer_python) and os.access(peer_python, os.X_OK)):
        raise BenchError(f"--peer-python {peer_python}: no such program. Name the Python of "
                         "an environment with a CPU build of PyTorch, e.g. "
                         "--peer-python ~/torch-cpu/bin/python")
    try:
        proc = subprocess.run([peer_python, "-I", os.path.abspath(__file__), "--peer-probe"],
                              capture_output=True, text=True, timeout=300)
    except OSError as e:
        raise BenchError(f"--peer-python {peer_python} does not run: {e}") from None
    try:
        info = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        info = None
    if proc.returncode == 3 and info and "error" in info:
        raise BenchError(
            f"--peer-python {peer_python} has no PyTorch ({info['error']}). Install a CPU "
            "build of PyTorch into that environment with its own pip (PyTorch's install "
            "page gives the command; on Linux the default build also brings gigabytes of "
            "CUDA libraries the benchmark does not use), or name another Python.")
    if proc.returncode != 0 or not info:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-4:])
        raise BenchError(f"--peer-python {peer_python} is not a Python this benchmark can "
                         f"use (exit status {proc.returncode}):\n{tail}")
    return info


def write_peer_data(folder):
    """The arrays the MXNet rows train on, as raw files the peer reads with torch alone."""
    import numpy as onp
    from helpers.data import load_arrays
    from helpers.fast_data import to_tensor
    a = load_arrays()
    for split in ("train", "test"):
        X = onp.ascontiguousarray(to_tensor(a[f"{split}_images"]), dtype=onp.float32)
        X.tofile(os.path.join(folder, f"{split}_X.f32"))
        a[f"{split}_labels"].astype(onp.int64).tofile(os.path.join(folder, f"{split}_y.i64"))
    with open(os.path.join(folder, "meta.json"), "w") as f:
        json.dump({"n_train": len(a["train_labels"]), "n_test": len(a["test_labels"]),
                   "image_shape": list(to_tensor(a["train_images"][:1]).shape[1:])}, f)


def cpu_model():
    """The processor's name, where the system says it."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or "an unnamed processor"


def median(values):
    return statistics.median(values) if values else float("nan")


def cell_figures(runs, batch_size, factor):
    """Medians over the timed epochs (the first of each run left out) of one cell."""
    wall, cpu, main = [], [], []
    for run in runs:
        for cell in run["cells"]:
            if (cell["batch_size"], cell["factor"]) == (batch_size, factor):
                wall += cell["epoch_seconds"][1:]
                cpu += cell["cpu_seconds"][1:]
                main += cell["main_thread_cpu"][1:]
    return {"wall": median(wall), "cpu": median(cpu),
            "off_main": max(0.0, 1 - sum(main) / sum(cpu)) if cpu and sum(cpu) > 0
            else float("nan")}


def ratio(a, b):
    return f"{a / b:.2f}x" if b == b and b > 0 and a == a else "—"


def threads_text(runs):
    r = runs[0]
    op = "?" if r.get("threads") is None else r["threads"]
    total = "?" if r.get("os_threads") is None else r["os_threads"]
    return f"{op} / {total}"


def steps(batch_size, factor, n):
    return -(-n * factor // batch_size)


def fit(points):
    """Least squares of epoch seconds = a * steps + b * examples; (a, b) or None."""
    s11 = sum(p * p for p, _, _ in points)
    s12 = sum(p * e for p, e, _ in points)
    s22 = sum(e * e for _, e, _ in points)
    t1 = sum(p * t for p, _, t in points)
    t2 = sum(e * t for _, e, t in points)
    det = s11 * s22 - s12 * s12
    if len(points) < 2 or det == 0:
        return None
    return (t1 * s22 - t2 * s12) / det, (s11 * t2 - s12 * t1) / det


def print_main_table(rows, results, peers_on):
    print("| row | what it is | threads: per op / process | wall s/epoch | CPU s/epoch "
          "| CPU off the main thread | CPU vs torch | wall vs torch | test acc | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    figures = {row: cell_figures(results[row], BATCH_SIZE, 1) for row in rows}
    for row in rows:
        f, runs = figures[row], results[row]
        peer = ROWS[row][1]
        p = figures.get(peer) if peers_on else None
        classic = row in CLASSIC
        cpu = "—" if classic else f"{f['cpu']:.3f}"
        off = "—" if classic else f"{100 * f['off_main']:.0f}%"
        cpu_ratio = "—" if classic or not p else ratio(f["cpu"], p["cpu"])
        wall_ratio = ratio(f["wall"], p["wall"]) if p else "—"
        acc = median([r["test_acc"] for r in runs if r["test_acc"] is not None])
        peak = median([r["peak_mib"] for r in runs])
        print(f"| {row} | {ROWS[row][0]} | {threads_text(runs)} | {f['wall']:.3f} | {cpu} | "
              f"{off} | {cpu_ratio} | {wall_ratio} | {acc:.4f} | {peak:.0f} |")


def print_scaling(rows, results, n_train):
    print("| row | batch | CPU s/epoch: 1x | 2x | 4x | vs torch: 1x | 2x | 4x |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        peer = ROWS[row][1]
        for b in SCALING_BATCHES:
            mine = [cell_figures(results[row], b, f)["cpu"] for f in SCALING_FACTORS]
            if peer in results:
                theirs = [cell_figures(results[peer], b, f)["cpu"] for f in SCALING_FACTORS]
                ratios = " | ".join(ratio(m, t) for m, t in zip(mine, theirs))
            else:
                ratios = " | ".join("—" for _ in SCALING_FACTORS)
            print(f"| {row} | {b} | " + " | ".join(f"{m:.3f}" for m in mine) + f" | {ratios} |")
    print()
    print("Each row's CPU seconds per epoch fitted to a cost per step plus a cost per example "
          "(least squares over the nine cells above):")
    print()
    print("| row | per step, ms | per example, µs | largest misfit |")
    print("|---|---|---|---|")
    for row in rows:
        points = []
        for b in SCALING_BATCHES:
            for f in SCALING_FACTORS:
                t = cell_figures(results[row], b, f)["cpu"]
                if t == t:
                    points.append((steps(b, f, n_train), n_train * f, t))
        ab = fit(points)
        if ab is None:
            print(f"| {row} | — | — | — |")
            continue
        a, b_ = ab
        misfit = max(abs(a * s + b_ * e - t) / t for s, e, t in points)
        print(f"| {row} | {1e3 * a:.3f} | {1e6 * b_:.3f} | {100 * misfit:.0f}% |")


def print_anatomy(results, peers_on):
    """The anatomy table: medians over the repetitions of each piece's CPU microseconds."""
    def med(runs, key, i):
        return median([r["anatomy"][key][i] for r in runs if key in r["anatomy"]])

    mine, theirs = results["mxnet"], results.get("torch", [])
    print("| piece of a step (batch 16) | MXNet µs | of it, Python's thread | PyTorch µs "
          "| MXNet / PyTorch |")
    print("|---|---|---|---|---|")
    for key, what in ANATOMY:
        m, m_main = med(mine, key, 0), med(mine, key, 1)
        t = med(theirs, key, 0) if peers_on else float("nan")
        t_text = f"{t:.0f}" if t == t else "—"
        print(f"| {what} | {m:.0f} | {m_main:.0f} | {t_text} | {ratio(m, t)} |")


def parse_threads(text):
    if text == "default":
        return None
    if text.isdigit() and int(text) > 0:
        return int(text)
    raise argparse.ArgumentTypeError(f"{text!r}: a number of threads (1, 2, ...) or 'default'")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer-python", metavar="PYTHON",
                        help="the Python of an environment with a CPU build of PyTorch: "
                             "adds the PyTorch rows")
    parser.add_argument("--threads", type=parse_threads, default=1, metavar="N",
                        help="threads per operation for both libraries (default 1), or "
                             "'default' to leave each library at its own default")
    parser.add_argument("--epochs", type=int, default=6,
                        help="epochs per run, the first left out (default 6)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="repetitions of the main table (default 3)")
    parser.add_argument("--scaling-epochs", type=int, default=3,
                        help="epochs per cell of the scaling table, the first left out "
                             "(default 3)")
    parser.add_argument("--scaling-repeats", type=int, default=2,
                        help="repetitions of the scaling table; 0 leaves it out (default 2)")
    parser.add_argument("--anatomy-repeats", type=int, default=3,
                        help="repetitions of the table of a step's fixed costs; 0 leaves it "
                             "out (default 3)")
    parser.add_argument("--only", nargs="+", metavar="ROW",
                        help="only these rows, e.g. gluon:static torch:concise")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    parser.add_argument("--peer-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer_probe:
        return peer_probe()
    if args.peer:
        print(json.dumps(peer_child(json.loads(args.peer))))
        return 0
    if args.child:
        print(json.dumps(mxnet_child(json.loads(args.child))))
        return 0

    if args.epochs < 2 or args.scaling_epochs < 2:
        parser.error("--epochs and --scaling-epochs must be at least 2: the first epoch of "
                     "each run is left out")
    if args.repeats < 1 or args.scaling_repeats < 0 or args.anatomy_repeats < 0:
        parser.error("--repeats must be at least 1, --scaling-repeats and "
                     "--anatomy-repeats at least 0")
    rows = list(ROWS)
    if args.only:
        unknown = [r for r in args.only if r not in ROWS]
        if unknown:
            parser.error(f"no row {', '.join(unknown)}; the rows are " + " ".join(ROWS))
        rows = [r for r in rows if r in args.only]
    peers = [r for r in rows if is_peer(r)]
    if peers and not args.peer_python:
        if args.only:
            parser.error(f"{' '.join(peers)} need --peer-python: the Python of an "
                         "environment with a CPU build of PyTorch")
        rows = [r for r in rows if not is_peer(r)]
    if args.peer_python:
        args.peer_python = os.path.expanduser(args.peer_python)
    try:
        return run(rows, args)
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 2


def run(rows, args):
    from helpers.data import load_arrays
    n_train = len(load_arrays()["train_labels"])
    peer_info = probe_peer(args.peer_python) if any(is_peer(r) for r in rows) else None
    import mxnet as mx
    threads = "each library's default" if args.threads is None else str(args.threads)
    print(f"MXNet {mx.__version__}, Python {sys.version.split()[0]}; {cpu_model()}, "
          f"{os.cpu_count()} CPU cores.")
    print(f"Threads per operation: {threads}. Each run in a "
          "process of its own, rows interleaved, the order reversed on every other "
          f"repetition; {args.epochs} epochs per run, the first left out; medians.")
    if peer_info:
        print(f"PyTorch peer: PyTorch {peer_info['torch']}, Python {peer_info['python']} "
              f"(default threads per operation: {peer_info['threads']}), in its own process, "
              "without MXNet.")
    else:
        print("No PyTorch rows: --peer-python names a Python with a CPU build of PyTorch.")
    data_dir = tempfile.mkdtemp(prefix="kit-bench-") if peer_info else None
    try:
        if data_dir:
            write_peer_data(data_dir)
        main_cells = [[BATCH_SIZE, 1, args.epochs]]
        results = {row: [] for row in rows}
        for rep in range(args.repeats):
            for row in (rows if rep % 2 == 0 else rows[::-1]):
                r = run_row(row, main_cells, rep, args, data_dir)
                results[row].append(r)
                f = cell_figures([r], BATCH_SIZE, 1)
                print(f"  rep {rep + 1} {row:>15}: {f['wall']:.3f} s/epoch wall, "
                      f"{f['cpu']:.3f} CPU, threads {threads_text([r])}, "
                      f"test acc {r['test_acc']:.4f}", flush=True)
        print()
        print(f"Batch size {BATCH_SIZE}, the training set once per epoch; CPU vs torch: the "
              "row's CPU seconds over its PyTorch peer's.")
        print()
        print_main_table(rows, results, bool(peer_info))

        scaled = [r for r in rows if r in SCALED]
        if args.scaling_repeats and scaled:
            cells = [[b, f, args.scaling_epochs] for b in SCALING_BATCHES
                     for f in SCALING_FACTORS]
            scaling = {row: [] for row in scaled}
            print()
            print(f"Scaling: {args.scaling_epochs} epochs per cell, the first left out, "
                  f"{args.scaling_repeats} repetitions.", flush=True)
            for rep in range(args.scaling_repeats):
                for row in (scaled if rep % 2 == 0 else scaled[::-1]):
                    scaling[row].append(run_row(row, cells, 100 + rep, args, data_dir))
                    print(f"  rep {rep + 1} {row:>15}: done", flush=True)
            print()
            print("CPU seconds per epoch by batch size and by how many times over the "
                  f"training set an epoch goes (1x: {n_train:,} images):")
            print()
            print_scaling(scaled, scaling, n_train)

        if args.anatomy_repeats:
            sides = ["mxnet"] + (["torch"] if peer_info else [])
            anatomy = {side: [] for side in sides}
            print()
            print(f"A step's fixed costs: each piece timed over {ANATOMY_CALLS} calls on a "
                  f"batch of {ANATOMY_BATCH} (too small for the arithmetic to count), "
                  f"{args.anatomy_repeats} repetitions.", flush=True)
            for rep in range(args.anatomy_repeats):
                for side in (sides if rep % 2 == 0 else sides[::-1]):
                    row = "torch:concise" if side == "torch" else "gluon:static"
                    anatomy[side].append(run_row(row, None, rep, args, data_dir, anatomy=True))
            print()
            print("CPU microseconds per call, every thread counted; notebook 04's three pieces "
                  "accumulate, each including the one above it:")
            print()
            print_anatomy(anatomy, bool(peer_info))
    finally:
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
