"""The pins (requirements.txt, constraints.txt, environment.yml), the installed versions and kit."""
import collections
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

PIN_FILES = ("requirements.txt", "constraints.txt", "pyproject.toml")  # the kit's pins_digest


def pins(lines):
    """[(canonical name, version)] of `name==version` lines; comments, blanks, -c/-e skipped."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    out = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==" and not req.marker, \
            f"not an exact pin: {line!r}"
        out.append((canonicalize_name(req.name), specs[0].version))
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


# The lock on the oldest Python 3.11 the kit supports

OLDEST = "3.11.2"  # Debian 12's python3.11


def test_every_locked_pin_installs_on_the_oldest_python_311(project):
    """Each installed distribution's Requires-Python admits 3.11.2 (the metadata pip checks)."""
    from packaging.specifiers import SpecifierSet
    bad = []
    for name, version in read_pins(project, "constraints.txt"):
        meta = importlib.metadata.metadata(name)
        assert meta["Version"] == version, (name, meta["Version"], version)
        requires = meta.get("Requires-Python")
        if requires and OLDEST not in SpecifierSet(requires):
            bad.append(f"{name}=={version} needs Python {requires}")
    assert not bad, f"these pins do not install on Python {OLDEST}: {bad}"


def test_the_lock_holds_what_nbgrader_imports_undeclared(project):
    """nbgrader imports setuptools without declaring it: the lock must pin it."""
    assert "setuptools" in dict(read_pins(project, "constraints.txt"))
    assert "setuptools" in dict(read_pins(project, "requirements.txt"))


def test_the_lock_is_complete(project):
    """Every requirement of every locked package (on Linux) is locked too: set-up installs
    the lock with --no-deps, so a missing one would only show in pip check."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    locked = dict(read_pins(project, "constraints.txt"))
    env = {"extra": ""}
    missing = []
    for name in locked:
        for line in importlib.metadata.requires(name) or []:
            req = Requirement(line)
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            if canonicalize_name(req.name) not in locked:
                missing.append(f"{name} -> {req.name}")
    assert not missing, f"unlocked requirements: {missing}"


def test_reading_a_notebook_builds_no_grammar(project):
    """jsonschema from 4.25 imports rfc3987-syntax, which builds some 35 Lark parsers when
    imported: 2.3 s of CPU more for every nbgrader command, notebook run and JupyterLab
    start (`python -X importtime -m nbgrader --version`: 3.7 s, 2.0 s without it). The lock
    holds jsonschema 4.24, whose format checks do without it."""
    code = ("import sys, nbformat\n"
            "nbformat.validate(nbformat.v4.new_notebook())\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'rfc3987_syntax', 'lark'}))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", f"importing nbformat loads {r.stdout.strip()}"
    assert "rfc3987-syntax" not in dict(read_pins(project, "constraints.txt"))


# kit

def copy_project(project, tmp_path):
    """kit, its set-up modules and the pin files in a fresh folder: no .venv."""
    from tools.setup.env import MODULE_FILES
    copy = tmp_path / "project"
    (copy / "tools" / "setup").mkdir(parents=True)
    for name in ("kit",) + PIN_FILES + MODULE_FILES:
        shutil.copy2(project / name, copy / name)
    return copy


def fake(folder, name, script):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return path


def kit(folder, env, *args, timeout=120):
    return subprocess.run(["bash", "kit", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=timeout)


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


def test_real_venv_is_stamped_with_the_pins_and_its_python(project):
    from tools.setup.env import interpreter, mxnet_package, stamp_value, venv_record
    stamp = project / ".venv" / ".kit-installed"
    record = venv_record(project / ".venv")
    who = {"executable": record["executable"], "version": record["version"]}
    assert who == interpreter()  # the tests run in .venv's Python, made from that one
    assert stamp.read_text().strip() == stamp_value(project, who, mxnet_package({}))


def test_the_stamp_changes_with_pins_python_and_mxnet(project, tmp_path):
    from tools.setup.env import stamp_value
    copy = copy_project(project, tmp_path)
    who = {"executable": "/usr/bin/python3.11", "version": "3.11.2"}
    base = stamp_value(copy, who, "mxnet")
    assert stamp_value(copy, who, "mxnet") == base
    assert stamp_value(copy, dict(who, version="3.11.9"), "mxnet") != base
    assert stamp_value(copy, dict(who, executable="/opt/py/bin/python3.11"), "mxnet") != base
    assert stamp_value(copy, who, "mxnet-cu117") != base
    requirements = copy / "requirements.txt"
    requirements.write_text(re.sub(r"(?m)^numpy==.*$", "numpy==0.0.1", requirements.read_text()))
    assert stamp_value(copy, who, "mxnet") != base
