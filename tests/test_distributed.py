"""The ps-lite launcher (helpers/distributed.py), the roles' settings and plan
(helpers/dist_roles.py) and the worker program (helpers/dist_worker.py).

The first tests drive the launcher with small stand-in programs (no MXNet), so that a
dying role, a hung job and a clean one each take a second. The last ones run real MXNet
jobs on loopback: 1 scheduler, 1 server, 2 workers, each a process of its own.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as onp
import pytest

from helpers.dist_worker import shard_range
from helpers.dist_roles import LOOPBACK, listening_sockets, plan, plan_commands, role_env
from helpers.distributed import Job, JobFailed, free_port

MARKER = "kit-test-environment-marker-5b1f"  # an environment value no message may show
WORKER = [sys.executable, "-m", "helpers.dist_worker"]


def stand_in(source):
    """A role program that runs `source` (Python), which knows its role as ROLE."""
    return [sys.executable, "-c", "import os, sys, time\nROLE = os.environ['DMLC_ROLE']\n" + source]


def group_members(pgids):
    """Live processes (not zombies) whose process group is one of `pgids`: [(pid, pgid)]."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # state, ppid, pgrp, ...
        if fields[0] != "Z" and int(fields[2]) in pgids:
            found.append((int(entry), int(fields[2])))
    return found


@pytest.fixture
def marked_env():
    """The test's environment plus MARKER, to show that no error message prints it."""
    return dict(os.environ, KIT_TEST_MARKER=MARKER)


# ---------------------------------------------------------------------- pure functions

@pytest.mark.parametrize("n, k", [(60000, 2), (511, 2), (10, 3), (7, 7), (5, 8)])
def test_shards_cover_every_example_once_and_differ_by_at_most_one(n, k):
    ranges = [shard_range(n, k, rank) for rank in range(k)]
    assert ranges[0][0] == 0 and ranges[-1][1] == n
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:])), ranges
    sizes = [stop - start for start, stop in ranges]
    assert max(sizes) - min(sizes) <= 1, sizes
    with pytest.raises(ValueError, match="is not one of the"):
        shard_range(n, k, k)


def test_each_role_is_told_its_part_and_to_bind_loopback():
    env = role_env("server", (LOOPBACK, 9091), num_workers=2, num_servers=1, base={})
    assert env["DMLC_ROLE"] == "server"
    assert (env["DMLC_PS_ROOT_URI"], env["DMLC_PS_ROOT_PORT"]) == (LOOPBACK, "9091")
    assert (env["DMLC_NUM_WORKER"], env["DMLC_NUM_SERVER"]) == ("2", "1")
    assert env["DMLC_NODE_HOST"] == LOOPBACK and env["DMLC_INTERFACE"] == "lo"
    remote = role_env("worker", ("10.0.0.1", 9091), 2, 1, host="10.0.0.2", base={})
    assert remote["DMLC_NODE_HOST"] == "10.0.0.2" and "DMLC_INTERFACE" not in remote
    named = role_env("worker", ("localhost", 9091), 2, 1, host="localhost", base={})
    assert named["DMLC_INTERFACE"] == "lo"  # a name of the loopback address counts too


