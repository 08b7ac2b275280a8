"""The kit's commands, in one table: ``./kit help`` lists them, ``./kit COMMAND --help``
explains one.

``./kit`` (bash) finds a Python 3.11 and hands over to this module (``python -m tools.cli``).
Until a command runs, this module uses the standard library only, so it answers before
set-up: the list, an unknown command, a lesson that does not exist. For a command it sets
up what the command needs (tools/setup/env.py, in this process), then runs the command in
.venv's Python, which has the kit installed (``pip install -e .``; also ``.venv/bin/kit``).

A new command is one entry of COMMANDS: a name, a line of help, the function that runs it
("module:function", called with the command's arguments, returning the exit status) and
what set-up prepares first.
"""
import difflib
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
CLASSES = ROOT / "tests" / "classes"  # the fake classes: with the tests, not for students
INTERRUPTED = 130  # the shell's status for a command stopped by Ctrl-C (128 + SIGINT)


@dataclass(frozen=True)
class Command:
    name: str
    usage: str         # the arguments, as `./kit help` shows them
    summary: str       # one line
    run: str           # "module:function", called with the arguments in .venv's Python
    group: str
    # What set-up prepares before the command runs: None, nothing (it runs in the Python
    # that started ./kit); "venv", only .venv/; else tools/setup/env.py's command: .venv/,
    # the data, and the system tools SYSTEM_TOOLS names for it.
    setup: str | None = "setup"
    check: str = ""    # "module:function" that vets the arguments before set-up (stdlib only)
    cwd: str = ""      # the folder, in the kit, the command runs in
    help: str = ""     # --help for a command whose function has no options of its own


GROUPS = {"lessons": "Lessons (students and teachers)",
          "course": "Teaching and grading (in the kit's folder)",
          "kit": "Set-up, classroom and tests",
          "maintain": "Maintaining the kit"}

