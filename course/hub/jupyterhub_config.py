"""JupyterHub's settings for the kit's classroom server. Start it with `sudo ./kit hub start`.

tools/course/hub.py prepares the machine (the exchange, the teacher's course) and starts
JupyterHub with this file, passing the class's settings in KIT_HUB_* variables. Who may log
in: the teacher (--teacher) and the members of the Unix group softmax-kit-students, with the
passwords of their accounts on this machine (PAM). Each user's JupyterLab runs as that
user, from the kit's environment, in their home folder; the teacher's has nbgrader's
formgrader on the course, the students' have only the Assignments panel.
"""
import grp
import os
import pwd
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub provides get_config)
here = Path(__file__).resolve().parent
kit = here.parents[1]
venv = kit / ".venv"


def setting(name):
    value = os.environ.get(f"KIT_HUB_{name}")
    if value is None:
        raise SystemExit(f"KIT_HUB_{name} is not set: start the hub with ./kit hub start")
    return value


TEACHER = setting("TEACHER")
COURSE = setting("COURSE")             # the teacher's course folder (nbgrader_config.py)
EXCHANGE = setting("EXCHANGE")         # nbgrader's exchange
STATE = Path(setting("STATE"))         # the hub's database and secrets, root's only
STUDENTS = setting("STUDENTS_GROUP")   # who may log in besides the teacher
CHINESE = setting("ZH_GROUP")          # the students who read the Chinese edition

# Where the class connects: 127.0.0.1 unless told otherwise (--ip); HTTPS when given a
# certificate (--ssl-cert, --ssl-key), else put a reverse proxy with TLS in front.
scheme = "https" if os.environ.get("KIT_HUB_SSL_CERT") else "http"
c.JupyterHub.bind_url = f"{scheme}://{setting('IP')}:{setting('PORT')}"
if scheme == "https":
    c.JupyterHub.ssl_cert = setting("SSL_CERT")
    c.JupyterHub.ssl_key = setting("SSL_KEY")
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{setting('HUB_PORT')}"

# The proxy: configurable-http-proxy, pinned in course/hub/proxy/ and installed by set-up
# into .venv/hub-proxy/; the hub starts it and stops it.
c.ConfigurableHTTPProxy.command = [str(venv / "hub-proxy" / "node_modules" / ".bin" /
                                       "configurable-http-proxy")]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{setting('PROXY_PORT')}"
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")

c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.template_vars = {
    "announcement_login": "Softmax regression on Fashion-MNIST: log in with your account "
                          "on this machine."}

# Real local accounts, checked by PAM (as `login` does): no second password database.
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {TEACHER}
c.PAMAuthenticator.allowed_groups = {STUDENTS}
c.Authenticator.admin_users = set()  # nobody may enter another user's server

# Each user's JupyterLab, as that user, from the kit's environment.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(venv / "bin" / "jupyterhub-singleuser")]
c.Spawner.args = ["--LabApp.news_url=None",
                  "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                  "--LabApp.extension_manager=readonly"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    # `nbgrader`, `python` and the kit's `kit` on the terminal's PATH (the terminal's bash
    # is no login shell, so /etc/profile keeps it: jupyter/jupyter_server_config.json)
    "KIT": str(kit),
    "PATH": os.pathsep.join([str(kit), str(venv / "bin"), "/usr/local/bin", "/usr/bin",
                             "/bin"]),
    "KIT_HUB_EXCHANGE": EXCHANGE,
    "LANG": "C.UTF-8",
}
if os.environ.get("KIT_HUB_DATA"):
    c.Spawner.environment["FASHION_MNIST_DIR"] = os.environ["KIT_HUB_DATA"]


def member(name, group):
    """True if the account `name` belongs to the Unix group `group`."""
    try:
        entry = grp.getgrnam(group)
        return name in entry.gr_mem or pwd.getpwnam(name).pw_gid == entry.gr_gid
    except KeyError:
        return False


def pre_spawn_hook(spawner):
    """The teacher's server gets the formgrader on the course; a student's, no teacher
    panel and, for a Chinese reader, the checks' messages in Chinese."""
    name = spawner.user.name
    env = dict(spawner.environment)
    if name == TEACHER:
        env["KIT_HUB_COURSE"] = COURSE
        env["JUPYTER_PATH"] = str(here / "teacher")  # the formgrader's MathJax, offline
        config = [here / "jupyter", here / "teacher"]
    else:
        config = [here / "jupyter", kit / "course" / "student_jupyter"]
        if member(name, CHINESE):
            env["KIT_LANG"] = "zh"
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(map(str, config))
    spawner.environment = env


c.Spawner.pre_spawn_hook = pre_spawn_hook
