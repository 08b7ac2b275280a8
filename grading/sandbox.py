"""A sandbox per submission: bubblewrap namespaces that a student's kernel joins.

`Sandbox.start` runs bwrap around a placeholder process: new PID, network, IPC and UTS
namespaces, and a mount namespace that shows only what a kernel needs, read-only: the
system's /usr, Python, the project's .venv, the kit's helpers/ and grading/checks/ (the
checks the test cells call; not the rest of grading/, not course/, not tools/) and
Fashion-MNIST. Writable: a small tmpfs home (/home/student), /tmp and /dev/shm, and
nothing else; the kernel's sockets live on a tmpfs of their own (/run/kernel), made
read-only once the kernel has bound them. There is no network at all.

Two routes, the same guarantees:

- as root ("root"): the kernel drops to a uid of its own slot (grading.limits), nobody's
  account; the slot's processes are found, and killed, by that uid.
- as an ordinary user ("user", a teacher on a shared server): bwrap also makes a user
  namespace, which the kernel joins; it keeps the teacher's uid outside, but holds no
  capability, sees no process and no file of the teacher's but those listed above, and
  its processes are found, and killed, by its PID namespace. This needs unprivileged user
  namespaces (on by default in Debian, Fedora and Ubuntu up to 23.04).

The kernel process joins the namespaces (grading.zygote), under the limits of
grading.limits and the seccomp filter of grading.seccomp. `Sandbox.stop` kills every
process of the sandbox: its PID namespace ends with its first process.

The grader reaches into a sandbox only through /proc/<pid>/root, one folder at a time,
never following a link a student made (`open_folder`).
"""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

HOME = "/home/student"    # the student's folder inside, a tmpfs
RUNTIME = "/run/kernel"   # the kernel's sockets and connection file, a tmpfs
EXCHANGE = "/usr/local/share/nbgrader"
ROOT, USER = "root", "user"
RUNTIME_BYTES = 2**20

ENABLE_USERNS = """\
grading as an ordinary user needs unprivileged user namespaces, which this machine does
not allow ({why}). An administrator can allow them, once:
  - Debian 10 and older: sysctl -w kernel.unprivileged_userns_clone=1
  - Ubuntu 23.10 and newer: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0
    (or an AppArmor profile that lets /usr/bin/bwrap use them)
  - RHEL and CentOS 7: sysctl -w user.max_user_namespaces=15000
  (add the same line to /etc/sysctl.d/ to keep it after a reboot)
or grade as root: sudo ./kit grade ..."""


class SandboxError(RuntimeError):
    """The sandbox could not be made (bwrap missing, user namespaces off, ...)."""


def grading_mode():
    """ROOT when this process runs as root, else USER."""
    return ROOT if os.geteuid() == 0 else USER


def require_bwrap():
    """The path of bwrap, or a SandboxError that says how to get what grading needs."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError("bubblewrap (bwrap) is not installed: on Debian or Ubuntu, an "
                           "administrator runs `apt-get install bubblewrap` (./kit grade "
                           "installs it when run as root); on Fedora `dnf install bubblewrap`")
    if grading_mode() == USER:
        probe = subprocess.run([path, "--unshare-user", "--unshare-pid", "--unshare-net",
                                "--ro-bind", "/", "/", "--proc", "/proc", "--", "true"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            why = probe.stderr.strip().splitlines()[-1:] or [f"bwrap exited {probe.returncode}"]
            raise SandboxError(ENABLE_USERNS.format(why=why[0]))
    return path


# ---------------------------------------------------------------- processes

def _pids():
    """Pids of the live processes (a zombie has ended: it runs nothing, whoever reaps it)."""
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    state = f.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in (b"Z", b"X"):
                yield int(entry.name)


def users_processes(uid):
    """Pids of the host's live processes whose real uid is `uid`."""
    pids = []
    for pid in _pids():
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                pids.append(pid)
        except OSError:
            pass
    return pids


def kill_users_processes(uid, rounds=50):
    """SIGKILL every process of `uid` until none is left; return how many were killed."""
    killed = 0
    for _ in range(rounds):
        pids = users_processes(uid)
        if not pids:
            return killed
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        time.sleep(0.01)
    return killed


def namespace_processes(pid_namespace):
    """Pids of the live processes in the PID namespace with inode `pid_namespace`."""
    want, found = f"pid:[{pid_namespace}]", []
    for pid in _pids():
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") == want:
                found.append(pid)
        except OSError:  # gone, a zombie, or not ours to see
            pass
    return found


