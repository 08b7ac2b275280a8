"""What the grader takes from a student's kernel or a local user, each on its own, without a sandbox.

Records are data the grader validates, never trusts: a bomb, a deep JSON, too many
members are refused within bounds; every judge fails a record with a list or dict
emptied or cut short. The locks of the slot uids live where no local user can link
anything first. The environment a kernel inherits holds nothing of the grader's.
tests/test_grading_trust_trap.py: the checks' trap; tests/test_grading_trust_notebooks.py:
notebooks as handed in.
"""
import io
import json
import os
import resource
import stat
import struct
import subprocess
import sys
import zipfile
import zlib

import numpy as onp
import pytest

from grading import reference as grader_reference
from grading.limits import LockError, claim_uids
from grading.verdict import judge_cell
from grading import checks
from grading.checks import records, session


# ---------------------------------------------------------------- records

def _npz(**members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def _npy(array):
    buffer = io.BytesIO()
    onp.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def _meta(text):
    return _npy(onp.array(text))


def bomb(members=40, size=2**25):
    """A zip of `members` arrays of `size` zeros each, built by hand: megabytes, unpacking to gigabytes."""
    header = ("{'descr': '|u1', 'fortran_order': False, 'shape': (%d,), }" % size).encode()
    header = b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) + header.ljust(117) + b"\n"
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = body.compress(header) + body.compress(bytes(size)) + body.flush()
    crc, full = zlib.crc32(bytes(size), zlib.crc32(header)), len(header) + size
    out, central = b"", b""
    for k in range(members):
        name = f"a{k}.npy".encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc,
                               len(data), full, len(name), 0, 0, 0, 0, 0, len(out)) + name
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), full,
                           len(name), 0) + name + data
    return out + central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, members, members,
                                       len(central), len(out), 0)


def test_a_record_bomb_is_refused_before_it_unpacks():
    data = bomb()
    assert len(data) < 2 * 2**20
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(records.RecordError, match="over the limit"):
        records.read(data)
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown < 64, f"reading the bomb took {grown:.0f} MB"


def test_a_member_that_unpacks_beyond_what_it_declares_is_cut():
    """The size in the zip's headers is the student's to write: the unpacking stops anyway."""
    data = bytearray(bomb(members=1, size=2**25))
    real = (2**25 + 128).to_bytes(4, "little")
    small = (1000).to_bytes(4, "little")
    data[:] = bytes(data).replace(real, small)  # local and central headers say 1000 bytes
    with pytest.raises(records.RecordError):
        records.read(bytes(data))


def test_the_unpacked_bytes_of_a_file_are_capped_in_all():
    members = {"meta.npy": _meta(json.dumps({"header": {"check": "x"}, "record": {}}))}
    for k in range(3):
        members[f"a{k}.npy"] = _npy(onp.zeros(12 * 2**20, dtype="uint8"))  # 12 MB each
    with pytest.raises(records.RecordError, match="limit"):
        records.read(_npz(**members))
    del members["a2.npy"]  # 24 MB: within a file's limit, not within what the cell has left
    (_, record), used = records.read(_npz(**members))
    assert used > 24 * 2**20
    with pytest.raises(records.RecordError, match="limit"):
        records.read(_npz(**members), max_bytes=20 * 2**20)


@pytest.mark.parametrize("text, match", [
    ('{"header": {"check": "x"}, "record": ' + "[" * 200_000 + "]" * 200_000 + "}", "deeper"),
    ('{"header": {"check": "x"}, "record": ' + "[" * 40 + "]" * 40 + "}", "deeper"),
    ('{"header": ["x"]}', "malformed"),
    ('{"header": {"check": "x"}', "not JSON"),
])
def test_a_record_header_that_nests_too_deep_or_is_not_json_is_refused(text, match):
    with pytest.raises(records.RecordError, match=match):
        records.read(_npz(**{"meta.npy": _meta(text)}))


def test_too_many_members_are_refused_unread():
    members = {f"a{k}.npy": b"x" for k in range(records.MAX_MEMBERS + 1)}
    with pytest.raises(records.RecordError, match="members"):
        records.read(_npz(**members))


