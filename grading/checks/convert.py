"""Turn what a student's code returned into plain data, and plain inputs into MXNet arrays.

These run in the student's kernel. They never raise on strange values: an object that is
not an array becomes a short description ({"__type__": name}), which the judge reports.
"""
import numpy as onp

MAX_VALUES = 12_000_000


def type_name(value):
    """The name of value's type, e.g. 'tuple' or 'ndarray'."""
    return type(value).__name__


def array(value):
    """A NumPy copy of `value` (an mxnet.np array, NumPy array, number or nested list).

    None stays None; anything else becomes {"__type__": its type name}.
    """
    if value is None:
        return None
    try:
        if hasattr(value, "asnumpy"):
            out = value.asnumpy()
        else:
            out = onp.array(value)
    except Exception:  # noqa: BLE001 (whatever the student's object raises)
        return {"__type__": type_name(value)}
    if not isinstance(out, onp.ndarray) or out.dtype.kind not in "biuf":
        return {"__type__": type_name(value)}
    if out.size > MAX_VALUES:
        return {"__too_large__": int(out.size)}
    return out


def describe(value):
    """An array's shape and dtype as {"__shape__": [...], "__dtype__": name}; None stays None.

    For a value without a shape (a number, a list): its NumPy shape and {"__type__": name}.
    """
    if value is None:
        return None
    shape = getattr(value, "shape", None)
    if shape is not None:
        try:
            return {"__shape__": [int(s) for s in shape],
                    "__dtype__": str(getattr(value, "dtype", type_name(value)))}
        except Exception:  # noqa: BLE001
            pass
    try:
        return {"__shape__": list(onp.shape(value)), "__type__": type_name(value)}
    except Exception:  # noqa: BLE001
        return {"__type__": type_name(value)}


def number(value):
    """A Python number as a float; an array as {"__shape__": shape, "value": its one value or None};
    None stays None; anything else {"__type__": name}."""
    if value is None:
        return None
    if isinstance(value, (bool, onp.bool_)):
        return {"__type__": type_name(value)}
    if isinstance(value, (int, float, onp.integer, onp.floating)):
        return float(value)
    if hasattr(value, "shape"):
        a = array(value)
        if isinstance(a, onp.ndarray):
            return {"__shape__": list(a.shape),
                    "value": float(a.ravel()[0]) if a.size == 1 else None}
    return {"__type__": type_name(value)}


def text(value, limit=200):
    """[type name, text]: the value itself for a string, else its repr, cut at `limit`."""
    if isinstance(value, str):
        return ["str", value[:limit]]
    try:
        shown = repr(value)
    except Exception:  # noqa: BLE001
        shown = f"<{type_name(value)}>"
    return [type_name(value), shown[:limit]]


def device(ctx):
    """A device as text, e.g. 'cpu(0)' or 'gpu(1)'."""
    try:
        return f"{ctx.device_type}({int(ctx.device_id)})"
    except Exception:  # noqa: BLE001
        return text(ctx)[1]


def devices_from(names):
    """MXNet contexts from their names, e.g. ['cpu(0)', 'cpu(1)']."""
    import mxnet as mx
    out = []
    for name in names:
        kind, _, rest = name.partition("(")
        out.append(mx.Context(kind, int(rest.rstrip(")") or 0)))
    return out


def mx_array(x, dtype=None, ctx=None):
    """An mxnet.np array holding NumPy array `x` (its dtype unless `dtype`)."""
    from mxnet import np
    return np.array(x, dtype=dtype or x.dtype, ctx=ctx)
