"""`./kit bench` (benchmarks/train_*.py): the lessons' loops and their PyTorch peers.

The figures themselves are the benchmark's to print, not a test's to time. These check that
the rows train exactly what notebooks 03 and 04 run, to a sensible accuracy, and print their
threads, wall and CPU seconds; that the PyTorch peer is run as the protocol says (its own
Python, isolated, the threads set, the data handed over in files that are removed after)
and its figures land in the ratios; and that bad requests are refused with a clear word.
A stand-in peer plays PyTorch: the tests never install torch.
"""
import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from benchmarks import train_rows
from benchmarks.train_tables import fit, steps
from tests.kit_paths import ROOT

BENCH = ROOT / "benchmarks" / "train_speed.py"
ROWS_FILE = ROOT / "benchmarks" / "train_rows.py"  # the MXNet rows
PEER = ROOT / "benchmarks" / "train_peer.py"  # what the peer's Python runs
ROW = re.compile(r"^\| (\w+:\w+) \| ([^|]+) \| (\S+) / (\S+) \| ([0-9.]+) \| ([0-9.—]+) \| "
                 r"([0-9%—]+) \| ([0-9.x—]+) \| ([0-9.x—]+) \| ([0-9.]+) \| ([0-9]+) \|$", re.M)
QUICK = ("--epochs", "2", "--repeats", "1", "--scaling-repeats", "0", "--anatomy-repeats", "0")


