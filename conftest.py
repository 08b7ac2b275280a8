"""pytest settings for the whole kit.

The lessons run once per test run (tests/conftest.py, `executed_lessons`), and their
executed copies serve the per-lesson checks and the site. nbval stays available for a
lesson by hand, in lax mode in this very environment: `pytest --nbval-lax notebooks/05_gpu.ipynb`.

The files are handed to the test workers (`./kit test`: two, one file at a time) longest
first: those that need the executed lessons, so that every worker starts on them at once,
then the slowest of the others, so that no long file starts last. At the end, the time of
each part of the suite and of the slowest files, and the CPU time of each part (of the
test processes and the children they waited for: a daemon such as a container's runtime is
not counted), so that what a change adds stays visible.

Every test carries its part as a marker (`pytest -m grading`, `-m "not container"`), and
every test of a file that is not in FAST carries `slow`: `./kit test --fast` runs
`-m "not slow"`, the files that need no sandbox, lesson run, container, browser, bundle or
training, in about a minute. A file is fast or slow as a whole.
"""
import collections
import resource

import pytest

# The parts of the suite, by the first match on a test's file name; a test's marker is its
# part's name without spaces ("set-up and bundle": setup).
PARTS = (("grading", ("test_grading", "test_sandbox", "test_checks", "test_assignments")),
         ("browser", ("test_site", "test_jupyterlab", "test_hub")),
         ("container", ("test_container",)),
         ("set-up and bundle", ("test_reach", "test_student_bundle", "test_setup_env", "test_environment",
                                "test_failures", "test_cli")),
         ("lessons", ("test_lessons", "test_notebooks", "test_lesson_facts", "test_figures",
                      "test_original_program", "test_book_code", ".ipynb")),
         ("distributed", ("test_distributed",)))
MARKERS = {"grading": "grading", "browser": "browser", "container": "container",
           "set-up and bundle": "setup", "lessons": "lessons", "distributed": "distributed",
           "unit": "unit"}
# The files `./kit test --fast` runs: seconds each, nothing started but Python itself.
FAST = ("test_archives", "test_checks", "test_checks_a1", "test_checks_a2", "test_checks_a3",
        "test_checks_a4", "test_checks_a5", "test_checks_a6", "test_checks_a7",
        "test_checks_a8", "test_devices", "test_environment",
        "test_explorers_and_plots", "test_grading_parts", "test_grading_parts_shown",
        "test_grading_parts_slots", "test_grading_trust", "test_grading_trust_notebooks",
        "test_grading_trust_trap",
        "test_kit_lang", "test_lint", "test_metrics", "test_numerics", "test_page_builder",
        "test_setup_env",
        "test_suite_order", "test_sync_saved", "test_train")
# The files that take longest (`./kit test` on two cores: the container some six minutes,
# the set-up and bundle three, the classroom server's term two to three, grading one or
# two each, ...), handed out in this order after those that need the executed lessons;
# every other file follows in its own order.
LONGEST_FIRST = ("test_container", "test_reach", "test_hub", "test_grading",
                 "test_grading_adversarial", "test_grading_commands", "test_assignments",
                 "test_book_code_programs", "test_book_code", "test_distributed",
                 "test_notebooks", "test_jupyterlab", "test_grading_postgres",
                 "test_grading_load", "test_bench", "test_fast_data", "test_data",
                 "test_chinese", "test_checks_a7", "test_checks_a6")
_durations = collections.Counter()


def pytest_configure(config):
    if config.pluginmanager.hasplugin("nbval"):
        config.option.nbval_current_env = True


def part_of(nodeid):
    path = nodeid.split("::", 1)[0]
    for part, keys in PARTS:
        if any(k in path for k in keys):
            return part
    return "unit"


def stem_of(nodeid):
    """The test file's name without .py: tests/test_x.py::test_y -> test_x."""
    return nodeid.split("::", 1)[0].rsplit("/", 1)[-1].split(".")[0]


def pytest_collection_modifyitems(items):
    """Whole files, longest first (a stable sort: within a rank, the files keep their order).

    pytest-xdist hands out files in this order when `--no-loadscope-reorder` is given,
    as `./kit test` does; its default order (most tests first) starts the lessons late.
    """
    rank = {}
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        stem = path.rsplit("/", 1)[-1].split(".")[0]
        here = (-1 if "executed_lessons" in getattr(item, "fixturenames", ())
                else LONGEST_FIRST.index(stem) if stem in LONGEST_FIRST else len(LONGEST_FIRST))
        rank[path] = min(rank.get(path, here), here)
    items.sort(key=lambda item: rank[item.nodeid.split("::", 1)[0]])
    for item in items:
        item.add_marker(getattr(pytest.mark, MARKERS[part_of(item.nodeid)]))
        if stem_of(item.nodeid) not in FAST:
            item.add_marker(pytest.mark.slow)


_files = collections.Counter()
_cpu = collections.Counter()
_last_cpu = []


def _cpu_seconds():
    """CPU time of this process and of every child it (or they) waited for, user + system."""
    mine, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                           resource.RUSAGE_CHILDREN))
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report carries the CPU time used since the last one (in this worker)."""
    outcome = yield
    now = _cpu_seconds()
    spent = now - (_last_cpu[-1] if _last_cpu else now)
    _last_cpu[:] = [now]
    outcome.get_result().user_properties.append(("cpu_seconds", spent))


def pytest_runtest_logreport(report):
    _durations[part_of(report.nodeid)] += report.duration
    _files[report.nodeid.split("::", 1)[0]] += report.duration
    _cpu[part_of(report.nodeid)] += sum(v for k, v in report.user_properties
                                        if k == "cpu_seconds")


def pytest_terminal_summary(terminalreporter):
    if not _durations or hasattr(terminalreporter.config, "workerinput"):
        return
    total = sum(_durations.values())
    parts = ", ".join(f"{part} {seconds:.0f} s" for part, seconds in _durations.most_common())
    terminalreporter.write_line(f"time by part (summed over workers, {total:.0f} s): {parts}")
    cpu = ", ".join(f"{part} {seconds:.0f} s" for part, seconds in _cpu.most_common())
    terminalreporter.write_line(f"CPU by part (user + system, the tests' own and their "
                                f"children's, {sum(_cpu.values()):.0f} s): {cpu}")
    slowest = ", ".join(f"{path.rsplit('/', 1)[-1]} {seconds:.0f} s"
                        for path, seconds in _files.most_common(12))
    terminalreporter.write_line(f"slowest files: {slowest}")
