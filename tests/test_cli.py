"""One package, one CLI: `./kit help` lists every command a student, a teacher or a
maintainer runs (nbgrader's included), each answers --help, and a wrong command or lesson is
answered at once, before anything is set up. The kit is one installed package: no `.pth`
of its own for the repository, no `sys.path` edits anywhere.
"""
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tools.cli import COMMANDS, NBGRADER, call
from tools.lessons.notebooks import notebook_paths
from tests.kit_paths import ROOT

# What ./kit needs before set-up to answer help, an unknown command, a missing lesson.
BARE = ("kit", "tools/__init__.py", "tools/cli.py", "tools/lessons/run.py",
        "tools/lessons/notebooks.py")


def kit(*args, cwd=ROOT, env=None, timeout=120):
    return subprocess.run(["bash", str(Path(cwd) / "kit"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def bare_kit(tmp_path):
    """The kit's command files and lessons, nothing set up (no .venv/)."""
    for name in BARE:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns("zh"))
    return tmp_path


# ---------------------------------------------------------------- the list

def test_help_lists_every_command_and_nbgraders_without_setting_up(bare_kit):
    r = kit("help", cwd=bare_kit)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in COMMANDS:
        assert re.search(rf"^  {re.escape(name)} ", r.stdout, re.M), name
    assert {"run", "test", "lab", "bench", "grade", "setup", "bundle", "twins", "sync-saved",
            "release-zh", "data", "site", "bench-grading", "distributed",
            "fake-class"} <= set(COMMANDS)
    for command, _ in NBGRADER:
        assert f"../.venv/bin/nbgrader {command}" in r.stdout
    assert all(len(line) <= 100 for line in r.stdout.splitlines()), "lines of 100 at most"
    assert not (bare_kit / ".venv").exists(), "help set something up"
    assert kit(cwd=bare_kit).stdout == r.stdout  # ./kit alone says the same


def test_the_nbgrader_commands_listed_are_the_teachers_in_course_readme():
    """./kit help names each nbgrader command course/README.md has a teacher run, and no other."""
    readme = (ROOT / "course" / "README.md").read_text()
    students = {"fetch_assignment", "submit", "fetch_feedback"}
    teachers = set(re.findall(r"bin/nbgrader (\w+)", readme)) - students
    assert {command.split()[0] for command, _ in NBGRADER} == teachers


def test_every_command_named_in_the_readmes_is_in_the_table():
    for readme in ("README.md", "README.zh-CN.md", "course/README.md"):
        text = (ROOT / readme).read_text(encoding="utf-8")
        named = set(re.findall(r"\./kit ([a-z][\w-]*)", text))
        assert named and named <= set(COMMANDS) | {"help"}, f"{readme}: {named - set(COMMANDS)}"


# The commands that start another program (pytest, JupyterLab) or run before set-up.
OWN_PROCESS = ("test", "lab", "run", "setup")


def test_every_command_answers_help(monkeypatch, capsys):
    """`./kit COMMAND --help`: through ./kit for the commands of OWN_PROCESS, the others as
    ./kit calls them in .venv's Python (in this process: the same imports, once); and
    nbgrader's commands."""
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda name: (name, kit(name, "--help")), OWN_PROCESS))
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    for name, command in COMMANDS.items():
        if name not in OWN_PROCESS:
            with pytest.raises(SystemExit) as stop:
                if call(command, ["--help"]) == 0:
                    raise SystemExit(0)
            out, err = capsys.readouterr()
            answers.append((name, subprocess.CompletedProcess([], stop.value.code, out, err)))
    assert {name for name, _ in answers} == set(COMMANDS)
    for name, r in answers:
        assert r.returncode == 0, f"{name} --help:\n{r.stdout}{r.stderr}"
        assert re.search(r"usage|Usage", r.stdout), f"{name} --help:\n{r.stdout}"
        assert "Traceback" not in r.stderr and "kit: Fashion-MNIST" not in r.stdout
    r = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "--help"],
                       cwd=ROOT / "course", capture_output=True, text=True, timeout=120)
    subcommands = set(re.findall(r"^(\w+)\n {4}\S", r.stdout, re.M))
    assert {c.split()[0] for c, _ in NBGRADER} <= subcommands, r.stdout


