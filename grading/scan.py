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
  dunder attributes, grading.checks' records, rebinding the course's names or patching a
  module's attributes).
- dynamic (listed for the teacher): what a reading of the text cannot follow: getattr
  and friends with a built name or under another name, operator, functools, timeit and
  other runners of code strings, a module reached through another (logging.sys).

What a static scan can prove is limited: Python can build any name at run time. The
grade therefore never rests on the scan alone: the checks also trap the forbidden
functions while they run the student's code (grading.checks.trap), and everything the
scan cannot follow is listed, never silent. Judging happens outside the kernel, so
tampering cannot change a verdict, only the evidence, and the teacher is told.
"""
import ast
from dataclasses import dataclass, field

from grading.forbidden import (BY_NAME, DYNAMIC_MODULES, DYNAMIC_NAMES, KIT_MODULES, PROTOCOL,
                               TAMPER_DUNDERS, TAMPER_MODULES, TAMPER_NAMES, THROUGH, expand)
from grading.pycode import bound_names, dotted, parse, used_names

MAX_CELL_CHARS = 200_000      # a code cell the scan reads (a homework's are a few hundred)
MAX_CODE_CHARS = 1_000_000    # all the student's code the scan reads
MAX_STATEMENTS = 5_000        # top-level statements the scan follows, in all


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
    """True for `from grading.checks import check_x` (names as the course imports them)."""
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
