"""`./kit bench`'s protocol: every row in a process of its own, the PyTorch peer probed and fed.

run() interleaves the rows, the order reversed on every other repetition, and prints the
tables; run_row() starts one process (train_speed.py --child for an MXNet row, the peer's
Python on train_peer.py for a PyTorch row) and reads back its figures and its peak memory.
The peer gets the arrays the MXNet rows train on as raw files in a private temporary folder,
removed at the end.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from benchmarks.train_peer import ANATOMY_BATCH, ANATOMY_CALLS, BATCH_SIZE
from benchmarks.train_tables import (SCALED, SCALING_BATCHES, SCALING_FACTORS, cell_figures,
                                     is_peer, print_anatomy, print_main_table, print_scaling,
                                     threads_text)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BENCH = os.path.join(HERE, "train_speed.py")  # an MXNet row's process: train_speed.py --child
PEER = os.path.join(HERE, "train_peer.py")  # a PyTorch row's, in the peer's Python


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
        cmd = [args.peer_python, "-I", PEER, "--peer", json.dumps(spec)]
    else:
        cmd = [sys.executable, BENCH, "--child", json.dumps(spec)]
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
        proc = subprocess.run([peer_python, "-I", PEER, "--peer-probe"],
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

