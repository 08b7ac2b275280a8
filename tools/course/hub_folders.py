"""What the classroom server prepares on the machine before it starts, as root and following
no link a user could have planted: nbgrader's exchange, the teacher's copy of the course,
the hub's state folder, and the mount lines that keep the course's secrets (solutions,
hidden tests, the grader) from the students in the hub's mount namespace.
"""
import os
import pwd
import shlex
import shutil
from pathlib import Path

from tools.course.hub_common import CHINESE_COURSE_ID, COURSE_ID, ROOT, HubError, say

# What the teacher's copy of course/ leaves out: what nbgrader and the grader generate,
# and the hub's own settings.
NOT_COURSE = ("release", "release_zh", "submitted", "autograded", "feedback", "downloaded",
              "source_with_tests", "gradebook.db", "grades.csv", "__pycache__",
              ".ipynb_checkpoints", "hub")


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


def hiding_lines(teacher):
    """Shell lines, run in the hub's mount namespace, that keep the course's secrets from
    the students although the kit's folder is open to them: its course/source*/ (the
    solutions and hidden tests), the kit's tests (which hold right answers), anything
    generated in its course/ and its git history are covered by empty folders; grading/
    and tools/ (the grader's reference answers) are replaced by copies only the teacher
    may read, but for the checks the students' test cells import (grading/__init__.py and
    grading/checks/)."""
    kit = ROOT.resolve()
    lines = ['nothing="$stage/nothing"', ': > "$nothing"', 'chmod 000 "$nothing"']
    for name in [".git", "tests", "course/source", "course/source_zh",
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
            # grading/ itself may be listed (755, not 711): Python lists a package's folder
            # to find its modules, and would find no grading.checks in one it cannot list.
            lines += [f"chown -R {teacher.pw_uid}:{teacher.pw_gid} {path}",
                      f"find {path} -mindepth 1 -maxdepth 1 ! -name __init__.py ! -name checks "
                      "-exec chmod -R go-rwx {} +",
                      f"chmod -R go+rX {path}/__init__.py {path}/checks", f"chmod 755 {path}"]
    return lines