COMMANDS = {c.name: c for c in (
    Command("run", "[NN ...] [--build DIR] [--no-site]",
            "execute the lessons (all, or those named: ./kit run 03 04) into build/, render "
            "the site build/site/, print the results", "tools.lessons.run:main", "lessons",
            check="tools.lessons.run:check"),
    Command("lab", "[FOLDER] [--port N] [--no-browser] [...]",
            "JupyterLab on the notebooks, or on a student's copy (a folder or a notebook); "
            "options go to JupyterLab", "tools.cli:lab", "lessons"),
    Command("bench", "[--epochs N] [--repeats N] [--only MODEL:PATH ...]",
            "time training per epoch: the lessons' data paths and graph modes side by side",
            "benchmarks.train_speed:main", "lessons"),
    Command("grade", "ASSIGNMENT ... | --all [--student NAME] [--feedback] [--json FILE]",
            "grade a class, each submission in its own sandbox (course/README.md)",
            "tools.course.grade:main", "course", setup="grade"),
    Command("fake-class", "[--adversarial] [--course DIR] [--port N]",
            "write a fake class into the course to try ./kit grade on: five submissions of "
            "a1_softmax, or 91 students who try to fool the grader (course/README.md)",
            "tools.cli:fake_class", "course", setup="venv", check="tools.cli:fake_class_check",
            help="(no option)       five submissions of a1_softmax, each with its known score:\n"
                 "                  correct, overflow, batch_max, empty, wrong_shape (generate\n"
                 "                  a1_softmax first)\n"
                 "--adversarial     91 students who try to fool the grader, and honest ones with\n"
                 "                  untidy notebooks (generate a1_softmax, a3_scratch and\n"
                 "                  a7_calibration first)\n"
                 "--course DIR      the course folder to write into (default: the kit's course/)\n"
                 "--port N          with --adversarial: the port on 127.0.0.1 its network attack\n"
                 "                  tries (default 9)"),
    Command("release-zh", "[ASSIGNMENT ...]",
            "the Chinese student copies, course/release_zh/, from nbgrader's release/",
            "tools.zh.release:main", "course", setup="venv", cwd="course"),
    Command("setup", "", "only set up: .venv/ with the pinned packages and the kit, MXNet's "
            "libraries, the data (about 1.2 GB, a few minutes, once)",
            "tools.setup.env:main", "kit", setup=None),
    Command("bundle", "[--platform TAG] [--out FILE]",
            "write a classroom bundle (the kit, the data, the wheels) for machines with no "
            "network", "tools.setup.bundle:main", "kit"),
    Command("hub", "accounts --teacher NAME ROSTER | start --teacher NAME [--ip A] [...]",
            "a classroom server: JupyterHub with the course on this machine, for a class with "
            "accounts on it (as root; README.md, 'Classroom server')", "tools.course.hub:main",
            "kit", setup="hub"),
    Command("test", "[--fast] [pytest options]",
            "run the whole test suite (pytest; every lesson, the grader, the container); "
            "--fast: the files that run in seconds (about a minute in all)",
            "tools.cli:test", "kit", setup="test"),
    Command("data", "--check | --import FOLDER",
            "verify the Fashion-MNIST files the kit uses, or copy a folder of them into the "
            "cache (verified)", "helpers.data:main", "maintain", setup="venv",
            help="--check             find the four files, verify them, say where they are\n"
                 "--import FOLDER     copy FOLDER's four files into the kit's cache, verified"),
    Command("site", "[--build DIR] [--out DIR] [--verify-vendor] [--refresh-vendor]",
            "render the executed notebooks in build/notebooks/ as the site build/site/",
            "tools.site.build:main", "maintain", setup="venv"),
    Command("twins", "check | sync | stamp NOTEBOOK ...",
            "keep the Chinese editions in step with the English notebooks",
            "tools.zh.twins:main", "maintain", setup="venv"),
    Command("sync-saved", "[--check] [NOTEBOOK ...]",
            "rewrite the notebooks' #@save cells from helpers/ (their canonical copy)",
            "tools.lessons.sync_saved:main", "maintain", setup="venv"),
    Command("bench-grading", "[--students N] [--baseline N]",
            "time ./kit grade (root and a teacher without root) beside nbgrader's autograde",
            "benchmarks.grade_speed:main", "maintain", setup="grade"),
    Command("distributed", "[-n N] [-s N] [--hosts A,B --print-plan] -- COMMAND ...",
            "run a ps-lite job on this machine, or print each machine's share (notebook 09)",
            "helpers.distributed:launcher_main", "maintain"),
)}

# What a teacher runs of nbgrader's own commands: from the course folder (cd course), with
# the kit's environment. Each takes --help. Not `autograde`: ./kit grade grades, sandboxed.
NBGRADER = (
    ('generate_assignment "*" --force', "the student copies"),
    ("validate source/a1_softmax/softmax.ipynb", "the solutions pass"),
    ("validate --invert release/a1_softmax/softmax.ipynb", "the student copy fails"),
    ("zip_collect a1_softmax", "files handed back"),
    ("release_assignment a1_softmax", "shared server: hand out"),
    ("collect a1_softmax", "shared server: collect"),
    ("release_feedback a1_softmax", "shared server: feedback"),
    ("export", "grades to grades.csv"),
)


def listing(width=100):
    """What `./kit help` prints: every command, by group, then nbgrader's."""
    import textwrap
    lines = ["usage: ./kit COMMAND [ARGUMENTS]     (./kit COMMAND --help explains one)",
             "The first command sets up .venv/ (about 1.2 GB, a few minutes, once)."]
    for group, title in GROUPS.items():
        lines += ["", f"{title}:"]
        for c in COMMANDS.values():
            if c.group == group:
                lines += textwrap.wrap(c.summary, width, initial_indent=f"  {c.name:<14}",
                                       subsequent_indent=" " * 16)
                if c.usage:
                    lines.append(f"{'':<18}./kit {c.name} {c.usage}")
        if group == "course":
            lines.append(f"  {'nbgrader':<14}nbgrader's own commands, from the course folder "
                         "(cd course), each with --help:")
            lines += [f"    {'../.venv/bin/nbgrader ' + cmd:<72} {what}" for cmd, what in NBGRADER]
            lines.append(f"{'':<16}(not nbgrader autograde: it runs students' code unsandboxed; "
                         "./kit grade grades)")
    return "\n".join(lines)