def test_the_records_of_one_cell_are_capped_in_all():
    from grading.worker import parse_records
    arrays = {f"a{k}": onp.ones(2**20, dtype="float32") for k in range(3)}  # 12 MB a file
    buffer = io.BytesIO()
    meta = {"header": {"check": "x"}, "record": {k: {"__array__": k} for k in arrays}}
    onp.savez(buffer, meta=onp.array(json.dumps(meta)), **arrays)
    files = {f"t.{k}.npz": buffer.getvalue() for k in range(4)}  # 48 MB for one cell
    got = parse_records(files, max_bytes=30 * 2**20)["t"]
    assert [isinstance(e, str) for e in got] == [False, False, True, True]


# ---------------------------------------------------------------- judges

def _nll(logits, y, T):
    z = onp.asarray(logits) / T
    m = z.max(axis=1, keepdims=True)
    return float((m[:, 0] + onp.log(onp.exp(z - m).sum(axis=1)) - z[onp.arange(len(y)), y]).mean())


def _folds(y, num_folds, seed):
    rng = onp.random.RandomState(seed)
    folds, start = [[] for _ in range(num_folds)], 0
    for label in onp.unique(y):
        for i, position in enumerate(rng.permutation(onp.flatnonzero(y == label))):
            folds[(start + i) % num_folds].append(position)
        start += int((y == label).sum())
    return [onp.array(f, dtype="int64") for f in folds]


def _gradients(f, params, eps=1e-6):
    grads = []
    for p in params:
        g = onp.zeros_like(p)
        for i in onp.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            up = f(*params)
            p[i] = old - eps
            down = f(*params)
            p[i] = old
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def _loss(X, y, W, b, reg):
    from mxnet import np, npx
    n = X.shape[0]
    O = np.dot(X, W) + b
    O = O - O.max(axis=1, keepdims=True)
    G = (np.exp(O) / np.exp(O).sum(axis=1, keepdims=True) - npx.one_hot(y, W.shape[1])) / n
    loss = (np.log(np.exp(O).sum(axis=1)) - O[np.arange(n), y]).mean() + reg / 2 * (W ** 2).sum()
    return float(loss), np.dot(X.T, G) + reg * W, G.sum(axis=0)


class _Passes:
    def __init__(self, passes):
        self.passes = passes


def _calibrate(val_logits, val_y, test_logits, test_y):
    T = grader_reference.best_temperature(val_logits, val_y)

    def ece(T):
        p = grader_reference.softmax(test_logits / T)
        return grader_reference.ece(p.max(axis=1), p.argmax(axis=1) == test_y, 15)
    return T, ece(1.0), ece(T)


def _replicas():
    import mxnet as mx
    from mxnet import gluon, np
    net = gluon.nn.Dense(10)
    net.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    net(np.zeros((2, 784), ctx=mx.cpu(0)))
    return net, [mx.cpu(0), mx.cpu(1)]


def _calls():
    """(check name, a call of its check with a right answer) for the checks whose records hold lists."""
    from helpers import devices, train
    from helpers.data import get_fashion_mnist_labels
    return [
        ("temperature_nll", lambda: checks.check_temperature_nll(_nll)),
        ("step_argument", lambda: checks.check_step_argument(lambda sizes: float(sum(sizes)))),
        ("stratified_folds", lambda: checks.check_stratified_folds(_folds)),
        ("numerical_gradients", lambda: checks.check_numerical_gradients(_gradients)),
        ("regularized_loss", lambda: checks.check_regularized_loss(_loss)),
        ("tuning", lambda: checks.check_tuning([{"lr": 0.01, "val_acc": 0.7},
                                                {"lr": 0.1, "val_acc": 0.8}],
                                               {"lr": 0.1, "val_acc": 0.8}, (0.01, 0.1),
                                               _Passes(2), _Passes(1))),
        ("calibration_report", lambda: checks.check_calibration_report(_calibrate)),
        ("try_gpu", lambda: checks.check_try_gpu(devices.try_gpu, devices.try_all_gpus)),
        ("replicas", lambda: checks.check_replicas(*_replicas())),
        ("labels", lambda: checks.check_labels(get_fashion_mnist_labels)),
        ("train_epoch", lambda: checks.check_train_epoch(train.train_epoch)),
    ]


