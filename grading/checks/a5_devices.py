"""Assignment 5, devices (course/source/a5_devices/): try_gpu on machines of 0, 1 and 3 GPUs,
a batch split over devices, the net's replicas, what trainer.step divides by.

How a check, its judge, its inputs and its reference answer work together:
grading/checks/__init__.py.
"""
import hashlib
import math

import numpy as onp

from grading.checks import convert, inputs
from grading.checks.common import (array_of, assert_close, assert_shape, fail, items_of, num,
                                   number_of, shape_of)
from grading.checks.judge import judge
from grading.checks.messages import say
from grading.checks.session import start


# ---------------------------------------------------------------- check_try_gpu

# What a function may ask to count the GPUs: MXNet's counters, each by its module and name.
GPU_COUNTERS = (("mxnet.context", "num_gpus"), ("mxnet.numpy_extension", "num_gpus"),
                ("mxnet.util", "get_gpu_count"), ("mxnet.test_utils", "list_gpus"))


FAKE_MACHINES = (0, 1, 3)   # GPUs on the machines try_gpu and try_all_gpus are run on


ASKED = (0, 1, 2, 3)         # the i of each try_gpu(i)


class FakeGPUs:
    """`with FakeGPUs(3, fn, ...)`: while inside, MXNet's GPU counters (GPU_COUNTERS) say 3,
    also where a function of `fns` holds one of them under a name of its own (a global).

    Creating mx.gpu(i) needs no GPU, so try_gpu and try_all_gpus can be run on a machine of
    any size, a machine without GPUs included: a function that never asks gets it wrong.
    """

    def __init__(self, count, *fns):
        self.count, self.fns, self.saved = count, fns, []

    def __enter__(self):
        import sys
        fakes = {}
        for module_name, name in GPU_COUNTERS:
            space = vars(sys.modules[module_name]) if module_name in sys.modules else {}
            if name in space:
                count = self.count
                fake = (lambda: list(range(count))) if name == "list_gpus" else (lambda: count)
                fakes[id(space[name])] = fake
                self.saved.append((space, name, space[name]))
                space[name] = fake
        for fn in self.fns:
            space = getattr(fn, "__globals__", None)
            if isinstance(space, dict):
                for name, value in list(space.items()):
                    if id(value) in fakes:
                        self.saved.append((space, name, value))
                        space[name] = fakes[id(value)]
        return self

    def __exit__(self, *exc):
        for space, name, value in reversed(self.saved):
            space[name] = value
        self.saved = []
        return False


def check_try_gpu(try_gpu, try_all_gpus):
    """Assert that try_gpu(i) gives gpu(i) if the machine has it, else cpu(), and try_all_gpus()
    every GPU, or [cpu()] if there is none: on machines with 0, 1 and 3 GPUs, made by
    answering MXNet's GPU count (npx.num_gpus()) for the time of the call."""
    __tracebackhide__ = True  # noqa: F841
    run = start("try_gpu", {})
    machines = []
    for count in FAKE_MACHINES:
        with FakeGPUs(count, try_gpu, try_all_gpus):
            got = run.call(try_all_gpus)
            asked = [[i, convert.device(run.call(try_gpu, i))] for i in ASKED]
            default = convert.device(run.call(try_gpu))
        listed = [convert.device(d) for d in got] if isinstance(got, (list, tuple)) else []
        machines.append({"gpus": count, "try_gpu": asked, "default": default,
                         "all": {"type": convert.type_name(got), "items": listed,
                                 "repr": convert.text(got)[1]}})
    run.finish({"machines": machines})


def _device_list(names):
    return "[" + ", ".join(names) + "]"


