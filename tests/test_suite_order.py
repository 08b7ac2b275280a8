"""The order `./kit test` hands files to its workers (conftest.py): the lessons first, then
the slowest files, so that neither worker idles while a long file starts last."""
import importlib.util
import subprocess
import sys


def test_every_named_slow_file_exists(project):
    spec = importlib.util.spec_from_file_location("kit_conftest", project / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    assert conftest.LONGEST_FIRST
    missing = [stem for stem in conftest.LONGEST_FIRST
               if not (project / "tests" / f"{stem}.py").is_file()]
    assert not missing, f"conftest.LONGEST_FIRST names files that do not exist: {missing}"


def test_the_test_command_keeps_that_order():
    # pytest-xdist's default sorts files by their number of tests, which undoes the order.
    from tools.cli import PYTEST
    command = " ".join(PYTEST)
    assert "--dist loadfile" in command and "--no-loadscope-reorder" in command, command


def test_lesson_users_then_the_slowest_files_come_first(project):
    files = ["tests/test_train.py", "tests/test_grading_commands.py", "tests/test_lessons.py",
             "tests/test_container.py", "tests/test_metrics.py"]
    r = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                        "-p", "no:cacheprovider", *files], cwd=project, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    order = list(dict.fromkeys(line.split("::")[0] for line in r.stdout.splitlines()
                               if "::" in line))
    assert order == ["tests/test_lessons.py", "tests/test_container.py",
                     "tests/test_grading_commands.py", "tests/test_train.py",
                     "tests/test_metrics.py"], order


def _conftest(project):
    spec = importlib.util.spec_from_file_location("kit_conftest_fast", project / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    return conftest


def test_the_fast_suite_holds_only_fast_files(project):
    """`./kit test --fast` (-m "not slow"): the FAST files, whole; no sandbox, lesson, browser."""
    conftest = _conftest(project)
    missing = [stem for stem in conftest.FAST if not (project / "tests" / f"{stem}.py").is_file()]
    assert not missing, f"conftest.FAST names files that do not exist: {missing}"
    r = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "not slow",
                        "-p", "no:cacheprovider"], cwd=project, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    files = {line.split("::")[0] for line in r.stdout.splitlines() if "::" in line}
    stems = {conftest.stem_of(f) for f in files}
    assert stems == set(conftest.FAST), stems ^ set(conftest.FAST)
    parts = {conftest.part_of(f) for f in files}
    assert not parts & {"container", "browser", "lessons", "distributed"}, parts
    from tools.cli import COMMANDS
    test = COMMANDS["test"] if isinstance(COMMANDS, dict) else next(
        c for c in COMMANDS if c.name == "test")
    assert "--fast" in test.usage


def test_no_single_test_is_marked_slow_in_a_fast_file(project):
    """A file is fast or slow as a whole: conftest marks whole files."""
    conftest = _conftest(project)
    marked = [stem for stem in conftest.FAST
              if "@pytest.mark." + "slow" in (project / "tests" / f"{stem}.py").read_text()]
    assert not marked, marked
