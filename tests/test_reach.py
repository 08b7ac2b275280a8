"""Every student's machine, set up for real: Debian's own Python 3.11.2, a failed install and
another Python, a missing system library, a classroom with no network, CUDA and macOS wheels.

Set-up runs in copies of the project, with pip's configuration, the data variables and apt
kept out (``KIT_SYSTEM_PACKAGES=no``), so each test sees only what it sets. The classroom
test builds a bundle, unpacks it and sets up and runs the lessons in a network namespace
with no network at all (``unshare -n``): nothing can be fetched there.
"""
import json
import re
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.setup.env import MODULE_FILES, venv_record
from tools.site.archives import extract

DEBIAN_PYTHON = "/usr/bin/python3.11"
KIT_FILES = ("kit", "requirements.txt", "constraints.txt", "pyproject.toml", *MODULE_FILES)


def kit_env(home, **extra):
    """The environment of a student's shell: no pip config, no data or KIT_ variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "KIT_", "FASHION_MNIST_", "VIRTUAL_ENV", "XDG_"))}
    home.mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), PIP_CONFIG_FILE=os.devnull, KIT_SYSTEM_PACKAGES="no",
               PATH=os.environ["PATH"])
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(cmd, cwd, env, timeout=600):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def offline(command):
    """`command` (a shell string) in a new network namespace whose only interface is lo."""
    return ["unshare", "-n", "sh", "-c", f"ip link set lo up && {command}"]


def version(python):
    return subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def pythons(project):
    """Debian's python3.11 (3.11.2) and another Python 3.11 of this machine."""
    assert Path(DEBIAN_PYTHON).is_file(), f"{DEBIAN_PYTHON} is missing: apt-get install python3.11"
    assert version(DEBIAN_PYTHON) == "3.11.2", "Debian 12's python3.11 is 3.11.2"
    candidates = [venv_record(project / ".venv")["executable"], shutil.which("python3.11")]
    for other in candidates:
        if other and os.path.realpath(other) != os.path.realpath(DEBIAN_PYTHON) \
                and version(other).startswith("3.11."):
            return DEBIAN_PYTHON, os.path.realpath(other)
    pytest.fail("these tests need a second Python 3.11 beside Debian's (e.g. pyenv's)")


def copy_kit(project, dest):
    for name in KIT_FILES:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(project / name, dest / name)
    return dest


def cfg_version(copy):
    return venv_record(copy / ".venv")["version"]


def test_a_failed_install_is_never_stamped_and_another_python_rebuilds(project, pythons,
                                                                       tmp_path):
    debian, other = pythons
    copy = copy_kit(project, tmp_path / "kit")
    empty = tmp_path / "empty-wheelhouse"
    empty.mkdir()
    stamp = copy / ".venv" / ".kit-installed"

    r = run(["bash", "kit", "setup"], copy, kit_env(tmp_path / "home", KIT_PYTHON=debian,
                                                   KIT_WHEELHOUSE=empty))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "installing the pinned packages failed" in r.stderr
    assert "has no wheel for" in r.stderr and "kit-install.log" in r.stderr
    assert not stamp.exists()
    assert cfg_version(copy) == "3.11.2"

    r = run(["bash", "kit", "setup"], copy, kit_env(tmp_path / "home", KIT_PYTHON=other,
                                                   KIT_WHEELHOUSE=empty))
    assert r.returncode == 1
    assert "rebuilding .venv/" in r.stdout and "3.11.2" in r.stdout
    assert cfg_version(copy) == version(other)
    assert not stamp.exists()

    # Without KIT_PYTHON, the kit keeps the Python .venv/ was made from.
    r = run(["bash", "kit", "setup"], copy, kit_env(tmp_path / "home", KIT_WHEELHOUSE=empty))
    assert "rebuilding" not in r.stdout and cfg_version(copy) == version(other)

    # Another MXNet package rebuilds too: two packages must never share .venv/'s mxnet/.
    r = run(["bash", "kit", "setup"], copy, kit_env(tmp_path / "home", KIT_WHEELHOUSE=empty,
                                                   KIT_MXNET="mxnet-cu117"))
    assert "rebuilding .venv/" in r.stdout and "mxnet-cu117" in r.stdout
    assert (copy / ".venv" / ".kit-mxnet").read_text().strip() == "mxnet-cu117"


