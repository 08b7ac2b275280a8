"""Read the student's code, as text, for answers it did not write and for tampering.

Runs in the grader on the notebook's source, never trusting the student's interpreter.
Three kinds of findings:

- delegation (costs the task its points): the graded function hands its work to the
  kit's own code (helpers, d2l) or to a library function its task forbids (the answer
  cell's metadata "grading": {"forbid": [...]}, widened by EQUIVALENTS: forbidding
  softmax also forbids softmin, log_softmax, the softmax losses, ...). Only code that
  feeds the graded function counts: the answer cell, every statement anywhere that binds
  a name it uses (an alias `sm = npx.softmax` in an added cell, a helper function), and
  so on to a fixpoint; and any statement that rebinds the answer's own name. An added
  cell that plots with d2l.plt, or compares the answer with npx.softmax, feeds nothing
  and costs nothing. The kit's code reached through another task's answer is graded
  there, not here; a forbidden name counts wherever it is reached.
- tamper (listed for the teacher): code that reaches into the interpreter, the machine
  or the grading protocol (exec, eval, sys, os, inspect, ctypes, IPython's hooks, magics,
  dunder attributes, helpers.checks' records, rebinding the course's names or patching a
  module's attributes).
- dynamic (listed for the teacher): what a reading of the text cannot follow: getattr
  and friends with a built name or under another name, operator, functools, timeit and
  other runners of code strings, a module reached through another (logging.sys).

What a static scan can prove is limited: Python can build any name at run time. The
grade therefore never rests on the scan alone: the checks also trap the forbidden
functions while they run the student's code (helpers.checks.trap), and everything the
scan cannot follow is listed, never silent. Judging happens outside the kernel, so
tampering cannot change a verdict, only the evidence, and the teacher is told.
"""
import ast
import threading
from dataclasses import dataclass, field

KIT_MODULES = {"helpers", "d2l", "grading", "nbgrader"}
PROTOCOL = "helpers.checks"  # the checks: their check_* functions are the course's to call
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
CODE_MAGICS = {"time", "timeit", "capture", "prun"}  # run their code: the scan reads it too
HARMLESS_MAGICS = {"matplotlib"}
MAX_CELL_CHARS = 200_000      # a code cell the scan reads (a homework's are a few hundred)
MAX_CODE_CHARS = 1_000_000    # all the student's code the scan reads
MAX_MAGIC_CHARS = 20_000      # IPython's rewriting of a cell's magics is slow on large cells
MAX_STATEMENTS = 5_000        # top-level statements the scan follows, in all
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


@dataclass(frozen=True)
class Finding:
    """One thing the scan found: where, what kind, and what."""

    cell: int        # index of the cell among the graded notebook's cells
    line: int
    kind: str        # "delegation", "tamper" or "dynamic"
    what: str
    task: str = None  # the answer cell's grade_id, for a delegation

    def text(self):
        """Where and what, for the teacher's summary."""
        where = f"cell {self.cell + 1}" + (f", line {self.line}" if self.line else "")
        return f"{where}: {self.what}"


@dataclass
class ScanResult:
    """All the scan found in one notebook."""

    delegated: dict = field(default_factory=dict)   # answer grade_id -> [Finding]
    tampering: list = field(default_factory=list)   # [Finding]
    dynamic: list = field(default_factory=list)     # [Finding]
    unparsable: list = field(default_factory=list)  # cell indices
    forbidden: dict = field(default_factory=dict)   # answer grade_id -> set of names
    unread: list = field(default_factory=list)      # [Finding]: code too large to read


def _magic(stmt):
    """(kind, name, code) of a statement that is one IPython magic, else None."""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and
            call.func.attr in ("run_cell_magic", "run_line_magic") and
            isinstance(call.func.value, ast.Call) and
            isinstance(call.func.value.func, ast.Name) and
            call.func.value.func.id == "get_ipython"):
        return None
    args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
            for a in call.args]
    if not args or args[0] is None:
        return None
    code = args[2] if call.func.attr == "run_cell_magic" and len(args) > 2 else \
        args[1] if len(args) > 1 else None
    return call.func.attr, args[0], code


