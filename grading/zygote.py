"""A warm fork server: starts each student's kernel in a sandbox in a few milliseconds.

Run as ``python -m grading.zygote`` by a worker slot (grading.worker), as root or as the
teacher, with a minimal environment of its own (a forked kernel keeps its parent's
environment block, whatever it does to os.environ: /proc/self/environ shows it). It
imports MXNet, ipykernel, the kit's helpers and the checks (grading.checks) once, and
loads Fashion-MNIST, which together take seconds; then, for each submission, it forks.
The child joins the submission's sandbox (the namespaces of grading.sandbox: setns, the
user namespace first when grading as an ordinary user, then a fork into its PID
namespace), closes every inherited file, sets the limits, starts the kernel's sockets,
makes their folder read-only, forgets the grader's own modules (all but the checks), and
gives up every privilege for good before any student code runs: the slot's uid as root,
every capability as an ordinary user; then no new privileges, and the seccomp filter of
grading.seccomp. The server itself never runs student code and
holds no student data.

Protocol, one JSON object per line: the worker writes {"op": "spawn", ...} or
{"op": "quit"}; the server answers {"event": "ready"} once warm, then per spawn
{"event": "spawned", "pid": ...} and, when the kernel has ended, {"event": "exited",
"status": ...}.
"""
import ctypes
import json
import os
import signal
import sys
import time

from grading import seccomp  # imported here: a sandbox shows only grading/checks/

# Before MXNet loads: run operators synchronously in the calling thread (no engine
# threads, which a fork would not carry over) and one OpenMP thread.
os.environ["MXNET_ENGINE_TYPE"] = "NaiveEngine"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # debugpy's note about frozen modules

CLONE = {"user": 0x10000000, "ipc": 0x08000000, "uts": 0x04000000, "net": 0x40000000,
         "pid": 0x20000000, "mnt": 0x00020000}
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
NS_GET_USERNS = 0xB701
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 4096
CAPABILITY_VERSION_3 = 0x20080522
EXIT_SETUP = 70  # the child could not enter the sandbox


def warm_up():
    """Import and exercise what every kernel needs, once; load the data."""
    import mxnet as mx  # noqa: F401
    from mxnet import autograd, gluon, np, npx
    import ipykernel.debugger  # noqa: F401 (debugpy: a tenth of a second per kernel)
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import IPython.core.ultratb  # noqa: F401 (a student's first error formats sooner)
    import pygments.formatters.terminal256  # noqa: F401
    import pygments.lexers.python  # noqa: F401
    import stack_data  # noqa: F401
    import grading.checks.tasks  # noqa: F401
    import helpers.devices  # noqa: F401
    import helpers.fast_data  # noqa: F401
    import helpers.train  # noqa: F401
    from helpers.data import load_arrays
    npx.set_np()
    W = np.ones((4, 3))
    W.attach_grad()
    with autograd.record():
        l = (np.dot(np.ones((2, 4)), W)).sum()
    l.backward()
    gluon.nn.Dense(3).initialize()
    npx.reset_np()
    load_arrays()


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def enter_namespaces(holder, mode):
    """Join the namespaces of process `holder` (the calling process must be single-threaded).

    As an ordinary user ("user"), first the user namespace that owns them (bwrap makes it,
    and runs its own processes in a child of it): there the process has the capabilities
    to join the others, and a fork is counted against that namespace's process limit.
    """
    import fcntl
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        raise RuntimeError(f"{threads} threads: a kernel may only fork from one")
    libc = _libc()
    fds = {kind: os.open(f"/proc/{holder}/ns/{kind}", os.O_RDONLY) for kind in CLONE
           if kind != "user"}
    try:
        order = ["ipc", "uts", "net", "pid", "mnt"]  # mnt last: /proc/<holder> is ours
        if mode == "user":
            fds["user"] = fcntl.ioctl(fds["pid"], NS_GET_USERNS)
            order.insert(0, "user")
        for kind in order:
            _check(libc.setns(fds[kind], CLONE[kind]), f"setns {kind}")
    finally:
        for fd in fds.values():
            os.close(fd)


def drop_capabilities(libc):
    """Give up every capability of this thread: bounding set, ambient, then all three sets."""
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for cap in range(last + 1):
        _check(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "prctl CAPBSET_DROP")
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    _check(libc.capset(ctypes.byref(Header(CAPABILITY_VERSION_3, 0)), (Data * 2)()), "capset")


def _chown_tree(path, uid):
    for root, dirs, files in os.walk(path):
        for name in [root] + [os.path.join(root, n) for n in dirs + files]:
            os.lchown(name, uid, uid)


