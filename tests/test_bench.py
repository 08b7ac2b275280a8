"""`./kit bench` (benchmarks/train_speed.py): one short run of the Gluon rows prints its table.

The figures themselves are the benchmark's to print, not a test's to time: this checks that
each row trains the lesson's model to a sensible accuracy, reports wall and CPU seconds, and
that a configuration it does not know is refused by name.
"""
import re
import subprocess
import sys

ROW = re.compile(r"^\| gluon \| (\w+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+)x \| ([0-9.]+) \|",
                 re.M)


def bench(project, *args):
    return subprocess.run([sys.executable, "benchmarks/train_speed.py", *args], cwd=project,
                          capture_output=True, text=True, timeout=600)


def test_the_benchmark_prints_the_static_and_fused_rows(project):
    r = bench(project, "--epochs", "2", "--repeats", "1",
              "--only", "gluon:fast", "gluon:static", "gluon:fused")
    assert r.returncode == 0, r.stdout + r.stderr
    rows = {m[1]: [float(x) for x in m.groups()[1:]] for m in ROW.finditer(r.stdout)}
    assert list(rows) == ["fast", "static", "fused"], r.stdout
    assert rows["fast"][2] == 1.0  # the ratios are to the lessons' Gluon fast path
    for path, (wall, cpu, ratio, acc) in rows.items():
        assert wall > 0 and cpu > 0, (path, r.stdout)
        assert 0.78 < acc < 0.9, (path, acc)  # two epochs of the lesson's model
    # fast and static differ only in memory planning: the same model, the same accuracy
    assert rows["static"][3] == rows["fast"][3]


def test_an_unknown_configuration_is_refused_by_name(project):
    r = bench(project, "--only", "gluon:turbo")
    assert r.returncode == 2
    assert "no configuration gluon:turbo; the choices are" in r.stderr
    assert "gluon:fused" in r.stderr