def function(spec):
    module, name = spec.split(":")
    import importlib
    return getattr(importlib.import_module(module), name)


def in_venv():
    """True when this is .venv's Python (set-up done, the kit importable)."""
    return Path(sys.prefix).resolve() == VENV.resolve()


def asks_help(args):
    before = args[:args.index("--")] if "--" in args else args
    return "-h" in before or "--help" in before


def main(argv=None):
    """./kit COMMAND ARGS; the exit status. Ctrl-C anywhere ends in one line."""
    # ./kit starts this Python with Ctrl-C ignored, so that one pressed while Python starts
    # prints no traceback: from here on it stops the command.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = dispatch(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:
        print("\nkit: interrupted (Ctrl-C); run the command again.", file=sys.stderr)
        code = INTERRUPTED
    except BrokenPipeError:  # ./kit help | head: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if code == INTERRUPTED:
        # Said and cleaned up: a second Ctrl-C (or a kernel's group signal) while Python
        # exits, when it has put back the system's default, would end it by the signal.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return code


def dispatch(argv):
    name, args = (argv[0], argv[1:]) if argv else ("help", [])
    if name in ("help", "-h", "--help"):
        if not args or args[0] not in COMMANDS:
            print(listing())
            return 0
        name, args = args[0], ["--help"]
    command = COMMANDS.get(name)
    if command is None:
        close = difflib.get_close_matches(name, COMMANDS, n=1)
        print(listing(), file=sys.stderr)
        print(f"\nkit: unknown command '{name}'"
              + (f" (did you mean '{close[0]}'?)" if close else "")
              + ": the commands are listed above.", file=sys.stderr)
        return 2
    if command.check:
        problem = function(command.check)(args)  # may print --help and exit, before set-up
        if problem:
            print(f"kit {name}: {problem}", file=sys.stderr)
            return 2
    if command.setup is not None and not in_venv():
        return set_up_and_hand_over(command, args)
    return call(command, args)


def set_up_and_hand_over(command, args):
    """Set up what `command` needs, in this Python, then run it in .venv's."""
    from tools.setup import env as setup_env
    if asks_help(args):  # the command's own --help, without the data check
        if setup_env.is_ready(ROOT):
            hand_over(command, args)
        print(f"usage: ./kit {command.name} {command.usage}\n\n{command.summary}.\n\n"
              "Its options in full once the kit is set up: ./kit setup (about 1.2 GB, a few "
              "minutes, once).")
        return 0
    if command.setup == "venv":
        try:
            setup_env.setup_venv(ROOT)
        except setup_env.SetupError as e:
            print(f"kit: {e}", file=sys.stderr)
            return e.code
    else:
        status = setup_env.main([command.setup])
        if status:
            return status
    hand_over(command, args)


def hand_over(command, args):
    """Run `command` in .venv's Python: this process becomes it (Ctrl-C ignored until its
    main() is running, as ./kit does for this one)."""
    python = str(VENV / "bin" / "python")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.execv(python, [python, "-m", "tools.cli", command.name, *args])


def call(command, args):
    """Run `command` in this process; Ctrl-C ends in one line, not a traceback."""
    if command.help and asks_help(args):
        print(f"usage: ./kit {command.name} {command.usage}\n\n{command.summary}.\n\n"
              f"{command.help}")
        return 0
    if command.cwd:
        os.chdir(ROOT / command.cwd)
    sys.argv[0] = f"./kit {command.name}"  # argparse's prog: "kit run"
    try:
        return function(command.run)(args) or 0
    except KeyboardInterrupt:
        print(f"\nkit {command.name}: interrupted (Ctrl-C); run it again to start over.",
              file=sys.stderr)
        return INTERRUPTED


