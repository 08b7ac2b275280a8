"""The kit's main job: execute every notebook headless and report (``./kit run``).

Each notebook runs in order, in a kernel of its own started from this very Python (the
project's environment, whatever kernelspecs the machine has), with the notebooks folder
as its working directory. Executed copies go to build/notebooks/. One line per notebook
(name, seconds, pass/fail), then the final accuracies the notebooks reported, i.e. the
lines they print as ``final test accuracy: 0.8312``. Exits non-zero if any notebook fails.
"""
import argparse
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

if __package__ in (None, ""):  # run as a script: make tools.* importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.build_site import build_site  # noqa: E402
from tools.lessons import notebook_paths, reported_accuracies  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
KERNEL = "softmax-kit-current-env"


class CurrentEnvKernelSpecManager(KernelSpecManager):
    """Serve one kernelspec: ipykernel in the Python running this script."""

    def get_kernel_spec(self, kernel_name):
        if kernel_name == KERNEL:
            from ipykernel.kernelspec import RESOURCES, get_kernel_dict
            return self.kernel_spec_class(resource_dir=RESOURCES, **get_kernel_dict())
        return super().get_kernel_spec(kernel_name)


def make_client(nb, folder, timeout=900):
    """An nbclient that runs `nb` in a kernel of this Python, in `folder`."""
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL,
                            kernel_manager_class="jupyter_client.manager.KernelManager",
                            resources={"metadata": {"path": str(folder)}})
    client.km = client.kernel_manager_class(kernel_name=KERNEL,
                                            kernel_spec_manager=CurrentEnvKernelSpecManager())
    return client


def execute(path, out_dir, timeout=900):
    """Execute one notebook; write the executed copy; return (ok, seconds, nb, error)."""
    nb = nbformat.read(path, as_version=4)
    client = make_client(nb, path.parent, timeout)
    error = None
    tic = time.perf_counter()
    try:
        # The kernel's own stderr (start-up notices) is noise here: errors in cells
        # arrive through the notebook protocol and are reported below.
        client.execute(stderr=subprocess.DEVNULL)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        error = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
    seconds = time.perf_counter() - tic
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    return error is None, seconds, nb, error


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="run only notebooks whose name contains this")
    parser.add_argument("--build", type=Path, default=BUILD, help="output folder (build/)")
    parser.add_argument("--no-site", action="store_true",
                        help="do not render the executed notebooks as a site (build/site/)")
    args = parser.parse_args(argv)

    paths = notebook_paths(args.only)
    if not paths:
        print(f"no notebook matches {args.only}", file=sys.stderr)
        return 2

    def heartbeat(name, every=30.0):
        """A thread that says, every `every` s, how long `name` has been running."""
        import threading
        stop, tic = threading.Event(), time.perf_counter()

        def beat():
            while not stop.wait(every):
                print(f"    ... {name} still running, {time.perf_counter() - tic:.0f} s",
                      flush=True)
        threading.Thread(target=beat, daemon=True).start()
        return stop

    results = []
    for i, path in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] running {path.name} ...", flush=True)
        beating = heartbeat(path.stem)
        try:
            ok, seconds, nb, error = execute(path, args.build / "notebooks")
        finally:
            beating.set()
        results.append((path, ok, seconds, reported_accuracies(nb)))
        status = "pass" if ok else "FAIL"
        print(f"{path.stem:<28} {seconds:7.1f} s  {status}", flush=True)
        if error:
            print(f"    {error}", flush=True)

    site_failed = False
    if not args.no_site:
        # What this run executed, and nothing else, as a static offline site.
        print(f"\nRendering the site to {args.build / 'site'} ...", flush=True)
        try:
            build_site([args.build / "notebooks" / p.name for p, _, _, _ in results],
                       args.build / "site",
                       failed=[p.stem for p, ok, _, _ in results if not ok])
        except Exception as e:  # the notebooks' own results still print below
            site_failed = True
            print(f"    site FAILED: {type(e).__name__}: {e}", flush=True)

    print("\nFinal accuracies reported:")
    for path, ok, _, accs in results:
        for label, value in accs.items():
            print(f"  {path.stem:<28} {label} accuracy {value:.4f}")
    failed = [p.name for p, ok, _, _ in results if not ok]
    total = sum(r[2] for r in results)
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed "
          f"in {total:.0f} s; executed copies in {args.build / 'notebooks'}")
    return 1 if failed or site_failed else 0


if __name__ == "__main__":
    sys.exit(main())
