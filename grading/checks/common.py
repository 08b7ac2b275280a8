"""What every assignment's checks share: the judges' tools, and the generic checks.

The tools: numbers as short strings (`num`, `vec`), `fail` (the AssertionError a student
reads, from a message key), and the assertions a judge makes of a recorded value (its
shape, dtype, finiteness, closeness to a reference), each with a message that says what
is wrong and where. The generic checks (check_shape, check_dtype, check_finite,
check_probabilities, check_close) are for any test cell and a student's own use.
Message keys used here name no task ("shape", "finite", ...); an assignment's own keys
start with its check's name (messages.py).
"""
import numpy as onp

from grading.checks import convert
from grading.checks.judge import judge
from grading.checks.messages import say
from grading.checks.session import start

FLOAT32_LIKE = ("float32", "float16")


# ---------------------------------------------------------------- the judges' tools

def num(x):
    """A number as a short string: 1.7, 0.0001235, 1000."""
    return f"{float(x):.4g}"


def vec(v, n=6):
    """The first `n` entries of a 1-d array as a short string: [0.09, 0.2447, 0.6652]."""
    v = onp.asarray(v).ravel()
    items = ", ".join(num(x) for x in v[:n])
    return f"[{items}{', ...' if v.size > n else ''}]"


def fail(key, **fields):
    """Raise the AssertionError a student reads: the message `key` with its fields."""
    raise AssertionError(say(key, **fields))


def array_of(value, name="output"):
    """`value` as a NumPy array, or the AssertionError that says what it is instead."""
    if isinstance(value, onp.ndarray):
        return value
    if value is None:
        fail("none", name=name)
    if isinstance(value, dict) and "__too_large__" in value:
        fail("too_large", name=name, size=value["__too_large__"])
    got = value.get("__type__", "something else") if isinstance(value, dict) else type(value).__name__
    fail("not_array", name=name, got=got)


def shape_of(value, name="output"):
    """The shape of an array value, or of a recorded {"__shape__": ...}."""
    if isinstance(value, dict) and isinstance(value.get("__shape__"), list):
        return tuple(int(s) for s in value["__shape__"])
    return tuple(array_of(value, name).shape)


def assert_shape(value, expected, name="output", hint=""):
    """Assert that `value` has shape `expected`; the message shows both shapes and a likely cause."""
    got, expected = shape_of(value, name), tuple(expected)
    if got == expected:
        return
    why = ""
    if len(got) > 1 and got == expected[::-1]:
        why = say("shape.transpose")
    elif len(got) == 0:
        why = say("shape.scalar")
    elif len(got) == len(expected) - 1:
        why = say("shape.missing_axis")
    elif len(got) == len(expected) + 1:
        why = say("shape.extra_axis")
    raise AssertionError(say("shape", name=name, expected=expected, got=got, why=why)
                         + (say("hint", hint=hint) if hint else ""))


def assert_dtype(value, expected, name="output", hint=""):
    """Assert that array `value` has dtype `expected` (a name such as "float32")."""
    if isinstance(value, dict) and ("__dtype__" in value or "__type__" in value):
        got = value.get("__dtype__", value.get("__type__"))
    else:
        got = str(array_of(value, name).dtype)
    if got != str(expected):
        raise AssertionError(say("dtype", name=name, expected=expected, got=got)
                             + (say("hint", hint=hint) if hint else ""))


def assert_finite(value, name="output", context=""):
    """Assert that no entry is nan or inf; the message names the first bad one."""
    a = array_of(value, name)
    bad = ~onp.isfinite(a)
    if not bad.any():
        return
    where = tuple(int(i) for i in onp.argwhere(bad)[0])
    kind = "nan" if onp.isnan(a[where]) else "inf"
    at = (say("finite.cell", row=where[0], column=where[1]) if len(where) == 2 else
          say("finite.entry", entry=where[0]) if len(where) == 1 else "")
    fail("finite", kind=kind, name=name, context=f" {context}" if context else "", at=at)


def assert_probabilities(value, name="output", atol=1e-4):
    """Assert that each row is a probability distribution: non-negative, summing to 1."""
    P = array_of(value, name)
    if P.ndim != 2:
        fail("probabilities.ndim", name=name, shape=P.shape)
    assert_finite(P, name)
    if (P < -atol).any():
        i, j = (int(k) for k in onp.argwhere(P < -atol)[0])
        fail("probabilities.negative", row=i, column=j, value=num(P[i, j]))
    sums = P.astype(onp.float64).sum(axis=1)
    bad = onp.flatnonzero(onp.abs(sums - 1) > atol)
    if bad.size:
        fail("probabilities.sum", row=int(bad[0]), total=num(sums[int(bad[0])]))


