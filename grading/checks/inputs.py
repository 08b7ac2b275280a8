"""The inputs every assignment draws: a seeded NumPy RandomState and logits.

Each check's inputs are NumPy arrays drawn from a seed: the same seed gives the same
inputs in the student's kernel and in the grader, which draws them again instead of
trusting what a kernel says it received. When work is graded, every seed is drawn fresh,
so no answer can be looked up in advance. An assignment's own inputs sit in its module
(a1_softmax.py ... a8_tuning.py), beside the checks that use them.
"""
import numpy as onp


def rng(seed):
    """A NumPy RandomState for `seed` (any int; reduced to 32 bits)."""
    return onp.random.RandomState(int(seed) % 2**32)


def logits(shape, dtype, offset, seed, mixed=False, axis=-1):
    """Random logits of `shape` around `offset`, rounded to `dtype` as the student sees them.

    mixed: each row (each slice along `axis`) lies around +offset or -offset, both kinds in
    one batch: a softmax that subtracts the whole batch's maximum, not each row's, fails.
    """
    shape = tuple(shape)
    x = rng(seed).normal(0, 3, size=shape)
    return (x + row_offsets(shape, offset, seed, axis) if mixed else x + offset).astype(dtype)


def row_offsets(shape, offset, seed, axis=-1):
    """+offset or -offset for each row of an array of `shape` (each slice along `axis`),
    broadcastable to it; the first row +offset, the second -offset, the others at random."""
    rows = list(shape)
    rows[axis] = 1
    signs = rng(seed + 7).choice([-1.0, 1.0], size=rows).ravel()
    signs[:2] = [1.0, -1.0][:signs.size]
    return offset * signs.reshape(rows)


def logits_and_labels(shape, dtype, offset, seed, mixed=False):
    """Logits of `shape` (batch, q) around `offset` as `dtype` (mixed: as in `logits`), and
    labels (batch,) int32."""
    x = logits(shape, dtype, offset, seed, mixed)
    return x, rng(seed + 1).randint(0, shape[1], size=shape[0]).astype("int32")
