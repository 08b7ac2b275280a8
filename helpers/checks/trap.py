"""While a check runs a student's function: notice the library answers it calls.

The grader passes each test cell the names its task forbids (the task's answer cell
lists them; grading.scan adds the equivalent routes). `Trap` resolves them, in the
modules already loaded, to the functions they name (a module's functions, a class's
methods), and while it is active a profile hook notes every call of one of those made
from code that is not a library's own: the student's cells, a lambda, a string run by
timeit. However the function was reached (an alias, getattr with a built name,
operator.attrgetter, sys.modules), calling it is seen. What a library calls inside
itself is not: an allowed Gluon loss may use `pick` inside.

It is evidence, not proof: code in the kernel can switch the hook off. The grader's
static scan lists every construct that could (sys, setprofile, ...) for the teacher.
"""
import sys
import types

LIBRARIES = ("mxnet", "numpy", "scipy", "sklearn", "d2l", "torch", "helpers")
SKIP = ("helpers.checks",)   # the checks' own code is never what a task forbids


def _prefixes():
    """Where the libraries' own code lives: the Pythons' folders and the kit's helpers/."""
    import helpers
    return tuple({sys.prefix + "/", sys.base_prefix + "/", helpers.__path__[0] + "/"})


def _modules():
    """The loaded library modules, public and short names first (npx before its _op module)."""
    found = [(name, module) for name, module in list(sys.modules.items())
             if isinstance(module, types.ModuleType) and name.split(".")[0] in LIBRARIES
             and not name.startswith(SKIP)]
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

    def __init__(self, names):
        self.targets = resolve(names)
        self.hits = []
        self.prefixes = _prefixes()
        self._previous = None

    def _library(self, frame):
        name = frame.f_globals.get("__name__") if frame is not None else None
        if not isinstance(name, str) or name == "__main__":
            return False
        path = getattr(sys.modules.get(name), "__file__", None) or ""
        return path.startswith(self.prefixes)

    def _hook(self, frame, event, arg):
        if event == "call":
            what = self.targets.get(frame.f_code)
            if what is not None and not self._library(frame.f_back) and what not in self.hits:
                self.hits.append(what)
        elif event == "c_call":
            what = self.targets.get(id(arg)) or self.targets.get(id(getattr(arg, "__self__",
                                                                            None)))
            if what is not None and not self._library(frame) and what not in self.hits:
                self.hits.append(what)

    def __enter__(self):
        self._previous = sys.getprofile()
        if self.targets:
            sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc):
        sys.setprofile(self._previous)
        return False
