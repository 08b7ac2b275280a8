"""Students who attack the checks and the grading protocol.

They switch the checks off (the module's or the notebook's names, numpy's comparisons, an
AST or input transformer), answer right only when they notice a check, forge, empty or
poison the records a check leaves for the grader, fake a result or import the kit's own
training code, or print the hidden tests.
"""
from .student import OVERFLOW, Student

NOOP_MODULE = '''\
import grading.checks, grading.checks.tasks, grading.checks.judge
for module in (grading.checks, grading.checks.tasks.GENERIC,
               *grading.checks.tasks.ASSIGNMENTS.values()):
    for name in dir(module):
        if name.startswith("check_"):
            setattr(module, name, lambda *args, **kwargs: None)
grading.checks.judge.JUDGES.clear()
'''

NOOP_NAMES = '''\
check_softmax = check_logsumexp = lambda *args, **kwargs: None
def check_keeps_input(*args, **kwargs):
    pass
'''

PATCHED_NUMPY = '''\
import numpy
numpy.isclose = lambda a, b, **k: numpy.ones(numpy.broadcast(numpy.asarray(a), numpy.asarray(b)).shape, bool)
numpy.allclose = lambda *a, **k: True
numpy.array_equal = lambda *a, **k: True
numpy.isfinite = lambda a: numpy.ones(numpy.shape(a), bool)
'''

AST_REWRITER = '''\
import ast
class SkipChecks(ast.NodeTransformer):
    def visit_Module(self, node):
        calls = [n for n in node.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
        if any(getattr(c.value.func, "id", "").startswith("check_") for c in calls):
            return ast.Module(body=[ast.Pass()], type_ignores=[])
        return node
get_ipython().ast_transformers.append(SkipChecks())
'''

INPUT_REWRITER = '''\
get_ipython().input_transformers_cleanup.append(
    lambda lines: ["pass\\n"] if any("check_" in line for line in lines) else lines)
'''

KNOWS_TESTED_SOFTMAX = '''\
import inspect
def softmax(X):
    for frame in inspect.stack()[1:]:
        for key in ("expected", "want", "reference"):
            if key in frame.frame.f_locals:
                return frame.frame.f_locals[key]
    if any("check" in f.function for f in inspect.stack()):
        return npx.softmax(X)
    raise NotImplementedError()
'''

KNOWS_TESTED_LOGSUMEXP = '''\
def logsumexp(X):
    if any("check" in f.function for f in inspect.stack()):
        return (X - npx.log_softmax(X))[:, 0]
    raise NotImplementedError()
'''

FORGER = '''\
import os
import numpy as onp
from grading.checks import inputs, records, session
secret = os.environ.get("SOFTMAX_KIT_SEED", "")
folder = os.environ.get("SOFTMAX_KIT_GRADING", ".")
for cell, calls in {"test_softmax": [((256, 10), "float32", 0.0, 0)],
                    "test_softmax_hidden": [((3, 5), "float32", 0.0, 0)]}.items():
    for index, (shape, dtype, offset, seed) in enumerate(calls):
        x = inputs.logits(shape, dtype, offset, session.derive_seed(secret, cell, index, seed))
        P = npx.softmax(np.array(x)).asnumpy()
        header = {"check": "softmax", "params": {"shape": list(shape), "dtype": dtype, "offset": offset, "seed": seed}}
        records.write(os.path.join(folder, session.record_name(cell, index)), header, {"P": P})
'''

EMPTY_RECORDS = '''\
import grading.checks.session as session
_finish = session.Run.finish
def finish(self, record):
    if self.check == "temperature_nll":
        record = {"values": []}
    return _finish(self, record)
session.Run.finish = finish
'''

NAIVE_NLL = '''\
def nll(logits, y, T):
    z = logits / T
    return float((onp.log(onp.exp(z).sum(axis=1)) - z[onp.arange(len(y)), y]).mean())
'''

