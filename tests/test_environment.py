"""The pins (requirements.txt, constraints.txt, environment.yml), the installed versions and kit."""
import collections
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

PIN_FILES = ("requirements.txt", "constraints.txt", "pyproject.toml")  # the kit's pins_digest


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines):
    """[(canonical name, version)] of `name==version` lines; comments, blanks, -c/-e skipped."""
    out = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s=;]+)", line)
        assert m, f"not an exact pin: {line!r}"
        out.append((canonical(m[1]), m[2]))
    return out


def read_pins(project, name):
    return pins((project / name).read_text().splitlines())


@pytest.fixture(scope="module")
def env_yml(project):
    return yaml.safe_load((project / "environment.yml").read_text())


def test_environment_yml_matches_requirements(project, env_yml):
    deps = env_yml["dependencies"]
    assert "python=3.11" in deps
    pip = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip) == 1
    assert "-c constraints.txt" in pip[0]
    assert sorted(pins(pip[0])) == sorted(read_pins(project, "requirements.txt"))


def test_requirements_agree_with_the_lock(project):
    required = read_pins(project, "requirements.txt")
    locked = read_pins(project, "constraints.txt")
    for what, items in (("requirements.txt", required), ("constraints.txt", locked)):
        dups = [n for n, k in collections.Counter(n for n, _ in items).items() if k > 1]
        assert not dups, f"{what} pins these twice: {dups}"
    locked = dict(locked)
    assert {"mxnet", "numpy", "d2l"} <= dict(required).keys()
    wrong = [(n, v, locked.get(n)) for n, v in required if locked.get(n) != v]
    assert not wrong, f"(package, requirements.txt, constraints.txt): {wrong}"


def test_python_is_311():
    assert sys.version_info[:2] == (3, 11)


@pytest.mark.parametrize("pin_file", ["requirements.txt", "constraints.txt"])
def test_installed_versions_are_the_pins(project, pin_file):
    def installed(name):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None
    wrong = [(n, v, installed(n)) for n, v in read_pins(project, pin_file) if installed(n) != v]
    assert not wrong, f"(package, pinned, installed): {wrong}"


# kit

def copy_project(project, tmp_path):
    """kit and the pin files in a fresh folder: no .venv."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("kit",) + PIN_FILES:
        shutil.copy2(project / name, copy)
    return copy


def fake(folder, name, script):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return path


def kit(folder, env, *args):
    return subprocess.run(["bash", "kit", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=60)


def digest(folder):
    return hashlib.sha256(b"".join((folder / f).read_bytes() for f in PIN_FILES)).hexdigest()


def kit_digest(folder):
    """The digest as the kit's own pins_digest function computes it."""
    r = subprocess.run(["bash", "-c", 'source <(sed -n "/^pins_digest()/,/^}/p" kit); pins_digest'],
                       cwd=folder, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_kit_refuses_other_python(project, tmp_path):
    copy = copy_project(project, tmp_path)
    bin_dir = tmp_path / "bin"
    for name in ("python3.11", "python3", "python"):
        fake(bin_dir, name, "echo 3.12")
    env = {k: v for k, v in os.environ.items() if k != "KIT_PYTHON"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    r = kit(copy, env, "setup")
    assert r.returncode == 2
    assert "needs Python 3.11" in r.stderr
    assert "python3.11 is Python 3.12" in r.stderr
    assert "conda env create -f environment.yml" in r.stderr
    assert not (copy / ".venv").exists()


def test_real_venv_is_stamped_with_the_pins(project):
    stamp = project / ".venv" / ".kit-installed"
    assert stamp.read_text().strip() == digest(project) == kit_digest(project)


def test_setup_reinstalls_only_when_pins_change(project, tmp_path):
    copy = copy_project(project, tmp_path)
    log = tmp_path / "calls.log"
    # A stand-in .venv whose python logs its arguments (and is "3.11"); a logging apt-get.
    fake(copy / ".venv" / "bin", "python", f'echo "$*" >> "{log}"\n[ "$1" = -c ] && echo 3.11\nexit 0')
    bin_dir = tmp_path / "bin"
    fake(bin_dir, "apt-get", f'echo "apt-get $*" >> "{log}"')
    env = dict(os.environ, KIT_PYTHON=str(copy / ".venv" / "bin" / "python"),
               PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    stamp = copy / ".venv" / ".kit-installed"
    stamp.write_text(digest(copy) + "\n")

    r = kit(copy, env, "setup")
    assert r.returncode == 0, r.stderr
    calls = log.read_text().splitlines()
    assert [c for c in calls if not c.startswith("apt-get")] == ["-m helpers.data --check"]

    requirements = copy / "requirements.txt"
    before = digest(copy)
    requirements.write_text(re.sub(r"(?m)^numpy==.*$", "numpy==0.0.1", requirements.read_text()))
    assert digest(copy) != before
    assert kit_digest(copy) == digest(copy)

    log.unlink()
    r = kit(copy, env, "setup")
    assert r.returncode == 0, r.stderr
    calls = log.read_text().splitlines()
    assert any(c.startswith("-m pip install") and "-r requirements.txt" in c for c in calls)
    assert stamp.read_text().strip() == digest(copy)