def bench(*args, timeout=900):
    return subprocess.run([sys.executable, str(BENCH), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def table(stdout):
    """row -> its cells in the main table."""
    return {m[1]: m.groups()[1:] for m in ROW.finditer(stdout)}


# A stand-in for a peer Python with PyTorch: it logs how it was called and what it was
# handed, and prints the figures of a PyTorch that takes 0.5 CPU seconds per epoch.
FAKE_PEER = '''#!{python}
import json, os, sys
args = sys.argv[1:]
entry = {{"argv": args, "omp": os.environ.get("OMP_NUM_THREADS")}}
if "--peer-probe" in args:
    print(json.dumps({{"torch": "0.0+stand-in", "python": "3.x", "threads": 7}}))
else:
    spec = json.loads(args[args.index("--peer") + 1])
    entry["spec"] = spec
    entry["files"] = {{n: os.path.getsize(os.path.join(spec["data"], n))
                       for n in os.listdir(spec["data"])}}
    if spec.get("anatomy"):
        result = {{"anatomy": {{k: [100.0, 100.0] for k in
                               ("op", "forward04", "backward04", "step04",
                                "cross_entropy03", "pick03", "step03")}}}}
    else:
        result = {{"cells": [{{"batch_size": b, "factor": f,
                               "epoch_seconds": [9.0] + [0.25] * (e - 1),
                               "cpu_seconds": [9.0] + [0.5 * f] * (e - 1),
                               "main_thread_cpu": [9.0] + [0.5 * f] * (e - 1)}}
                              for b, f, e in spec["cells"]],
                   "test_acc": 0.5}}
    result.update(threads=1, os_threads=1, library="stand-in",
                  imported_mxnet={imports_mxnet}, imported_kit=False)
    print(json.dumps(result))
with open(os.environ["FAKE_PEER_LOG"], "a") as f:
    f.write(json.dumps(entry) + "\\n")
'''


def fake_peer(tmp_path, imports_mxnet=False):
    path = tmp_path / "python-with-torch"
    path.write_text(FAKE_PEER.format(python=sys.executable, imports_mxnet=imports_mxnet))
    path.chmod(0o755)
    return path


def calls(log):
    return [json.loads(line) for line in log.read_text().splitlines()]


# --------------------------------------------------------------------------- the MXNet rows

def test_the_lessons_rows_train_and_print_threads_wall_and_cpu():
    r = bench("--only", "scratch:fast", "gluon:static", "gluon:fused", *QUICK)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = table(r.stdout)
    assert list(rows) == ["scratch:fast", "gluon:static", "gluon:fused"], r.stdout
    assert rows["scratch:fast"][0].strip() == "notebook 03 as it runs"
    assert rows["gluon:static"][0].strip() == "notebook 04 as it runs"
    for row, (_, per_op, process, wall, cpu, off_main, cpu_ratio, wall_ratio, acc, peak) \
            in rows.items():
        assert per_op == "1", (row, per_op)  # --threads 1 by default, and MXNet says so
        assert int(process) >= 2, (row, process)  # Python's thread and the engine's
        assert float(wall) > 0 and float(cpu) > 0 and off_main.endswith("%"), row
        assert cpu_ratio == wall_ratio == "—", row  # no peer, no ratio
        assert 0.78 < float(acc) < 0.9, (row, acc)  # two epochs of the lesson's model
        assert int(peak) > 100, row
    # the fused row trains notebook 04's model on the same batches, by other means
    assert abs(float(rows["gluon:fused"][8]) - float(rows["gluon:static"][8])) < 0.01
    assert "No PyTorch rows: --peer-python" in r.stdout


def code_lines(path, cell_id):
    """The lines of a notebook's code cell, comments and blank lines dropped."""
    cell = next(c for c in nbformat.read(path, as_version=4).cells if c.get("id") == cell_id)
    lines = (line.split("  #")[0].strip() for line in cell.source.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_the_lessons_rows_run_what_the_notebooks_run():
    source = ROWS_FILE.read_text()
    tree = {n.name: ast.get_source_segment(source, n) for n in ast.parse(source).body
            if isinstance(n, ast.FunctionDef)}
    nb03 = ROOT / "notebooks" / "03_softmax_scratch.ipynb"
    nb04 = ROOT / "notebooks" / "04_softmax_concise.ipynb"
    updater = code_lines(nb03, "c03-31")
    start = updater.index("def updater(batch_size):")
    wanted = {
        "lesson03": (code_lines(nb03, "c03-06")[:-1]  # all but the line that shows shapes
                     + code_lines(nb03, "c03-12") + updater[start:start + 2]),
        "lesson04": code_lines(nb04, "c04-05")[:-1] + code_lines(nb04, "c04-11"),
    }
    for function, lines in wanted.items():
        mine = [line.strip() for line in tree[function].splitlines()]
        missing = [line for line in lines if line not in mine]
        assert not missing, f"{function} does not run the notebook's {missing}"
    for path, settings in ((nb03, "c03-03"), (nb04, "c04-02")):
        assert "batch_size, lr, num_epochs = 256, 0.1, 10" in code_lines(path, settings)
    assert (train_rows.LR, train_rows.BATCH_SIZE) == (0.1, 256)
    assert "train_epoch(net, train_iter, loss, updater)" in tree["mxnet_child"]


def test_the_peer_imports_torch_and_the_standard_library_only():
    tree = ast.parse(PEER.read_text())
    stdlib = set(sys.stdlib_module_names)
    for node in tree.body:  # what the peer's Python imports with the file
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) \
                else [node.module]
            assert all(n.split(".")[0] in stdlib for n in names), ast.unparse(node)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]  # all the peer's
    assert {n.name for n in functions} >= {"peer_probe", "peer_child", "peer_data"}
    for function in functions:
        for node in ast.walk(function):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) \
                    else [node.module]
                assert names == ["torch"], (function.name, ast.unparse(node))
            if isinstance(node, ast.Name):
                assert node.id not in ("np", "onp", "mx", "npx", "helpers"), \
                    (function.name, node.id)


# --------------------------------------------------------------------------- the peer

def test_the_peer_runs_isolated_with_the_threads_and_the_data_and_lands_in_the_ratios(
        tmp_path, monkeypatch):
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("FAKE_PEER_LOG", str(log))
    r = bench("--peer-python", str(fake_peer(tmp_path)),
              "--only", "gluon:static", "torch:concise", *QUICK)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PyTorch peer: PyTorch 0.0+stand-in" in r.stdout
    rows = table(r.stdout)
    assert list(rows) == ["gluon:static", "torch:concise"], r.stdout
    peer = rows["torch:concise"]
    assert (peer[1], peer[2]) == ("1", "1")  # the threads the peer reported
    assert float(peer[4]) == 0.5  # its median CPU, the first epoch left out
    mine = rows["gluon:static"]
    assert float(mine[6][:-1]) == pytest.approx(float(mine[4]) / 0.5, abs=0.01)  # CPU
    assert float(mine[7][:-1]) == pytest.approx(float(mine[3]) / 0.25, abs=0.01)  # wall

    probe, run = calls(log)
    assert probe["argv"][0] == "-I" and probe["argv"][2] == "--peer-probe"
    assert run["argv"][0] == "-I" and Path(run["argv"][1]) == PEER
    assert Path(probe["argv"][1]) == PEER
    assert run["omp"] == "1" and run["spec"]["threads"] == 1
    assert run["spec"]["row"] == "torch:concise" and run["spec"]["cells"] == [[256, 1, 2]]
    meta_size = run["files"].pop("meta.json")
    assert meta_size > 0 and run["files"] == {  # the arrays the MXNet rows train on
        "train_X.f32": 60000 * 784 * 4, "train_y.i64": 60000 * 8,
        "test_X.f32": 10000 * 784 * 4, "test_y.i64": 10000 * 8}
    assert not Path(run["spec"]["data"]).exists(), "the peer's data was left behind"


