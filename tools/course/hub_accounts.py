"""The class's local accounts (`./kit hub accounts`): the roster read, an account with a
random password for each login that has none (the passwords in a file only root may read),
the students' and the Chinese readers' groups, and the class's home folders made private.
"""
import grp
import os
import pwd
import re
import secrets
import stat
import subprocess
from pathlib import Path

from tools.course.hub_common import (CHINESE_GROUP, STUDENTS_GROUP, HubError, account,
                                     group_members, require_root, run, say)

LOGIN = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
PASSWORD_LETTERS = "abcdefghijkmnpqrstuvwxyz23456789"  # nothing to mistake for another


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


def remove_accounts(names):
    """Delete these local accounts and their homes, their processes first (a class's
    accounts at the end of a term, or the leftovers of an interrupted run)."""
    from grading.sandbox import kill_users_processes
    for name in names:
        try:
            uid = pwd.getpwnam(name).pw_uid
        except KeyError:
            continue
        kill_users_processes(uid)
        subprocess.run(["userdel", "--force", "--remove", name], capture_output=True)
