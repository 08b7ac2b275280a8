"""The packages of .venv/: the pins (requirements.txt locked by constraints.txt) from PyPI
or a classroom bundle's wheelhouse, a pip failure explained in one message, then the kit
itself (editable) and the line that lets the book's own code run.

Standard library only, like the rest of set-up (tools/setup/env.py).
"""
import os
import platform
import re
import tempfile
from pathlib import Path

from tools.setup.machine import platform_tag
from tools.setup.messages import DiskFull, SetupError, run, tr, write_atomically
from tools.setup.python import site_packages


def pin_lines(text, mxnet):
    """The lines of a pin file with `mxnet==...` replaced by the chosen MXNet package."""
    out = []
    for line in text.splitlines():
        if re.match(r"mxnet\s*==", line):
            line = re.sub(r"^mxnet", mxnet, line)
        out.append(line)
    return "\n".join(out) + "\n"


def install_plan(root, mxnet):
    """{file name: content} of the requirements and constraints pip is given."""
    return {name: pin_lines((root / name).read_text(), mxnet)
            for name in ("requirements.txt", "constraints.txt")}


def wheelhouse(root, tag):
    """A classroom bundle's wheels for this platform (KIT_WHEELHOUSE or wheelhouse/<tag>)."""
    env = os.environ.get("KIT_WHEELHOUSE")
    folder = Path(env) if env else root / "wheelhouse" / tag
    if env and not folder.is_dir():
        raise SetupError(f"KIT_WHEELHOUSE={env} is not a folder of wheels.")
    return folder if folder.is_dir() else None


def pip_install(venv, plan, source, log_path):
    """pip install the plan into .venv/; return (ok, pip's whole output).

    First every locked pin with --no-deps: the lock is complete, so nothing is resolved and
    a pin that cannot install here (its Requires-Python, no wheel) fails at once by name,
    where pip's resolver would backtrack for many minutes before its ResolutionImpossible.
    Then the requirements within the lock, which adds only what this platform needs beyond
    it (appnope on macOS, say).
    """
    python = [str(venv / "bin" / "python"), "-m", "pip", "install",
              "--disable-pip-version-check", "--progress-bar", "off"]
    if source is not None:
        python += ["--no-index", "--find-links", str(source)]
    output = ""
    with tempfile.TemporaryDirectory(prefix="kit-pins-") as tmp:
        for name, text in plan.items():
            Path(tmp, name).write_text(text)
        lock, reqs = str(Path(tmp, "constraints.txt")), str(Path(tmp, "requirements.txt"))
        for step in ([*python, "--no-deps", "-r", lock],
                     [*python, "-r", reqs, "-c", lock]):
            r = run(step, capture_output=True, text=True)
            output += r.stdout + r.stderr
            write_atomically(log_path, output)
            if r.returncode != 0:
                return False, output
    return True, output


def requires_python_conflicts(output):
    """[(version list, specifier)] from pip's 'Ignored ... require a different python' line."""
    m = re.search(r"require a different python version: (.*)", output)
    if not m:
        return []
    return re.findall(r"([^\s;]+) Requires-Python ([^;\n]+)", m.group(1))


