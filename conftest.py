"""pytest settings for the whole kit.

nbval re-runs every notebook under notebooks/ in lax mode (only that each cell runs;
the notebooks' own assertions do the checking), in this very Python environment.
Set here rather than in addopts so that `pytest -p no:nbval tests/...` still works.
"""


def pytest_configure(config):
    if config.pluginmanager.hasplugin("nbval"):
        config.option.nbval_lax = True
        config.option.nbval_current_env = True