# --------------------------------------------------------------------------- commands of their own

# ./kit test: pytest-xdist's default sorts files by their number of tests, which undoes the
# order conftest.py gives (the lessons, then the slowest files, first): keep it.
PYTEST = ["-m", "pytest", "-n", os.environ.get("KIT_TEST_WORKERS", "2"), "--dist", "loadfile",
          "--no-loadscope-reorder"]


def test(args):
    """pytest with the kit's order; --fast: only the fast files (conftest.FAST), about a minute."""
    if "--fast" in args:
        args = [a for a in args if a != "--fast"] + ["-m", "not slow"]
    os.execv(sys.executable, [sys.executable, *PYTEST, *args])


def class_module(name):
    """A fake class's script of tests/classes/ (`fixture_class`, `adversarial_class`),
    loaded from its file once: tests/ is no package a student's or teacher's Python imports."""
    if name not in sys.modules:
        import importlib.util
        spec = importlib.util.spec_from_file_location(name, CLASSES / f"{name}.py")
        module = sys.modules[name] = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]


def _fake_class_name(args):
    return "adversarial_class" if "--adversarial" in args else "fixture_class"


def fake_class_check(args):
    """Before set-up: the fake classes come with the kit's tests, which a student's bundle
    leaves out."""
    script = CLASSES / f"{_fake_class_name(args)}.py"
    if not script.is_file() and not asks_help(args):
        return (f"{script.relative_to(ROOT)} is not in this copy of the kit: the fake classes "
                "come with the kit's tests, in a clone or a teacher's bundle (./kit bundle "
                "--teacher), not in a student's bundle.")
    return None


def fake_class(args):
    """./kit fake-class: the fixture class, or with --adversarial the adversarial one, written
    into the course by its own script (which says what to generate first)."""
    try:
        class_module(_fake_class_name(args)).main([a for a in args if a != "--adversarial"])
    except SystemExit as stop:  # the script's own sentence: what is missing, what to run
        if not isinstance(stop.code, str):
            raise
        print(f"kit fake-class: {stop.code}", file=sys.stderr)
        return 2
    return 0


def lab(args):
    """JupyterLab on notebooks/, or with a student's copy (an existing folder or notebook,
    the first argument) there and without nbgrader's teacher panels (course/student_jupyter).
    The rest goes to JupyterLab (--port N, --no-browser, ...). Its kernels get a temporary
    folder of their own, removed when JupyterLab stops: Gluon's DataLoader workers leave
    multiprocessing's pymp-* folders behind in it."""
    import shutil
    import subprocess
    import tempfile
    env, folder = dict(os.environ), ROOT / "notebooks"
    if args and not args[0].startswith("-"):
        given = Path(args[0]).expanduser()
        places = [Path(os.environ.get("KIT_CALLER_DIR", os.getcwd())) / given, ROOT / given]
        target = next((p for p in places if p.exists()), None)
        if target is None:
            print(f"kit lab: {args[0]} does not exist: give a folder or a notebook (a "
                  "student's copy), or nothing for the lessons.", file=sys.stderr)
            return 2
        folder, args = target.resolve(), args[1:]
        folder = folder if folder.is_dir() else folder.parent
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
            filter(None, [str(ROOT / "course" / "student_jupyter"), env.get("JUPYTER_CONFIG_PATH")]))
    tmp = tempfile.mkdtemp(prefix="kit-")  # short: the workers' sockets live in it
    env["TMPDIR"] = tmp
    jupyter = str(Path(sys.executable).parent / "jupyter")
    child = subprocess.Popen([jupyter, "lab", f"--notebook-dir={folder}", *args], env=env)
    # Ctrl-C is JupyterLab's to answer (it asks before it stops); a SIGTERM or SIGHUP sent
    # to this process (`docker stop`, a closed terminal) is passed on to it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, frame: child.send_signal(number))
    try:
        status = child.wait()
        return 128 - status if status < 0 else status  # killed by a signal: as the shell says
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