_PARSING = threading.Lock()  # ast.parse in two threads at once can fail in CPython 3.11
# ("AST constructor recursion depth mismatch"): the worker slots scan one cell at a time.


def parse(text):
    """A cell's text as a Python AST (one thread at a time: see _PARSING).

    IPython's magics and shell escapes become get_ipython() calls, but the magics that run
    code of the cell's own (%%time, %timeit, %%capture, %prun) become that code, which is
    read like any other; %matplotlib goes.
    """
    with _PARSING:
        return _parse(text)


def _options_off(code):
    """A magic's code without its leading options (-n1 -r 3 -p3 -o -q ...): what parses."""
    words = code.split()
    for k in range(len(words) + 1):
        rest = " ".join(words[k:])
        if k and not words[k - 1].startswith("-") and not words[k - 1].isdigit():
            break
        try:
            ast.parse(rest)
            return rest
        except SyntaxError:
            continue
    return code


def _parse(text):
    try:
        return ast.parse(text)
    except SyntaxError:
        if len(text) > MAX_MAGIC_CHARS:
            raise
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        text = TransformerManager().transform_cell(text)
    except Exception:  # noqa: BLE001 (ast.parse says what is wrong)
        pass
    tree = ast.parse(text)
    body = []
    for stmt in tree.body:
        magic = _magic(stmt)
        if magic and magic[1] in HARMLESS_MAGICS:
            continue
        if magic and magic[1] in CODE_MAGICS and magic[2] is not None:
            codes = [_options_off(magic[2])] if magic[0] == "run_line_magic" else \
                [_options_off(stmt.value.args[1].value), magic[2]]  # %%timeit's setup line too
            for code in codes:
                inner = _parse(code)
                for node in ast.walk(inner):
                    if hasattr(node, "lineno"):
                        node.lineno += stmt.lineno
                body += inner.body
            continue
        body.append(stmt)
    tree.body = body
    return tree


def dotted(node):
    """'a.b.c' for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id] + parts[::-1])
    return None


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _walk_scope(node):
    """The nodes of `node`'s own scope: not inside a function, lambda, class or comprehension."""
    todo = list(ast.iter_child_nodes(node))
    while todo:
        child = todo.pop()
        yield child
        if not isinstance(child, _SCOPES):
            todo.extend(ast.iter_child_nodes(child))


def bound_names(stmt):
    """Names a top-level statement binds: assignment targets, def/class names, import aliases
    (names a comprehension, a lambda or a function binds stay theirs)."""
    names = set()
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.add(stmt.name)
        return names
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        for alias in stmt.names:
            names.add((alias.asname or alias.name).split(".")[0])
    for node in [stmt, *_walk_scope(stmt)]:
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _arguments(args):
    return {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs} | \
        {a.arg for a in (args.vararg, args.kwarg) if a}


