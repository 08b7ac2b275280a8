"""Benchmark: seconds per training epoch, classic DataLoader path vs the in-memory path.

    ./kit bench                      # 10 epochs, 3 repetitions (a few minutes)
    ./kit bench --epochs 3 --repeats 2

Trains the scratch model (notebook 03) and the Gluon model (notebook 04) on both data
paths, in one run, on the same data. Each training run is a child process of its own
(so that its peak memory is its own), and the order of the paths alternates between
repetitions. The classic path is the lesson's: Gluon's DataLoader with ToTensor
(4 workers) and, for Gluon, `nn.Sequential` as is. The fast path is the kit's default:
the split converted once into one float32 array, batches gathered on the device, the
Gluon model hybridized. Both use the same `train_epoch` (loss and accuracy summed on
the device, read once per epoch), batch size 256, learning rate 0.1.

Prints one table: median seconds per epoch, the ratio classic/fast, the final test
accuracy, the peak resident memory of the run, and the time to load the data.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

MODELS = ("scratch", "gluon")
PATHS = ("classic", "fast")


def child(model, path, epochs, seed):
    """Train one configuration; print a JSON line with its figures."""
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
    if path == "fast":
        train_iter, test_iter = load_data_in_memory(batch_size)
    else:
        train_iter, test_iter = load_data_fashion_mnist(batch_size)
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
        net = nn.HybridSequential() if path == "fast" else nn.Sequential()
        net.add(nn.Dense(10))
        net.initialize(init.Normal(sigma=0.01))
        if path == "fast":
            net.hybridize()
        loss = gluon.loss.SoftmaxCrossEntropyLoss()
        updater = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": lr})

    epoch_seconds = []
    for _ in range(epochs):
        tic = time.perf_counter()
        train_epoch(net, train_iter, loss, updater)  # reads its sums: the epoch is done
        epoch_seconds.append(time.perf_counter() - tic)
    test_acc = evaluate_accuracy(net, test_iter)
    print(json.dumps({"epoch_seconds": epoch_seconds, "test_acc": test_acc,
                      "load_seconds": load_seconds}))


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
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        model, path, epochs, seed = args.child
        return child(model, path, int(epochs), int(seed))

    print(f"{args.epochs} epochs x {args.repeats} repetitions per configuration, "
          f"{os.cpu_count()} CPU cores; each run in its own process, paths alternating.")
    results = {(m, p): [] for m in MODELS for p in PATHS}
    for rep in range(args.repeats):
        order = PATHS if rep % 2 == 0 else PATHS[::-1]
        for model in MODELS:
            for path in order:
                r = run_child(model, path, args.epochs, seed=rep)
                results[(model, path)].append(r)
                print(f"  rep {rep + 1} {model:>7} {path:>7}: "
                      f"{statistics.median(r['epoch_seconds']):.3f} s/epoch, "
                      f"test acc {r['test_acc']:.4f}", flush=True)

    def med(model, path, key):
        runs = results[(model, path)]
        if key == "epoch_seconds":
            return statistics.median(s for r in runs for s in r[key])
        return statistics.median(r[key] for r in runs)

    print()
    print("| model | path | s/epoch (median) | classic/fast | test acc | peak MiB | load s |")
    print("|---|---|---|---|---|---|---|")
    for model in MODELS:
        ratio = med(model, "classic", "epoch_seconds") / med(model, "fast", "epoch_seconds")
        for path in PATHS:
            print(f"| {model} | {path} | {med(model, path, 'epoch_seconds'):.3f} | "
                  f"{ratio if path == 'fast' else 1:.1f}x | "
                  f"{med(model, path, 'test_acc'):.4f} | {med(model, path, 'peak_mib'):.0f} | "
                  f"{med(model, path, 'load_seconds'):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
