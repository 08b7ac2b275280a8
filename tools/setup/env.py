"""Set up the kit's environment: .venv/ with the pinned packages, MXNet's system libraries, the data.

``./kit`` runs this module (``python -m tools.setup.env``, from the kit's folder) with the
Python 3.11 it chose (any 3.11.x from 3.11.2 up); it and the modules it draws on use only
the standard library, because .venv/ may not exist yet. In order:

1. refuse, with the route that works, a platform MXNet 1.9.1 has no working wheel for;
2. (re)build .venv/ when it was made from another interpreter or another MXNet package
   (``KIT_MXNET``, e.g. ``mxnet-cu117`` for a CUDA 11.7 GPU);
3. install the pins (``requirements.txt`` locked by ``constraints.txt``), from PyPI or, with
   no network, from a classroom bundle's ``wheelhouse/`` (``./kit bundle``); a failure is
   explained in one message naming its cause, the whole pip log kept in .venv/; then the
   kit itself, as an editable package (``pip install -e .``: helpers, grading, tools,
   benchmarks, importable from anywhere), and the ``.pth`` line that lets the book's own
   code run (``helpers/book_code.py``; written on every run, since it names this folder);
4. check that ``libmxnet.so`` finds its shared libraries (``ldd``), installing the Debian
   packages as root, otherwise naming them; then import MXNet and compute with it;
5. only then write the stamp that lets the next run skip all this;
6. the system packages the command needs (the data, and for ``./kit test`` the browser,
   the sandbox and container tools, Node.js and npm), JupyterHub's proxy for ``./kit hub``
   and ``./kit test`` (npm, pinned by course/hub/proxy/package-lock.json), and the data check.

``KIT_SYSTEM_PACKAGES=no`` keeps it from installing anything with apt-get.

A failure ends in one line saying what happened and what to do, and leaves nothing
half-made: a full disk or Ctrl-C removes the .venv/ this run began (an older one stays,
unstamped, for the next run to finish); a folder set-up may not write in is named.

The steps live beside this file, one concept each: ``messages`` (the errors and the
sentences, English and Chinese), ``machine`` (the platform, Debian's packages,
MXNet's shared libraries), ``python`` (what .venv/ is made from, its stamp, making it,
proving it works), ``pins`` (the pins, the wheelhouse, pip's failures, the kit itself),
``commands`` (each command's system tools, JupyterHub's proxy, the data). This module
holds the order: ``setup_venv``, ``is_ready`` and ``main``.
"""
import errno
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from tools.setup.commands import (PROXY_COMMANDS, SYSTEM_TOOLS, present, setup_data,
                                  setup_proxy, setup_system)
from tools.setup.machine import (check_platform, library_message, missing_libraries,
                                 platform_tag)
from tools.setup.messages import (MESSAGES, DiskFull, Interrupted, SetupError, run, say, tr,
                                  write_atomically)
from tools.setup.pins import (explain_pip_failure, install_book_code_hook, install_plan,
                              install_project, pin_lines, pip_install, probe_pin, wheelhouse)
from tools.setup.python import (MXNET_PACKAGES, VENV_MB, check_import, check_libraries,
                                check_room, create_venv, free_mb, interpreter, mxnet_package,
                                site_packages, stamp_value, venv_record)

# The names other files import from here (tools/cli.py, the tests), wherever they now live.
__all__ = ["MESSAGES", "MODULE_FILES", "MXNET_PACKAGES", "ROOT", "SYSTEM_TOOLS", "SetupError",
           "check_platform", "explain_pip_failure", "install_plan", "interpreter", "is_ready",
           "library_message", "main", "missing_libraries", "mxnet_package", "pin_lines",
           "platform_tag", "present", "say", "setup_system", "setup_venv", "site_packages",
           "stamp_value", "tr", "venv_record"]

ROOT = Path(__file__).resolve().parents[2]
# The files set-up runs from before .venv/ exists: with ./kit and the pins, a copy of the kit
# holding these sets itself up.
MODULE_FILES = ("tools/__init__.py", "tools/setup/__init__.py", "tools/setup/env.py",
                "tools/setup/messages.py", "tools/setup/machine.py", "tools/setup/python.py",
                "tools/setup/pins.py", "tools/setup/commands.py")