# ---------------------------------------------------------------- wrong input

def test_an_unknown_command_is_named_and_the_commands_listed(bare_kit):
    r = kit("frobnicate", cwd=bare_kit)
    assert r.returncode == 2
    last = r.stderr.strip().splitlines()[-1]
    assert "unknown command 'frobnicate'" in last and "listed above" in last, last
    assert "  run " in r.stderr and "  grade " in r.stderr
    assert "set -euo" not in r.stdout + r.stderr
    assert "did you mean 'run'" in kit("rn", cwd=bare_kit).stderr
    assert not (bare_kit / ".venv").exists()


def test_a_missing_lesson_lists_the_lessons_before_setting_up(bare_kit):
    for folder in (bare_kit, ROOT):
        r = kit("run", "99", cwd=folder)
        assert r.returncode == 2, r.stdout + r.stderr
        for path in notebook_paths():
            assert path.stem in r.stderr, path.stem
        assert "no lesson matches '99'" in r.stderr
        assert "./kit run 03 04" in r.stderr.strip().splitlines()[-1]
        assert "running" not in r.stdout
    assert not (bare_kit / ".venv").exists()


def test_the_python_message_says_which_python_and_its_pyenv_route_works(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("python3.11", "python3", "python"):
        (bin_dir / name).write_text("#!/bin/sh\necho 3.10\n")
        (bin_dir / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "KIT_PYTHON"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    copy = tmp_path / "kit"
    copy.mkdir()
    shutil.copy2(ROOT / "kit", copy / "kit")
    r = kit("help", cwd=copy, env=env)
    assert r.returncode == 2
    assert "python3.11 is Python 3.10" in r.stderr
    assert "newer" not in r.stderr, "3.10 is not a newer Python"
    # The pyenv route, typed as printed, names an existing Python 3.11.
    line = next(line for line in r.stderr.splitlines() if "pyenv:" in line)
    expression = re.search(r"KIT_PYTHON=(\$\([^)]*\)\S*)", line).group(1)
    pyenv = shutil.which("pyenv") or str(Path.home() / ".pyenv" / "bin" / "pyenv")
    assert os.access(pyenv, os.X_OK), "pyenv is missing: https://github.com/pyenv/pyenv#installation"
    path = os.pathsep.join([str(Path(pyenv).parent), os.environ["PATH"]])
    if subprocess.run([pyenv, "prefix", "3.11"], capture_output=True).returncode != 0:
        pytest.fail("pyenv has no 3.11 here: pyenv install 3.11")
    typed = subprocess.run(["bash", "-c", f"printf %s {expression}"], capture_output=True,
                           text=True, env=dict(os.environ, PATH=path)).stdout
    assert Path(typed).is_file() and "*" not in typed, typed
    version = subprocess.run([typed, "--version"], capture_output=True, text=True).stdout
    assert version.startswith("Python 3.11."), version


# ---------------------------------------------------------------- one package

def test_the_kit_is_one_installed_package():
    """Set-up installs the kit editable: its packages import from anywhere, by the finder
    pip installs, with no `.pth` of its own naming the repository; `kit` is a command of
    .venv/ too."""
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    assert not (site / "softmax-kit.pth").exists(), "the hand-written .pth is back"
    assert (site / "softmax-kit-book-code.pth").is_file(), "the book's import hook is gone"
    code = ("import json, sys, helpers, grading, tools, benchmarks, tools.cli\n"
            f"print(json.dumps([{str(ROOT)!r} in sys.path, helpers.__file__]))")
    r = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f'[false, "{ROOT / "helpers" / "__init__.py"}"]', r.stdout
    r = subprocess.run([sys.executable, "-m", "pip", "show", "-f", "softmax-kit"],
                       capture_output=True, text=True)
    assert "Editable project location: " + str(ROOT) in r.stdout, r.stdout
    kit_script = Path(sys.executable).parent / "kit"
    r = subprocess.run([str(kit_script), "help"], cwd="/", capture_output=True, text=True)
    assert r.returncode == 0 and "  grade " in r.stdout, r.stdout + r.stderr


def test_no_sys_path_edits_in_the_code():
    found = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in (".venv", "build", "site") or "wheelhouse" in parts:
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"sys\.path\.(insert|append)\(", line) and "re.search" not in line:
                found.append(f"{path.relative_to(ROOT)}:{n}")
    assert not found, found


# ---------------------------------------------------------------- what the texts say

def test_the_readmes_state_disk_need_lesson_choice_lab_options_and_the_ca():
    for name in ("README.md", "README.zh-CN.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "1.2 GB" in text, name
        assert "./kit run 03 04" in text, name
        assert "--port" in text and "--no-browser" in text, name
        assert "--secret id=ca,src=" in text, name
        assert "./kit help" in text, name


def test_save_means_what_the_readme_and_sync_saved_say():
    """`#@save` runs the other way from d2l's: said where a reader first meets it."""
    readme = (ROOT / "README.md").read_text()
    first = readme.index("#@save")
    around = readme[max(0, first - 400):first + 600]
    assert "helpers/" in around and "d2l" in around and "overwrit" in around, around
    doc = (ROOT / "tools" / "lessons" / "sync_saved.py").read_text().split('"""')[1]
    assert "opposite" in doc and "d2l" in doc


def test_the_fixture_class_tells_the_teacher_a_command_the_course_accepts():
    doc = (ROOT / "tests" / "classes" / "fixture_class.py").read_text().split('"""')[1]
    commands = [line.strip() for line in doc.splitlines() if line.startswith("    ")]
    assert commands and not any("autograde" in c for c in commands), commands
    assert commands[1:3] == ["./kit fake-class", "./kit grade a1_softmax"], commands
    readme = (ROOT / "course" / "README.md").read_text()
    assert "cd .. && ./kit fake-class && ./kit grade a1_softmax" in readme
    assert "./kit fake-class --adversarial" in readme


def test_fake_class_writes_the_class_or_says_what_is_missing(bare_kit, tmp_path):
    """`./kit fake-class` (course/README.md): the five students of a1_softmax written into the
    course; without the student copy, the command that makes it; in a kit without its tests
    (a student's bundle), why not, before anything is set up."""
    for args, script in (([], "fixture_class"), (["--adversarial"], "adversarial_class")):
        r = kit("fake-class", *args, cwd=bare_kit)
        assert r.returncode == 2, r.stdout + r.stderr
        assert f"tests/classes/{script}.py is not in this copy of the kit" in r.stderr
        assert "teacher's bundle" in r.stderr and "Traceback" not in r.stderr
    assert not (bare_kit / ".venv").exists()

    course = tmp_path / "course"
    shutil.copytree(ROOT / "course" / "source", course / "source")
    for args in ([], ["--adversarial"]):
        r = kit("fake-class", *args, "--course", str(course))
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stdout + r.stderr
        assert re.search(r"^kit fake-class: .*release/a1_softmax/softmax\.ipynb is missing: "
                         r"make the student copy first: cd .* && .*nbgrader generate_assignment "
                         r"a1_softmax --force$", r.stderr.strip()), r.stderr
    release = course / "release" / "a1_softmax"  # stands for nbgrader's (tests/test_grading.py
    release.mkdir(parents=True)                  # grades the class from a real one)
    shutil.copy(course / "source" / "a1_softmax" / "softmax.ipynb", release)
    r = kit("fake-class", "--course", str(course))
    assert r.returncode == 0, r.stdout + r.stderr
    written = sorted(p.relative_to(course).as_posix() for p in course.rglob("submitted/*/*/*"))
    assert written == [f"submitted/{s}/a1_softmax/softmax.ipynb" for s in
                       ("batch_max", "correct", "empty", "overflow", "wrong_shape")]
    assert sorted(r.stdout.split()) == written