def assert_close(value, expected, name="output", rtol=1e-5, atol=1e-6, reveal=True):
    """Assert that `value` equals array `expected` (same shape) within tolerances.

    reveal=False: the message shows what was got, never what was expected (the checks of
    tasks that ask for a derivation or a judgement give no answer away).
    """
    expected = onp.asarray(expected, dtype=onp.float64)
    assert_shape(value, expected.shape, name)
    got = array_of(value, name).astype(onp.float64)
    ok = onp.isclose(got, expected, rtol=rtol, atol=atol)
    if ok.all():
        return
    if expected.ndim == 0:
        if not reveal:
            fail("close.scalar.hidden", name=name, got=num(got))
        fail("close.scalar", name=name, got=num(got), expected=num(expected))
    i = int(onp.argwhere(~ok)[0][0])
    if expected.ndim > 1:
        if not reveal:
            fail("close.row.hidden", name=name, index=i, got=vec(got[i]))
        fail("close.row", name=name, index=i, got=vec(got[i]), expected=vec(expected[i].ravel()))
    if not reveal:
        fail("close.entry.hidden", name=name, index=i, got=num(got[i]))
    fail("close.entry", name=name, index=i, got=num(got[i]), expected=num(expected[i]))


def items_of(value, count, what):
    """`value` as a list of exactly `count` items, or the AssertionError that says how many came."""
    got = len(value) if isinstance(value, list) else type(value).__name__
    if got != count:
        fail("grading.short_record", what=what, got=got, want=count)
    return value


def number_of(value, what_key, **fields):
    """A recorded number (grading.checks.convert.number) as a float, or fail with `what_key`."""
    if isinstance(value, float):
        return value
    if isinstance(value, dict) and value.get("value") is not None and \
            tuple(value.get("__shape__", ())) in ((), (1,)):
        return float(value["value"])
    got = (f"an array of shape {tuple(value['__shape__'])}" if isinstance(value, dict)
           and "__shape__" in value else
           value.get("__type__", "something else") if isinstance(value, dict) else repr(value))
    fail(what_key, got=got, **fields)


def logits_context(params):
    """"for logits around 1000", or for a mixed batch "... in some rows and ... in others"."""
    offset = params["offset"]
    if params.get("mixed"):
        return say("logits_mixed", offset=f"{offset:g}", minus=f"{-offset:g}")
    return say("logits_around", offset=f"{offset:g}")


def call_name(function, params, args="X"):
    """How the check called the student's function: softmax(X) or softmax(X, axis=0)."""
    axis = params.get("axis")
    return f"{function}({args})" if axis is None else f"{function}({args}, axis={axis})"


def with_options(params, **optional):
    """`params` and those of `optional` that are set (neither None nor False): a check's
    parameters name only what a test cell chose, so that older calls record as before."""
    return dict(params, **{k: v for k, v in optional.items() if v is not None and v is not False})


# ---------------------------------------------------------------- the generic checks

def check_shape(a, expected, name="output", hint=""):
    """Assert that `a` has shape `expected`, e.g. (256, 10); the message shows both shapes.

    hint: a phrase added to the message, e.g. "one loss per example".
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("shape", {"expected": [int(s) for s in expected], "name": name, "hint": hint})
    run.finish({"a": convert.describe(a)})


@judge
def judge_shape(record, params, seed, ref):
    assert_shape(record["a"], params["expected"], params["name"], params["hint"])


def check_dtype(a, expected, name="output", hint=""):
    """Assert that array `a` has dtype `expected` (a name such as "float32"); hint as in check_shape."""
    __tracebackhide__ = True  # noqa: F841
    run = start("dtype", {"expected": str(expected), "name": name, "hint": hint})
    run.finish({"a": convert.describe(a)})


@judge
def judge_dtype(record, params, seed, ref):
    assert_dtype(record["a"], params["expected"], params["name"], params["hint"])


def check_finite(a, name="output", context=""):
    """Assert that array `a` holds no nan or inf; the message names the first bad entry.

    context: a phrase appended after `name`, e.g. "for logits around 1000".
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("finite", {"name": name, "context": context})
    run.finish({"a": convert.array(a)})


@judge
def judge_finite(record, params, seed, ref):
    assert_finite(record["a"], params["name"], params["context"])


def check_probabilities(P, name="output", atol=1e-4):
    """Assert that each row of P (batch, q) is a probability distribution: non-negative, summing to 1."""
    __tracebackhide__ = True  # noqa: F841
    run = start("probabilities", {"name": name, "atol": atol})
    run.finish({"P": convert.array(P)})


@judge
def judge_probabilities(record, params, seed, ref):
    assert_probabilities(record["P"], params["name"], params["atol"])


def check_close(got, expected, name="output", rtol=1e-5, atol=1e-6):
    """Assert that array `got` equals array `expected` (same shape) within tolerances.

    For a student's own use: the grader never grades with it, since `expected` would come
    from the student's kernel.
    """
    __tracebackhide__ = True  # noqa: F841
    run = start("close", {"name": name, "rtol": rtol, "atol": atol})
    run.finish({"got": convert.array(got), "expected": convert.array(expected)})


@judge(gradable=False)  # the expected array comes from the student's kernel
def judge_close(record, params, seed, ref):
    assert_close(record["got"], array_of(record["expected"], "expected"), params["name"],
                 params["rtol"], params["atol"])
