"""The teacher's JupyterLab on the kit's classroom server: the kit's MathJax for the
formgrader (nbconvert/templates/formgrade/mathjax.html.j2 here), served from site/vendor/."""
import os

c = get_config()  # noqa: F821 (Jupyter provides get_config)

if os.environ.get("KIT"):
    c.ServerApp.extra_static_paths = [os.path.join(os.environ["KIT"], "site", "vendor")]