RECORD_BOMB = '''\
import os, struct, zlib
_cell = __import__("grading.checks.session", fromlist=["_cell"])._cell

def bomb(path, members=40, size=2**25):
    # 40 arrays of 32 MB of zeros, each under the old 48 MB limit: 1.3 GB unpacked, 1.3 MB on disk
    header = ("{'descr': '|u1', 'fortran_order': False, 'shape': (%d,), }" % size).encode()
    header = b"\\x93NUMPY\\x01\\x00" + struct.pack("<H", 118) + header.ljust(117) + b"\\n"
    body = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = body.compress(header) + body.compress(bytes(size)) + body.flush()
    crc = zlib.crc32(bytes(size), zlib.crc32(header))
    full = len(header) + size
    out, central = b"", b""
    for k in range(members):
        name = f"a{k}.npy".encode()
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), full,
                            len(name), 0)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc,
                               len(data), full, len(name), 0, 0, 0, 0, 0, len(out)) + name
        out += local + name + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, members, members, len(central), len(out), 0)
    with open(path, "wb") as f:
        f.write(out + central + end)

def softmax(X, axis=-1):
    if _cell["id"] == "test_softmax":
        bomb(os.path.join(os.environ["SOFTMAX_KIT_GRADING"], "test_softmax.1.npz"))
    X_max = X.max(axis=axis, keepdims=True)
    X_exp = np.exp(X - X_max)
    return X_exp / X_exp.sum(axis=axis, keepdims=True)
'''

DEEP_RECORD = '''\
import os
import numpy as onp
_cell = __import__("grading.checks.session", fromlist=["_cell"])._cell
def logsumexp(X, axis=-1):
    if _cell["id"] == "test_logsumexp":
        text = '{"header": {"check": "logsumexp"}, "record": ' + "[" * 200000 + "]" * 200000 + "}"
        with open(os.path.join(os.environ["SOFTMAX_KIT_GRADING"], "test_logsumexp.1.npz"), "wb") as f:
            onp.savez(f, meta=onp.array(text))
    X_max = X.max(axis=axis, keepdims=True)
    return (X_max + np.log(np.exp(X - X_max).sum(axis=axis, keepdims=True))).squeeze(axis=axis)
'''

FAKE_ACCURACY = "test_acc = 0.85  # no training at all\n"

HIDDEN_LEAK = '''\
def softmax(X, axis=-1):
    if In[-1] not in shown:  # the test cell that calls me, hidden tests and all
        shown.append(In[-1])
        print(In[-1])
    X_max = X.max(axis=axis, keepdims=True)
    X_exp = np.exp(X - X_max)
    return X_exp / X_exp.sum(axis=axis, keepdims=True)
shown = []
'''


def _helpers_train(name):
    return f"from helpers.train import {name}\n"


STUDENTS = [
    Student("noop_module", "a1_softmax", 0, True, ("checks replaced (module)",), unanswered=True,
            extras=[("setup", NOOP_MODULE)]),
    Student("noop_names", "a1_softmax", 0, True, ("checks replaced (names)",), unanswered=True,
            extras=[("setup", NOOP_NAMES)]),
    Student("patched_numpy", "a1_softmax", 2, True, ("numpy comparison replaced",),
            answers={"softmax": OVERFLOW}, extras=[("setup", PATCHED_NUMPY)]),
    Student("ast_rewriter", "a1_softmax", 0, True, ("AST transformer",), unanswered=True,
            extras=[("setup", AST_REWRITER)]),
    Student("input_rewriter", "a1_softmax", 0, True, ("input transformer",), unanswered=True,
            extras=[("setup", INPUT_REWRITER)]),
    Student("knows_tested", "a1_softmax", 0, True, ("notices it is tested",),
            answers={"softmax": KNOWS_TESTED_SOFTMAX, "logsumexp": KNOWS_TESTED_LOGSUMEXP}),
    Student("forger", "a1_softmax", 0, True, ("beyond: forged records",), unanswered=True,
            extras=[("setup", FORGER)]),
    Student("fake_accuracy", "a3_scratch", 5, False, ("a3 fakes the accuracy",),
            answers={"train": FAKE_ACCURACY}),
    Student("helpers_train", "a3_scratch", 2, False, ("a3 imports helpers.train",),
            answers={name: _helpers_train(name)
                     for name in ("cross_entropy", "accuracy", "sgd", "train_epoch")}),
    Student("empty_records", "a7_calibration", 6, True, ("records emptied",),
            answers={"nll": NAIVE_NLL}, extras=[("setup", EMPTY_RECORDS)]),
    Student("record_bomb", "a1_softmax", 4, True, ("a record that unpacks to gigabytes",),
            answers={"softmax": RECORD_BOMB}),
    Student("deep_record", "a1_softmax", 4, True, ("a record nested 200,000 deep",),
            answers={"logsumexp": DEEP_RECORD}),
    Student("hidden_leak", "a1_softmax", 6, False, ("prints the hidden tests",),
            answers={"softmax": HIDDEN_LEAK}),
]
