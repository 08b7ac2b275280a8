"""The teacher's nbgrader settings on the kit's classroom server: the course's own.

The hub puts this folder on the teacher's JUPYTER_CONFIG_PATH and names the course folder
in KIT_HUB_COURSE, so that the formgrader, and nbgrader in the teacher's terminal from
any folder, work on that course.
"""
import os

c = get_config()  # noqa: F821 (nbgrader provides get_config)

if os.environ.get("KIT_HUB_COURSE"):
    load_subconfig(os.path.join(os.environ["KIT_HUB_COURSE"], "nbgrader_config.py"))  # noqa: F821
