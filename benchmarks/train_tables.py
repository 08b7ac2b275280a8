"""`./kit bench`'s rows and its tables: what each row is, and the figures printed from its runs.

The main table (batch size 256, the training set once per epoch), the scaling table with
its fit to a cost per step plus a cost per example, and the anatomy of a step's fixed
costs; every figure a median over the timed epochs (the first of each run left out).
"""
import statistics

from benchmarks.train_peer import BATCH_SIZE

SCALING_BATCHES, SCALING_FACTORS = (64, 256, 1024), (1, 2, 4)

# row -> (what it is, its PyTorch peer)
ROWS = {
    "scratch:classic": ("notebook 03, FAST_DATA = False", "torch:scratch"),
    "scratch:fast": ("notebook 03 as it runs", "torch:scratch"),
    "gluon:classic": ("notebook 04, FAST_DATA = False", "torch:concise"),
    "gluon:static": ("notebook 04 as it runs", "torch:concise"),
    "gluon:fast": ("04's model, plain hybridize()", "torch:concise"),
    "gluon:fused": ("04's model, one graph bound once", "torch:concise"),
    "torch:scratch": ("peer of notebook 03", None),
    "torch:concise": ("peer of notebook 04", None),
}
SCALED = ("scratch:fast", "gluon:static", "gluon:fused", "torch:scratch", "torch:concise")
# The classic path's DataLoader workers are processes of their own: their CPU time is not
# the row's, so the classic rows show wall time only.
CLASSIC = ("scratch:classic", "gluon:classic")


def is_peer(row):
    return row.startswith("torch:")


# the anatomy table's pieces, as mxnet_anatomy (train_rows.py) and peer_anatomy
# (train_peer.py) time them
ANATOMY = (
    ("op", "one small operation: y + 1 on the batch's labels"),
    ("forward04", "notebook 04's forward, recorded: l = loss(net(X), y)"),
    ("backward04", "the same, then l.backward()"),
    ("step04", "the same, then the update: notebook 04's whole step"),
    ("cross_entropy03", "notebook 03's cross_entropy alone (its fancy indexing)"),
    ("pick03", "the same loss picked with npx.pick (PyTorch: gather)"),
    ("step03", "notebook 03's whole step: net, cross_entropy, backward, sgd"),
    ("fused", "the fused row's step: graph forward and backward, one update"),
)


def median(values):
    return statistics.median(values) if values else float("nan")


def cell_figures(runs, batch_size, factor):
    """Medians over the timed epochs (the first of each run left out) of one cell."""
    wall, cpu, main = [], [], []
    for run in runs:
        for cell in run["cells"]:
            if (cell["batch_size"], cell["factor"]) == (batch_size, factor):
                wall += cell["epoch_seconds"][1:]
                cpu += cell["cpu_seconds"][1:]
                main += cell["main_thread_cpu"][1:]
    return {"wall": median(wall), "cpu": median(cpu),
            "off_main": max(0.0, 1 - sum(main) / sum(cpu)) if cpu and sum(cpu) > 0
            else float("nan")}


def ratio(a, b):
    return f"{a / b:.2f}x" if b == b and b > 0 and a == a else "—"


def threads_text(runs):
    r = runs[0]
    op = "?" if r.get("threads") is None else r["threads"]
    total = "?" if r.get("os_threads") is None else r["os_threads"]
    return f"{op} / {total}"


def steps(batch_size, factor, n):
    return -(-n * factor // batch_size)


def fit(points):
    """Least squares of epoch seconds = a * steps + b * examples; (a, b) or None."""
    s11 = sum(p * p for p, _, _ in points)
    s12 = sum(p * e for p, e, _ in points)
    s22 = sum(e * e for _, e, _ in points)
    t1 = sum(p * t for p, _, t in points)
    t2 = sum(e * t for _, e, t in points)
    det = s11 * s22 - s12 * s12
    if len(points) < 2 or det == 0:
        return None
    return (t1 * s22 - t2 * s12) / det, (s11 * t2 - s12 * t1) / det


def print_main_table(rows, results, peers_on):
    print("| row | what it is | threads: per op / process | wall s/epoch | CPU s/epoch "
          "| CPU off the main thread | CPU vs torch | wall vs torch | test acc | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    figures = {row: cell_figures(results[row], BATCH_SIZE, 1) for row in rows}
    for row in rows:
        f, runs = figures[row], results[row]
        peer = ROWS[row][1]
        p = figures.get(peer) if peers_on else None
        classic = row in CLASSIC
        cpu = "—" if classic else f"{f['cpu']:.3f}"
        off = "—" if classic else f"{100 * f['off_main']:.0f}%"
        cpu_ratio = "—" if classic or not p else ratio(f["cpu"], p["cpu"])
        wall_ratio = ratio(f["wall"], p["wall"]) if p else "—"
        acc = median([r["test_acc"] for r in runs if r["test_acc"] is not None])
        peak = median([r["peak_mib"] for r in runs])
        print(f"| {row} | {ROWS[row][0]} | {threads_text(runs)} | {f['wall']:.3f} | {cpu} | "
              f"{off} | {cpu_ratio} | {wall_ratio} | {acc:.4f} | {peak:.0f} |")


def print_scaling(rows, results, n_train):
    print("| row | batch | CPU s/epoch: 1x | 2x | 4x | vs torch: 1x | 2x | 4x |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        peer = ROWS[row][1]
        for b in SCALING_BATCHES:
            mine = [cell_figures(results[row], b, f)["cpu"] for f in SCALING_FACTORS]
            if peer in results:
                theirs = [cell_figures(results[peer], b, f)["cpu"] for f in SCALING_FACTORS]
                ratios = " | ".join(ratio(m, t) for m, t in zip(mine, theirs))
            else:
                ratios = " | ".join("—" for _ in SCALING_FACTORS)
            print(f"| {row} | {b} | " + " | ".join(f"{m:.3f}" for m in mine) + f" | {ratios} |")
    print()
    print("Each row's CPU seconds per epoch fitted to a cost per step plus a cost per example "
          "(least squares over the nine cells above):")
    print()
    print("| row | per step, ms | per example, µs | largest misfit |")
    print("|---|---|---|---|")
    for row in rows:
        points = []
        for b in SCALING_BATCHES:
            for f in SCALING_FACTORS:
                t = cell_figures(results[row], b, f)["cpu"]
                if t == t:
                    points.append((steps(b, f, n_train), n_train * f, t))
        ab = fit(points)
        if ab is None:
            print(f"| {row} | — | — | — |")
            continue
        a, b_ = ab
        misfit = max(abs(a * s + b_ * e - t) / t for s, e, t in points)
        print(f"| {row} | {1e3 * a:.3f} | {1e6 * b_:.3f} | {100 * misfit:.0f}% |")


def print_anatomy(results, peers_on):
    """The anatomy table: medians over the repetitions of each piece's CPU microseconds."""
    def med(runs, key, i):
        return median([r["anatomy"][key][i] for r in runs if key in r["anatomy"]])

    mine, theirs = results["mxnet"], results.get("torch", [])
    print("| piece of a step (batch 16) | MXNet µs | of it, Python's thread | PyTorch µs "
          "| MXNet / PyTorch |")
    print("|---|---|---|---|---|")
    for key, what in ANATOMY:
        m, m_main = med(mine, key, 0), med(mine, key, 1)
        t = med(theirs, key, 0) if peers_on else float("nan")
        t_text = f"{t:.0f}" if t == t else "—"
        print(f"| {what} | {m:.0f} | {m_main:.0f} | {t_text} | {ratio(m, t)} |")
