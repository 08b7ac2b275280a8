"""What a command needs besides .venv/: its tools from the system (apt-get, as root),
JupyterHub's proxy from npm (``./kit hub``, ``./kit test``), and the data, verified.

Standard library only, like the rest of set-up (tools/setup/env.py).
"""
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from tools.setup.machine import apt_install, may_install_system
from tools.setup.messages import SetupError, run, say, tr, write_atomically

# What each command needs from the system besides the data: (a command on PATH, or a path
# when it starts with "/"; the Debian package that provides it).
# The classroom server (`./kit hub`) grades too, and runs JupyterHub's proxy on Node.js.
HUB_TOOLS = (("bwrap", "bubblewrap"), ("node", "nodejs"), ("npm", "npm"))
SYSTEM_TOOLS = {
    "test": (("chromium", "chromium"), ("bwrap", "bubblewrap"), ("podman", "podman"),
             ("mmdebstrap", "mmdebstrap"), ("runc", "runc"),
             ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "fonts-noto-cjk"),
             ("/usr/share/postgresql-common/pg_wrapper", "postgresql"),
             ("node", "nodejs"), ("npm", "npm"), ("openssl", "openssl")),
    "grade": (("bwrap", "bubblewrap"),),
    "hub": HUB_TOOLS,
}
# JupyterHub's proxy, configurable-http-proxy, from npm: course/hub/proxy/ pins it and every
# package it needs (package-lock.json, with their hashes); set-up installs it with `npm ci`
# into .venv/hub-proxy/ for the commands that start a hub.
PROXY_COMMANDS = ("hub", "test")
PROXY_PINS = ("package.json", "package-lock.json")
PROXY_BIN = Path("hub-proxy") / "node_modules" / ".bin" / "configurable-http-proxy"
# The data from Debian: its package, and the folder it fills.
DATA_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DATA_DIR = "/usr/share/datasets/fashion-mnist"  # FASHION_MNIST_SYSTEM_DIR overrides it


def present(tool):
    """True if `tool` (a command, or a path starting with "/") is on this machine."""
    return os.path.exists(tool) if tool.startswith("/") else shutil.which(tool) is not None


def bundle_data(root):
    """A classroom bundle's data folder, if this kit came in one."""
    folder = root / "data" / "fashion-mnist"
    return folder if folder.is_dir() else None


def setup_system(root, command):
    """Install what `command` needs from Debian: the data package unless the data is elsewhere."""
    want = [pkg for tool, pkg in SYSTEM_TOOLS.get(command, ()) if not present(tool)]
    data_elsewhere = bool(os.environ.get("FASHION_MNIST_DIR")) or bundle_data(root) is not None
    system_data = Path(os.environ.get("FASHION_MNIST_SYSTEM_DIR") or DEBIAN_DATA_DIR)
    if not data_elsewhere and not system_data.is_dir():
        want.insert(0, DATA_PACKAGE)
    if not want:
        return
    if may_install_system():
        if not apt_install(want):
            say(tr("apt failed", packages=" ".join(want))
                + (tr("download later") if DATA_PACKAGE in want else ""))
    elif DATA_PACKAGE in want and len(want) == 1:
        say(tr("no data package", package=DATA_PACKAGE))
    else:
        say(tr("no tools", packages=" ".join(want), command=command))


def setup_data(root, venv):
    """Put a bundle's data into the cache (verified), then verify the data the kit will use."""
    python = str(venv / "bin" / "python")
    folder = bundle_data(root)
    if folder is not None and not os.environ.get("FASHION_MNIST_DIR"):
        r = run([python, "-m", "helpers.data", "--import", str(folder)], cwd=root)
        if r.returncode != 0:
            raise SetupError(tr("bundle data", folder=folder))
    r = run([python, "-m", "helpers.data", "--check"], cwd=root)
    if r.returncode != 0:
        raise SetupError(tr("data not ready"))


def proxy_stamp(root):
    h = hashlib.sha256()
    for name in PROXY_PINS:
        h.update((root / "course" / "hub" / "proxy" / name).read_bytes())
    return h.hexdigest()


def setup_proxy(root, venv):
    """configurable-http-proxy into .venv/hub-proxy/ (npm ci, from the lock); None when it is
    ready, else what is wrong and the command that mends it."""
    folder, binary = venv / "hub-proxy", venv / PROXY_BIN
    stamp, want = folder / ".kit-installed", proxy_stamp(root)
    if binary.exists() and stamp.is_file() and stamp.read_text().strip() == want:
        return None
    missing = [pkg for tool, pkg in HUB_TOOLS[1:] if not present(tool)]
    if missing:
        return (f"the classroom server's proxy needs Node.js and npm, and {' '.join(missing)} "
                f"is missing: sudo apt-get install {' '.join(missing)} (as root, set-up "
                "installs them itself), then run again")
    say("installing JupyterHub's proxy (configurable-http-proxy, pinned) into .venv/hub-proxy/")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in PROXY_PINS:
        shutil.copy2(root / "course" / "hub" / "proxy" / name, folder / name)
    r = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund",
                        "--omit=dev"], cwd=folder, capture_output=True, text=True)
    if r.returncode != 0 or not binary.exists():
        log = folder / "npm.log"
        log.write_text(r.stdout + r.stderr)
        tail = "\n       ".join((r.stdout + r.stderr).strip().splitlines()[-6:])
        return (f"npm could not install the proxy (exit {r.returncode}); its whole output: "
                f"{log}\n       {tail}")
    write_atomically(stamp, want + "\n")
    return None
