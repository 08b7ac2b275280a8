"""The program of a ps-lite job: softmax regression on one shard per worker (notebook 09_distributed).

Every role of the job runs it (``helpers.distributed`` starts them):

    python -m helpers.distributed -n 2 -s 1 -- python -m helpers.dist_worker --epochs 3 --out DIR

In a scheduler or server process, ``import mxnet`` runs that role and exits, so only the
workers get past the imports. Each worker trains the lesson's model, ``nn.Dense(10)``, on
its shard of the training set with ``gluon.Trainer(..., kvstore=kv)``; the servers sum the
workers' gradients and update the weights. At the end each worker writes
DIR/worker-<rank>.npz (the weights it trained to, and the servers' copy after every worker
finished) and DIR/worker-<rank>.json (its shard, steps, history and test accuracy).
Importing this module outside such a job trains nothing.
"""
import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

import numpy as onp
import mxnet as mx  # in a scheduler or server process, this line runs the role and exits
from mxnet import autograd, gluon, init, np, npx
from mxnet.gluon import nn

from helpers.data import load_arrays
from helpers.fast_data import ArrayLoader, to_tensor
from helpers.train import correct_count, evaluate_accuracy

def shard_range(n, num_workers, rank):
    """The examples [start, stop) of worker `rank` among `num_workers` (notebook 09_distributed).

    n examples are cut into contiguous blocks whose sizes differ by at most one, as
    NumPy's array_split does: 60000 over 2 workers gives (0, 30000) and (30000, 60000).
    """
    if not 0 <= rank < num_workers:
        raise ValueError(f"rank {rank} is not one of the {num_workers} workers 0..{num_workers - 1}")
    size, extra = divmod(n, num_workers)
    start = rank * size + min(rank, extra)
    return start, start + size + (rank < extra)


def check_equal_steps(kv, steps, key=999):
    """Refuse to train unless every worker takes the same number of steps (notebook 09_distributed).

    kv: a dist_sync kvstore before training (no optimizer set yet); steps: this worker's
    steps per epoch; key: a kvstore key the Trainer does not use (it numbers the
    parameters 0, 1, ...). Each worker pushes a (num_workers,) vector holding its count
    at its rank; the servers sum the pushes, so every worker pulls all the counts.
    Returns the counts, by rank.
    """
    counts = np.zeros(kv.num_workers)
    counts[kv.rank] = steps
    kv.init(key, np.zeros(kv.num_workers))
    kv.push(key, counts)
    kv.pull(key, out=counts)
    counts = [int(c) for c in counts.asnumpy()]
    if len(set(counts)) > 1:
        raise ValueError(
            f"unequal shards: the workers would take {counts} steps per epoch (by rank). "
            f"{kv.type} waits at every step until every worker has pushed, so the job would "
            "hang once the first worker runs out of batches. Give every worker the same "
            "number of full batches: a number of examples divisible by the global batch, "
            "or drop the remainder.")
    return counts


def train_worker(net, train_iter, loss, trainer, num_epochs, batch_size, num_workers=1,
                 on_epoch=None):
    """Train on this worker's shard, one step per full batch (notebook 09_distributed).

    train_iter yields X: (batch_size, 1, 28, 28), y: (batch_size,) from this worker's
    shard; an incomplete last batch is dropped, so every worker takes the same steps.
    The trainer's kvstore sums the gradients of all `num_workers` workers, so each step
    divides by the global batch, batch_size * num_workers; with num_workers=1 and a
    trainer without kvstore it is one process at that batch. Returns per-epoch lists
    train_loss, train_acc (over this shard) and seconds; on_epoch(epoch, history) after each.
    """
    history = {"train_loss": [], "train_acc": [], "seconds": []}
    for epoch in range(num_epochs):
        tic = time.perf_counter()
        total_loss, correct, n = 0, 0, 0
        for X, y in train_iter:
            if y.shape[0] < batch_size:
                break  # the incomplete last batch
            with autograd.record():
                y_hat = net(X)
                l = loss(y_hat, y)
            l.backward()
            trainer.step(batch_size * num_workers)
            total_loss = total_loss + l.sum()
            correct = correct + correct_count(y_hat, y)
            n += y.size
        history["train_loss"].append(float(total_loss) / n)
        history["train_acc"].append(float(correct) / n)
        history["seconds"].append(time.perf_counter() - tic)
        if on_epoch is not None:
            on_epoch(epoch + 1, history)
    return history


def pass_seconds(net, loss, X, y, repeats=50):
    """Seconds of one forward and backward pass on X: (b, 1, 28, 28), y: (b,), no update.

    A worker's own arithmetic per step, timed apart from the round trip to the servers.
    """
    npx.waitall()
    tic = time.perf_counter()
    for _ in range(repeats):
        with autograd.record():
            l = loss(net(X), y)
        l.backward()
    npx.waitall()
    return (time.perf_counter() - tic) / repeats