# ---------------------------------------------------------------- folders inside

def open_folder(pid, folder):
    """A file descriptor of `folder` as process `pid` sees it, no link followed; OSError if none."""
    fd = os.open(f"/proc/{pid}/root", os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in Path(folder).relative_to("/").parts:
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


def _visible_paths(kit, data_dir):
    """The host folders (and files) a kernel needs, read-only: of grading/, only the checks
    the test cells import and the package file that holds them, which imports nothing."""
    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(kit) / "helpers",
             Path(kit) / "grading" / "__init__.py", Path(kit) / "grading" / "checks"]
    if data_dir is not None:
        paths.append(Path(data_dir))
    out = []
    for p in paths:
        p = p.resolve()
        if p != Path("/usr") and Path("/usr") not in p.parents:
            out.append(str(p))
    return out


def bwrap_args(bwrap, mode, kit, data_dir, passwd, scratch_bytes):
    """bwrap's command line for a sandbox holding the placeholder `sleep infinity`."""
    args = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "grading", "--die-with-parent",
            "--new-session"]
    if mode == USER:
        args += ["--unshare-user"]
    args += ["--perms", "0755", "--dir", "/etc", "--ro-bind", "/usr", "/usr"]
    if os.path.isdir(EXCHANGE):  # nbgrader's default exchange: other students' work
        args += ["--tmpfs", EXCHANGE]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / top
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime"):
        if os.path.exists(f):
            args += ["--ro-bind", f, f]
    # The writable scratch first: a kit kept under /tmp or /home is bound on top of it below.
    args += ["--perms", "1777", "--size", str(scratch_bytes), "--tmpfs", "/tmp",
             "--perms", "0755", "--dir", "/home",
             "--perms", "0700", "--size", str(scratch_bytes), "--tmpfs", HOME]
    made = {"/", "/usr", "/etc", "/home", "/run", "/tmp", "/proc", "/dev", HOME}
    for path in _visible_paths(kit, data_dir):
        for parent in reversed(Path(path).parents):
            if str(parent) not in made:  # bwrap would make them 0700: readable for all
                args += ["--perms", "0755", "--dir", str(parent)]
                made.add(str(parent))
        args += ["--ro-bind", path, path]
    args += ["--ro-bind", str(passwd), "/etc/passwd",
             "--ro-bind", str(passwd.with_name("group")), "/etc/group",
             "--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(scratch_bytes // 4), "--tmpfs", "/dev/shm",
             "--perms", "0755", "--dir", "/run",
             "--perms", "0755", "--size", str(RUNTIME_BYTES), "--tmpfs", RUNTIME,
             "--chdir", "/"]
    return args


