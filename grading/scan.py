"""Read the student's code, as text, for answers it did not write and for tampering.

Runs in the grader on the notebook's source, never trusting the student's interpreter.
Two kinds of findings:

- delegation: an answer that uses the kit's own code (helpers, d2l) or a library
  function listed for its task (an answer cell's metadata "grading": {"forbid": [...]},
  e.g. npx.softmax for the softmax task); the tests of that answer earn nothing. Names
  carry it: `sm = npx.softmax` in any cell, then `sm(X)` in the answer, counts as well.
  In a cell the student added, a listed name costs every task that lists it, and the
  kit's modules (beyond what the course's cells import, and the check_* functions) cost
  every task: such a cell could compute answers behind the tests' back.
- tamper: code that reaches into the interpreter or the machine (exec, eval, getattr with
  a computed name, sys, os, inspect, ctypes, IPython's hooks, magics, dunder attributes,
  rebinding the course's names or patching a module's attributes). The grade does not
  depend on it (judging happens outside the kernel), but the teacher should look.
"""
import ast
from dataclasses import dataclass, field

KIT_MODULES = {"helpers", "d2l", "grading", "nbgrader"}
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
                  "requests"}
TAMPER_DUNDERS = {"__globals__", "__code__", "__closure__", "__builtins__", "__dict__",
                  "__subclasses__", "__bases__", "__base__", "__mro__", "__class__",
                  "__getattribute__", "__setattr__", "__delattr__", "__import__",
                  "__loader__", "__spec__", "__self__", "__func__", "__wrapped__",
                  "__reduce__", "__reduce_ex__", "__defaults__", "__kwdefaults__",
                  "__module__", "__traceback__", "__frame__", "f_locals", "f_globals",
                  "f_back", "gi_frame", "tb_frame", "co_code"}


@dataclass
class Finding:
    """One thing the scan found: where, what kind, and what."""

    cell: int        # index of the cell among the graded notebook's cells
    line: int
    kind: str        # "delegation" or "tamper"
    what: str
    task: str = None  # the answer cell's grade_id, for a delegation

    def text(self):
        """Where and what, for the teacher's summary."""
        return f"cell {self.cell + 1}, line {self.line}: {self.what}"


@dataclass
class ScanResult:
    """All the scan found in one notebook."""

    delegated: dict = field(default_factory=dict)   # answer grade_id -> [Finding]
    tampering: list = field(default_factory=list)   # [Finding]
    unparsable: list = field(default_factory=list)  # cell indices


def parse(text):
    """A cell's text as a Python AST; IPython's magics and shell escapes become get_ipython() calls."""
    try:
        return ast.parse(text)
    except SyntaxError:
        pass
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        text = TransformerManager().transform_cell(text)
    except Exception:  # noqa: BLE001 (ast.parse says what is wrong)
        pass
    return ast.parse(text)