def softmax_net():
    """The lesson's model: one Dense(10) layer, weights drawn from N(0, 0.01^2), hybridized."""
    net = nn.HybridSequential()
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    net.hybridize()
    return net


def run_worker(args):
    """One worker: join the kvstore, train on the shard, write the results; return 0."""
    npx.set_np()
    kv = mx.kv.create(args.kvstore)  # waits until the whole job has joined
    rank, num_workers = kv.rank, kv.num_workers
    if args.batch_size % num_workers:
        raise ValueError(f"the global batch {args.batch_size} does not split evenly over "
                         f"{num_workers} workers: choose a multiple of {num_workers}")
    batch_size = args.batch_size // num_workers
    onp.random.seed(args.seed + rank)  # each worker shuffles its shard its own way
    mx.random.seed(args.seed)  # the initial weights: rank 0's are the ones the servers keep
    arrays = load_arrays()
    n = args.num_examples or len(arrays["train_labels"])
    if not 0 < n <= len(arrays["train_labels"]):
        raise ValueError(f"--num-examples {n} is not in 1..{len(arrays['train_labels'])}")
    start, stop = shard_range(n, num_workers, rank)
    steps = (stop - start) // batch_size
    if steps == 0:
        raise ValueError(f"worker {rank}'s shard of {stop - start} examples holds no full "
                         f"batch of {batch_size}: use more examples or a smaller batch")
    if "async" not in kv.type:  # async never waits for the others: nothing to hang
        check_equal_steps(kv, steps)
    print(f"rank {rank} of {num_workers} ({kv.type}): examples {start}..{stop - 1}, "
          f"{steps} steps of {batch_size} per epoch", flush=True)
    train_iter = ArrayLoader(to_tensor(arrays["train_images"][start:stop]),
                             arrays["train_labels"][start:stop], batch_size, shuffle=True)
    net = softmax_net()
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    params = list(net.collect_params().values())  # a list: the kvstore keys are its positions
    trainer = gluon.Trainer(params, "sgd", {"learning_rate": args.lr}, kvstore=kv)

    def report(epoch, history):
        print(f"rank {rank} epoch {epoch}: loss {history['train_loss'][-1]:.4f}, "
              f"train acc {history['train_acc'][-1]:.4f}, {history['seconds'][-1]:.2f} s",
              flush=True)

    history = train_worker(net, train_iter, loss, trainer, args.epochs, batch_size,
                           num_workers, on_epoch=report)
    trained = [p.data().asnumpy() for p in params]  # what this worker ended with
    X, y = next(iter(train_iter))
    own_seconds = pass_seconds(net, loss, X, y)
    npx.waitall()
    kv._barrier()  # every worker has pushed its last gradient
    for i, p in enumerate(params):
        kv.pull(i, out=p.data())
    final = [p.data().asnumpy() for p in params]
    test_iter = ArrayLoader(to_tensor(arrays["test_images"]), arrays["test_labels"], 1000)
    result = {"rank": rank, "num_workers": num_workers, "kvstore": kv.type,
              "shard": [start, stop], "steps_per_epoch": steps, "batch_size": batch_size,
              "lr": args.lr, "history": history, "pass_seconds": own_seconds,
              "test_acc": evaluate_accuracy(net, test_iter),
              "max_diff_from_servers": max(float(abs(a - b).max()) for a, b in zip(trained, final))}
    print(f"rank {rank}: test accuracy of the servers' weights {result['test_acc']:.4f}",
          flush=True)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        onp.savez(out / f"worker-{rank}.npz", weight=trained[0], bias=trained[1],
                  server_weight=final[0], server_bias=final[1])
        (out / f"worker-{rank}.json").write_text(json.dumps(result, indent=1))
    return 0


def worker_main(argv=None):
    """``python -m helpers.dist_worker``: the worker's command line (run inside a job)."""
    parser = argparse.ArgumentParser(prog="python -m helpers.dist_worker",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256,
                        help="the global batch, split evenly over the workers (default 256)")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--kvstore", default="dist_sync", choices=["dist_sync", "dist_async"])
    parser.add_argument("--num-examples", type=int, default=0,
                        help="use only the first N training examples (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="folder for worker-<rank>.npz and .json")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.num_examples < 0:
        parser.error("--epochs and --batch-size must be at least 1, --num-examples at least 0")
    if os.environ.get("DMLC_ROLE") != "worker":
        parser.error("this program runs inside a ps-lite job; start one with: python -m "
                     "helpers.distributed -n 2 -s 1 -- python -m helpers.dist_worker")
    try:
        return run_worker(args)
    except Exception:  # any error: say what it was, then leave at once
        traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        # A normal exit would wait at MXNet's final barrier for workers that never come.
        os._exit(1)


if __name__ == "__main__":
    sys.exit(worker_main())