def _free(node, bound=frozenset()):
    """Names `node` reads from outside: those no enclosing scope within it binds."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        outside = set()
        for d in getattr(node, "decorator_list", []) + node.args.defaults + \
                [d for d in node.args.kw_defaults if d is not None]:
            outside |= _free(d, bound)
        body = node.body if isinstance(node.body, list) else [node.body]
        declared = {n for b in body for x in [b, *_walk_scope(b)]
                    if isinstance(x, (ast.Global, ast.Nonlocal)) for n in x.names}
        local = _arguments(node.args) | {
            x.id for b in body for x in [b, *_walk_scope(b)]
            if isinstance(x, ast.Name) and isinstance(x.ctx, (ast.Store, ast.Del))} | {
            x.name for b in body for x in [b, *_walk_scope(b)]
            if isinstance(x, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        inner = (bound | local) - declared
        return outside | set().union(*(_free(b, inner) for b in body))
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        targets = {x.id for g in node.generators for x in ast.walk(g.target)
                   if isinstance(x, ast.Name)}
        inner = bound | targets
        out = _free(node.generators[0].iter, bound)
        parts = [g.iter for g in node.generators[1:]] + [i for g in node.generators
                                                          for i in g.ifs]
        parts += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        return out.union(*(_free(p, inner) for p in parts))
    if isinstance(node, ast.ClassDef):
        out = set()
        for d in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            out |= _free(d, bound)
        return out.union(*(_free(b, bound) for b in node.body))
    if isinstance(node, ast.Name):
        return {node.id} if isinstance(node.ctx, ast.Load) and node.id not in bound else set()
    return set().union(*(_free(c, bound) for c in ast.iter_child_nodes(node)))


def used_names(stmt):
    """Names a statement reads from the notebook's globals (a function's own names not)."""
    return _free(stmt)


class Course:
    """What the course's own cells define: the names a student's code must not rebind or patch."""

    def __init__(self, kit_sources):
        self.imports = set()      # (module, name) imported by the course's cells
        self.modules = set()      # names bound by an import in the course's cells
        self.kit_names = set()    # names the course binds from the kit, and the checks
        for text in kit_sources:
            try:
                tree = parse(text)
            except (SyntaxError, ValueError, RecursionError):
                continue
            for stmt in tree.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module:
                    for alias in stmt.names:
                        self.imports.add((stmt.module, alias.name))
                        if stmt.module.split(".")[0] in KIT_MODULES:
                            self.kit_names.add(alias.asname or alias.name)
                if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    self.modules |= bound_names(stmt)


def _call_of_check(node, course):
    """True for `from helpers.checks import check_x` (names as the course imports them)."""
    return isinstance(node, ast.ImportFrom) and node.module == PROTOCOL and all(
        a.name.startswith("check_") and (a.asname or a.name) == a.name for a in node.names)


def _root(node):
    """The name an attribute chain starts from: `a` of a.b, a().b, a[0].b; None if none."""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def direct_findings(stmt, course, forbid, modules, own=frozenset(), starred=None):
    """Findings of one statement: (delegations, tamperings, dynamics).

    delegations: [(line, what, name)], name None for the kit's modules, else the forbidden
    library name; tamperings and dynamics: [(line, what)]. `own`: names of the student's
    own classes and objects (their methods may be called softmax); `starred`: {name: module}
    of the names no statement of the student's binds, for a forbidden name used bare when
    the student imported a module's every name.
    """
    delegations, tamperings, dynamics = [], [], []
    call_funcs = {id(n.func) for n in ast.walk(stmt) if isinstance(n, ast.Call)}
    for node in ast.walk(stmt):
        line = getattr(node, "lineno", 0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for mod in mods:
                top = mod.split(".")[0]
                if mod == PROTOCOL or mod.startswith(PROTOCOL + "."):
                    if not _call_of_check(node, course):
                        tamperings.append((line, f"imports the grading protocol {mod}"))
                elif top in KIT_MODULES:
                    allowed = isinstance(node, ast.ImportFrom) and all(
                        (mod, a.name) in course.imports and (a.asname or a.name) == a.name
                        for a in node.names)
                    if not allowed:
                        names = ", ".join(a.name for a in node.names)
                        delegations.append((line, f"{names} from {mod}"
                                            if isinstance(node, ast.ImportFrom)
                                            else f"the module {mod}", None))
                if top in TAMPER_MODULES:
                    tamperings.append((line, f"imports {mod}"))
                if top in DYNAMIC_MODULES:
                    dynamics.append((line, f"imports {mod}"))
            if isinstance(node, ast.ImportFrom):
                for a in node.names:
                    if a.name == "*":
                        dynamics.append((line, f"imports every name of {node.module} (*)"))
                    if a.name in forbid:
                        delegations.append((line, f"{a.name} from {node.module}", a.name))
                    if a.name in DYNAMIC_NAMES | TAMPER_MODULES:
                        dynamics.append((line, f"imports {a.name} from {node.module}"))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and \
                node.id.startswith("__") and node.id.endswith("__"):
            tamperings.append((line, f"rebinds {node.id}"))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if starred and node.id in forbid and node.id in starred:
                delegations.append((line, f"{node.id} (from {starred[node.id]} import *)",
                                    node.id))
            if node.id in KIT_MODULES and node.id not in course.modules:
                delegations.append((line, f"the module {node.id}", None))
            if node.id in TAMPER_NAMES:
                tamperings.append((line, f"uses {node.id}"))
            if node.id in DYNAMIC_NAMES and id(node) not in call_funcs:
                dynamics.append((line, f"uses {node.id} under another name"))
        elif isinstance(node, ast.Attribute):
            chain = dotted(node)
            if node.attr in forbid and _root(node) not in own:
                delegations.append((line, chain or node.attr, node.attr))
            if node.attr in BY_NAME:
                dynamics.append((line, f"uses {chain or node.attr} (code named by a string)"))
            if chain and chain.split(".")[0] in KIT_MODULES:
                if chain.startswith(PROTOCOL + ".") and not chain.split(".")[2].startswith(
                        "check_"):
                    tamperings.append((line, f"reaches the grading protocol {chain}"))
                delegations.append((line, chain, None))
            if node.attr in TAMPER_DUNDERS:
                tamperings.append((line, f"reaches into {node.attr}"))
            if node.attr in THROUGH:
                dynamics.append((line, f"reaches {chain or node.attr} through another module"))
            if node.attr in DYNAMIC_NAMES:
                dynamics.append((line, f"uses {chain or node.attr}"))
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                root = chain.split(".")[0] if chain else None
                if root in modules:
                    tamperings.append((line, f"changes {chain}, which belongs to a library"))
        if isinstance(node, ast.Call) and forbid and not (
                isinstance(node.func, ast.Name) and node.func.id == "print"):
            for arg in list(node.args) + [k.value for k in node.keywords]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and \
                        arg.value in forbid:
                    delegations.append((line, f"{arg.value!r} (a library operator named by a "
                                              "string)", arg.value))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in DYNAMIC_NAMES and len(node.args) >= 2:
            name = node.args[1]
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                tamperings.append((line, f"uses {node.func.id} with a computed name"))
            elif name.value in forbid:
                delegations.append((line, f"{name.value} (through {node.func.id})", name.value))
            elif name.value in TAMPER_DUNDERS:
                tamperings.append((line, f"reaches into {name.value}"))
    checks_import = _call_of_check(stmt, course)
    for name in bound_names(stmt):
        if (name in course.kit_names or name.startswith("check_")) and not checks_import:
            tamperings.append((getattr(stmt, "lineno", 0), f"rebinds {name}, which the course "
                               "defines"))
        elif name in course.modules and not isinstance(stmt, (ast.Import, ast.ImportFrom)):
            tamperings.append((getattr(stmt, "lineno", 0), f"rebinds {name}, which the course "
                               "imports"))
    return delegations, tamperings, dynamics


def test_cells_of(cells):
    """{answer grade_id: index of the last test cell that tests it} (answers since the last test)."""
    out, pending, last = {}, [], []
    for i, c in enumerate(cells):
        if c.kind == "answer" and c.cell_type == "code":
            pending.append(c.grade_id)
        elif c.is_test:
            last = pending or last
            for task in last:
                out[task] = i
            pending = []
    return out


@dataclass
class _Statement:
    cell: int
    task: str            # the answer cell's grade_id, None for a cell the student added
    node: ast.stmt
    binds: set
    uses: set


def _reached(start, statements, binders, end):
    """Indices of the statements that feed the statements `start`, to a fixpoint; only
    statements in cells before `end` (the task's last test) feed anything."""
    seen, todo = set(start), list(start)
    while todo:
        k = todo.pop()
        for name in statements[k].uses:
            for j in binders.get(name, ()):
                if j not in seen and statements[j].cell < end:
                    seen.add(j)
                    todo.append(j)
    return seen


def scan(cells):
    """Scan the student's cells of a graded notebook (grading.notebook.assemble's cells)."""
    result = ScanResult()
    course = Course([c.source for c in cells if c.kind == "kit" and c.cell_type == "code"])
    statements, read = [], 0
    for i, c in enumerate(cells):
        if c.kind == "kit" or c.cell_type != "code" or not c.source.strip():
            continue
        if len(c.source) > MAX_CELL_CHARS or read + len(c.source) > MAX_CODE_CHARS or \
                len(statements) >= MAX_STATEMENTS:
            what = f"{len(c.source) / 1000:.0f} kB of code, too much to read"
            result.unread.append(Finding(i, 0, "delegation", what,
                                         c.grade_id if c.kind == "answer" else None))
            continue
        read += len(c.source)
        try:
            tree = parse(c.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError, SystemError):
            result.unparsable.append(i)
            continue
        task = c.grade_id if c.kind == "answer" else None
        for stmt in tree.body[:MAX_STATEMENTS]:
            statements.append(_Statement(i, task, stmt, bound_names(stmt), used_names(stmt)))
    modules = set(course.modules)
    for s in statements:
        if isinstance(s.node, (ast.Import, ast.ImportFrom)):
            modules |= s.binds
    binders, classes, bound = {}, set(), set()
    for k, s in enumerate(statements):
        for name in s.binds:
            binders.setdefault(name, []).append(k)
        if isinstance(s.node, ast.ClassDef):
            classes.add(s.node.name)
        bound |= s.binds - {"*"}
    # The student's own objects: names every binding of which is a class of the student's, or
    # an object made from one (their methods may be called softmax); `self` inside a class.
    own = set()
    for name, ks in binders.items():
        nodes = [statements[k].node for k in ks]
        if all(isinstance(n, ast.ClassDef) and n.name == name or
               isinstance(n, ast.Assign) and isinstance(n.value, ast.Call) and
               _root(n.value) in classes for n in nodes):
            own.add(name)
    starred = {}
    for s in statements:
        if isinstance(s.node, ast.ImportFrom) and any(a.name == "*" for a in s.node.names):
            starred[s.node.module or "?"] = True
    star_names = ({} if not starred else
                  {n: next(iter(starred)) for s in statements for n in s.uses
                   if n not in bound and n not in course.modules and n not in course.kit_names})
    for c in cells:
        if c.kind == "answer" and c.cell_type == "code":
            result.forbidden[c.grade_id] = expand(c.forbid)

    def own_in(stmt):
        return own | {"self", "cls"} if isinstance(stmt, ast.ClassDef) else own

    # Tampering and dynamic constructs, anywhere in the student's code.
    tampering, dynamic = {}, {}
    for s in statements:
        _, tamperings, dynamics = direct_findings(s.node, course, set(), modules, own_in(s.node))
        for line, what in tamperings:
            tampering.setdefault(Finding(s.cell, line, "tamper", what), None)
        for line, what in dynamics:
            dynamic.setdefault(Finding(s.cell, line, "dynamic", what), None)
    result.tampering, result.dynamic = list(tampering), list(dynamic)
    # Delegation: what feeds each graded function: the statements before its last test that
    # bind the names its tests use, what they use, and so on; and the answer cell's imports.
    tested_at, used_by_tests = test_cells_of(cells), _test_names(cells)
    for task, forbid in result.forbidden.items():
        end = tested_at.get(task, len(cells))
        graded = used_by_tests.get(task, set()) - course.kit_names
        binding = [k for k, s in enumerate(statements) if s.binds & graded and s.cell < end]
        start = min((statements[k].cell for k in binding if statements[k].task == task),
                    default=0)
        roots = {k for k in binding if statements[k].cell >= start}
        roots |= {k for k, s in enumerate(statements) if s.task == task and
                  isinstance(s.node, (ast.Import, ast.ImportFrom))}
        found = {}
        for k in sorted(_reached(roots, statements, binders, end)):
            s = statements[k]
            delegations, _, _ = direct_findings(s.node, course, forbid, modules, own_in(s.node),
                                                star_names)
            for line, what, name in delegations:
                if name is None and s.task not in (None, task):
                    continue  # the kit's code in another task's answer is graded there
                found.setdefault(Finding(s.cell, line, "delegation", what, task), None)
        # Code too large to read that ran before the task's last test may feed it.
        unread = [Finding(f.cell, 0, "delegation", f.what + " before this task's test", task)
                  for f in result.unread if f.cell < end]
        result.delegated[task] = unread + list(found)
    result.delegated = {t: fs for t, fs in result.delegated.items() if fs}
    return result


def _test_names(cells):
    """{answer grade_id: the names its test cells use} (the course's test cells, read as text)."""
    out, pending, last = {}, [], []
    for c in cells:
        if c.kind == "answer" and c.cell_type == "code":
            pending.append(c.grade_id)
        elif c.is_test:
            last = pending or last
            pending = []
            try:
                names = used_names(parse(c.source))
            except (SyntaxError, ValueError, RecursionError):
                names = set()
            for task in last:
                out.setdefault(task, set()).update(names)
    return out
