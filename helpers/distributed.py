"""The ps-lite launcher: start a job's roles on this machine and watch them (notebook 09_distributed).

A distributed MXNet job is one scheduler, some servers and some workers, each a process
running the same command, told its role by ``DMLC_*`` variables (helpers/dist_roles.py
sets them and plans a job across machines). ``import mxnet`` in a scheduler or server
process runs that role (MXNet's own ps-lite) and exits; the workers run the training script.

MXNet ships ``tools/launch.py`` for this. The launcher here does the same job for one
machine, and for one machine's share of a job that spans several, with what that script
lacks: it binds every role to loopback unless told otherwise, streams each role's output
with its name, enforces a time limit, and when a role dies it stops all the others (each
role runs in a process group of its own) and says which one died and why, without
printing the environment.

    python -m helpers.distributed -n 2 -s 1 -- python -m helpers.dist_worker --epochs 3

Several machines: ``--hosts A,B --port P --print-plan`` prints the command to run on each.
ps-lite traffic is neither authenticated nor encrypted.
Importing this module starts nothing and does not import MXNet.
"""
import argparse
import atexit
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from helpers.dist_roles import (LOOPBACK, ROLES, SECURITY_WARNING, check_address, is_loopback,
                                plan_commands, role_env)

_RUNNING = set()  # jobs started and not yet stopped, stopped at exit whatever happens


class JobFailed(RuntimeError):
    """A role of a distributed job died or the job ran out of time; all its roles are stopped."""

    def __init__(self, message, role=None, returncode=None):
        super().__init__(message)
        self.role, self.returncode = role, returncode


def free_port(host=LOOPBACK):
    """A TCP port that is free on `host` right now, chosen by the operating system."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]



def _describe_exit(returncode):
    if returncode < 0:
        try:
            return f"was killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


@dataclass
class JobResult:
    """What a finished job left: each role's exit code and output lines, and its duration."""
    returncodes: dict
    lines: dict
    seconds: float


@dataclass
class _Role:
    label: str
    process: subprocess.Popen
    reader: threading.Thread = None
    tail: deque = field(default_factory=lambda: deque(maxlen=12))
    lines: list = field(default_factory=list)
    reaped: bool = False

    def exit_code(self):
        """The role's exit code (-N: killed by signal N), or None while it runs.

        Looks without reaping the process: until stop() reaps it, its pid, which is also
        its process group's id, cannot be given to another process, so signalling the
        group never reaches anyone else's.
        """
        if self.reaped:
            return self.process.returncode
        try:
            info = os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:  # reaped elsewhere
            return self.process.returncode
        if info is None:
            return None
        return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


