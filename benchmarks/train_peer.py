"""`./kit bench`'s PyTorch peer, and the measuring both sides share.

The PyTorch rows run this file in a Python the user names (`--peer-python`, an environment
with a CPU build of PyTorch), isolated (`python -I`): it imports only the standard library
and torch, never MXNet, never the kit, and reports what it imported (a peer that imported
MXNet is refused). It reads the arrays the kit wrote as raw files (train_runs.py's
write_peer_data). The settings and the timers the MXNet rows use (train_rows.py) live here
too, so that both sides measure with the same code and this file still stands alone.

    python -I benchmarks/train_peer.py --peer-probe     # torch's version and threads, as JSON
    python -I benchmarks/train_peer.py --peer SPEC      # one row's figures, as JSON
"""
import argparse
import json
import os
import sys
import time

LR, BATCH_SIZE = 0.1, 256
ANATOMY_BATCH, ANATOMY_CALLS = 16, 1000


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



def main(argv=None):
    parser = argparse.ArgumentParser(description="The PyTorch side of ./kit bench.")
    parser.add_argument("--peer", metavar="SPEC", help="train one row; print its figures")
    parser.add_argument("--peer-probe", action="store_true",
                        help="print torch's version and default threads")
    args = parser.parse_args(argv)
    if args.peer_probe:
        return peer_probe()
    if not args.peer:
        parser.error("--peer SPEC or --peer-probe")
    print(json.dumps(peer_child(json.loads(args.peer))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