def explain_pip_failure(output, version, source, probe=None):
    """One message naming why pip failed, from its output (`probe(pin)` re-asks pip about one pin)."""
    network = re.search(r"(Failed to establish a new connection|Temporary failure in name "
                        r"resolution|Network is unreachable|No route to host|Could not fetch "
                        r"URL|Max retries exceeded|Name or service not known|timed out)", output)
    missing = re.findall(r"No matching distribution found for (\S+)", output)
    if "CERTIFICATE_VERIFY_FAILED" in output and source is None:
        return tr("certificate")
    if "No space left on device" in output:
        return tr("disk full")
    if network and source is None:
        return tr("no network", error=network.group(1))
    if missing:
        pin = missing[-1]
        python = requires_python_conflicts(output)
        if python:
            needs = python[-1][1].strip()
            return (f"the pin {pin} needs Python {needs}, and this Python is {version}. "
                    "The lock should hold only versions that install on every Python 3.11 from "
                    "3.11.2; pick an older release of it in constraints.txt, or use a newer "
                    "Python 3.11 (KIT_PYTHON=/path/to/python3.11).")
        if source is not None:
            return (f"the bundle's wheelhouse {source} has no wheel for {pin} on this platform "
                    f"and Python {version}. Rebuild the bundle with './kit bundle' on a machine "
                    "with network, for this platform.")
        return (f"pip found no distribution of {pin} for this platform ({platform_tag()}, "
                f"Python {version}).")
    if "ResolutionImpossible" in output:
        conflict = re.search(r"The conflict is caused by:\n(.*?)\n\n", output, re.S)
        lines = conflict.group(1).strip().splitlines() if conflict else []
        causes = []
        for pin in re.findall(r"The user requested \(constraint\) (\S+==\S+)", output):
            why = probe(pin) if probe else ""
            if why:
                causes.append(why)
        detail = "\n       ".join(line.strip() for line in lines)
        head = ("the pinned versions cannot be installed together on Python "
                f"{version} (pip: ResolutionImpossible).")
        if causes:
            head += "\n     " + "\n     ".join(causes)
        return head + (f"\n     pip says:\n       {detail}" if detail else "")
    lines = [line for line in output.strip().splitlines() if "is ignored: it is" not in line]
    tail = "\n       ".join(lines[-12:])
    return f"pip failed; the end of its output:\n       {tail}"


def probe_pin(venv, source):
    """A function telling, for one pin, why pip cannot install it here ('' if it can)."""
    def probe(pin):
        cmd = [str(venv / "bin" / "python"), "-m", "pip", "install", "--dry-run", "--no-deps",
               "--ignore-installed", "--disable-pip-version-check", pin]
        if source is not None:
            cmd += ["--no-index", "--find-links", str(source)]
        r = run(cmd, capture_output=True, text=True)
        conflicts = requires_python_conflicts(r.stdout + r.stderr)
        if r.returncode != 0 and conflicts:
            return (f"the pin {pin} needs Python {conflicts[-1][1].strip()}, and this Python "
                    f"is {platform.python_version()}: pick an older release of it in "
                    "constraints.txt, or use a newer Python 3.11.")
        return ""
    return probe


def install_project(venv, root):
    """The kit itself into .venv/, editable (pip install -e .): its packages (pyproject.toml)
    import from anywhere and stay the files of this folder. No index, no build isolation:
    the pinned setuptools is already there, so this works with no network."""
    (site_packages(venv) / "softmax-kit.pth").unlink(missing_ok=True)  # an older kit's line
    r = run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps",
                        "--no-index", "--no-build-isolation", "--disable-pip-version-check",
                        "--editable", str(root)], capture_output=True, text=True)
    if r.returncode != 0:
        if "No space left on device" in r.stdout + r.stderr:
            raise DiskFull(r.stderr)
        tail = "\n       ".join((r.stdout + r.stderr).strip().splitlines()[-8:])
        raise SetupError(f"installing the kit itself (pip install -e .) failed:\n       {tail}")


def book_code_pth(root):
    """The line that loads helpers/book_code.py's import hook at interpreter start.

    It loads that one file under a private name (not the ``helpers`` package, which a
    user's own code may also have) and adds the hook; MXNet, d2l and the data are touched
    only when the code imports them (README, "Running the book's own code").
    """
    path = root / "helpers" / "book_code.py"
    # Once per process: site reads the site-packages folder twice where lib64 links to lib.
    # importlib.machinery, not importlib.util: the latter imports contextlib, functools and
    # collections, some 4 ms at every start.
    code = ("if NAME not in sys.modules:\n"
            " from importlib.machinery import SourceFileLoader\n"
            " loader = SourceFileLoader(NAME, PATH)\n"
            " m = sys.modules[NAME] = type(sys)(NAME)\n"
            " m.__file__, m.__loader__ = PATH, loader\n"
            " loader.exec_module(m)\n"
            " m.install()\n")
    code = code.replace("NAME", repr("_softmax_kit_book_code")).replace("PATH", repr(str(path)))
    return f"import sys; exec({code!r})\n"


def install_book_code_hook(venv, root):
    """Write .venv's softmax-kit-book-code.pth (each set-up: it names this folder)."""
    pth = site_packages(venv) / "softmax-kit-book-code.pth"
    line = book_code_pth(root)
    if not pth.is_file() or pth.read_text() != line:
        write_atomically(pth, line)
