"""The kit in JupyterLab itself: a plotly figure and a widget render in the browser.

Starts this environment's JupyterLab on 127.0.0.1 (random port and token; config, data and
runtime folders in tmp, so nothing of the user's Jupyter set-up is used), on a tmp folder
holding copies of the kit's notebooks and a small notebook drawn with the kit's own
helpers (a training chart and the softmax explorer). Headless Chromium (Debian's
`chromium`, installed by the set-up `./kit test` runs) opens it, runs all cells from the
Run menu and waits for the chart and the widgets to draw in the output area. Requests to
other hosts are refused and must not happen. The server is always shut down. Screenshots
of the last run: build/screenshots/jupyterlab/.
"""
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers.distributed import free_port
from tests.kit_paths import ROOT
from tests.site_browser import kept_context

SHOTS = ROOT / "build" / "screenshots" / "jupyterlab"
JUPYTER = Path(sys.executable).parent / "jupyter"
PROBE = "kit_probe.ipynb"


def probe_notebook():
    return new_notebook(cells=[
        new_markdown_cell("# JupyterLab probe\n\nThe kit's chart and explorer, $\\hat{y}$."),
        new_code_cell("import sys\nprint('kernel prefix:', sys.prefix)"),
        new_code_cell("from helpers.plot import use_offline_plotly, plot_history\n"
                      "use_offline_plotly()\n"
                      "plot_history({'train_loss': [0.9, 0.6, 0.5], 'train_acc': [0.6, 0.75, 0.8],"
                      " 'test_acc': [0.62, 0.74, 0.79]}, num_epochs=3)"),
        new_code_cell("from helpers.explorers import SoftmaxExplorer\n"
                      "SoftmaxExplorer(logits=(2.0, 1.0, 0.1))"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                "language": "python"}})


