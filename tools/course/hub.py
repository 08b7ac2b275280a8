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
"""
import argparse
import grp
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.course.as_user import kit_paths, reach

ROOT = Path(__file__).resolve().parents[2]

HUB = ROOT / "course" / "hub"
CONFIG = HUB / "jupyterhub_config.py"
PROXY = ROOT / ".venv" / "hub-proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
COURSE_ID, CHINESE_COURSE_ID = "softmax-kit", "softmax-kit-zh"
STUDENTS_GROUP, CHINESE_GROUP = "softmax-kit-students", "softmax-kit-zh"
EXCHANGE = Path("/usr/local/share/nbgrader/exchange")  # nbgrader 0.9.6's default
STATE = Path("/var/lib/softmax-kit-hub")
# What the teacher's copy of course/ leaves out: what nbgrader and the grader generate,
# and the hub's own settings.
NOT_COURSE = ("release", "release_zh", "submitted", "autograded", "feedback", "downloaded",
              "source_with_tests", "gradebook.db", "grades.csv", "__pycache__",
              ".ipynb_checkpoints", "hub")
LOGIN = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
PASSWORD_LETTERS = "abcdefghijkmnpqrstuvwxyz23456789"  # nothing to mistake for another


class HubError(RuntimeError):
    """The hub cannot be prepared or started; the message says why and what to do."""


def say(msg):
    print(f"kit hub: {msg}", file=sys.stderr, flush=True)


def run(*args, **kwargs):
    r = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if r.returncode != 0:
        raise HubError(f"{' '.join(args)} failed: {(r.stderr or r.stdout).strip()}")
    return r


def require_root(what):
    if os.geteuid() != 0:
        raise HubError(f"{what} needs root: JupyterHub checks passwords with PAM and starts "
                       "each user's server as that user. Run it as root (sudo ./kit hub ...); "
                       "the teacher's own steps need no root (README.md, 'Classroom server').")


def account(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def group_members(group):
    """The logins in Unix group `group` (empty if there is no such group)."""
    try:
        entry = grp.getgrnam(group)
    except KeyError:
        return set()
    return set(entry.gr_mem) | {p.pw_name for p in pwd.getpwall() if p.pw_gid == entry.gr_gid}


# accounts

def read_roster(text):
    """[(login, reads Chinese)] from a roster's text; HubError naming the first bad line."""
    out, seen = [], set()
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        login, extra = words[0], words[1:]
        if not LOGIN.match(login):
            raise HubError(f"roster line {number}: {login!r} is not a login name (lowercase "
                           "letters, digits, '_' and '-', starting with a letter or '_', at "
                           "most 32 characters)")
        if extra not in ([], ["zh"]):
            raise HubError(f"roster line {number}: after the login only 'zh' may follow "
                           f"(a student who reads the Chinese edition), not {' '.join(extra)!r}")
        if login in seen:
            raise HubError(f"roster line {number}: {login} is listed twice")
        seen.add(login)
        out.append((login, extra == ["zh"]))
    return out


def new_password():
    return "".join(secrets.choice(PASSWORD_LETTERS) for _ in range(12))


