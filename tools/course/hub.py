"""The kit's classroom server: JupyterHub with the course on it, on one machine (`./kit hub`).

    sudo ./kit hub accounts --teacher alice roster.txt   the class's local accounts (once;
                                                         again for latecomers)
    sudo ./kit hub start --teacher alice                  the hub, on http://127.0.0.1:8000/,
                                                         until Ctrl-C or SIGTERM

An administrator runs both, as root: JupyterHub checks passwords with PAM and starts each
user's JupyterLab as that user, which only root can do. Everything else is the teacher's,
without root (README.md and course/README.md, "Classroom server").

`accounts` reads a roster, one login per line (a second word `zh` marks a student who
reads the Chinese edition; `#` starts a comment), creates the accounts that do not exist
yet with a random password each, written as "login password" lines to a file only root
may read (roster.txt.passwords beside the roster, or --passwords FILE; a later run adds
to it), puts every student in the group softmax-kit-students (the hub lets its members
in) and the Chinese readers in softmax-kit-zh, and makes the class's home folders private.

`start` prepares what is missing and starts JupyterHub (course/hub/jupyterhub_config.py):
nbgrader's exchange (open to all with the sticky bit, as nbgrader needs, and the course's
folders in it made the teacher's before any student could take their names), the
teacher's course (a copy of course/ in their home, theirs alone) and the hub's state
folder (root's alone). The hub runs in a mount namespace of its own, where the kit, its
Python and the data are reachable for every user even when they sit in a folder others
may not enter (such as /root), and where the kit's own copy of the course's solutions,
hidden tests and history is not: its course/source*/ and .git are empty there, and its
grader (grading/, tools/) is the teacher's alone. When it stops, every process left in
that namespace, and any student's process in a namespace other than the machine's own,
is stopped too: a class leaves nothing running.

This module holds the command and the start; the steps live beside it: hub_accounts.py
(the roster, the accounts, the groups), hub_folders.py (the exchange, the teacher's course,
the state folder, what the namespace hides), hub_processes.py (what a class left running)
and hub_common.py (what they share).
"""
import argparse
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.course.as_user import kit_paths, reach
from tools.course.hub_accounts import accounts, make_private, read_roster
from tools.course.hub_common import (CHINESE_GROUP, ROOT, STUDENTS_GROUP, HubError, account,
                                     group_members, require_root, say)
from tools.course.hub_folders import hiding_lines, prepare_course, prepare_exchange, prepare_state
from tools.course.hub_processes import hold_mount_namespace, mount_namespace, sweep

HUB = ROOT / "course" / "hub"
CONFIG = HUB / "jupyterhub_config.py"
PROXY = ROOT / ".venv" / "hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
EXCHANGE = Path("/usr/local/share/nbgrader/exchange")  # nbgrader 0.9.6's default
STATE = Path("/var/lib/softmax-kit-hub")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hub_environment(args, teacher, course, data):
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "LANG": "C.UTF-8", "HOME": "/root",
           "KIT_HUB_TEACHER": teacher.pw_name, "KIT_HUB_COURSE": str(course),
           "KIT_HUB_EXCHANGE": str(args.exchange), "KIT_HUB_STATE": str(args.state),
           "KIT_HUB_STUDENTS_GROUP": STUDENTS_GROUP, "KIT_HUB_ZH_GROUP": CHINESE_GROUP,
           "KIT_HUB_IP": args.ip, "KIT_HUB_PORT": str(args.port),
           "KIT_HUB_HUB_PORT": str(free_port()), "KIT_HUB_PROXY_PORT": str(free_port())}
    if data:
        env["KIT_HUB_DATA"] = str(data)
    if args.ssl_cert:
        env["KIT_HUB_SSL_CERT"], env["KIT_HUB_SSL_KEY"] = str(args.ssl_cert), str(args.ssl_key)
    return env