class Job:
    """One machine's share of a ps-lite job: start the roles, stream, watch, stop (notebook 09_distributed).

    command: the program every role runs (a list, as for subprocess). num_workers and
    num_servers count the whole job's roles; `roles` lists the ones started here (default:
    the scheduler, every server and every worker). host: the address these roles bind to
    (loopback by default). scheduler: (address, port); default: `host` and a free port.
    timeout: seconds before every role is stopped and JobFailed raised. echo: called with
    each output line, prefixed with its role ("[worker 1] ..."); None keeps quiet.
    Use as a context manager, or call start() then wait(); stop() is always safe.
    """

    def __init__(self, command, num_workers=2, num_servers=1, host=LOOPBACK, scheduler=None,
                 roles=None, timeout=120.0, env=None, echo=print, cwd=None):
        if isinstance(command, str) or not command:
            raise ValueError("command must be a non-empty list of arguments, e.g. "
                             "[sys.executable, '-m', 'helpers.dist_worker']")
        if num_workers < 1 or num_servers < 1:
            raise ValueError(f"a ps-lite job needs at least one worker and one server "
                             f"(got {num_workers} workers, {num_servers} servers)")
        if not timeout or timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.command, self.num_workers, self.num_servers = list(command), num_workers, num_servers
        self.host = check_address(host)
        if roles is None:
            roles = ["scheduler"] + ["server"] * num_servers + ["worker"] * num_workers
        unknown = sorted(set(roles) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown role(s) {', '.join(unknown)}: the roles are "
                             f"{', '.join(ROLES)}")
        if roles.count("scheduler") > 1 or roles.count("server") > num_servers \
                or roles.count("worker") > num_workers:
            raise ValueError(f"roles {roles} exceed the job's one scheduler, {num_servers} "
                             f"server(s) and {num_workers} worker(s)")
        if scheduler is None:
            if "scheduler" not in roles:
                raise ValueError("the scheduler runs elsewhere: give its address and port "
                                 "(scheduler=(address, port), --scheduler ADDRESS:PORT)")
            scheduler = (self.host, free_port(self.host))
        self.scheduler = (check_address(scheduler[0], "scheduler"), int(scheduler[1]))
        self.roles, self.timeout, self.env, self.echo, self.cwd = list(roles), timeout, env, echo, cwd
        self._roles, self._lines, self._started = [], queue.Queue(), None

    # ------------------------------------------------------------------ starting
    def start(self):
        """Start every role here, each in a process group of its own; return self."""
        if self._started is not None:
            raise RuntimeError("this job was already started")
        self._started = time.monotonic()
        _RUNNING.add(self)
        counts = {role: 0 for role in ROLES}
        try:
            for role in self.roles:
                label = role if role == "scheduler" else f"{role} {counts[role]}"
                counts[role] += 1
                env = role_env(role, self.scheduler, self.num_workers, self.num_servers,
                               self.host, self.env)
                process = subprocess.Popen(self.command, env=env, cwd=self.cwd,
                                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT, process_group=0)
                entry = _Role(label, process)
                entry.reader = threading.Thread(target=self._read, args=(entry,), daemon=True)
                entry.reader.start()
                self._roles.append(entry)
        except BaseException:
            self.stop()
            raise
        return self

    def _read(self, entry):
        for raw in entry.process.stdout:
            self._lines.put((entry, raw.decode("utf-8", "replace").rstrip("\n")))
        entry.process.stdout.close()

    @property
    def pids(self):
        """Role label -> process id (each is also its process group id)."""
        return {r.label: r.process.pid for r in self._roles}

    # ------------------------------------------------------------------ watching
    def _drain(self, block_for=0.0):
        try:
            entry, line = self._lines.get(timeout=block_for) if block_for else \
                self._lines.get_nowait()
        except queue.Empty:
            return
        while True:
            entry.lines.append(line)
            entry.tail.append(line)
            if self.echo is not None:
                self.echo(f"[{entry.label}] {line}")
            try:
                entry, line = self._lines.get_nowait()
            except queue.Empty:
                return

    def wait(self):
        """Stream the roles' output until all have exited; return a JobResult.

        Raises JobFailed (after stopping every role) when a role exits with an error or
        a signal, or when the time limit is reached.
        """
        if self._started is None:
            self.start()
        deadline = self._started + self.timeout
        try:
            while True:
                self._drain(block_for=0.05)
                for entry in self._roles:
                    code = entry.exit_code()
                    if code not in (None, 0):
                        self._fail(entry, code)
                if all(r.exit_code() is not None for r in self._roles):
                    break
                if time.monotonic() > deadline:
                    self._fail(None, None)
            for entry in self._roles:  # the last lines: the readers end when the pipes close
                entry.reader.join(timeout=2.0)
            self._drain()
        finally:
            self.stop()
        return JobResult({r.label: r.process.returncode for r in self._roles},
                         {r.label: r.lines for r in self._roles},
                         time.monotonic() - self._started)

    def _fail(self, entry, code):
        """Stop every role, then raise JobFailed naming the role that died (or the clock)."""
        elapsed = time.monotonic() - self._started
        if entry is not None:  # the dead role's last lines
            entry.reader.join(timeout=1.0)
        self._drain()
        running = [r.label for r in self._roles if r.exit_code() is None]
        self.stop()
        self._drain()
        if entry is None:
            message = (f"time limit reached: the job ran for {self.timeout:g} s; stopped "
                       f"{', '.join(running) or 'nothing (all had exited)'}. A ps-lite job "
                       "hangs when a role is missing or the workers take different numbers "
                       "of steps; raise the limit (timeout=, --timeout) if it was only slow.")
            raise JobFailed(message)
        others = [label for label in running if label != entry.label]
        message = (f"{entry.label} (pid {entry.process.pid}) {_describe_exit(code)} after "
                   f"{elapsed:.1f} s; stopped the others: {', '.join(others) or 'none left'}.")
        if entry.tail:
            message += f"\nlast lines of {entry.label}:\n" + "\n".join(
                f"  {line}" for line in entry.tail)
        raise JobFailed(message, role=entry.label, returncode=code)

    # ------------------------------------------------------------------ stopping
    def stop(self, grace=3.0):
        """Stop every role: SIGTERM to each process group, SIGKILL after `grace` s, then reap.

        A role that exited may have left children in its group: they are stopped too.
        """
        live = [entry for entry in self._roles if not entry.reaped]
        for entry in live:
            if entry.exit_code() is None:
                _signal_group(entry.process.pid, signal.SIGTERM)
        end = time.monotonic() + grace
        while any(entry.exit_code() is None for entry in live) and time.monotonic() < end:
            time.sleep(0.02)
        for entry in live:
            _signal_group(entry.process.pid, signal.SIGKILL)  # the leader is not reaped yet
            entry.process.wait()
            entry.reaped = True
        _RUNNING.discard(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _signal_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@atexit.register
def _stop_all():
    for job in list(_RUNNING):
        job.stop(grace=1.0)


def launch(command, num_workers=2, num_servers=1, timeout=120.0, **options):
    """Run a ps-lite job on this machine and wait for it (notebook 09_distributed).

    Starts 1 scheduler, `num_servers` servers and `num_workers` workers, all running
    `command` on loopback (see Job for the options); returns a JobResult, or raises
    JobFailed with every role stopped.
    """
    return Job(command, num_workers, num_servers, timeout=timeout, **options).wait()



def _address_port(text):
    address, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not ADDRESS:PORT (e.g. 10.0.0.1:9091)")
    return address, int(port)


def launcher_main(argv=None):
    """``python -m helpers.distributed [options] -- command ...``: run or plan a ps-lite job."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.distributed",
        description="Run a ps-lite job (1 scheduler, servers, workers) on loopback, or this "
                    "machine's share of one that spans machines.",
        epilog=SECURITY_WARNING)
    parser.add_argument("-n", "--num-workers", type=int, default=2)
    parser.add_argument("-s", "--num-servers", type=int, default=1)
    parser.add_argument("--host", default=LOOPBACK,
                        help=f"address the roles here bind to (default {LOOPBACK})")
    parser.add_argument("--scheduler", type=_address_port, metavar="ADDRESS:PORT",
                        help="the scheduler's address (default: --host and a free port)")
    parser.add_argument("--roles", help="the roles to start here, comma-separated, e.g. "
                        "scheduler,server,worker (default: the whole job)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--hosts", help="comma-separated machines, with --print-plan")
    parser.add_argument("--port", type=int, default=9091, help="scheduler port for the plan")
    parser.add_argument("--print-plan", action="store_true",
                        help="print the command to run on each of --hosts, start nothing")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command every role runs after --, e.g. "
                     "-- python -m helpers.dist_worker")
    try:
        if args.print_plan:
            if not args.hosts:
                parser.error("--print-plan needs --hosts A,B,...")
            hosts = [h.strip() for h in args.hosts.split(",") if h.strip()]
            for host, line in plan_commands(hosts, args.num_workers, args.num_servers,
                                            args.port, command, args.timeout):
                print(f"# on {host}, in the kit's folder:\n{line}")
            print(f"# {SECURITY_WARNING}")
            return 0
        roles = args.roles.split(",") if args.roles else None
        job = Job(command, args.num_workers, args.num_servers, host=args.host,
                  scheduler=args.scheduler, roles=roles, timeout=args.timeout,
                  echo=lambda line: print(line, flush=True))
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not is_loopback(job.host):
        print(f"warning: binding to {job.host}. {SECURITY_WARNING}", file=sys.stderr)
    print(f"scheduler at {job.scheduler[0]}:{job.scheduler[1]}; starting "
          f"{', '.join(job.roles)}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the roles are stopped
    try:
        result = job.wait()
    except JobFailed as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: every role stopped", file=sys.stderr)
        return 130
    print(f"every role started here ({len(result.returncodes)}) exited normally in "
          f"{result.seconds:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(launcher_main())