def hide_library(soname, tmp_path):
    """A shell prefix that runs a command with `soname` gone from the system (overlay whiteouts)."""
    found = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout
    path = next(line.split("=> ")[1].strip() for line in found.splitlines()
                if line.strip().startswith(soname + " ") and "x86-64" in line)
    real = Path(os.path.realpath(path))
    upper, work = tmp_path / "upper", tmp_path / "work"
    upper.mkdir()
    work.mkdir()
    for name in {soname, real.name}:
        subprocess.run(["mknod", str(upper / name), "c", "0", "0"], check=True)
    return (f"mount -t overlay overlay -o lowerdir={real.parent},upperdir={upper},"
            f"workdir={work} {real.parent}")


def test_a_missing_system_library_stops_setup_with_the_package_to_install(project, tmp_path):
    copy = copy_kit(project, tmp_path / "kit")
    shutil.copytree(project / "helpers", copy / "helpers")
    # The project's own environment, hard-linked (set-up replaces files, never edits them).
    subprocess.run(["cp", "-al", str(project / ".venv"), str(copy / ".venv")], check=True)
    stamp = copy / ".venv" / ".kit-installed"
    stamped = stamp.read_text()
    stamp.unlink()
    mount = hide_library("libgomp.so.1", tmp_path)
    env = kit_env(tmp_path / "home")

    def setup():
        return run(["unshare", "-m", "sh", "-c", f"{mount} && exec bash kit setup"], copy, env)

    r = setup()
    assert r.returncode == 1, r.stdout + r.stderr
    assert "libmxnet.so cannot load: libgomp.so.1 not found" in r.stderr
    assert "sudo apt-get install libgomp1" in r.stderr
    assert "ready" not in r.stdout and not stamp.exists()

    # Stamped before the library went away: still stopped before any notebook runs.
    stamp.write_text(stamped)
    r = setup()
    assert r.returncode == 1 and "libgomp.so.1 not found" in r.stderr
    # With the library there, the same copy is fine.
    r = run(["bash", "kit", "setup"], copy, dict(env, FASHION_MNIST_DIR=""))
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture(scope="module")
def unpacked_bundle(classroom_bundle, tmp_path_factory):
    """./kit bundle for both platforms, unpacked as a teacher hands it out."""
    dest = tmp_path_factory.mktemp("classroom")
    extract(classroom_bundle, dest)
    print(f"\nbundle: {classroom_bundle.stat().st_size / 2**20:.0f} MiB")
    return dest / "softmax-kit"


def test_the_bundle_holds_the_kit_the_data_and_both_wheelhouses(unpacked_bundle):
    kit = unpacked_bundle
    assert (kit / "kit").is_file() and (kit / "notebooks").is_dir()
    assert not (kit / ".venv").exists() and not (kit / ".git").exists()
    assert len(list((kit / "data" / "fashion-mnist").glob("*-ubyte.gz"))) == 4
    for tag in ("linux-x86_64", "macos-x86_64"):
        assert list((kit / "wheelhouse" / tag).glob("mxnet-1.9.1-*.whl")), tag
    assert list((kit / "wheelhouse" / "macos-x86_64").glob("appnope-*.whl"))
    readme = (kit / "BUNDLE.md").read_text()
    assert "./kit setup" in readme and "need a compiler" in readme
    # The default bundle is a student's: no solution, hidden test, grader or fixture class.
    assert "A **student** bundle" in readme
    for path in ("course/source", "course/source_zh", "grading/reference.py", "grading/run.py",
                 "tests"):
        assert not (kit / path).exists(), path
    assert (kit / "course" / "nbgrader_config.py").is_file()
    assert sorted(p.name for p in (kit / "grading").iterdir()) == ["__init__.py", "checks"]
    r = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=kit,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("tag, platforms", [
    ("linux-x86_64", ["manylinux_2_28_x86_64", "manylinux2014_x86_64"]),
    ("macos-x86_64", ["macosx_12_0_x86_64"]),
])
def test_each_wheelhouse_installs_the_pins_with_no_index(unpacked_bundle, tmp_path, tag,
                                                         platforms):
    """pip resolves the whole environment for that platform from the wheelhouse alone."""
    kit = unpacked_bundle
    report = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
           "--no-index", "--find-links", str(kit / "wheelhouse" / tag),
           "--only-binary=:all:", "--python-version", "3.11.2", "--implementation", "cp",
           "--target", str(tmp_path / "target"), "--report", str(report),
           "-r", str(kit / "requirements.txt"), "-c", str(kit / "constraints.txt")]
    for p in platforms:
        cmd += ["--platform", p]
    r = subprocess.run(cmd, capture_output=True, text=True, env=kit_env(tmp_path / "home"))
    assert r.returncode == 0, r.stdout + r.stderr
    installed = {i["metadata"]["name"].lower(): i for i in json.loads(report.read_text())["install"]}
    assert installed["mxnet"]["metadata"]["version"] == "1.9.1"
    assert installed["numpy"]["metadata"]["version"] == "1.23.5"
    # The platform's own binary wheels. (pip evaluates markers for the running Python, so the
    # macOS-only extras, appnope, are checked as files in the test above.)
    wanted = "macosx" if tag.startswith("macos") else "manylinux"
    for name in ("mxnet", "numpy", "scipy", "pyzmq"):
        assert wanted in installed[name]["download_info"]["url"], name