@judge
def judge_try_gpu(record, params, seed, ref):
    machines = items_of(record["machines"], len(FAKE_MACHINES), "try_gpu")
    for n, machine in zip(FAKE_MACHINES, machines):
        if machine["gpus"] != n:
            fail("grading.bad_record", why="try_gpu")
        there = say("try_gpu.gpus", n=n, s="s" if n != 1 else "")
        asked = [i for i, _ in items_of(machine["try_gpu"], len(ASKED), "try_gpu(i)")]
        if asked != list(ASKED):
            fail("grading.bad_record", why="try_gpu")
        for i, got in machine["try_gpu"]:
            want = f"gpu({i})" if i < n else "cpu(0)"
            if got != want:
                fail("try_gpu", i=i, there=there, want=want, got=got)
        if machine["default"] != ("gpu(0)" if n else "cpu(0)"):
            fail("try_gpu.default", there=there, want="gpu(0)" if n else "cpu(0)",
                 got=machine["default"])
        want = [f"gpu({i})" for i in range(n)] or ["cpu(0)"]
        got = machine["all"]
        if got["type"] != "list" or got["items"] != want:
            fail("try_gpu.all", n=n, want=_device_list(want), got=got["repr"])


# ---------------------------------------------------------------- check_split_batch

def small_batch(batch_size, seed):
    """A minibatch X (batch_size, 1, 28, 28) float32 and y (batch_size,) int32 to split."""
    r = inputs.rng(seed)
    x = r.normal(0, 1, size=(batch_size, 1, 28, 28)).astype("float32")
    return x, r.randint(0, 10, size=batch_size).astype("int32")


def check_split_batch(split_batch, devices=None, batch_size=256, seed=0):
    """Assert split_batch(X, y, devices) puts one shard of X (batch, 1, 28, 28) and y (batch,) on each device.

    Shards keep the order, cover the batch and differ in size by at most one.
    devices: default [cpu(0), cpu(1)], CPU contexts standing in for GPUs.
    """
    __tracebackhide__ = True  # noqa: F841
    import mxnet as mx
    devices = devices or [mx.cpu(0), mx.cpu(1)]
    run = start("split_batch", {"devices": [convert.device(d) for d in devices],
                                "batch_size": batch_size, "seed": seed})
    x, y = small_batch(batch_size, run.seed)
    result = run.call(split_batch, convert.mx_array(x), convert.mx_array(y), devices)
    record = {"type": convert.type_name(result), "len": None, "X": [], "y": []}
    if isinstance(result, tuple):
        record["len"] = len(result)
    if isinstance(result, tuple) and len(result) == 2:
        for name, shards in zip(("X", "y"), result):
            record[name] = [{"ctx": convert.device(getattr(s, "ctx", None)),
                             "data": convert.array(s)} for s in shards]
    run.finish(record)


def _length(value, name):
    shape = shape_of(value, name)
    return shape[0] if shape else 0


@judge
def judge_split_batch(record, params, seed, ref):
    devices, batch_size = params["devices"], params["batch_size"]
    x, y = small_batch(batch_size, seed)
    if record["type"] != "tuple" or record["len"] != 2:
        fail("split_batch.result", got=record["type"])
    for name, shards, full in (("X", record["X"], x), ("y", record["y"], y)):
        if not isinstance(shards, list) or len(shards) != len(devices):
            fail("split_batch.count", want=len(devices), name=name, got=len(shards))
        sizes = [_length(s["data"], say("split_batch.shard", name=name, k=k))
                 for k, s in enumerate(shards)]
        if sum(sizes) != batch_size or max(sizes) - min(sizes) > 1:
            fail("split_batch.sizes", name=name, sizes=sizes, batch_size=batch_size,
                 devices=len(devices))
        for k, (s, d) in enumerate(zip(shards, devices)):
            if s["ctx"] != d:
                fail("split_batch.device", name=name, k=k, got=s["ctx"], want=d)
            assert_shape(s["data"], (sizes[k],) + full.shape[1:], say("split_batch.shard", name=name, k=k))
        joined = onp.concatenate([array_of(s["data"]) for s in shards])
        assert_close(joined, full, say("split_batch.joined", name=name), atol=0)


# ---------------------------------------------------------------- check_replicas

def check_replicas(net, devices):
    """Assert that every parameter of net has one copy per device in `devices`, all copies equal."""
    __tracebackhide__ = True  # noqa: F841
    run = start("replicas", {"devices": [convert.device(d) for d in devices]})
    params = {name: {"ctx": [convert.device(c) for c in p.list_ctx()],
                     "copies": [convert.array(d) for d in p.list_data()]}
              for name, p in net.collect_params().items()}
    run.finish({"params": params})