def shortened(value, path=()):
    """Every variant of a record with one of its lists emptied or cut short, or a dict emptied."""
    if isinstance(value, list):
        yield path, []
        if len(value) > 1:
            yield path, value[:-1]
        for k, v in enumerate(value):
            for p, variant in shortened(v, path + (k,)):
                yield p, value[:k] + [variant] + value[k + 1:]
    elif isinstance(value, dict):
        if value and path:
            yield path, {}
        for k, v in value.items():
            for p, variant in shortened(v, path + (k,)):
                yield p, dict(value, **{k: variant})


@pytest.mark.parametrize("check, call", _calls(), ids=[c for c, _ in _calls()])
def test_every_judge_fails_a_short_record(check, call, tmp_path, monkeypatch):
    """A right answer passes; with any list or dict of its record emptied or shortened, it fails."""
    monkeypatch.setenv(session.GRADING_DIR, str(tmp_path))
    monkeypatch.setenv(session.GRADING_SEED, "s3cret")
    session.begin("t")
    try:
        call()
    finally:
        session.begin(None)
    (header, record), _ = records.read((tmp_path / "t.0.npz").read_bytes())
    assert header["check"] == check
    manifest = [{"check": header["check"], "params": header["params"]}]
    assert judge_cell("t", manifest, [(header, record)], "s3cret", grader_reference) == \
        (None, "passed")
    variants = list(shortened(record))
    assert variants
    passed = [path for path, variant in variants
              if judge_cell("t", manifest, [(header, variant)], "s3cret",
                            grader_reference)[1] == "passed"]
    assert not passed, f"{check}: passes with {passed[:3]} shortened"


# ---------------------------------------------------------------- the locks of the slot uids

@pytest.mark.skipif(os.geteuid() != 0, reason="the slot uids are root's route")
def test_the_lock_folder_is_roots_and_follows_no_link(tmp_path):
    victim = tmp_path / "gradebook.db"
    victim.write_text("precious")
    planted = tmp_path / "planted"
    planted.mkdir(mode=0o777)
    os.chmod(planted, 0o777)
    with pytest.raises(LockError, match="not the grader's"):
        claim_uids(1, folder=str(planted))
    os.chown(planted, 65534, 65534)  # a local user made it first
    os.chmod(planted, 0o700)
    with pytest.raises(LockError, match="belongs to uid 65534"):
        claim_uids(1, folder=str(planted))
    folder = tmp_path / "locks"
    folder.mkdir(mode=0o700)
    base = 2_100_000_000
    (folder / f"{base}.lock").symlink_to(victim)  # as if a user had planted it
    uids, locks = claim_uids(1, base=base, span=2, folder=str(folder))
    try:
        assert uids == [base + 1]
    finally:
        for lock in locks:
            lock.close()
    assert victim.read_text() == "precious"
    link = tmp_path / "link"
    link.symlink_to(folder)
    with pytest.raises(OSError):
        claim_uids(1, folder=str(link))


def test_the_default_lock_folder_is_not_world_writable():
    from grading import limits
    assert limits.LOCKS.startswith("/run/") and not limits.LOCKS.startswith(("/run/lock", "/tmp"))
    if os.path.isdir(limits.LOCKS):
        st = os.lstat(limits.LOCKS)
        assert stat.S_ISDIR(st.st_mode) and st.st_uid == 0 and not st.st_mode & 0o022


# ---------------------------------------------------------------- the kernel's environment

def test_the_fork_servers_environment_is_the_kernels(tmp_path):
    """A forked kernel keeps its parent's environment block: the server gets nothing else."""
    from grading.worker import kernel_environment
    env = kernel_environment("/data")
    assert set(env) >= {"HOME", "PATH", "LANG"} and env["HOME"] == "/home/student"
    assert not {k for k in env if "PASS" in k or "SECRET" in k or k.startswith(("PG", "SUDO"))}
    code = ("import os, sys; sys.stdout.write(open('/proc/self/environ', 'rb').read()"
            ".decode().replace(chr(0), chr(10)))")
    shown = subprocess.run([sys.executable, "-c", code], env=kernel_environment("/data"),
                           capture_output=True, text=True, check=True).stdout
    assert sorted(shown.split()) == sorted(f"{k}={v}" for k, v in env.items())
