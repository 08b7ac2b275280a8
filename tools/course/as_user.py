"""Run a command as an ordinary local user, as a teacher without root would (tests, benchmarks).

The tests run as root, and the kit, its Python or the data may sit where an ordinary
user cannot go (a Python under /root/.pyenv, a clone under /root). `run_as` shows the
user the same files, read-only as they are, in a mount namespace of its own: each folder
on the way that others may not enter is covered by an empty tmpfs, and only the paths the
command needs are bound back into it. Nothing changes for the rest of the machine.
"""
import os
import pwd
import shlex
import subprocess
import sys
from pathlib import Path

USER = "kit-teacher"


def ensure_user(name=USER):
    """Create the local user `name` (no password, no sudo) if it does not exist; its uid."""
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", name], check=True)
        return pwd.getpwnam(name).pw_uid


def _closed(path):
    """The folders on the way to `path` (itself included) that others may not enter."""
    out = []
    for p in [*reversed(Path(path).parents), Path(path)]:
        try:
            if p.is_dir() and not os.stat(p).st_mode & 0o001:
                out.append(p)
        except OSError:
            pass
    return out


def reach(paths):
    """Shell lines that make `paths` reachable for others in a new mount namespace."""
    paths = sorted({Path(p).resolve() for p in paths}, key=lambda p: len(p.parts))
    paths = [p for p in paths if not any(q in p.parents for q in paths)]
    lines, k = ['stage=$(mktemp -d /run/kit-as-user.XXXXXX)'], 0
    covered = sorted({c for p in paths for c in _closed(p) if c != p}, key=lambda c: len(c.parts))
    outermost = [c for c in covered if not any(o in c.parents for o in covered)]
    for top in outermost:
        inside = [p for p in paths if top in p.parents]
        names = {}
        for p in inside:
            names[p] = f'"$stage/{k}"'
            lines += [f'mkdir -p {names[p]}', f'mount --bind {shlex.quote(str(p))} {names[p]}']
            k += 1
        lines.append(f'mount -t tmpfs -o mode=755 tmpfs {shlex.quote(str(top))}')
        for p, staged in names.items():
            lines += [f'mkdir -p {shlex.quote(str(p))}',
                      f'mount --bind {staged} {shlex.quote(str(p))}']
    return lines


def run_as(args, paths, user=USER, env=None, **kwargs):
    """subprocess.run(`args`) as `user`, in a mount namespace where `paths` are reachable."""
    ensure_user(user)
    home = pwd.getpwnam(user).pw_dir
    base = {"HOME": home, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
            "PATH": "/usr/local/bin:/usr/bin:/bin"}
    base.update(env or {})
    command = " ".join(shlex.quote(a) for a in ["env", "-i",
                                                *(f"{k}={v}" for k, v in base.items()), *args])
    script = "\n".join(["set -e", *reach(paths), f"exec runuser -u {user} -- {command}"])
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          **kwargs)


def kit_paths(root):
    """What a command of the kit needs to reach: the kit, its Python, the data."""
    from helpers.data import find_data_dir
    paths = [Path(root), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parent]
    data = find_data_dir()
    if data is not None:
        paths.append(Path(data))
    return paths
