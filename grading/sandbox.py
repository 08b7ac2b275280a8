"""A sandbox per submission: bubblewrap namespaces that a student's kernel joins.

`Sandbox.start` runs bwrap (as root, so it may bind any folder) around a placeholder
process: new PID, network, IPC and UTS namespaces, and a mount namespace that shows only
what a kernel needs, read-only: the system's /usr, Python, the project's .venv, the kit's
helpers/ (not course/, not grading/, not tools/) and Fashion-MNIST. Writable: a small
tmpfs home (/home/student) and /tmp, and nothing else. There is no network at all.
The kernel process joins these namespaces (grading.zygote) and drops to the slot's own
uid, under the limits of grading.limits.

`Sandbox.stop` kills every process of the slot's uid, then the sandbox: its PID namespace
ends with it, so no process a student started outlives its notebook.
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
RUNTIME = "/run/kernel"   # the kernel's sockets and connection file, root's
EXCHANGE = "/usr/local/share/nbgrader"


class SandboxError(RuntimeError):
    """The sandbox could not be made (bwrap missing, not root, ...)."""


def require_bwrap():
    """The path of bwrap, or a SandboxError saying how to get it and what else grading needs."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxError("bubblewrap (bwrap) is not installed: on Debian or Ubuntu, "
                           "`sudo apt-get install bubblewrap` (./kit grade installs it when "
                           "run as root)")
    if os.geteuid() != 0:
        raise SandboxError("grading runs each student's kernel under its own unprivileged uid "
                           "in a sandbox, which needs root: run `sudo ./kit grade ...`")
    return path


def users_processes(uid):
    """Pids of the host's processes whose real uid is `uid`."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
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


def _visible_paths(kit, data_dir):
    """The host folders a kernel needs, read-only: (source, destination) pairs."""
    paths = [Path(sys.base_prefix), Path(sys.prefix), Path(kit) / "helpers"]
    if data_dir is not None:
        paths.append(Path(data_dir))
    out = []
    for p in paths:
        p = p.resolve()
        if p != Path("/usr") and Path("/usr") not in p.parents:
            out.append(str(p))
    return out


def bwrap_args(bwrap, uid, kit, data_dir, runtime_dir, passwd, scratch_bytes):
    """bwrap's command line for a sandbox holding the placeholder `sleep infinity`."""
    args = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "grading", "--die-with-parent",
            "--new-session", "--perms", "0755", "--dir", "/etc",
            "--ro-bind", "/usr", "/usr"]
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
             "--bind", str(runtime_dir), RUNTIME,
             "--chdir", "/"]
    return args


class Sandbox:
    """One student's sandbox, on the host side: start it, find files in it, end it."""

    def __init__(self, slot_dir, uid, kit, data_dir, limits):
        self.dir, self.uid, self.kit, self.data_dir = Path(slot_dir), uid, kit, data_dir
        self.limits = limits
        self.proc, self.pid = None, None

    @property
    def runtime_dir(self):
        """The host folder seen inside as /run/kernel (root's: sockets, connection file)."""
        return self.dir / "runtime"

    def read_files(self, folder, pattern, max_files=1000, max_bytes=64 * 2**20,
                   max_total=512 * 2**20):
        """{name: bytes} of the regular files in `folder` (inside) whose names match `pattern`.

        Never follows a link the student made, never blocks on a pipe; files over the limits,
        and anything that is not a plain file, are left out.
        """
        wanted = re.compile(pattern)
        out, total = {}, 0
        fd = os.open(f"/proc/{self.pid}/root", os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in Path(folder).relative_to("/").parts:
                nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = nxt
            names = sorted(n for n in os.listdir(fd) if wanted.fullmatch(n))[:max_files]
            for name in names:
                try:
                    f = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
                except OSError:
                    continue
                try:
                    st = os.fstat(f)
                    if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes or \
                            total + st.st_size > max_total:
                        continue
                    with os.fdopen(os.dup(f), "rb") as fh:
                        data = fh.read(max_bytes + 1)
                    if len(data) <= max_bytes:
                        out[name] = data
                        total += len(data)
                finally:
                    os.close(f)
        except OSError:
            pass
        finally:
            os.close(fd)
        return out

    def clear_files(self, folder, pattern):
        """Delete the files of `folder` (inside) whose names match `pattern`; links are not followed."""
        wanted = re.compile(pattern)
        try:
            fd = os.open(f"/proc/{self.pid}/root", os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            for part in Path(folder).relative_to("/").parts:
                nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = nxt
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
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
        self.runtime_dir.mkdir(mode=0o755)
        passwd = self.dir / "passwd"
        passwd.write_text(f"root:x:0:0:root:/root:/usr/sbin/nologin\n"
                          f"student:x:{self.uid}:{self.uid}:student:{HOME}:/bin/sh\n")
        passwd.with_name("group").write_text(f"root:x:0:\nstudent:x:{self.uid}:\n")
        read, write = os.pipe()
        args = bwrap_args(bwrap, self.uid, self.kit, self.data_dir, self.runtime_dir, passwd,
                          self.limits.scratch_bytes)
        # The placeholder starts once bwrap has made every mount: its "ready" says so.
        args += ["--info-fd", str(write), "--", "sh", "-c", "echo ready && exec sleep infinity"]
        try:
            self.proc = subprocess.Popen(args, pass_fds=(write,), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        finally:
            os.close(write)
        with os.fdopen(read, "rb") as f:
            info = f.readline()
            buffer = info
            while buffer and b"}" not in buffer:
                buffer = f.readline()
                info += buffer
        ready = self.proc.stdout.readline()
        try:
            self.pid = json.loads(info.decode())["child-pid"]
            if ready.strip() != b"ready":
                raise ValueError("not ready")
        except (ValueError, KeyError):
            self.proc.kill()
            err = self.proc.communicate(timeout=10)[1].decode(errors="replace")
            self.proc = None
            raise SandboxError(f"bwrap could not make the sandbox: {err.strip()}") from None
        return self.pid

    def stop(self):
        """Kill the slot's processes and the sandbox; return the pids of the uid still alive (none)."""
        kill_users_processes(self.uid)
        if self.proc is not None:
            if self.pid is not None:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
            self.proc.stderr.close()
            self.proc = None
        self.pid = None
        kill_users_processes(self.uid)
        return users_processes(self.uid)
