"""What `./kit hub` stops when the hub stops: the processes left in the hub's own mount
namespace, and never a process of another namespace that was given the same number.

A namespace's number goes to the next namespace made once the last process in it has
ended; grading makes a sandbox (a mount namespace) every second or so. The hub's namespace
is held open until its leftovers are stopped (tools/course/hub_processes.py), so that its
number cannot name a grading sandbox meanwhile: a sweep by number alone once killed a
kernel that was being graded beside a stopping hub.
"""
import os
import shutil
import subprocess
import time

import pytest

from tools.course.hub_processes import hold_mount_namespace, mount_namespace, sweep


def in_new_mount_namespace(*cmd):
    """A process running `cmd` in a mount namespace of its own, once it is there."""
    own = mount_namespace("self")
    proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private", *cmd])
    deadline = time.monotonic() + 10
    while mount_namespace(proc.pid) in (None, own):
        assert proc.poll() is None and time.monotonic() < deadline, "unshare did not start"
        time.sleep(0.01)
    return proc


@pytest.fixture
def processes():
    started = []
    yield started
    for proc in started:
        proc.kill()
        proc.wait()


def test_the_sweep_stops_the_hubs_leftovers_and_spares_a_namespace_made_after(processes):
    if os.geteuid() != 0 or not shutil.which("nsenter"):
        pytest.fail("run as root with util-linux's unshare and nsenter, as ./kit test does",
                    pytrace=False)
    hub = in_new_mount_namespace("sleep", "600")
    processes.append(hub)
    left = subprocess.Popen(["nsenter", f"--mount=/proc/{hub.pid}/ns/mnt", "sleep", "601"])
    processes.append(left)
    held = hold_mount_namespace(hub.pid)
    assert held is not None and held[1] == mount_namespace(hub.pid)
    try:
        while mount_namespace(left.pid) != held[1]:
            assert left.poll() is None
            time.sleep(0.01)
        hub.kill()
        hub.wait()  # the hub has stopped; what it left runs on in its namespace
        later = [in_new_mount_namespace("sleep", "602") for _ in range(5)]
        processes.extend(later)
        assert held[1] not in {mount_namespace(p.pid) for p in later}
        stopped = sweep(held[1], set())
    finally:
        os.close(held[0])
    assert [pid for pid, _, _ in stopped] == [left.pid]
    assert left.wait(timeout=10) == -15  # SIGTERM first: a sleep ends at once
    assert all(p.poll() is None for p in later), "a process of another namespace was stopped"


def test_a_namespace_that_is_gone_is_not_held():
    proc = subprocess.Popen(["true"])
    proc.wait()
    assert hold_mount_namespace(proc.pid) is None
