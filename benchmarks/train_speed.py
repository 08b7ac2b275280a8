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
build of PyTorch), from benchmarks/train_peer.py, a file that imports only the standard
library and torch: never MXNet, never the kit (the peer reports what it imported, and a peer
that imported MXNet is refused). The kit hands the peer the same training and test arrays
the MXNet rows train on, as raw files in a private temporary folder.

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

The code: this file reads the command line; train_runs.py runs the protocol (a process per
row, the peer probed and fed); train_rows.py holds the MXNet rows, train_peer.py the PyTorch
peer and the timers both sides share; train_tables.py says what each row is and prints the
tables.
"""
import argparse
import json
import os
import sys

from benchmarks.train_rows import mxnet_child
from benchmarks.train_runs import BenchError, run
from benchmarks.train_tables import ROWS, is_peer


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
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