def test_the_scaling_table_and_the_anatomy_compare_each_cell_with_the_peer(
        tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_PEER_LOG", str(tmp_path / "calls.jsonl"))
    r = bench("--peer-python", str(fake_peer(tmp_path)), "--only", "gluon:fused",
              "torch:concise", "--epochs", "2", "--repeats", "1", "--scaling-epochs", "2",
              "--scaling-repeats", "1", "--anatomy-repeats", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    scaling = re.findall(r"^\| gluon:fused \| (\d+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| "
                         r"([0-9.]+)x \| ([0-9.]+)x \| ([0-9.]+)x \|$", r.stdout, re.M)
    assert [int(s[0]) for s in scaling] == [64, 256, 1024], r.stdout
    for cells in scaling:
        cpu, ratios = [float(c) for c in cells[1:4]], [float(c) for c in cells[4:]]
        for factor, (c, x) in enumerate(zip(cpu, ratios)):
            assert x == pytest.approx(c / (0.5 * 2 ** factor), abs=0.01)
    fit = re.search(r"^\| torch:concise \| ([0-9.-]+) \| ([0-9.-]+) \| (\d+)% \|$", r.stdout,
                    re.M)
    assert fit, r.stdout  # the stand-in's 0.5 s per pass: all per example, none per step
    assert abs(float(fit[1])) < 0.01 and float(fit[2]) == pytest.approx(8.333, abs=0.01)
    anatomy = re.search(r"^\| the same, then the update: notebook 04's whole step \| ([0-9]+) "
                        r"\| ([0-9]+) \| 100 \| ([0-9.]+)x \|$", r.stdout, re.M)
    assert anatomy, r.stdout
    assert float(anatomy[3]) == pytest.approx(int(anatomy[1]) / 100, abs=0.01)
    assert int(anatomy[2]) <= int(anatomy[1])  # Python's thread: a share of the whole


def test_a_peer_that_imported_mxnet_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_PEER_LOG", str(tmp_path / "calls.jsonl"))
    r = bench("--peer-python", str(fake_peer(tmp_path, imports_mxnet=True)),
              "--only", "torch:concise", *QUICK)
    assert r.returncode == 2
    assert "imported MXNet or the kit: a peer must run on its own" in r.stderr


def test_a_peer_python_without_torch_is_named_with_what_to_do(tmp_path):
    # The kit's own Python without its site-packages: a Python that cannot import torch.
    bare = tmp_path / "python-without-torch"
    bare.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    bare.chmod(0o755)
    r = bench("--peer-python", str(bare), "--only", "torch:scratch", *QUICK)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"--peer-python {bare} has no PyTorch (ModuleNotFoundError" in r.stderr
    assert "Install a CPU build of PyTorch into that environment" in r.stderr

    r = bench("--peer-python", str(tmp_path / "nothing-here"), "--only", "torch:scratch", *QUICK)
    assert r.returncode == 2
    assert "no such program" in r.stderr


@pytest.mark.parametrize("args, message", [
    (("--only", "gluon:turbo"), "no row gluon:turbo; the rows are scratch:classic"),
    (("--only", "torch:concise"), "torch:concise need --peer-python"),
    (("--threads", "0"), "a number of threads (1, 2, ...) or 'default'"),
    (("--epochs", "1"), "the first epoch of each run is left out"),
])
def test_bad_requests_are_refused_by_name(args, message):
    r = bench(*args)
    assert r.returncode == 2
    assert message in r.stderr, r.stderr


def test_the_fit_recovers_a_cost_per_step_and_per_example():
    points = [(steps(b, f, 60000), 60000 * f, 0.0004 * steps(b, f, 60000) + 2e-6 * 60000 * f)
              for b in (64, 256, 1024) for f in (1, 2, 4)]
    a, b = fit(points)
    assert a == pytest.approx(0.0004) and b == pytest.approx(2e-6)