def get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(base URL, token, root folder, environment) of a JupyterLab of this environment."""
    assert JUPYTER.exists(), f"{JUPYTER} is missing: the environment lacks jupyter"
    tmp = tmp_path_factory.mktemp("lab")
    root = tmp / "root"
    root.mkdir()
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy(nb, root / nb.name)
    nbformat.write(probe_notebook(), root / PROBE)
    env = dict(os.environ,
               JUPYTER_CONFIG_DIR=str(tmp / "config"), JUPYTER_DATA_DIR=str(tmp / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), IPYTHONDIR=str(tmp / "ipython"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp / "lab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab-workspaces"))
    # No "Jupyter news?" prompt over the output area.
    (tmp / "config" / "labconfig").mkdir(parents=True)
    (tmp / "config" / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    port, token = free_port(), secrets.token_hex(16)
    log = open(tmp / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [str(JUPYTER), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly", "--ServerApp.open_browser=False"]
        + (["--allow-root"] if os.geteuid() == 0 else []),
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited ({proc.returncode}): "
                            f"{(tmp / 'jupyterlab.log').read_text()[-3000:]}")
            try:
                get_json(f"{base}/api/status?token={token}")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not answer within 90 s: "
                                f"{(tmp / 'jupyterlab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield base, token, root, env
    finally:
        try:  # a clean shutdown stops its kernels too
            req = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(req, timeout=10).close()
        except OSError:
            pass
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def wait_for_idle_kernel(page, base, token, name, timeout=90):
    """Wait until the server has a session for notebook `name` whose kernel is idle.

    JupyterLab may open the notebook before it knows the kernelspecs and then ask which
    kernel to start: that dialog is answered with the kernel it offers (python3, checked
    by the test above).
    """
    deadline = time.monotonic() + timeout
    accept = page.locator(".jp-Dialog button.jp-mod-accept")
    while time.monotonic() < deadline:
        for s in get_json(f"{base}/api/sessions?token={token}"):
            if s.get("path", "").endswith(name) and \
                    (s.get("kernel") or {}).get("execution_state") == "idle":
                return s
        if accept.count():
            accept.first.click()
        page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "0-no-kernel.png"))
    pytest.fail(f"no idle kernel for {name} after {timeout} s")


def test_jupyterlab_kernel_is_this_environment(lab):
    base, token, _, env = lab
    specs = get_json(f"{base}/api/kernelspecs?token={token}")
    assert "python3" in specs["kernelspecs"], specs
    # Where the server finds python3, with the server's own environment: this
    # environment's kernelspec, not a user-level one. Its argv starts with "python",
    # which jupyter_client replaces by the Python running the server (this one).
    listed = json.loads(subprocess.run([str(JUPYTER), "kernelspec", "list", "--json"],
                                       env=env, capture_output=True, text=True,
                                       check=True).stdout)["kernelspecs"]
    assert listed["python3"]["resource_dir"].startswith(sys.prefix), listed["python3"]
    assert listed["python3"]["spec"]["argv"][0] in ("python", "python3", sys.executable)
    assert not (Path(env["JUPYTER_DATA_DIR"]) / "kernels").exists()


def test_plotly_figure_and_widget_render_in_jupyterlab(lab, chromium):
    base, token, root, _ = lab
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    errors = []
    context, outside = kept_context(chromium, viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/lab/tree/{PROBE}?token={token}", wait_until="load")
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=90_000)
        # The kit's notebooks are in the file browser next to the probe.
        listing = page.locator(".jp-DirListing-itemText").all_inner_texts()
        kit_notebooks = sorted(nb.name for nb in (ROOT / "notebooks").glob("*.ipynb"))
        assert set(kit_notebooks) <= set(listing), listing
        wait_for_idle_kernel(page, base, token, PROBE)
        page.wait_for_selector(
            '.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]',
            timeout=90_000)
        page.screenshot(path=str(SHOTS / "1-opened.png"))

        page.locator(".lm-MenuBar-item", has_text="Run").first.click()
        page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()

        area = ".jp-NotebookPanel .jp-OutputArea-output"
        try:
            page.wait_for_selector(".jp-NotebookPanel .jp-OutputArea-output.js-plotly-plot"
                                   " .main-svg", timeout=120_000)
            page.wait_for_selector(f"{area} .widget-slider", timeout=120_000)
            # the explorer's own chart, drawn inside its Output widget
            page.wait_for_function(
                """() => document.querySelectorAll(
                    '.jp-NotebookPanel .jupyter-widgets .js-plotly-plot .main-svg').length
                    > 0""", timeout=120_000)
        finally:
            page.screenshot(path=str(SHOTS / "2-ran.png"), full_page=True)
        facts = page.evaluate("""() => ({
            // jupyterlab-plotly draws on the output node itself (the chart of the
            // mimetype); the explorer's chart is drawn inside its Output widget.
            charts: document.querySelectorAll(
                '.jp-NotebookPanel .js-plotly-plot .main-svg:first-child').length,
            widgetCharts: document.querySelectorAll(
                '.jp-NotebookPanel .jupyter-widgets .js-plotly-plot').length,
            sliders: document.querySelectorAll(
                '.jp-NotebookPanel .jp-OutputArea-output .widget-slider').length,
            math: document.querySelectorAll('.jp-NotebookPanel mjx-container, '
                + '.jp-NotebookPanel .MathJax, .jp-NotebookPanel .MathJax_Preview').length,
            text: Array.from(document.querySelectorAll(
                '.jp-NotebookPanel .jp-OutputArea-output pre')).map(e => e.textContent),
        })""")
        chart = page.locator(f"{area}.js-plotly-plot").first
        chart.scroll_into_view_if_needed()
        chart.screenshot(path=str(SHOTS / "3-chart.png"))
        explorer = page.locator(".jp-NotebookPanel .jupyter-widgets.widget-vbox").first
        explorer.scroll_into_view_if_needed()
        explorer.screenshot(path=str(SHOTS / "4-explorer.png"))
    finally:
        context.close()

    print("JupyterLab:", facts, "console errors:", errors)
    assert not outside, f"JupyterLab asked other hosts: {outside}"
    assert facts["charts"] >= 2 and facts["widgetCharts"] >= 1, facts
    assert facts["sliders"] >= 3, facts  # classes, temperature and the logits
    assert facts["math"] >= 1, "the markdown formula was not typeset in JupyterLab"
    prefix = [t for t in facts["text"] if "kernel prefix:" in t]
    assert prefix and prefix[0].split("kernel prefix:")[1].strip() == sys.prefix, facts["text"]
    from PIL import Image
    for shot in ("3-chart.png", "4-explorer.png"):
        img = Image.open(SHOTS / shot).convert("RGB")
        assert len(img.getcolors(maxcolors=1 << 22) or []) >= 12, f"{shot} looks blank"