class Sandbox:
    """One student's sandbox, on the host side: start it, reach files in it, end it."""

    def __init__(self, slot_dir, uid, kit, data_dir, limits, mode=ROOT):
        self.dir, self.uid, self.kit, self.data_dir = Path(slot_dir), uid, kit, data_dir
        self.limits, self.mode = limits, mode
        self.proc, self.pid, self.pid_namespace = None, None, None

    @property
    def kernel_uid(self):
        """The kernel's uid as the sandbox's /etc/passwd names it."""
        return self.uid if self.mode == ROOT else 0

    def write_file(self, folder, name, data):
        """Create file `name` in `folder` (inside) with `data`, readable by its owner only."""
        fd = open_folder(self.pid, folder)
        try:
            f = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600,
                        dir_fd=fd)
            with os.fdopen(f, "wb") as fh:
                fh.write(data)
        finally:
            os.close(fd)

    def read_files(self, folder, pattern, max_files=256, max_bytes=16 * 2**20,
                   max_total=64 * 2**20):
        """{name: bytes} of the regular files in `folder` (inside) whose names match `pattern`,
        and [names left out]: over the limits, or not a plain file.

        Never follows a link the student made, never blocks on a pipe, never reads more than
        `max_total` bytes in all.
        """
        wanted = re.compile(pattern)
        out, left_out, total = {}, [], 0
        try:
            fd = open_folder(self.pid, folder)
        except OSError:
            return out, left_out
        try:
            names = sorted(n for n in os.listdir(fd) if wanted.fullmatch(n))
            left_out += names[max_files:]
            for name in names[:max_files]:
                try:
                    f = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
                except OSError:
                    left_out.append(name)
                    continue
                try:
                    st = os.fstat(f)
                    if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes or \
                            total + st.st_size > max_total:
                        left_out.append(name)
                        continue
                    with os.fdopen(os.dup(f), "rb") as fh:
                        data = fh.read(max_bytes + 1)
                    if len(data) <= max_bytes and total + len(data) <= max_total:
                        out[name] = data
                        total += len(data)
                    else:
                        left_out.append(name)
                finally:
                    os.close(f)
        except OSError:
            pass
        finally:
            os.close(fd)
        return out, left_out

    def read_text(self, folder, name, limit=8000):
        """The end of text file `name` in `folder` (inside), or None; no link followed."""
        found, _ = self.read_files(folder, re.escape(name), max_files=1, max_bytes=2**20)
        return found[name].decode(errors="replace")[-limit:] if name in found else None

    def clear_files(self, folder, pattern):
        """Delete the files of `folder` (inside) whose names match `pattern`; links are not followed."""
        wanted = re.compile(pattern)
        try:
            fd = open_folder(self.pid, folder)
        except OSError:
            return
        try:
            for name in os.listdir(fd):
                if wanted.fullmatch(name):
                    try:
                        os.unlink(name, dir_fd=fd)
                    except OSError:
                        pass
        except OSError:
            pass
        finally:
            os.close(fd)

    def start(self, bwrap):
        """Make the namespaces; return the pid (on the host) of the process that holds them."""
        self.dir.mkdir(parents=True, exist_ok=True)
        passwd = self.dir / "passwd"
        uid = self.kernel_uid
        head = "root:x:0:0:root:/root:/usr/sbin/nologin\n" if uid else ""
        passwd.write_text(f"{head}student:x:{uid}:{uid}:student:{HOME}:/bin/sh\n")
        passwd.with_name("group").write_text(("root:x:0:\n" if uid else "")
                                             + f"student:x:{uid}:\n")
        read, write = os.pipe()
        args = bwrap_args(bwrap, self.mode, self.kit, self.data_dir, passwd,
                          self.limits.scratch_bytes)
        # The placeholder starts once bwrap has made every mount: its "ready" says so. The
        # options go through a pipe (--args), so that the sandbox's /proc/1/cmdline does not
        # show the grader's folders.
        options = "\0".join(args[1:] + ["--info-fd", str(write)]) + "\0"
        args_read, args_write = os.pipe()
        try:
            self.proc = subprocess.Popen(  # an environment of its own: the sandbox's pid 1
                [args[0], "--args", str(args_read), "--", "sh", "-c",
                 "echo ready && exec sleep infinity"], pass_fds=(write, args_read),
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        finally:
            os.close(write)
            os.close(args_read)
        with os.fdopen(args_write, "wb") as f:
            f.write(options.encode())
        with os.fdopen(read, "rb") as f:
            info = f.readline()
            buffer = info
            while buffer and b"}" not in buffer:
                buffer = f.readline()
                info += buffer
        ready = self.proc.stdout.readline()
        try:
            doc = json.loads(info.decode())
            self.pid, self.pid_namespace = doc["child-pid"], doc.get("pid-namespace")
            if ready.strip() != b"ready":
                raise ValueError("not ready")
        except (ValueError, KeyError):
            self.proc.kill()
            err = self.proc.communicate(timeout=10)[1].decode(errors="replace")
            self.proc = None
            raise SandboxError(f"bwrap could not make the sandbox: {err.strip()}") from None
        return self.pid

    def processes(self):
        """Pids of the sandbox's processes still alive."""
        if self.mode == ROOT:
            return users_processes(self.uid)
        return namespace_processes(self.pid_namespace) if self.pid_namespace else []

    def stop(self):
        """Kill the sandbox and every process in it; return the pids still alive (none)."""
        inside = set(self.processes())  # as an ordinary user: the namespace's, before it ends
        if self.mode == ROOT:
            kill_users_processes(self.uid)
        if self.proc is not None:
            if self.pid is not None:
                try:  # the PID namespace's first process: the kernel kills the others
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
            self.proc.stderr.close()
            self.proc = None
        self.pid = None
        if self.mode == ROOT:
            kill_users_processes(self.uid)

        def alive():  # a later sandbox may get the namespace's number: only those seen before
            return (users_processes(self.uid) if self.mode == ROOT else
                    sorted(inside & set(self.processes())))
        deadline = time.monotonic() + 5
        while alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        return alive()
