"""The Python of .venv/: what it is made from (the interpreter, the MXNet package, the pins,
recorded in its stamp), making it on a disk with room, and proving it works: libmxnet.so
loads and MXNet computes.

Standard library only, like the rest of set-up (tools/setup/env.py).
"""
import errno
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

from tools.setup.machine import (DEBIAN_PACKAGES, apt_install, library_message,
                                 may_install_system, missing_libraries)
from tools.setup.messages import SetupError, run, say, tr

PIN_FILES = ("requirements.txt", "constraints.txt", "pyproject.toml")

# The MXNet 1.9.1 packages on PyPI: the CPU wheel, and CUDA builds (Linux x86-64 only).
MXNET_PACKAGES = ("mxnet", "mxnet-cu101", "mxnet-cu102", "mxnet-cu110", "mxnet-cu112",
                  "mxnet-cu113", "mxnet-cu116", "mxnet-cu117")

# What a .venv/ takes on disk: 1192 MB measured (du -sm .venv, the CPU mxnet); a CUDA
# build of MXNet takes more.
VENV_MB = 1200


def interpreter():
    """This Python: its real path and full version ('3.11.2')."""
    return {"executable": os.path.realpath(sys.executable),
            "version": platform.python_version()}


def venv_record(venv):
    """What .venv/ was made from: pyvenv.cfg's interpreter and version, the MXNet package."""
    cfg = venv / "pyvenv.cfg"
    if not cfg.is_file():
        return None
    fields = dict(line.split(" = ", 1) for line in cfg.read_text().splitlines() if " = " in line)
    executable = fields.get("executable") or str(Path(fields.get("home", "")) / "python3")
    mxnet = venv / ".kit-mxnet"
    return {"executable": os.path.realpath(executable),
            "version": fields.get("version") or fields.get("version_info", ""),
            "mxnet": mxnet.read_text().strip() if mxnet.is_file() else "mxnet"}


def mxnet_package(env=os.environ):
    """The MXNet package to install: KIT_MXNET (default 'mxnet', the CPU wheel)."""
    name = (env.get("KIT_MXNET") or "mxnet").strip().lower()
    if name not in MXNET_PACKAGES:
        raise SetupError(f"KIT_MXNET={name!r} is not an MXNet 1.9.1 package. Use one of: "
                         f"{', '.join(MXNET_PACKAGES)} (mxnet-cuXYZ matches CUDA X.YZ; "
                         "nvidia-smi shows the CUDA version the driver supports).")
    return name


def stamp_value(root, who, mxnet):
    """What a finished install is stamped with: the pins, the interpreter, the MXNet package."""
    h = hashlib.sha256()
    for name in PIN_FILES:
        h.update((root / name).read_bytes())
    h.update(json.dumps([who, mxnet], sort_keys=True).encode())
    return h.hexdigest()


def create_venv(venv, who):
    """python -m venv .venv; on Debian without ensurepip, install python3.X-venv as root."""
    say(tr("creating", executable=who["executable"], version=who["version"]))
    cmd = [sys.executable, "-m", "venv", str(venv)]
    r = run(cmd, capture_output=True, text=True)
    if r.returncode != 0 and "ensurepip" in r.stdout + r.stderr:
        package = "python%d.%d-venv" % sys.version_info[:2]
        shutil.rmtree(venv, ignore_errors=True)
        if may_install_system() and apt_install([package]):
            r = run(cmd, capture_output=True, text=True)
        else:
            raise SetupError(tr("no ensurepip", executable=who["executable"], package=package))
    if r.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        if "No space left on device" in r.stdout + r.stderr:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        raise SetupError(f"could not create .venv/ with {who['executable']}:\n"
                         + (r.stderr or r.stdout).strip())


def free_mb(folder):
    """The MB free on the disk holding `folder` (its nearest existing parent)."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free // 2**20


def check_room(root):
    """Refuse, before writing anything, to begin a .venv/ on a disk without room for it."""
    free = free_mb(root)
    if free < VENV_MB:
        raise SetupError(tr("no room", folder=root, free=free, need=VENV_MB))


def site_packages(venv):
    found = sorted((venv / "lib").glob("python3.*/site-packages"))
    return found[0] if found else None


def check_libraries(venv, mxnet):
    """Make sure libmxnet.so resolves; install the Debian packages where we may."""
    if platform.system() != "Linux" or shutil.which("ldd") is None:
        return
    library = site_packages(venv) / "mxnet" / "libmxnet.so"
    if not library.is_file():
        raise SetupError(f"{library} is missing: the MXNet install is incomplete. "
                         "Run again; if it persists, delete .venv/.")
    missing = missing_libraries(library)
    wanted = sorted({DEBIAN_PACKAGES[m] for m in missing if m in DEBIAN_PACKAGES})
    if missing and wanted and may_install_system():
        apt_install(wanted)
        missing = missing_libraries(library)
    if missing:
        raise SetupError(library_message(missing, mxnet))


SMOKE_TEST = """
from mxnet import np, npx
npx.set_np()
X = np.ones((2, 3))
assert float((X @ np.ones(3)).sum()) == 6.0
print(npx.num_gpus())
"""


def check_import(venv):
    """Import MXNet in .venv/ and compute with it; raise SetupError with its error if not."""
    r = run([str(venv / "bin" / "python"), "-c", SMOKE_TEST],
                       capture_output=True, text=True, cwd=tempfile.gettempdir())
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SetupError(tr("broken mxnet", last=last))
    return int(r.stdout.strip().splitlines()[-1])
