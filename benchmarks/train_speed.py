"""Benchmark: seconds per training epoch, classic DataLoader path vs the in-memory path.

    ./kit bench                      # 10 epochs, 3 repetitions (a few minutes)
    ./kit bench --epochs 3 --repeats 2
    ./kit bench --only gluon:fast gluon:static --repeats 7

Trains the scratch model (notebook 03) and the Gluon model (notebook 04) on both data
paths, in one run, on the same data. Each training run is a child process of its own
(so that its peak memory is its own), and the order of the paths alternates between
repetitions. The classic path is the lesson's: Gluon's DataLoader with ToTensor
(4 workers) and, for Gluon, `nn.Sequential` as is. The fast path is the kit's default:
the split converted once into one float32 array, batches gathered on the device, the
Gluon model hybridized. Both use the same `train_epoch` (loss and accuracy summed on
the device, read once per epoch), batch size 256, learning rate 0.1.

Beyond the lessons' two paths, three rows for the Gluon model on the in-memory data:
`static` hybridizes the net and the loss with static_alloc and static_shape (what notebook
04's fast path does); `fused` is the fastest MXNet this benchmark knows, not a lesson: the
batch is gathered inside one static graph with the net, the loss and the metrics, and both
parameters are updated by one fused `multi_sgd_update` per step; `torch` is the same model
in PyTorch (only if it is installed), as a yardstick.

Prints one table: median wall and CPU seconds per epoch (CPU time counts every thread of
the run: on 2 shared cores wall time swings by 2x, CPU time much less), the ratio to the
lesson's Gluon fast path in CPU time, the final test accuracy, the peak resident memory of
the run, and the time to load the data.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

# (model, path): the lessons' four, then the Gluon model's faster forms, then PyTorch.
CONFIGS = (("scratch", "classic"), ("scratch", "fast"), ("gluon", "classic"),
           ("gluon", "fast"), ("gluon", "static"), ("gluon", "fused"), ("torch", "fast"))


def has_torch():
    import importlib.util
    return importlib.util.find_spec("torch") is not None


def fused_epoch(step, params, X_all, y_all, batch_size, lr):
    """One epoch of the `fused` row: one graph per step, one fused update; (loss, acc)."""
    import numpy as onp
    import mxnet as mx
    from mxnet import autograd, np
    n = len(y_all) // batch_size * batch_size
    batches = np.array(onp.random.permutation(len(y_all))[:n].reshape(-1, batch_size),
                       dtype="int32")
    total_l, total_c = np.zeros(()), np.zeros(())
    for i in range(batches.shape[0]):
        with autograd.record():
            l, correct = step(X_all, y_all, batches[i])
        l.backward()
        ws = [p.data().as_nd_ndarray() for p in params]
        gs = [p.grad().as_nd_ndarray() for p in params]
        mx.nd.multi_sgd_update(*[t for pair in zip(ws, gs) for t in pair],
                               lrs=(lr / batch_size,) * len(ws), wds=(0.0,) * len(ws),
                               num_weights=len(ws), out=ws)
        total_l += l
        total_c += correct
    return float(total_l) / n, float(total_c) / n


def fused_step(net, loss):
    """A HybridBlock (X_all, y_all, idx) -> (loss sum, correct count) of one batch."""
    from mxnet.gluon import nn

    class Step(nn.HybridBlock):
        def __init__(self):
            super().__init__()
            self.net, self.loss = net, loss

        def hybrid_forward(self, F, X_all, y_all, idx):
            X, y = F.np.take(X_all, idx, axis=0), F.np.take(y_all, idx)
            y_hat = self.net(X)
            correct = (F.np.argmax(y_hat, axis=1).astype("int32") == y).astype("float32")
            return self.loss(y_hat, y).sum(), correct.sum()

    step = Step()
    step.hybridize(static_alloc=True, static_shape=True)
    return step


def torch_child(epochs, seed, batch_size=256, lr=0.1):
    """The same model, loss and updates in PyTorch, data on the device."""
    import torch
    from helpers.data import load_arrays
    from helpers.fast_data import to_tensor
    torch.manual_seed(seed)
    tic = time.perf_counter()
    a = load_arrays()
    X, y = torch.from_numpy(to_tensor(a["train_images"])), torch.from_numpy(a["train_labels"]).long()
    X_test = torch.from_numpy(to_tensor(a["test_images"]))
    y_test = torch.from_numpy(a["test_labels"]).long()
    load_seconds = time.perf_counter() - tic
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    torch.nn.init.normal_(net[1].weight, std=0.01)
    torch.nn.init.zeros_(net[1].bias)
    loss = torch.nn.CrossEntropyLoss()
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    wall, cpu = [], []
    for _ in range(epochs):
        tic, c0 = time.perf_counter(), time.process_time()
        for idx in torch.randperm(len(y)).split(batch_size):
            trainer.zero_grad()
            loss(net(X[idx]), y[idx]).backward()
            trainer.step()
        wall.append(time.perf_counter() - tic)
        cpu.append(time.process_time() - c0)
    with torch.no_grad():
        test_acc = (net(X_test).argmax(1) == y_test).float().mean().item()
    print(json.dumps({"epoch_seconds": wall, "cpu_seconds": cpu, "test_acc": test_acc,
                      "load_seconds": load_seconds}))


def child(model, path, epochs, seed):
    """Train one configuration; print a JSON line with its figures."""
    if model == "torch":
        return torch_child(epochs, seed)
    import random

    import numpy as onp
    import mxnet as mx
    from mxnet import gluon, init, np, npx
    from mxnet.gluon import nn

    from helpers.data import load_data_fashion_mnist
    from helpers.fast_data import load_data_in_memory
    from helpers.train import cross_entropy, evaluate_accuracy, sgd, softmax, train_epoch

    npx.set_np()
    random.seed(seed)
    onp.random.seed(seed)
    mx.random.seed(seed)
    batch_size, lr = 256, 0.1

    tic = time.perf_counter()
    if path == "classic":
        train_iter, test_iter = load_data_fashion_mnist(batch_size)
    else:
        train_iter, test_iter = load_data_in_memory(batch_size)
    load_seconds = time.perf_counter() - tic

    if model == "scratch":
        W = np.random.normal(0, 0.02, (784, 10))
        b = np.zeros(10)
        W.attach_grad()
        b.attach_grad()

        def net(X):
            return softmax(np.dot(X.reshape((-1, W.shape[0])), W) + b)

        def updater(batch_size):
            return sgd([W, b], lr, batch_size)

        loss = cross_entropy
    else:
        net = nn.Sequential() if path == "classic" else nn.HybridSequential()
        net.add(nn.Dense(10))
        net.initialize(init.Normal(sigma=0.01))
        loss = gluon.loss.SoftmaxCrossEntropyLoss()
        if path == "fast":
            net.hybridize()
        elif path in ("static", "fused"):
            net.hybridize(static_alloc=True, static_shape=True)
            loss.hybridize(static_alloc=True, static_shape=True)
        updater = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr})

    if path == "fused":
        step = fused_step(net, loss)
        X_all, y_all = train_iter.X.reshape((len(train_iter.y), -1)), train_iter.y
        params = list(net.collect_params().values())

        def one_epoch():
            fused_epoch(step, params, X_all, y_all, batch_size, lr)
    else:
        def one_epoch():
            train_epoch(net, train_iter, loss, updater)  # reads its sums: the epoch is done

    epoch_seconds, cpu_seconds = [], []
    for _ in range(epochs):
        tic, c0 = time.perf_counter(), time.process_time()
        one_epoch()
        epoch_seconds.append(time.perf_counter() - tic)
        cpu_seconds.append(time.process_time() - c0)
    test_acc = evaluate_accuracy(net, test_iter)
    print(json.dumps({"epoch_seconds": epoch_seconds, "cpu_seconds": cpu_seconds,
                      "test_acc": test_acc, "load_seconds": load_seconds}))


def run_child(model, path, epochs, seed):
    cmd = [sys.executable, __file__, "--child", model, path, str(epochs), str(seed)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"benchmark run {model}/{path} failed (status {status})")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_mib"] = usage.ru_maxrss / 1024  # KiB on Linux
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", nargs="+", metavar="MODEL:PATH",
                        help="only these configurations, e.g. gluon:fast gluon:static")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        model, path, epochs, seed = args.child
        return child(model, path, int(epochs), int(seed))

    configs = [c for c in CONFIGS if c[0] != "torch" or has_torch()]
    if args.only:
        wanted = [tuple(o.split(":", 1)) for o in args.only]
        unknown = [":".join(w) for w in wanted if w not in configs]
        if unknown:
            parser.error(f"no configuration {', '.join(unknown)}; the choices are "
                         + " ".join(":".join(c) for c in configs))
        configs = [c for c in configs if c in wanted]
    print(f"{args.epochs} epochs x {args.repeats} repetitions per configuration, "
          f"{os.cpu_count()} CPU cores; each run in its own process, order reversed on "
          "every other repetition." + ("" if has_torch() else
                                       " (PyTorch is not installed: no torch row.)"))
    results = {c: [] for c in configs}
    for rep in range(args.repeats):
        for model, path in (configs if rep % 2 == 0 else configs[::-1]):
            r = run_child(model, path, args.epochs, seed=rep)
            results[(model, path)].append(r)
            print(f"  rep {rep + 1} {model:>7} {path:>7}: "
                  f"{statistics.median(r['epoch_seconds']):.3f} s/epoch wall, "
                  f"{statistics.median(r['cpu_seconds']):.3f} CPU, "
                  f"test acc {r['test_acc']:.4f}", flush=True)

    def med(config, key):
        runs = results[config]
        if key in ("epoch_seconds", "cpu_seconds"):
            return statistics.median(s for r in runs for s in r[key])
        return statistics.median(r[key] for r in runs)

    base = med(("gluon", "fast"), "cpu_seconds") if ("gluon", "fast") in results else None
    print()
    print("| model | path | wall s/epoch | CPU s/epoch | CPU vs gluon fast | test acc "
          "| peak MiB | load s |")
    print("|---|---|---|---|---|---|---|---|")
    for config in configs:
        # The classic path's DataLoader workers are processes of their own: their CPU time
        # is not the run's, so it is not shown.
        cpu = med(config, "cpu_seconds")
        ratio = f"{cpu / base:.2f}x" if base else "—"
        cpu_cells = "— | —" if config[1] == "classic" else f"{cpu:.3f} | {ratio}"
        print(f"| {config[0]} | {config[1]} | {med(config, 'epoch_seconds'):.3f} | {cpu_cells} | "
              f"{med(config, 'test_acc'):.4f} | {med(config, 'peak_mib'):.0f} | "
              f"{med(config, 'load_seconds'):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