def forget_the_grader():
    """Drop the grader's modules from this process (the sandbox shows none of their files);
    keep the checks (grading.checks), which the kernel's test cells import, and the bare
    package holding them."""
    package = sys.modules.get("grading")
    for name in [m for m in sys.modules if m.startswith("grading.")]:
        if name != "grading.checks" and not name.startswith("grading.checks."):
            del sys.modules[name]
            if package is not None:
                vars(package).pop(name.split(".")[1], None)


def run_kernel(spec, report_fd):
    """In the sandbox: limits, then the kernel's sockets as root, then the student's uid, then serve."""
    import random
    import resource
    libc = _libc()
    os.setsid()
    _check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl PDEATHSIG")
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, report_fd)
    os.closerange(report_fd + 1, 65536)
    for res, soft, hard in spec["rlimits"]:
        resource.setrlimit(res, (soft, hard))
    uid, home = spec["uid"], spec["home"]
    for folder in (home, "/tmp", "/dev/shm"):  # bytes are capped; now the files too
        _check(libc.mount(None, folder.encode(), None, MS_REMOUNT | MS_NOSUID | MS_NODEV,
                          f"nr_inodes={spec['files']}".encode()), f"limit the files in {folder}")
    os.umask(0o077)
    os.chown(home, uid, uid)
    os.mkdir(spec["grading_dir"], 0o700)
    os.chdir(home)
    os.environ.clear()
    os.environ.update(spec["env"])
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl NO_NEW_PRIVS")
    forget_the_grader()
    sys.path[0] = ""  # was the server's folder (python -m); the kit comes from .venv's .pth
    sys.argv[:] = ["ipykernel_launcher"]
    random.seed()
    import numpy
    numpy.random.seed(int.from_bytes(os.urandom(4), "little"))
    from ipykernel.kernelapp import IPKernelApp
    app = IPKernelApp.instance()
    app.initialize(["-f", spec["connection_file"], "--HistoryManager.enabled=False",
                    "--IPKernelApp.parent_handle=0"])
    # The sockets are bound: their folder becomes read-only (no link, no file of the
    # student's can take a socket's place), for root and the student alike.
    runtime = os.path.dirname(spec["connection_file"]).encode()
    _check(libc.mount(None, runtime, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
                      MS_NODEV | MS_NOEXEC, None), "remount the sockets' folder read-only")
    _chown_tree(home, uid)
    if spec["mode"] == "root":
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # every thread: no capability left
    else:
        drop_capabilities(libc)  # this thread; the filter below binds the others too
    if seccomp.supported():
        seccomp.install()
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # /proc/self stays the student's own
    os.umask(0o022)
    os.close(report_fd)
    app.start()


def _child(spec):
    """The forked child: join the sandbox, fork the kernel there, wait; return its exit code
    (128 + N if signal N ended it).

    The kernel reports a failure to start over a pipe, closed once it serves; the child
    passes the report on as a "startup-error" event (one write, under the pipe's atomic
    size, so that it never interleaves with the server's own events).
    """
    enter_namespaces(spec["holder"], spec["mode"])
    read, write = os.pipe()
    kernel = os.fork()
    if kernel == 0:
        code = EXIT_SETUP
        os.close(read)
        try:
            run_kernel(spec, report_fd=write)
            code = 0
        except BaseException:  # noqa: BLE001 (the kernel's start failed: say why)
            import traceback
            try:
                os.write(write, traceback.format_exc()[-4000:].encode())
            except BaseException:  # noqa: BLE001
                pass
        finally:
            os._exit(code)
    os.close(write)
    report = b""
    while len(report) < 8000:
        chunk = os.read(read, 4096)
        if not chunk:
            break
        report += chunk
    os.close(read)
    if report:
        text = report.decode(errors="replace")[-3000:]
        line = json.dumps({"event": "startup-error", "text": text}) + "\n"
        while len(line.encode()) > 4000:
            text = text[len(text) // 4:]
            line = json.dumps({"event": "startup-error", "text": text}) + "\n"
        os.write(1, line.encode())
    _, status = os.waitpid(kernel, 0)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code  # a signal N as a shell says it: 128 + N


def spawn(spec):
    """Fork the kernel for `spec` into its sandbox; return the pid of the child that waits for it."""
    pid = os.fork()
    if pid:
        return pid
    code = EXIT_SETUP
    try:
        code = _child(spec)
    except BaseException as e:  # noqa: BLE001
        try:
            os.write(2, f"grading.zygote: {e}\n".encode())
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(code)


def send(event):
    """Write one event for the worker."""
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def main():
    """Warm up, say so, then serve spawn requests until told to quit."""
    tic = time.perf_counter()
    warm_up()
    send({"event": "ready", "seconds": round(time.perf_counter() - tic, 3),
          "threads": len(os.listdir("/proc/self/task"))})
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("op") == "quit":
            break
        pid = spawn(request)
        send({"event": "spawned", "pid": pid})
        _, status = os.waitpid(pid, 0)
        send({"event": "exited", "status": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    main()
