"""A class on the classroom server at once: N simulated students log in, fetch, submit.

    sudo .venv/bin/python -m benchmarks.hub_load --students 30

As root (it makes local accounts and starts the hub): `./kit hub accounts` makes a
teacher and N students (kit-load-*), `./kit hub start` serves them on 127.0.0.1 with an
exchange and state of their own, and the teacher generates and releases a1 through the
formgrader's API. Then every student at the same moment, each in a thread of its own,
does over HTTP what a browser does: the login form (checked by PAM), an API token, their
JupyterLab server started and waited for, the Assignments panel's list and Fetch, the
answers written into the fetched notebook through the contents API, Submit. Finally the
teacher collects from a terminal of the hub and every submission is counted.

Printed: the time to serve the class (the first login to the last submission), each
step's median and slowest time, the hub's peak memory (JupyterHub's process and the
proxy's, sampled every 0.2 s) and CPU time, the students' servers' memory at the end, and
how many submissions were lost (none, or the run fails). The accounts are removed
afterwards (unless --keep-accounts).
"""
import argparse
import json
import os
import pwd
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.course.hub_accounts import remove_accounts
from tools.course.hub_client import HubUser

ROOT = Path(__file__).resolve().parents[1]

TEACHER = "kit-load-teacher"
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    out = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[1]) == pid:
                    out.append(int(entry.name))
            except OSError:
                pass
    return out


def rss(pid):
    """Resident memory of `pid` in bytes (0 when it is gone)."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except OSError:
        return 0


def cpu_seconds(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


class Sampler:
    """The peak resident memory of the hub's process and of its proxy."""

    def __init__(self, hub, proxy):
        self.hub, self.proxy, self.peak = hub, proxy, {"hub": 0, "proxy": 0}
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            self.peak["hub"] = max(self.peak["hub"], rss(self.hub))
            self.peak["proxy"] = max(self.peak["proxy"], rss(self.proxy))
            time.sleep(0.2)

    def stop(self):
        self.running = False
        self.thread.join()


def answered(notebook):
    """The fetched notebook with the solutions in its answer cells."""
    from tools.cli import class_module
    solved = class_module("adversarial_class").solutions(ROOT / "course", "a1_softmax")
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in solved:
            cell["source"] = solved[grade_id]
    return notebook


