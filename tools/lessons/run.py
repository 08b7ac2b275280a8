"""The kit's main job: execute every notebook headless and report (``./kit run``).

Each notebook runs in order, in a kernel of its own started from this very Python (the
project's environment, whatever kernelspecs the machine has), with the notebooks folder
as its working directory. Executed copies go to build/notebooks/. One line per notebook
(name, seconds, pass/fail), then the final accuracies the notebooks reported, i.e. the
lines they print as ``final test accuracy: 0.8312``. Exits non-zero if any notebook fails.

``./kit run 03 04`` runs only the lessons whose name contains one of these; the site
(build/site/) still shows every lesson executed so far, the others as an earlier run left
them in build/notebooks/. A folder it may not write in is named before anything runs;
Ctrl-C stops the kernel and leaves the earlier results and the site as they were.

Imports nothing beyond the standard library until a notebook runs: ``./kit run 99`` and
``--help`` answer before set-up.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tools.lessons.notebooks import notebook_paths, reported_accuracies

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
KERNEL = "softmax-kit-current-env"


def make_client(nb, folder, timeout=900):
    """An nbclient that runs `nb` in a kernel of this Python, in `folder`.

    The client can be stopped from another thread (``stop``): its kernel is then killed
    and ``execute`` ends at once.
    """
    import asyncio
    from contextlib import asynccontextmanager

    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient

    class CurrentEnvKernelSpecManager(KernelSpecManager):
        """Serve one kernelspec: ipykernel in the Python running this script."""

        def get_kernel_spec(self, kernel_name):
            if kernel_name == KERNEL:
                from ipykernel.kernelspec import RESOURCES, get_kernel_dict
                return self.kernel_spec_class(resource_dir=RESOURCES, **get_kernel_dict())
            return super().get_kernel_spec(kernel_name)

    class Client(NotebookClient):
        stopping, _task = False, None

        @asynccontextmanager
        async def async_setup_kernel(self, **kwargs):
            self._task = (asyncio.get_running_loop(), asyncio.current_task())
            if self.stopping:
                raise asyncio.CancelledError
            try:
                async with super().async_setup_kernel(**kwargs):
                    yield
            except asyncio.CancelledError:
                if self.km is not None and self.km.has_kernel:  # stopped while it started
                    await self._async_cleanup_kernel()
                raise

        def stop(self):
            """Kill the kernel and end `execute` (from any thread)."""
            self.stopping, self.shutdown_kernel = True, "immediate"
            if self._task is not None:
                loop, task = self._task
                loop.call_soon_threadsafe(task.cancel)

    client = Client(nb, timeout=timeout, kernel_name=KERNEL,
                    kernel_manager_class="jupyter_client.manager.KernelManager",
                    resources={"metadata": {"path": str(folder)}})
    client.km = client.kernel_manager_class(kernel_name=KERNEL,
                                            kernel_spec_manager=CurrentEnvKernelSpecManager())
    return client


def execute(path, out_dir, timeout=900):
    """Execute one notebook; write the executed copy; return (ok, seconds, nb, error).

    The kernel runs with a temporary folder of its own (TMPDIR), removed afterwards: Gluon's
    DataLoader workers each leave a multiprocessing folder (pymp-*) behind. Ctrl-C (or
    SIGTERM) kills the kernel, writes nothing, and raises KeyboardInterrupt.
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    client = make_client(nb, path.parent, timeout)
    error, failure = None, []
    tmp = tempfile.mkdtemp(prefix="kit-")  # short: the workers' sockets live in it
    env = dict(os.environ, TMPDIR=tmp)

    def run():
        try:
            # The kernel's own stderr (start-up notices) is noise here: errors in cells
            # arrive through the notebook protocol and are reported below.
            client.execute(stderr=subprocess.DEVNULL, env=env)
        except BaseException as e:  # handed to the main thread
            failure.append(e)

    # nbclient runs in a thread of its own: there it adds no signal handlers, and Ctrl-C
    # reaches this thread as KeyboardInterrupt, which stops the client cleanly.
    worker = threading.Thread(target=run, name=f"kernel {path.stem}", daemon=True)
    tic = time.perf_counter()
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        client.stop()
        worker.join(30)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.perf_counter() - tic
    if failure:
        e = failure[0]
        if not isinstance(e, (CellExecutionError, CellTimeoutError, DeadKernelError)):
            raise e
        error = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / f".{path.name}.partial"
    nbformat.write(nb, partial)
    os.replace(partial, out_dir / path.name)
    return error is None, seconds, nb, error


def had_error(path):
    """True if the executed copy at `path` holds an error output (a failed run)."""
    import nbformat
    nb = nbformat.read(path, as_version=4)
    return any(out.get("output_type") == "error"
               for cell in nb.cells for out in cell.get("outputs", []))