def dotted(node):
    """'a.b.c' for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id] + parts[::-1])
    return None


def bound_names(stmt):
    """Names a top-level statement binds: assignment targets, def/class names, import aliases."""
    names = set()
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.add(stmt.name)
    elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
        for alias in stmt.names:
            names.add((alias.asname or alias.name).split(".")[0])
    for node in ast.walk(stmt) if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.ClassDef)) else ():
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
    return names


def used_names(stmt):
    """Names a statement reads."""
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


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


def direct_findings(stmt, cell, course, forbid, modules):
    """Findings of one statement: (delegations, tamperings).

    delegations: [(line, what, name)], name None for the kit's modules, else the forbidden
    library name; tamperings: [(line, what)].
    """
    delegations, tamperings = [], []
    for node in ast.walk(stmt):
        line = getattr(node, "lineno", 0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for mod in mods:
                top = mod.split(".")[0]
                if top in KIT_MODULES:
                    allowed = isinstance(node, ast.ImportFrom) and all(
                        ((mod, a.name) in course.imports or
                         (mod == "helpers.checks" and a.name.startswith("check_")))
                        and (a.asname or a.name) == a.name for a in node.names)
                    if not allowed:
                        names = ", ".join(a.name for a in node.names)
                        delegations.append((line, f"{names} from {mod}"
                                            if isinstance(node, ast.ImportFrom)
                                            else f"the module {mod}", None))
                if top in TAMPER_MODULES:
                    tamperings.append((line, f"imports {mod}"))
            if isinstance(node, ast.ImportFrom):
                for a in node.names:
                    if a.name in forbid:
                        delegations.append((line, f"{a.name} from {node.module}", a.name))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in KIT_MODULES and node.id not in course.modules:
                delegations.append((line, f"the module {node.id}", None))
            if node.id in TAMPER_NAMES:
                tamperings.append((line, f"uses {node.id}"))
        elif isinstance(node, ast.Attribute):
            chain = dotted(node)
            if node.attr in forbid:
                delegations.append((line, chain or node.attr, node.attr))
            if chain and chain.split(".")[0] in KIT_MODULES:
                delegations.append((line, chain, None))
            if node.attr in TAMPER_DUNDERS:
                tamperings.append((line, f"reaches into {node.attr}"))
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                root = chain.split(".")[0] if chain else None
                if root in modules:
                    tamperings.append((line, f"changes {chain}, which belongs to a library"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == "getattr" and len(node.args) >= 2:
            name = node.args[1]
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                tamperings.append((line, "uses getattr with a computed name"))
            elif name.value in forbid:
                delegations.append((line, f"{name.value} (through getattr)", name.value))
            elif name.value in TAMPER_DUNDERS:
                tamperings.append((line, f"reaches into {name.value}"))
    checks_import = isinstance(stmt, ast.ImportFrom) and stmt.module == "helpers.checks"
    for name in bound_names(stmt):
        if (name in course.kit_names or name.startswith("check_")) and not checks_import:
            tamperings.append((getattr(stmt, "lineno", 0), f"rebinds {name}, which the course "
                               "defines"))
        elif name in course.modules and not isinstance(stmt, (ast.Import, ast.ImportFrom)):
            tamperings.append((getattr(stmt, "lineno", 0), f"rebinds {name}, which the course "
                               "imports"))
    return delegations, tamperings


def scan(cells):
    """Scan the student's cells of a graded notebook (grading.notebook.assemble's cells)."""
    result = ScanResult()
    course = Course([c.source for c in cells if c.kind == "kit" and c.cell_type == "code"])
    statements = []  # (cell index, answer grade_id or None, stmt, forbid)
    trees = []
    for i, c in enumerate(cells):
        if c.kind == "kit" or c.cell_type != "code" or not c.source.strip():
            continue
        try:
            tree = parse(c.source)
        except (SyntaxError, ValueError, RecursionError):
            result.unparsable.append(i)
            continue
        trees.append((i, c, tree))
    student_modules = set()
    for _, _, tree in trees:
        for stmt in tree.body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                student_modules |= bound_names(stmt)
    modules = course.modules | student_modules
    tasks = [c.grade_id for c in cells if c.kind == "answer" and c.cell_type == "code"]
    forbidders = {}
    for c in cells:
        if c.kind == "answer":
            for name in c.forbid:
                forbidders.setdefault(name, []).append(c.grade_id)
    for i, c, tree in trees:
        forbid = set(c.forbid) if c.kind == "answer" else set(forbidders)
        for stmt in tree.body:
            statements.append((i, c.grade_id if c.kind == "answer" else None, stmt, forbid))
    taint, direct = {}, []
    for i, task, stmt, forbid in statements:
        delegations, tamperings = direct_findings(stmt, i, course, forbid, modules)
        result.tampering += [Finding(i, line, "tamper", what) for line, what in tamperings]
        direct.append([Finding(i, line, "delegation", what, task) for line, what, _ in delegations])
        if task is None:  # a cell the student added: the tasks that forbid it lose their points
            for line, what, name in delegations:
                for t in (tasks if name is None else forbidders.get(name, [])):
                    f = Finding(i, line, "delegation", what, t)
                    if f not in result.delegated.setdefault(t, []):
                        result.delegated[t].append(f)
    # Names bound to delegated code in the cells a student added carry it to wherever
    # they are used (to a fixpoint). An answer's own delegation stays with its task.
    changed = True
    while changed:
        changed = False
        for (i, task, stmt, _), found in zip(statements, direct):
            if task is not None:
                continue
            carried = list(found) + [f for n in used_names(stmt) for f in taint.get(n, [])]
            for name in bound_names(stmt) if carried else ():
                known = taint.setdefault(name, [])
                for f in carried:
                    if f not in known:
                        known.append(f)
                        changed = True
    answers = {}
    for i, task, stmt, _ in statements:
        if task is not None:
            answers.setdefault(task, set()).update(bound_names(stmt))
    answer_names = set().union(*answers.values()) if answers else set()
    for (i, task, stmt, _), found in zip(statements, direct):
        if task is None:
            continue
        # Another task's name (e.g. the training cell calling train_epoch) is graded there.
        carried = [Finding(f.cell, f.line, f.kind, f.what, task)
                   for n in used_names(stmt) - answer_names for f in taint.get(n, [])]
        for f in found + carried:
            if f not in result.delegated.setdefault(task, []):
                result.delegated[task].append(f)
    for task, names in answers.items():  # an answer's name rebound elsewhere to delegated code
        for name in names:
            for f in taint.get(name, []):
                f = Finding(f.cell, f.line, f.kind, f.what, task)
                if f not in result.delegated.setdefault(task, []):
                    result.delegated[task].append(f)
    result.delegated = {t: fs for t, fs in result.delegated.items() if fs}
    return result