@pytest.mark.parametrize("kwargs, message", [
    ({"host": "0.0.0.0"}, "wildcard"),
    ({"host": "::"}, "wildcard"),
    ({"roles": ["worker"]}, "the scheduler runs elsewhere"),
    ({"roles": ["scheduler", "master"]}, "unknown role"),
    ({"roles": ["worker", "worker", "worker"]}, "exceed"),
    ({"num_workers": 0}, "at least one worker"),
    ({"timeout": 0}, "timeout must be"),
])
def test_bad_settings_are_refused_before_anything_starts(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Job(WORKER, **kwargs)


def test_a_command_given_as_one_string_is_refused():
    with pytest.raises(ValueError, match="list of arguments"):
        Job("python -m helpers.dist_worker")


def test_the_plan_puts_the_scheduler_on_the_first_host_and_deals_out_the_rest():
    assert plan(["A", "B"], num_workers=2, num_servers=1, port=9091) == [
        ("A", ["scheduler", "server", "worker"]), ("B", ["worker"])]
    assert plan(["A", "B", "C"], 4, 2, 9091) == [
        ("A", ["scheduler", "server", "worker", "worker"]),
        ("B", ["server", "worker"]), ("C", ["worker"])]
    lines = dict(plan_commands(["10.0.0.1", "10.0.0.2"], 2, 1, 9091, ["python", "w.py"]))
    assert "--scheduler 10.0.0.1:9091" in lines["10.0.0.2"]
    assert "--host 10.0.0.2" in lines["10.0.0.2"] and "--roles worker --" in lines["10.0.0.2"]
    with pytest.raises(ValueError, match="repeat"):
        plan(["A", "A"], 2, 1, 9091)
    with pytest.raises(ValueError, match="not a TCP port"):
        plan(["A"], 2, 1, 0)


# ---------------------------------------------------------------------- the launcher

def test_a_dead_role_stops_every_other_and_is_named(marked_env):
    # The workers fail; the scheduler and server wait, each with a child of its own.
    source = ("if ROLE == 'worker':\n"
              "    print('computing a step', flush=True); time.sleep(0.5); sys.exit(3)\n"
              "import subprocess\n"
              "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
              "time.sleep(120)\n")
    lines = []
    job = Job(stand_in(source), env=marked_env, timeout=60, echo=lines.append)
    tic = time.monotonic()
    with pytest.raises(JobFailed) as failure:
        job.wait()
    assert time.monotonic() - tic < 15
    error = failure.value
    assert error.role.startswith("worker ") and error.returncode == 3
    assert f"{error.role} (pid " in str(error) and "exited with code 3" in str(error)
    assert "computing a step" in str(error)  # its last lines
    assert "stopped the others" in str(error) and "scheduler" in str(error)
    assert MARKER not in str(error) and not any(MARKER in line for line in lines)
    assert group_members(set(job.pids.values())) == [], "processes of the job remain"


def test_the_time_limit_stops_a_job_that_hangs():
    job = Job(stand_in("time.sleep(120)\n"), timeout=1.5, echo=None)
    tic = time.monotonic()
    with pytest.raises(JobFailed, match="time limit reached") as failure:
        job.wait()
    assert time.monotonic() - tic < 10
    assert "stopped scheduler, server 0, worker 0, worker 1" in str(failure.value)
    assert group_members(set(job.pids.values())) == []


def test_a_clean_job_returns_each_roles_output_with_its_name():
    lines = []
    result = Job(stand_in("print('I am the', ROLE, os.environ['DMLC_NODE_HOST'])\n"),
                 timeout=60, echo=lines.append).wait()
    assert result.returncodes == {"scheduler": 0, "server 0": 0, "worker 0": 0, "worker 1": 0}
    assert result.lines["worker 1"] == [f"I am the worker {LOOPBACK}"]
    assert f"[server 0] I am the server {LOOPBACK}" in lines


def test_the_command_line_reports_a_failure_without_the_environment(marked_env):
    source = "sys.exit(5 if ROLE == 'worker' else 0)\n"
    r = subprocess.run([sys.executable, "-m", "helpers.distributed", "-n", "1", "-s", "1",
                        "--timeout", "60", "--", *stand_in(source)],
                       env=marked_env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "error: worker 0 (pid" in r.stderr and "exited with code 5" in r.stderr
    assert MARKER not in r.stdout + r.stderr


def test_the_worker_program_outside_a_job_says_how_to_start_one():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DMLC_")}
    r = subprocess.run(WORKER, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "runs inside a ps-lite job" in r.stderr, r.stderr
    assert "python -m helpers.distributed -n 2 -s 1 --" in r.stderr


def test_the_socket_check_sees_a_non_loopback_listener():
    # The check used below must be able to fail: a process listening on every address.
    listener = subprocess.Popen(
        [sys.executable, "-c", "import socket, time\ns = socket.socket()\n"
         "s.bind(('0.0.0.0', 0)); s.listen(); print(s.getsockname()[1], flush=True)\n"
         "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(listener.stdout.readline())
        assert listening_sockets([listener.pid]) == [(listener.pid, "0.0.0.0", port)]
    finally:
        listener.kill()
        listener.wait()


# ---------------------------------------------------------------------- real MXNet jobs

def load_weights(folder):
    """rank -> (weight (10, 784), bias (10,)) that each worker trained to."""
    found = {}
    for path in sorted(Path(folder).glob("worker-*.npz")):
        with onp.load(path) as f:
            found[int(path.stem.split("-")[1])] = (f["weight"], f["bias"])
    return found


def test_a_real_job_listens_on_loopback_only_and_its_workers_agree(tmp_path):
    seen = set()

    def watch(line):  # every line: which addresses the job's processes listen on now
        seen.update(listening_sockets(job.pids.values()))

    job = Job(WORKER + ["--epochs", "1", "--num-examples", "12800", "--out", str(tmp_path)],
              timeout=120, echo=watch)
    job.wait()
    ports = {port for _, _, port in seen}
    assert job.scheduler[1] in ports, f"the scheduler's port is not among {seen}"
    assert {pid for pid, _, _ in seen} == set(job.pids.values()), seen  # all four listen
    assert {address for _, address, _ in seen} == {LOOPBACK}, seen
    weights = load_weights(tmp_path)
    assert sorted(weights) == [0, 1]
    for a, b in zip(weights[0], weights[1]):
        assert onp.array_equal(a, b), "dist_sync workers ended with different weights"
    result = json.loads((tmp_path / "worker-0.json").read_text())
    assert result["steps_per_epoch"] == 12800 // 2 // 128 and result["test_acc"] > 0.6


# A network namespace with a second interface, as on a machine on a LAN: without the
# launcher's settings ps-lite binds to that interface's address.
NAMESPACE = """set -e
ip link set lo up
ip link add kit0 type veth peer name kit1
ip addr add 10.99.0.1/24 dev kit0
ip link set kit0 up
ip link set kit1 up
exec "$@"
"""
IN_NAMESPACE = """
import json, os, subprocess, sys, time
from helpers.dist_roles import LOOPBACK, listening_sockets
from helpers.distributed import Job, free_port
seen = set()
job = Job([sys.executable, "-m", "helpers.dist_worker", "--epochs", "1",
           "--num-examples", "2560"], timeout=120,
          echo=lambda line: seen.update(listening_sockets(job.pids.values())))
job.wait()
# The same roles started by hand, without DMLC_NODE_HOST and DMLC_INTERFACE.
env = {k: v for k, v in os.environ.items() if k not in ("DMLC_NODE_HOST", "DMLC_INTERFACE")}
env.update(DMLC_PS_ROOT_URI=LOOPBACK, DMLC_PS_ROOT_PORT=str(free_port()),
           DMLC_NUM_WORKER="1", DMLC_NUM_SERVER="1")
server = None
roles = [subprocess.Popen([sys.executable, "-c", "import mxnet"], env=dict(env, DMLC_ROLE=r))
         for r in ("scheduler", "server")]
try:
    for _ in range(300):
        bare = listening_sockets([roles[1].pid])
        if bare:
            break
        time.sleep(0.1)
finally:
    for p in roles:
        p.kill()
        p.wait()
print(json.dumps({"job": sorted(seen), "bare": bare}))
"""


def test_on_a_machine_with_a_lan_address_the_job_still_listens_on_loopback_only(tmp_path):
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    probe = subprocess.run(unshare + ["sh", "-c", NAMESPACE, "sh", "true"],
                           capture_output=True, text=True)
    if probe.returncode:
        pytest.skip("cannot make a network namespace with a veth pair here "
                    f"({probe.stderr.strip()}); the test above checks this machine's own")
    r = subprocess.run(unshare + ["sh", "-c", NAMESPACE, "sh", sys.executable, "-c",
                                  IN_NAMESPACE], capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    found = json.loads(r.stdout.strip().splitlines()[-1])
    assert {address for _, address, _ in found["bare"]} == {"10.99.0.1"}, found  # the hazard
    assert len({pid for pid, _, _ in found["job"]}) == 4, found
    assert {address for _, address, _ in found["job"]} == {LOOPBACK}, found


def test_a_worker_killed_mid_training_stops_the_job(tmp_path):
    killed = {}

    def kill_once_training(line):
        if "epoch 1:" in line and not killed:  # a worker finished an epoch: mid-training
            label = line[1:line.index("]")]
            os.kill(job.pids[label], signal.SIGKILL)
            killed.update(label=label, at=time.monotonic())

    # 200 epochs of 50 steps: a worker is still training long after its first epoch, which
    # comes sooner than one over its whole shard of the 60,000
    job = Job(WORKER + ["--epochs", "200", "--num-examples", "12800"], timeout=300,
              echo=kill_once_training)
    with pytest.raises(JobFailed) as failure:
        job.wait()
    assert killed, "no worker reached its first epoch"
    assert time.monotonic() - killed["at"] < 15, "the launcher took too long to stop"
    assert failure.value.role == killed["label"]
    assert f"{killed['label']} (pid {job.pids[killed['label']]}) was killed by signal " \
           "SIGKILL" in str(failure.value)
    assert group_members(set(job.pids.values())) == [], "processes of the job remain"


def test_unequal_shards_are_refused_instead_of_hanging():
    # 511 examples: shards of 256 and 255, i.e. 2 and 1 steps of 128 per epoch.
    job = Job(WORKER + ["--num-examples", "511"], timeout=120, echo=None)
    tic = time.monotonic()
    with pytest.raises(JobFailed) as failure:
        job.wait()
    message = str(failure.value)
    assert failure.value.role.startswith("worker") and failure.value.returncode == 1, message
    assert "unequal shards: the workers would take [2, 1] steps per epoch" in message
    assert time.monotonic() - tic < 100
    assert group_members(set(job.pids.values())) == []


def test_the_plan_for_two_machines_runs_as_one_job(tmp_path):
    # Two "machines" on loopback: 127.0.0.1 and 127.0.0.2 (Linux routes all of 127/8 to lo).
    commands = plan_commands(["127.0.0.1", "127.0.0.2"], 2, 1, free_port(),
                             WORKER + ["--epochs", "1", "--num-examples", "12800",
                                       "--out", str(tmp_path)], timeout=120,
                             python=sys.executable)
    launchers = [subprocess.Popen(line, shell=True, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
                 for _, line in commands]
    outputs = [p.communicate(timeout=180)[0] for p in launchers]
    assert [p.returncode for p in launchers] == [0, 0], outputs
    assert "starting scheduler, server, worker" in outputs[0]
    assert "starting worker" in outputs[1]
    weights = load_weights(tmp_path)
    assert sorted(weights) == [0, 1]
    assert all(onp.array_equal(a, b) for a, b in zip(weights[0], weights[1]))