def student(base, name, password, start_line):
    """One student's session; {step: seconds}."""
    start_line.wait()
    user, times = HubUser(base, name, password), {}
    tic = time.perf_counter()
    times["log in"] = user.login()
    times["start server"] = user.start_server()
    t = time.perf_counter()
    listed = user.assignments()["value"]
    assert any(a["assignment_id"] == "a1_softmax" for a in listed), listed
    user.assignment_action("fetch", "softmax-kit", "a1_softmax")
    times["list and fetch"] = time.perf_counter() - t
    t = time.perf_counter()
    path = "a1_softmax/softmax.ipynb"
    user.write_notebook(path, answered(user.read(path)))
    times["answer"] = time.perf_counter() - t
    t = time.perf_counter()
    user.assignment_action("submit", "softmax-kit", "a1_softmax")
    times["submit"] = time.perf_counter() - t
    times["whole"] = time.perf_counter() - tic
    times["done at"] = time.perf_counter()
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--keep-accounts", action="store_true",
                        help="leave the kit-load-* accounts (removed by default)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("hub_load.py makes local accounts and starts the hub: run it as root")
    names = [f"kit-load-{k:02d}" for k in range(1, args.students + 1)]
    remove_accounts([TEACHER, *names])
    tmp = Path(tempfile.mkdtemp(prefix="kit-hub-load-"))
    roster = tmp / "roster.txt"
    roster.write_text("\n".join(names) + "\n")
    kit = str(ROOT / "kit")
    tic = time.perf_counter()
    r = subprocess.run([kit, "hub", "accounts", "--teacher", TEACHER, str(roster)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(r.stdout + r.stderr)
    passwords = dict(line.split() for line in Path(f"{roster}.passwords").read_text().splitlines())
    print(f"{len(passwords)} accounts made in {time.perf_counter() - tic:.1f} s", flush=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp / "hub.log", "w")
    hub = subprocess.Popen([kit, "hub", "start", "--teacher", TEACHER, "--port", str(port),
                            "--exchange", str(tmp / "exchange"), "--state", str(tmp / "state")],
                           stdout=log, stderr=subprocess.STDOUT)
    try:
        import urllib.request
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{base}/hub/api", timeout=5).close()
                break
            except OSError:
                if hub.poll() is not None:
                    sys.exit(f"the hub exited:\n{(tmp / 'hub.log').read_text()[-3000:]}")
                time.sleep(0.2)
        jupyterhub = next(p for p in children(hub.pid))
        proxy = next(p for p in children(jupyterhub)
                     if b"configurable-http-proxy" in Path(f"/proc/{p}/cmdline").read_bytes())
        teacher = HubUser(base, TEACHER, passwords[TEACHER])
        teacher.login()
        teacher.start_server()
        for action in ("assign", "release"):
            r = teacher.server("POST", f"formgrader/api/assignment/a1_softmax/{action}")
            assert r.ok and r.json()["success"], r.text
        print("a1_softmax released; the class starts", flush=True)

        sampler = Sampler(jupyterhub, proxy)
        client_cpu0 = time.process_time()
        cpu0 = cpu_seconds(jupyterhub) + cpu_seconds(proxy)
        start_line = threading.Barrier(len(names) + 1)
        with ThreadPoolExecutor(len(names)) as pool:
            futures = {name: pool.submit(student, base, name, passwords[name], start_line)
                       for name in names}
            start_line.wait()
            began = time.perf_counter()
            results, failed = {}, {}
            for name, future in futures.items():
                try:
                    results[name] = future.result()
                except Exception as e:
                    failed[name] = repr(e)
        served = max((t["done at"] for t in results.values()), default=began) - began
        cpu = cpu_seconds(jupyterhub) + cpu_seconds(proxy) - cpu0
        sampler.stop()
        servers = [p for p in children(jupyterhub)
                   if b"singleuser" in Path(f"/proc/{p}/cmdline").read_bytes()]
        servers_rss = sum(rss(p) for p in servers)
        servers_cpu = sum(cpu_seconds(p) for p in servers)
        client_cpu = time.process_time() - client_cpu0

        status, out = teacher.terminal("cd ~/course && nbgrader collect a1_softmax")
        course = Path(pwd.getpwnam(TEACHER).pw_dir) / "course"
        collected = {p.parent.name for p in (course / "submitted").glob("*/a1_softmax")}
        inbound = len(list((tmp / "exchange" / "softmax-kit" / "inbound").iterdir()))
        lost = sorted(set(names) - collected)

        print(f"\n{len(names)} students at once on a {os.cpu_count()}-core machine "
              f"(JupyterHub 5.5, PAM, one JupyterLab server each):")
        print(f"  time to serve the class (first login to last submission): {served:.1f} s")
        for step in ("log in", "start server", "list and fetch", "answer", "submit", "whole"):
            values = [t[step] for t in results.values()]
            if values:
                print(f"  {step:15s} median {statistics.median(values):6.2f} s, "
                      f"slowest {max(values):6.2f} s")
        print(f"  hub's peak memory: JupyterHub {sampler.peak['hub'] / 2**20:.0f} MiB, "
              f"proxy {sampler.peak['proxy'] / 2**20:.0f} MiB; their CPU time during the "
              f"class {cpu:.1f} s")
        print(f"  the {len(servers)} JupyterLab servers (the students' and the teacher's) at "
              f"the end: {servers_rss / 2**20:.0f} MiB in all, "
              f"{servers_rss / 2**20 / max(1, len(servers)):.0f} MiB each; {servers_cpu:.0f} s "
              f"of CPU in all since they started")
        print(f"  the simulated browsers (this process): {client_cpu:.1f} s of CPU")
        print(f"  submissions: {inbound} in the exchange, {len(collected)} collected, "
              f"{len(lost)} lost" + (f" ({', '.join(lost)})" if lost else ""))
        if failed:
            print("  students who failed:\n    " + "\n    ".join(
                f"{n}: {e}" for n, e in failed.items()))
        print(json.dumps({"students": len(names), "served_s": round(served, 1),
                          "hub_peak_mib": round(sampler.peak["hub"] / 2**20),
                          "proxy_peak_mib": round(sampler.peak["proxy"] / 2**20),
                          "hub_cpu_s": round(cpu, 1), "servers_cpu_s": round(servers_cpu),
                          "servers_mib": round(servers_rss / 2**20), "lost": len(lost),
                          "failed": len(failed), "collect_status": status}))
        return 1 if lost or failed or status != 0 else 0
    finally:
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(timeout=300)
        except subprocess.TimeoutExpired:
            hub.kill()
        log.close()
        if not args.keep_accounts:
            remove_accounts([TEACHER, *names])
            shutil.rmtree(tmp, ignore_errors=True)  # the passwords and the hub's state


if __name__ == "__main__":
    sys.exit(main())