def setup_venv(root=ROOT):
    """Make .venv/ match the pins, this interpreter and KIT_MXNET; stamp it only when it works.

    A full disk, Ctrl-C or a folder set-up may not write in ends in one sentence (SetupError):
    a .venv/ this run began is removed, an older one stays unstamped for the next run.
    """
    venv, began = root / ".venv", []
    try:
        return _setup_venv(root, venv, began)
    except (KeyboardInterrupt, DiskFull, OSError) as e:
        if isinstance(e, OSError) and e.errno not in (errno.ENOSPC, errno.EDQUOT):
            if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise SetupError(tr("read-only", folder=root, error=e.strerror)) from None
            raise
        cleanup = tr("intact") if is_ready(root) else tr("kept")
        if began:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: finish the cleanup
            shutil.rmtree(venv, ignore_errors=True)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            cleanup = tr("removed")
        if isinstance(e, KeyboardInterrupt):
            raise Interrupted(tr("interrupted", cleanup=cleanup)) from None
        where = {root: free_mb(root), Path(tempfile.gettempdir()): free_mb(tempfile.gettempdir())}
        free = ", ".join(tr("free now", free=mb, folder=folder) for folder, mb in where.items()
                         if mb < VENV_MB or folder == root)
        raise DiskFull(tr("filled up", free=free, cleanup=cleanup, need=VENV_MB)) from None


def _setup_venv(root, venv, began):
    stamp = venv / ".kit-installed"
    who, mxnet, tag = interpreter(), mxnet_package(), platform_tag()
    check_platform(tag, mxnet)
    want = stamp_value(root, who, mxnet)
    record = venv_record(venv)
    ready = stamp.is_file() and stamp.read_text().strip() == want
    if ready and (venv / "bin" / "python").exists():
        check_libraries(venv, mxnet)  # a library removed since: say so before a notebook fails
        install_book_code_hook(venv, root)
        return venv
    made_from = dict(who, mxnet=mxnet)
    if record is not None and record != made_from:
        say(tr("rebuilding", old=record["executable"], old_version=record["version"],
               old_mxnet=record["mxnet"], new=who["executable"], new_version=who["version"],
               new_mxnet=mxnet))
        shutil.rmtree(venv)
    if not (venv / "bin" / "python").exists():
        shutil.rmtree(venv, ignore_errors=True)
        check_room(root)
        began.append(venv)
        create_venv(venv, who)
        write_atomically(venv / ".kit-mxnet", mxnet + "\n")
    stamp.unlink(missing_ok=True)
    source = wheelhouse(root, tag)
    where = tr("from bundle", source=source) if source else tr("from PyPI")
    say(tr("installing", where=where))
    log = venv / "kit-install.log"
    ok, output = pip_install(venv, install_plan(root, mxnet), source, log)
    if not ok:
        if "No space left on device" in output:
            raise DiskFull(output)
        why = explain_pip_failure(output, who["version"], source, probe_pin(venv, source))
        raise SetupError(tr("install failed", why=why, log=log))
    install_project(venv, root)
    r = run([str(venv / "bin" / "python"), "-m", "pip", "check"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SetupError(f"the installed packages conflict (pip check):\n{r.stdout.strip()}")
    install_book_code_hook(venv, root)
    check_libraries(venv, mxnet)
    gpus = check_import(venv)
    if mxnet != "mxnet":
        say(tr("gpus", mxnet=mxnet, gpus=gpus))
    write_atomically(stamp, want + "\n")
    say(tr("ready"))
    return venv


def is_ready(root=ROOT):
    """True when .venv/ is set up for this interpreter, the pins and KIT_MXNET (its stamp)."""
    stamp = root / ".venv" / ".kit-installed"
    try:
        want = stamp_value(root, interpreter(), mxnet_package())
        return (root / ".venv" / "bin" / "python").exists() and stamp.read_text().strip() == want
    except (OSError, SetupError):
        return False


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(
        prog="./kit setup", description="Set up the kit: .venv/ with the pinned packages and "
        "the kit itself, MXNet's system libraries, the data. Idempotent: a later run redoes "
        "only what changed.")
    parser.add_argument("command", nargs="?", default="setup", help="also install what this "
                        f"command needs from the system ({', '.join(SYSTEM_TOOLS)}: as root)")
    command = parser.parse_args(sys.argv[1:] if argv is None else argv).command
    # ./kit starts this Python with Ctrl-C ignored (no traceback from its start-up): now on.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        try:
            venv = setup_venv(ROOT)
            setup_system(ROOT, command)
            if command in PROXY_COMMANDS:
                problem = setup_proxy(ROOT, venv)
                if problem and command == "hub":
                    raise SetupError(problem)
                if problem:  # ./kit test goes on: the hub's test names the problem and fails
                    say(problem)
            setup_data(ROOT, venv)
        except KeyboardInterrupt:
            raise Interrupted(tr("interrupted", cleanup=tr("intact"))) from None
    except SetupError as e:
        print(f"kit: {e}", file=sys.stderr)
        return e.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
