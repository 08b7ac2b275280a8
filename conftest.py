"""pytest settings for the whole kit.

The lessons run once per test run (tests/conftest.py, `executed_lessons`), and their
executed copies serve the per-lesson checks and the site. nbval stays available for a
lesson by hand, in lax mode in this very environment: `pytest --nbval-lax notebooks/05_gpu.ipynb`.

At the end, the time of each part of the suite, so that what a change adds stays visible.
"""
import collections

# The parts of the suite, by the first match on a test's file name.
PARTS = (("grading", ("test_grading", "test_sandbox", "test_checks")),
         ("browser", ("test_site", "test_jupyterlab")),
         ("container", ("test_container",)),
         ("set-up and bundle", ("test_reach", "test_setup_env", "test_environment")),
         ("lessons", ("test_lessons", "test_notebooks", ".ipynb")),
         ("distributed", ("test_distributed",)))
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


def pytest_runtest_logreport(report):
    _durations[part_of(report.nodeid)] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _durations or hasattr(terminalreporter.config, "workerinput"):
        return
    total = sum(_durations.values())
    parts = ", ".join(f"{part} {seconds:.0f} s" for part, seconds in _durations.most_common())
    terminalreporter.write_line(f"time by part (summed over workers, {total:.0f} s): {parts}")