def ensure_group(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        run("groupadd", "--system", name)
        say(f"created the group {name}")


def make_private(entry):
    """The home folder of `entry` (a pwd entry) readable by its owner only."""
    home = Path(entry.pw_dir)
    if home.is_dir() and os.stat(home).st_uid == entry.pw_uid and os.stat(home).st_mode & 0o077:
        os.chmod(home, 0o700)
        return True
    return False


def accounts(roster, teacher=None, passwords=None):
    """Create the class's accounts; "login password" for each one created goes to the file
    `passwords` (root's alone, added to); the logins created."""
    require_root("./kit hub accounts")
    if teacher is not None and not LOGIN.match(teacher):
        raise HubError(f"--teacher {teacher!r} is not a login name")
    if any(login == teacher for login, _ in roster):
        raise HubError(f"{teacher} is the teacher: leave them out of the roster")
    passwords = Path(passwords)
    try:
        fd = os.open(passwords, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    except OSError as e:
        raise HubError(f"cannot write the passwords to {passwords}: {e.strerror}") from None
    st = os.fstat(fd)
    if st.st_uid != 0 or st.st_nlink != 1 or not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise HubError(f"{passwords} is not a file of root's: the passwords go nowhere else. "
                       "Give --passwords a new file.")
    os.fchmod(fd, 0o600)
    out = os.fdopen(fd, "a")
    for group in (STUDENTS_GROUP, CHINESE_GROUP):
        ensure_group(group)
    created, private = [], 0
    for login in ([teacher] if teacher else []) + [login for login, _ in roster]:
        if account(login) is None:
            run("useradd", "--create-home", "--shell", "/bin/bash", login)
            password = new_password()
            run("chpasswd", input=f"{login}:{password}\n")
            created.append(login)
            print(f"{login} {password}", file=out, flush=True)
        private += make_private(account(login))
    out.close()
    chinese = group_members(CHINESE_GROUP)
    for login, zh in roster:
        run("gpasswd", "--add", login, STUDENTS_GROUP)
        if zh and login not in chinese:
            run("gpasswd", "--add", login, CHINESE_GROUP)
        elif not zh and login in chinese:
            run("gpasswd", "--delete", login, CHINESE_GROUP)
    say(f"{len(created)} account{'s' * (len(created) != 1)} created (passwords in "
        f"{passwords}), "
        f"{len(roster) + bool(teacher) - len(created)} existed; {private} home folder"
        f"{'s' * (private != 1)} made private; {len(group_members(STUDENTS_GROUP))} students "
        f"in {STUDENTS_GROUP}, {len(group_members(CHINESE_GROUP))} of them in {CHINESE_GROUP}")
    return created


# start: what the hub needs on the machine

def not_a_link(path, what):
    """HubError if `path` is a symbolic link: root must not follow one that a user made."""
    if Path(path).is_symlink():
        raise HubError(f"{what} {path} is a symbolic link: give the folder itself")


def owner_name(uid):
    return next((p.pw_name for p in pwd.getpwall() if p.pw_uid == uid), str(uid))


def prepare_exchange(exchange, teacher):
    """nbgrader's exchange, open to all with the sticky bit (nbgrader requires rwx for all;
    the sticky bit keeps anyone from renaming another's folder), and the course's folders
    in it the teacher's, before a student could make them."""
    exchange = Path(exchange)
    not_a_link(exchange, "the exchange")
    if not exchange.exists():
        exchange.mkdir(parents=True)
        say(f"created nbgrader's exchange {exchange}")
    st = os.lstat(exchange)
    if st.st_uid != 0:
        os.chown(exchange, 0, 0, follow_symlinks=False)
        say(f"{exchange} now belongs to root (it belonged to {owner_name(st.st_uid)})")
    if st.st_mode & 0o7777 != 0o1777:
        os.chmod(exchange, 0o1777)
    for course_id in (COURSE_ID, CHINESE_COURSE_ID):
        folder = exchange / course_id
        not_a_link(folder, "the exchange's course folder")
        if not folder.exists():
            folder.mkdir(mode=0o755)
            os.chown(folder, teacher.pw_uid, teacher.pw_gid, follow_symlinks=False)
        elif os.lstat(folder).st_uid != teacher.pw_uid:
            raise HubError(f"{folder} belongs to {owner_name(os.lstat(folder).st_uid)}, not to "
                           f"the teacher {teacher.pw_name}: whoever made it could hand out or "
                           f"collect in the teacher's name. Move it away (mv {folder} "
                           f"{folder}.old) and start again.")


def prepare_course(course, teacher):
    """The teacher's course: a copy of course/ made theirs, if there is none; theirs alone.

    The copy is made inside a folder that is root's alone until it is complete, so that
    nothing in it can be swapped for a link while root writes there."""
    course = Path(course)
    not_a_link(course, "the course")
    if not course.exists():
        course.mkdir(mode=0o700)
        os.chown(course, 0, 0, follow_symlinks=False)
        shutil.copytree(ROOT / "course", course, ignore=shutil.ignore_patterns(*NOT_COURSE),
                        symlinks=True, dirs_exist_ok=True)
        for folder, dirs, files in os.walk(course):
            for name in (os.path.join(folder, n) for n in dirs + files):
                os.chown(name, teacher.pw_uid, teacher.pw_gid, follow_symlinks=False)
        os.chown(course, teacher.pw_uid, teacher.pw_gid, follow_symlinks=False)
        say(f"copied the course to {course} for {teacher.pw_name}")
    if not (course / "nbgrader_config.py").is_file():
        raise HubError(f"{course} holds no nbgrader_config.py: it is not the course. Give "
                       "--course the teacher's course folder, or move this one away.")
    st = os.lstat(course)
    if st.st_uid != teacher.pw_uid:
        raise HubError(f"{course} belongs to {owner_name(st.st_uid)}, not to the teacher "
                       f"{teacher.pw_name}")
    if st.st_mode & 0o077:
        os.chmod(course, 0o700)  # the solutions, the hidden tests and the gradebook
        say(f"{course} is the teacher's alone now (mode 700)")


def prepare_state(state):
    """The hub's database of tokens and its cookie secret: root's alone."""
    state = Path(state)
    not_a_link(state, "the hub's state folder")
    state.mkdir(parents=True, exist_ok=True)
    st = os.lstat(state)
    if st.st_uid != 0:
        raise HubError(f"the hub's state folder {state} belongs to {owner_name(st.st_uid)}: "
                       "give --state a folder of root's, or a new one")
    os.chmod(state, 0o700)


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


def hiding_lines(teacher):
    """Shell lines, run in the hub's mount namespace, that keep the course's secrets from
    the students although the kit's folder is open to them: its course/source*/ (the
    solutions and hidden tests), anything generated in its course/ and its git history are
    covered by empty folders; grading/ and tools/ (the grader's reference answers) are
    replaced by copies only the teacher may read, but for the checks the students' test
    cells import (grading/__init__.py and grading/checks/)."""
    kit = ROOT.resolve()
    lines = ['nothing="$stage/nothing"', ': > "$nothing"', 'chmod 000 "$nothing"']
    for name in [".git", "course/source", "course/source_zh",
                 *(f"course/{n}" for n in NOT_COURSE if n != "hub")]:
        path = kit / name
        if path.is_dir():
            lines.append(f"mount -t tmpfs -o mode=000,size=4k tmpfs {shlex.quote(str(path))}")
        elif path.exists():
            lines.append(f'mount --bind "$nothing" {shlex.quote(str(path))}')
    for k, name in enumerate(("grading", "tools")):
        path, staged = shlex.quote(str(kit / name)), f'"$stage/teacher-{k}"'
        lines += [f"mkdir -p {staged}", f"mount --bind {path} {staged}",
                  f"mount -t tmpfs -o mode=700,uid={teacher.pw_uid},gid={teacher.pw_gid} "
                  f"tmpfs {path}", f"cp -a {staged}/. {path}/", f"umount {staged}",
                  f"chown {teacher.pw_uid}:{teacher.pw_gid} {path}", f"chmod 700 {path}"]
        if name == "grading":  # the checks stay readable, the rest the teacher's alone
            lines += [f"chown -R {teacher.pw_uid}:{teacher.pw_gid} {path}",
                      f"find {path} -mindepth 1 -maxdepth 1 ! -name __init__.py ! -name checks "
                      "-exec chmod -R go-rwx {} +",
                      f"chmod -R go+rX {path}/__init__.py {path}/checks", f"chmod 711 {path}"]
    return lines


def mount_namespace(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None


def processes():
    """{pid: (uid, mount namespace, command line)} of the machine's live processes (not
    the zombies: they run nothing, and only their parent can reap them)."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            if Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            uid = os.stat(entry.path).st_uid
            cmd = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace").strip()
        except OSError:
            continue
        out[pid] = (uid, mount_namespace(pid), cmd)
    return out


def leftovers(namespace, student_uids):
    """Pids the class left: every process in the hub's mount namespace, and every student
    process in a mount namespace other than the machine's own (one a student made)."""
    ours = mount_namespace("self")
    return {pid: info for pid, info in processes().items()
            if pid != os.getpid() and info[1] is not None
            and (info[1] == namespace or (info[0] in student_uids and info[1] != ours))}


def sweep(namespace, student_uids, rounds=50):
    """Stop what the class left running (SIGTERM, then SIGKILL); [(pid, user, command)]."""
    def user(uid):
        entry = next((p for p in pwd.getpwall() if p.pw_uid == uid), None)
        return entry.pw_name if entry else str(uid)
    found = {}
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for _ in range(rounds if sig == signal.SIGKILL else 1):
            left = leftovers(namespace, student_uids)
            if not left:
                break
            for pid, (uid, _, cmd) in left.items():
                found.setdefault(pid, (pid, user(uid), cmd))
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            time.sleep(1.0 if sig == signal.SIGTERM else 0.05)
    return list(found.values())


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
    namespace = None
    deadline = time.monotonic() + 30
    while namespace in (None, own) and hub.poll() is None and time.monotonic() < deadline:
        namespace = mount_namespace(hub.pid)
        time.sleep(0.01)
    status = hub.wait()
    uids = {account(name).pw_uid for name in group_members(STUDENTS_GROUP) if account(name)}
    if namespace not in (None, own):
        for pid, user, cmd in sweep(namespace, uids):
            say(f"stopped process {pid} of {user} left running: {cmd[:120]}")
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
