"""A cell's text read as Python, without running it: IPython's magics, and the names each
top-level statement binds and reads (scope by scope: a function's own names stay its own).

grading/scan.py builds on these to follow what feeds a graded function.
"""
import ast
import threading

CODE_MAGICS = {"time", "timeit", "capture", "prun"}  # run their code: the scan reads it too
HARMLESS_MAGICS = {"matplotlib"}
MAX_MAGIC_CHARS = 20_000      # IPython's rewriting of a cell's magics is slow on large cells


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
