"""While a check runs a student's function: notice the library answers it calls.

The grader passes each test cell the names its task forbids (the task's answer cell
lists them; grading.forbidden adds the equivalent routes). `Trap` resolves them, in the
modules already loaded, to the functions they name (a module's functions, a class's
methods), and while it is active a profile hook, in this thread and in any thread started
meanwhile, notes every call of one of those made from code that is not a library's own
(the student's cells, a lambda, a string run by timeit: code is a library's when it is
a function of a loaded module, under the libraries' folders, run in that module's own
namespace), or made by a library that was handed the function (a wrapper such as
mxnet.util.use_np, a higher-order function). However the function was reached (an alias,
getattr with a built name, operator.attrgetter, sys.modules), calling it is seen. What a
library calls inside itself, by its own reference, is not: an allowed Gluon loss may use
`pick` inside. Nor are the callables the check itself hands the student's function.

It is evidence, not proof: code in the kernel can switch the hook off. The grader's
static scan lists every construct that could (sys, setprofile, ...) for the teacher.
"""
import os
import sys
import types

# Where a forbidden name is looked up. Not grading: the checks' own code (this package) is
# never what a task forbids.
LIBRARIES = ("mxnet", "numpy", "scipy", "sklearn", "d2l", "torch", "helpers")


def _prefixes():
    """Where the libraries' own code lives: the Pythons' folders, the kit's helpers/ and
    these checks (grading/checks/), whose calls are never the student's."""
    import helpers
    return tuple({sys.prefix + "/", sys.base_prefix + "/", helpers.__path__[0] + "/",
                  os.path.dirname(os.path.abspath(__file__)) + "/"})


def _modules():
    """The loaded library modules, public and short names first (npx before its _op module)."""
    found = [(name, module) for name, module in list(sys.modules.items())
             if isinstance(module, types.ModuleType) and name.split(".")[0] in LIBRARIES]
    found.sort(key=lambda item: (any(p.startswith("_") for p in item[0].split(".")),
                                 len(item[0]), item[0]))
    return found


def _codes_of(obj, depth=0):
    """The code objects and builtins `obj` stands for: a function, a class's methods, a module's functions."""
    if isinstance(obj, types.FunctionType):
        return {obj.__code__}, set()
    if isinstance(obj, (types.MethodType, staticmethod, classmethod)):
        return _codes_of(obj.__func__, depth)
    if isinstance(obj, property):
        return _codes_of(obj.fget, depth) if obj.fget else (set(), set())
    if isinstance(obj, (types.BuiltinFunctionType, types.WrapperDescriptorType,
                        types.MethodDescriptorType)):
        return set(), {id(obj)}
    codes, builtins = set(), set()
    if depth < 1 and isinstance(obj, type):
        for value in vars(obj).values():
            c, b = _codes_of(value, depth + 1)
            codes |= c
            builtins |= b
    elif depth < 1 and isinstance(obj, types.ModuleType):
        for value in vars(obj).values():
            if isinstance(value, (types.FunctionType, type)) and \
                    getattr(value, "__module__", "").startswith(obj.__name__):
                c, b = _codes_of(value, depth + 1)
                codes |= c
                builtins |= b
    elif callable(obj) and type(obj).__name__ == "ufunc":
        builtins.add(id(obj))
    return codes, builtins


_resolved = {}


def resolve(names):
    """{code object or id of a builtin: "module.name"} of everything `names` name in loaded libraries.

    Kept for as long as no module is loaded (a kernel's checks ask for the same names).
    """
    key = (tuple(sorted(set(names))), len(sys.modules))
    if key not in _resolved:
        _resolved.clear()
        _resolved[key] = _resolve(set(names))
    return _resolved[key]


def _resolve(names):
    found = {}
    for modname, module in _modules():
        space = vars(module)
        for name in sorted(names & set(space)):
            codes, builtins = _codes_of(space[name])
            for key in codes | builtins:
                found.setdefault(key, f"{modname}.{name}")
        for value in list(space.values()):  # methods: ndarray.attach_grad, Block.backward, ...
            if isinstance(value, type) and value.__module__ == modname:
                for name in sorted(names & set(vars(value))):
                    codes, builtins = _codes_of(vars(value)[name], depth=1)
                    for key in codes | builtins:
                        found.setdefault(key, f"{modname}.{value.__name__}.{name}")
    return found


class Trap:
    """`with Trap(names) as trap: fn(...)`; then `trap.hits`: the forbidden functions called."""

    def __init__(self, names, given=()):
        """names: the forbidden names; given: objects the check hands the student's code."""
        self.targets = dict(resolve(names))
        self.exclude(given)
        self.hits = []
        self.prefixes = _prefixes()
        self._previous = None
        self._active = False

    def exclude(self, given):
        """The check's own callables (a toy net, a loss) are the student's to use."""
        for obj in given:
            for key in set().union(*_codes_of(obj)):
                self.targets.pop(key, None)

    def _library(self, frame):
        """True if `frame` runs a library's own code (a module's function, in its namespace)."""
        if frame is None:
            return False
        name = frame.f_globals.get("__name__")
        module = sys.modules.get(name) if isinstance(name, str) else None
        if module is None or getattr(module, "__dict__", None) is not frame.f_globals:
            return False
        return (getattr(module, "__file__", None) or "").startswith(self.prefixes)

    @staticmethod
    def _handed(frame, key):
        """True if `frame`'s function was handed the function `key` stands for: one of its
        parameters or of the variables it closes over holds it (use_np's wrapper does)."""
        code = frame.f_code
        count = code.co_argcount + code.co_kwonlyargcount + \
            bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)  # *args, **kwargs
        names = set(code.co_varnames[:count]) | set(code.co_freevars)
        values = frame.f_locals
        candidates = []
        for name in names:
            value = values.get(name)
            candidates.append(value)
            held = getattr(value, "__dict__", None)  # what an object it was handed holds
            if isinstance(held, dict) and not isinstance(value, (type, types.ModuleType)):
                candidates += list(held.values())[:200]
        for value in candidates:
            items = value if isinstance(value, (tuple, list)) else \
                value.values() if isinstance(value, dict) else (value,)
            for item in list(items)[:200]:
                item = getattr(item, "func", item)  # functools.partial
                func = getattr(item, "__func__", item)
                if getattr(func, "__code__", None) is key or id(item) == key or id(func) == key:
                    return True
        return False

    def _note(self, key, caller):
        what = self.targets.get(key)
        if what is not None and what not in self.hits and caller is not None and \
                (not self._library(caller) or self._handed(caller, key)):
            self.hits.append(what)

    def _hook(self, frame, event, arg):
        if event == "call":
            if frame.f_code in self.targets:
                self._note(frame.f_code, frame.f_back)
        elif event == "c_call":
            key = id(arg) if id(arg) in self.targets else id(getattr(arg, "__self__", None))
            if key in self.targets:
                self._note(key, frame)

    def __enter__(self):
        import threading
        self._previous = (sys.getprofile(), threading.getprofile())
        if self.targets:
            sys.setprofile(self._hook)
            threading.setprofile(self._hook)
            self._active = True
        return self

    def __exit__(self, *exc):
        import threading
        if self._active and (sys.getprofile() != self._hook or
                             threading.getprofile() != self._hook):
            self.hits.append("sys.setprofile (the checks' witness was switched off)")
        self._active = False
        sys.setprofile(self._previous[0])
        threading.setprofile(self._previous[1])
        return False
