"""The checks of grading/checks/a5_devices.py: check_try_gpu, check_split_batch,
check_replicas, check_step_argument.

Each passes a right answer and names the fault of a wrong one, the mistake a student
makes, in the words a student reads (tests/test_checks.py: the generic checks, records,
grading mode and the two references).
"""
import pytest

import mxnet as mx
from mxnet import gluon, init, np, npx

from grading import checks
from helpers import devices as ref_devices


def test_check_try_gpu():
    real = npx.num_gpus()
    checks.check_try_gpu(ref_devices.try_gpu, ref_devices.try_all_gpus)
    with pytest.raises(AssertionError, match=r"try_all_gpus\(\) .* should be the list"):
        checks.check_try_gpu(ref_devices.try_gpu, lambda: tuple(ref_devices.try_all_gpus()))
    with pytest.raises(AssertionError, match=r"^try_gpu\(0\) on a machine with 0 GPUs "
                                             r"should be cpu\(0\), got gpu\(0\)$"):
        checks.check_try_gpu(lambda i=0: mx.gpu(i), ref_devices.try_all_gpus)
    with pytest.raises(AssertionError, match=r"^try_gpu\(0\) on a machine with 1 GPU "
                                             r"should be gpu\(0\), got cpu\(0\)$"):
        checks.check_try_gpu(lambda i=0: mx.cpu(), ref_devices.try_all_gpus)
    with pytest.raises(AssertionError, match=r"^try_all_gpus\(\) on a machine with 1 GPUs "
                                             r"should be the list \[gpu\(0\)\]"):
        checks.check_try_gpu(ref_devices.try_gpu, lambda: [mx.cpu()])
    cell = {"mx": mx}  # a notebook that imports the counter under a name of its own
    exec("from mxnet.context import num_gpus\n"
         "def by_import(i=0):\n"
         "    return mx.gpu(i) if num_gpus() > i else mx.cpu()\n", cell)
    checks.check_try_gpu(cell["by_import"], ref_devices.try_all_gpus)
    assert npx.num_gpus() == real and mx.context.num_gpus() == real  # nothing left patched


def split_batch(X, y, devices, even_split=False):
    return (gluon.utils.split_and_load(X, devices, even_split=even_split),
            gluon.utils.split_and_load(y, devices, even_split=even_split))


def test_check_split_batch():
    two = [mx.cpu(0), mx.cpu(1)]
    checks.check_split_batch(split_batch, two, batch_size=256)
    checks.check_split_batch(split_batch, two, batch_size=255)
    checks.check_split_batch(split_batch, [mx.cpu(0), mx.cpu(1), mx.cpu(2)], batch_size=10)
    checks.check_split_batch(split_batch, [mx.cpu(0)], batch_size=16)
    with pytest.raises(AssertionError, match=r"X shard 1 is on cpu\(0\), expected cpu\(1\)"):
        checks.check_split_batch(lambda X, y, d: split_batch(X, y, [d[0], d[0]]), two)
    with pytest.raises(AssertionError, match=r"X shards of sizes \[128\] for a batch of 256"):
        checks.check_split_batch(lambda X, y, d: split_batch(X[:128], y[:128], d[:1]), [two[0]])
    with pytest.raises(AssertionError, match="the X shards put back together"):
        checks.check_split_batch(lambda X, y, d: split_batch(X[::-1], y, d), two)
    with pytest.raises(AssertionError, match=r"expected 2 y shards, one per device, got 1"):
        checks.check_split_batch(lambda X, y, d: (split_batch(X, y, d)[0], [y]), two)


def test_check_replicas():
    two = [mx.cpu(0), mx.cpu(1)]
    net = gluon.nn.Dense(10)
    net.initialize(init.Normal(sigma=0.01), ctx=two)
    net(np.zeros((2, 784), ctx=two[0]))
    checks.check_replicas(net, two)
    single = gluon.nn.Dense(10)
    single.initialize(init.Normal(sigma=0.01))
    single(np.zeros((2, 784)))
    with pytest.raises(AssertionError, match=r"lives on \[cpu\(0\)\], expected one copy on "
                                             r"each of \[cpu\(0\), cpu\(1\)\]"):
        checks.check_replicas(single, two)
    net.weight.list_data()[1][:] += 1
    with pytest.raises(AssertionError, match=r"the copy on cpu\(1\) differs from the one"):
        checks.check_replicas(net, two)




def test_check_step_argument():
    checks.check_step_argument(sum)
    with pytest.raises(AssertionError, match=r"one shard's size: which gradient does the sum "
                                             r"of all the shards' gradients equal\?$"):
        checks.check_step_argument(lambda sizes: sizes[0])
    with pytest.raises(AssertionError, match=r"the number of devices"):
        checks.check_step_argument(lambda sizes: len(sizes))
    with pytest.raises(AssertionError, match=r"^step_argument\(\[\d+, \d+\]\) is 1: with it, "):
        checks.check_step_argument(lambda sizes: 1)