@judge
def judge_replicas(record, params, seed, ref):
    devices = params["devices"]
    if not isinstance(record["params"], dict) or not any(
            str(k).endswith("weight") for k in record["params"]):
        fail("grading.short_record", what="net.collect_params()", want="a weight and a bias",
             got=len(record["params"]) if isinstance(record["params"], dict) else "none")
    for name, p in record["params"].items():
        if p["ctx"] != devices:
            fail("replicas.devices", name=name, got=_device_list(p["ctx"]),
                 want=_device_list(devices))
        items_of(p["copies"], len(devices), f"{name}: copies")
        copies = [array_of(c, name) for c in p["copies"]]
        for k, c in enumerate(copies[1:], 1):
            if c.shape != copies[0].shape or not onp.allclose(c, copies[0], atol=1e-6):
                fail("replicas.equal", name=name, other=p["ctx"][k], first=p["ctx"][0])


# ---------------------------------------------------------------- check_step_argument

def shard_sizes(seed):
    """Three lists of shard sizes, one per device, of batches split over 2, 3 and 4 devices."""
    r = inputs.rng(seed)
    out = []
    for k in (2, 3, 4):
        batch = int(r.randint(8 * k, 300))
        out.append([batch // k + (1 if i < batch % k else 0) for i in range(k)])
    return out


# The right answers for the shard sizes a notebook draws outside grading (seed 0, the
# visible test's; seed 1, the hidden test's, which the teacher's validation runs), as
# digests: the check tells a right answer from a wrong one without stating the rule, which
# is the task's (the grader judges with its own reference, grading/reference.py, on sizes
# drawn from a secret seed).
_RIGHT = {"[94, 94]": "e20b2fb2e707b9830a8a8d9afb8c5967907fbbc1515cec3b2591cb76d03a7fe4",
          "[24, 24, 23]": "bb94b3991b4a92fb0c01fa2f84e07a76b74bbc80d4575764c3d147eb2d776312",
          "[38, 37, 37, 37]":
              "c577167e4b3d24f0bb536f3aba54f8c76536bdf48909a3b9504d7fe8597dcc45",
          "[27, 26]": "d6939f61bd6678cebeb9a3cd8cde6bb129078eb2d202000749e289624b033e32",
          "[87, 86, 86]": "b3abe69902420809628fdcdc1a499e20452d2f3506d4086a9b91bd9bc8e7a4c3",
          "[26, 26, 26, 26]":
              "f090f07df8afd0baa6304645418fc42873f9a0727e6dae65bcd1cff13bf62275"}


def step_argument_is(sizes, value):
    """True if `value` is what trainer.step is given when a batch is split into shards of
    `sizes` (the sizes of seeds 0 and 1 only: False for others)."""
    digest = hashlib.sha256(f"step_argument {list(sizes)} {float(value)!r}".encode())
    return _RIGHT.get(str(list(sizes))) == digest.hexdigest()


def check_step_argument(step_argument, seed=0):
    """Assert step_argument(shard_sizes) is the number to pass to trainer.step when a batch
    is split into shards of those sizes, one per device."""
    __tracebackhide__ = True  # noqa: F841
    run = start("step_argument", {"seed": seed})
    calls = [run.call(step_argument, list(sizes)) for sizes in shard_sizes(run.seed)]
    run.finish({"values": [convert.number(v) for v in calls]})


@judge
def judge_step_argument(record, params, seed, ref):
    sizes_list = shard_sizes(seed)
    for sizes, value in zip(sizes_list, items_of(record["values"], len(sizes_list),
                                                 "step_argument")):
        got = number_of(value, "step_argument.number")
        if ref.step_argument_is(sizes, got):
            continue
        if any(math.isclose(got, s) for s in sizes):
            fail("step_argument.shard", sizes=sizes, got=num(got))
        if math.isclose(got, len(sizes)):
            fail("step_argument.devices", sizes=sizes, got=num(got))
        fail("step_argument.value", sizes=sizes, got=num(got))