def start(args):
    """Prepare what is missing and run JupyterHub until SIGTERM or Ctrl-C; its exit status."""
    require_root("./kit hub start")
    teacher = account(args.teacher)
    if teacher is None:
        raise HubError(f"there is no account {args.teacher} on this machine: create it with "
                       f"sudo ./kit hub accounts --teacher {args.teacher} ROSTER")
    if not PROXY.exists():
        raise HubError(f"JupyterHub's proxy is not installed ({PROXY}): run ./kit setup hub "
                       "as root, which installs Node.js, npm and the pinned proxy")
    if bool(args.ssl_cert) != bool(args.ssl_key):
        raise HubError("give both --ssl-cert and --ssl-key, or neither")
    for path in (args.ssl_cert, args.ssl_key):
        if path and not Path(path).is_file():
            raise HubError(f"{path} is not a file")
    course = Path(args.course or Path(teacher.pw_dir) / "course")
    students = group_members(STUDENTS_GROUP)
    if not students:
        say(f"the group {STUDENTS_GROUP} has no member yet: only the teacher can log in "
            "(add students with ./kit hub accounts)")
    make_private(teacher)
    prepare_exchange(args.exchange, teacher)
    prepare_course(course, teacher)
    prepare_state(args.state)
    from helpers.data import DataError, find_data_dir
    try:  # set-up has checked the data (`./kit hub` runs it first): never download here
        data = find_data_dir(may_download=False)
    except DataError:
        data = None
    env = hub_environment(args, teacher, course, data)
    # What every user's server must reach, and what the hub itself reads.
    paths = kit_paths(ROOT) + [Path(args.exchange), Path(args.state)]
    paths += [Path(p).resolve().parent for p in (args.ssl_cert, args.ssl_key) if p]
    stage = tempfile.mkdtemp(prefix="kit-hub.", dir="/run")
    lines = reach(paths)
    lines[0] = f"stage={shlex.quote(stage)}"  # reach's own staging folder, known to clean up
    jupyterhub = ROOT / ".venv" / "bin" / "jupyterhub"
    script = "\n".join(["set -e", *lines, *hiding_lines(teacher),
                        f"cd {shlex.quote(str(args.state))}",
                        f"exec {shlex.quote(str(jupyterhub))} -f {shlex.quote(str(CONFIG))}"])
    scheme = "https" if args.ssl_cert else "http"
    host = f"[{args.ip}]" if ":" in args.ip else args.ip
    say(f"the class's hub: {scheme}://{host}:{args.port}/ (teacher {teacher.pw_name}, course "
        f"{course}; {len(students)} students in {STUDENTS_GROUP}, "
        f"{len(group_members(CHINESE_GROUP) & students)} of them reading Chinese; exchange "
        f"{args.exchange}); Ctrl-C or SIGTERM stops it")
    if scheme == "http" and args.ip not in ("127.0.0.1", "localhost", "::1"):
        say(f"plain HTTP on {args.ip}: passwords would cross the network unencrypted. Give "
            "--ssl-cert and --ssl-key, or keep 127.0.0.1 behind a reverse proxy with TLS "
            "(README.md, 'Classroom server')")
    own = mount_namespace("self")
    hub = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            script], env=env, start_new_session=True)
    stopping = []

    def stop(signum, frame):
        stopping.append(signum)
        try:
            hub.send_signal(signal.SIGTERM if len(stopping) == 1 else signal.SIGKILL)
        except ProcessLookupError:
            pass
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    held = None  # the hub's mount namespace, kept alive until its leftovers are stopped
    deadline = time.monotonic() + 30
    while held is None and hub.poll() is None and time.monotonic() < deadline:
        if mount_namespace(hub.pid) not in (None, own):
            held = hold_mount_namespace(hub.pid)
            if held is not None and held[1] == own:  # read before unshare had made it
                os.close(held[0])
                held = None
        time.sleep(0.01)
    status = hub.wait()
    uids = {account(name).pw_uid for name in group_members(STUDENTS_GROUP) if account(name)}
    if held is not None:
        try:
            for pid, user, cmd in sweep(held[1], uids):
                say(f"stopped process {pid} of {user} left running: {cmd[:120]}")
        finally:
            os.close(held[0])
    for sub in sorted(Path(stage).glob("*"), reverse=True):
        try:
            sub.unlink() if sub.is_file() else sub.rmdir()
        except OSError:
            pass
    try:
        os.rmdir(stage)
    except OSError:
        pass
    say(f"the hub has stopped (JupyterHub's exit status {status})")
    return 0 if stopping or status == 0 else 1


def parse(argv):
    parser = argparse.ArgumentParser(prog="./kit hub", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    acc = sub.add_parser("accounts", help="create the class's local accounts (as root)")
    acc.add_argument("roster", help="one login per line, 'zh' after a Chinese reader's; "
                                    "'-' reads standard input")
    acc.add_argument("--teacher", help="the teacher's login (created too if missing)")
    acc.add_argument("--passwords", type=Path,
                     help="where the new accounts' passwords go (default: ROSTER.passwords)")
    st = sub.add_parser("start", help="start the hub for the class (as root)")
    st.add_argument("--teacher", required=True, help="the teacher's login: owns the course, "
                                                     "has the formgrader")
    st.add_argument("--ip", default="127.0.0.1",
                    help="the address to serve on (default 127.0.0.1: this machine only)")
    st.add_argument("--port", type=int, default=8000, help="the port (default 8000)")
    st.add_argument("--course", type=Path,
                    help="the teacher's course folder (default: ~TEACHER/course, copied "
                         "from the kit's course/ when missing)")
    st.add_argument("--exchange", type=Path, default=EXCHANGE,
                    help=f"nbgrader's exchange folder (default {EXCHANGE})")
    st.add_argument("--state", type=Path, default=STATE,
                    help=f"the hub's database and secrets (default {STATE})")
    st.add_argument("--ssl-cert", help="serve HTTPS with this certificate (PEM)")
    st.add_argument("--ssl-key", help="... and this key")
    args = parser.parse_args(argv)
    if args.command == "accounts" and args.passwords is None:
        if args.roster == "-":
            parser.error("with the roster on standard input, name the --passwords file")
        args.passwords = Path(args.roster + ".passwords")
    if args.command == "start" and not 0 < args.port < 65536:
        parser.error("--port must be between 1 and 65535")
    return args


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "accounts":
            text = sys.stdin.read() if args.roster == "-" else Path(args.roster).read_text()
            accounts(read_roster(text), args.teacher, args.passwords)
            return 0
        return start(args)
    except HubError as e:
        print(f"kit hub: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"kit hub: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