def test_a_classroom_with_no_network_sets_up_from_the_bundle(unpacked_bundle, pythons,
                                                             tmp_path):
    """Offline: no wheelhouse fails clearly; the bundle with Debian's 3.11.2 sets up and runs."""
    debian, other = pythons
    kit = unpacked_bundle
    home = tmp_path / "home"
    env = kit_env(home, FASHION_MNIST_SYSTEM_DIR=tmp_path / "no-system-data")
    aside = tmp_path / "wheelhouse-aside"

    shutil.move(kit / "wheelhouse", aside)
    r = run(offline(f"KIT_PYTHON={other} bash kit setup"), kit, env)
    shutil.move(aside, kit / "wheelhouse")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "could not reach the package index" in r.stderr
    assert not (kit / ".venv" / ".kit-installed").exists()

    # One lesson here (the kernel machinery and the site); the container runs two more with
    # no network from this same wheelhouse and Debian's same Python (tests/test_container.py:
    # the data and training), and every lesson runs in the pinned environment on the host
    # (tests/test_lessons.py).
    r = run(offline(f"KIT_PYTHON={debian} bash kit setup && bash kit run 01"), kit, env,
            timeout=1500)
    print(r.stdout[-1500:])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "rebuilding .venv/" in r.stdout and "from the bundle's wheelhouse" in r.stdout
    assert "1 passed, 0 failed" in r.stdout
    assert cfg_version(kit) == "3.11.2"
    cache = home / ".cache" / "softmax-kit" / "fashion-mnist"
    assert len(list(cache.glob("*-ubyte.gz"))) == 4


def test_a_cuda_build_is_what_kit_mxnet_installs(project, tmp_path):
    """KIT_MXNET=mxnet-cu117: the plan's pin resolves on PyPI to a Linux x86-64 wheel whose
    requirements the lock satisfies (its metadata only; the wheel is over 500 MB)."""
    from packaging.requirements import Requirement
    from tools.setup.env import install_plan
    plan = install_plan(project, "mxnet-cu117")
    pin = next(line for line in plan["constraints.txt"].splitlines()
               if line.startswith("mxnet"))
    assert pin == "mxnet-cu117==1.9.1"
    report = tmp_path / "report.json"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps",
                        "--ignore-installed", "--quiet", "--report", str(report), pin],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    item = json.loads(report.read_text())["install"][0]
    assert item["download_info"]["url"].endswith("-py3-none-manylinux2014_x86_64.whl")
    locked = dict(line.split("==") for line in plan["constraints.txt"].splitlines()
                  if "==" in line)
    for line in item["metadata"]["requires_dist"]:
        req = Requirement(line)
        assert req.name in locked and req.specifier.contains(locked[req.name]), line


def test_notebook_05_says_the_cpu_wheel_never_sees_a_gpu_and_how_to_switch(project):
    import nbformat
    from tools.setup.env import MXNET_PACKAGES
    nb = nbformat.read(project / "notebooks" / "05_gpu.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "never sees a GPU" in text
    switch = re.search(r"KIT_MXNET=(\S+) \./kit setup", text)
    assert switch and switch.group(1) in MXNET_PACKAGES
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert 'is_enabled("CUDA")' in code