def parser():
    p = argparse.ArgumentParser(prog="./kit run", description="Execute the lessons, each in a "
                                "fresh kernel, into build/; render the site; report.")
    p.add_argument("only", nargs="*", metavar="NN",
                   help="run only the lessons whose name contains this: ./kit run 03 04")
    p.add_argument("--build", type=Path, default=BUILD, help="output folder (build/)")
    p.add_argument("--no-site", action="store_true",
                   help="do not render the executed notebooks as a site (build/site/)")
    return p


def lesson_problem(selected):
    """'' if every string of `selected` names a lesson; else what is wrong, with the list."""
    missing = [s for s in selected if not notebook_paths([s])]
    if not missing:
        return ""
    names = "\n".join(f"  {p.stem}" for p in notebook_paths())
    return (f"no lesson matches {', '.join(repr(s) for s in missing)}. The lessons:\n{names}\n"
            "Name them by number or by part of the name (./kit run 03 04), or give none for all.")


def check(argv):
    """What ./kit says before set-up: --help, or a lesson that does not exist."""
    return lesson_problem(parser().parse_args(argv).only)


def writable(folder):
    """'' if the executed copies can be written into `folder`; else why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        return e.strerror or str(e)
    return ""


def heartbeat(name, every=30.0):
    """A thread that says, every `every` s, how long `name` has been running."""
    stop, tic = threading.Event(), time.perf_counter()

    def beat():
        while not stop.wait(every):
            print(f"    ... {name} still running, {time.perf_counter() - tic:.0f} s",
                  flush=True)
    threading.Thread(target=beat, daemon=True).start()
    return stop


def interrupted(*_):
    raise KeyboardInterrupt


def main(argv=None):
    args = parser().parse_args(argv)
    problem = lesson_problem(args.only)
    if problem:
        print(f"kit run: {problem}", file=sys.stderr)
        return 2
    paths = notebook_paths(args.only)
    executed = args.build / "notebooks"
    why = writable(executed)
    if why:
        print(f"kit run: cannot write the executed notebooks to {executed} ({why}); nothing "
              "ran. Give a folder you may write in: ./kit run --build ~/softmax-build",
              file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, interrupted)  # `kill`, `docker stop`: as Ctrl-C

    results = []
    for i, path in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] running {path.name} ...", flush=True)
        beating = heartbeat(path.stem)
        try:
            ok, seconds, nb, error = execute(path, executed)
        except KeyboardInterrupt:
            done = f"the {len(results)} before it are in {executed}; " if results else ""
            print(f"\nkit run: interrupted during {path.stem}: its kernel is stopped and "
                  f"nothing of it was written; {done}the site was left as it was. Run "
                  "./kit run again to start over.", file=sys.stderr)
            return 130
        finally:
            beating.set()
        results.append((path, ok, seconds, reported_accuracies(nb)))
        status = "pass" if ok else "FAIL"
        print(f"{path.stem:<28} {seconds:7.1f} s  {status}", flush=True)
        if error:
            print(f"    {error}", flush=True)

    site_failed = False
    if not args.no_site:
        site_failed = render_site(args.build, results)

    print("\nFinal accuracies reported:")
    for path, ok, _, accs in results:
        for label, value in accs.items():
            print(f"  {path.stem:<28} {label} accuracy {value:.4f}")
    failed = [p.name for p, ok, _, _ in results if not ok]
    total = sum(r[2] for r in results)
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed "
          f"in {total:.0f} s; executed copies in {executed}")
    return 1 if failed or site_failed else 0


def render_site(build, results):
    """The site of every lesson executed so far: this run's, and an earlier run's copies of
    the others (a failed one marked so, from the error it holds). True if it failed."""
    from tools.site.build import build_site, executed_notebooks
    ran = {p.stem: ok for p, ok, _, _ in results}
    notebooks = executed_notebooks(build)
    failed = [p.stem for p in notebooks
              if (not ran[p.stem] if p.stem in ran else had_error(p))]
    earlier = len(notebooks) - len([p for p in notebooks if p.stem in ran])
    print(f"\nRendering the site to {build / 'site'} ...", flush=True)
    if earlier:
        print(f"  with {earlier} lesson(s) as an earlier run left them in {build / 'notebooks'}",
              flush=True)
    try:
        build_site(notebooks, build / "site", failed=failed)
    except KeyboardInterrupt:
        print("\nkit run: interrupted while rendering the site: the site was left as it was. "
              "./kit site renders it again.", file=sys.stderr)
        raise SystemExit(130)
    except Exception as e:  # the notebooks' own results still print below
        print(f"    site FAILED: {type(e).__name__}: {e}", flush=True)
        return True
    return False


if __name__ == "__main__":
    sys.exit(main())
