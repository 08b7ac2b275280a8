"""What counts as a library answer and what as tampering: the names the scan looks for.

grading/scan.py reads the student's code for these; a task's answer cell lists what it
forbids (its metadata "grading": {"forbid": [...]}), and expand() widens that list by the
library routes to the same answer (EQUIVALENTS). The checks' trap (grading/checks/trap.py)
catches the same names at run time.
"""

KIT_MODULES = {"helpers", "d2l", "grading", "nbgrader"}
PROTOCOL = "grading.checks"  # the checks: their check_* functions are the course's to call
TAMPER_NAMES = {"exec", "eval", "compile", "__import__", "globals", "locals", "vars",
                "breakpoint", "open", "input", "setattr", "delattr", "get_ipython",
                "__builtins__", "__builtin__", "memoryview"}
TAMPER_MODULES = {"os", "sys", "subprocess", "signal", "ctypes", "inspect", "importlib", "gc",
                  "threading", "_thread", "multiprocessing", "atexit", "pickle", "marshal",
                  "shutil", "socket", "resource", "pty", "builtins", "types", "code", "codeop",
                  "runpy", "pathlib", "io", "tempfile", "sqlite3", "asyncio", "concurrent",
                  "weakref", "faulthandler", "mmap", "fcntl", "select", "selectors",
                  "IPython", "ipykernel", "zmq", "jupyter_client", "tornado", "nbformat",
                  "unittest", "pytest", "dill", "cloudpickle", "copyreg", "traceback",
                  "linecache", "dis", "sysconfig", "site", "posix", "urllib", "http",
                  "requests", "codecs"}
DYNAMIC_MODULES = {"operator", "functools", "timeit", "pydoc", "logging", "cProfile", "pkgutil",
                   "profile", "trace", "doctest", "pdb", "bdb"}
DYNAMIC_NAMES = {"getattr", "setattr", "delattr", "hasattr", "__getattribute__"}
# Attributes that reach code by a string: an operator named by its name (Gluon's Lambda,
# a graph from JSON), an attribute path (string.Formatter's get_field, pkgutil's resolve_name).
BY_NAME = {"Lambda", "HybridLambda", "SymbolBlock", "load_json", "fromjson", "load",
           "get_field", "resolve_name", "import_module", "attrgetter", "methodcaller",
           "setprofile", "settrace"}
THROUGH = {"sys", "os", "builtins", "importlib", "subprocess", "ctypes", "inspect", "gc",
           "modules", "threading", "_thread", "multiprocessing", "concurrent",
           "asyncio"}  # attributes that reach a module's machinery: logging.sys.modules
TAMPER_DUNDERS = {"__globals__", "__code__", "__closure__", "__builtins__", "__dict__",
                  "__subclasses__", "__bases__", "__base__", "__mro__", "__class__",
                  "__getattribute__", "__setattr__", "__delattr__", "__import__",
                  "__loader__", "__spec__", "__self__", "__func__", "__wrapped__",
                  "__reduce__", "__reduce_ex__", "__defaults__", "__kwdefaults__",
                  "__module__", "__traceback__", "__frame__", "f_locals", "f_globals",
                  "f_back", "gi_frame", "tb_frame", "co_code"}

# Library routes to the same answer: forbidding one name of a family forbids them all.
_SOFTMAX = {"softmax", "softmin", "log_softmax", "masked_softmax", "masked_log_softmax",
            "Softmax", "SoftmaxActivation", "SoftmaxOutput", "softmax_cross_entropy",
            "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "KLDivLoss", "scaled_softmax",
            "stable_softmax", "logsumexp", "logaddexp", "special"}
_CROSS_ENTROPY = {"cross_entropy", "SoftmaxCrossEntropyLoss", "SoftmaxCELoss",
                  "softmax_cross_entropy", "log_loss", "nll", "nll_loss", "KLDivLoss",
                  "CrossEntropyLoss"}
_SGD = {"sgd", "SGD", "sgd_update", "sgd_mom_update", "mp_sgd_update", "mp_sgd_mom_update",
        "multi_sgd_update", "multi_sgd_mom_update", "Trainer", "optimizer"}
_GRADIENT = {"autograd", "backward", "attach_grad", "grad", "record", "mark_variables",
             "numerical_gradient", "check_gradient", "approx_fprime", "check_grad"}
EQUIVALENTS = {name: family for family in (_SOFTMAX, _CROSS_ENTROPY, _SGD, _GRADIENT)
               for name in family}
# Names that must never widen: too common to forbid beyond the task that lists them.
_NARROW = {"grad", "record", "special", "optimizer", "nll"}


def expand(forbid):
    """The names `forbid` lists, with the library routes equivalent to them."""
    out = set(forbid)
    for name in forbid:
        if name not in _NARROW:
            out |= EQUIVALENTS.get(name, set())
    return out
