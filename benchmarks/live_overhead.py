"""What the live view costs: ``nn.fit`` with and without ``live=``, on the examples' models.

    python benchmarks/live_overhead.py          # what `make bench` runs after run.py
    python benchmarks/live_overhead.py --quick  # fewer epochs

For each model the two runs come in pairs (same seed, same data; plain-live, then live-plain,
so that a slow drift of the machine cancels), seven pairs by default, each run in a fresh
Python process, as a user's script runs. The table shows the
median wall time of each, the view's one-time costs (starting its server; at the end, the last
graph drawing, which a run shorter than a few seconds leaves to its end) and the per-step
overhead: the median over the pairs of the live run's time without its one-time costs over the
plain run's, with the smallest and largest pair's in brackets (how noisy the machine was), in
wall time and in CPU time (this process's threads and its ``dot`` runs: what the view makes
the machine do, which other programs on a shared machine disturb less). The
live run has its server up and a client reading the event stream, as a browser tab would, from
another process, as a browser is. The view holds everything it does to ``LiveView(budget=0.01)``
of the time (its estimate is the last column but one); the issue's bound is 5 %. Results also go
to benchmarks/out/live_overhead.json. ``live=False`` makes no view at all (nothing to time).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: make `autograd_lite` and `nn` importable
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

import autograd_lite as ag  # noqa: E402
import nn  # noqa: E402

OUT = REPO / "benchmarks" / "out" / "live_overhead.json"
BOUND = 0.05


def _moons(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    angle = rng.uniform(0, np.pi, n)
    upper = rng.random(n) < 0.5
    x = np.where(upper[:, None], np.c_[np.cos(angle), np.sin(angle)],
                 np.c_[1 - np.cos(angle), 0.5 - np.sin(angle)])
    return (x + rng.normal(0, 0.2, x.shape)).astype(np.float32), upper.astype(np.int64)


def problems(quick: bool) -> dict[str, dict]:
    """name -> model factory, data, loss, optimizer factory and fit arguments."""
    rng = np.random.default_rng(0)
    xor_x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    xor_y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    moons = _moons(2000, rng)
    digits_x = rng.normal(size=(1797, 64)).astype(np.float32)
    digits_y = rng.integers(0, 10, 1797)
    scale = 1 if quick else 8  # full: runs of 2-4 s, long enough to see a per-step cost
    return {
        "XOR 2-4-1 tanh/sigmoid, full batch": dict(
            model=lambda: nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1),
                                        nn.Sigmoid()),
            data=(xor_x, xor_y), loss=nn.BCELoss(), lr=0.5, epochs=1000 * scale, batch_size=4),
        "moons 2-16-16-2 tanh, batches of 32": dict(
            model=lambda: nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16),
                                        nn.Tanh(), nn.Linear(16, 2)),
            data=moons, loss=nn.CrossEntropyLoss(), lr=0.1, epochs=15 * scale, batch_size=32),
        "digits-sized MLP 64-128-10 ReLU, batches of 32": dict(
            model=lambda: nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)),
            data=(digits_x, digits_y), loss=nn.CrossEntropyLoss(), lr=0.05, epochs=20 * scale,
            batch_size=32),
    }


# A client on the event stream, as an open tab, in a process of its own as a browser is: it
# says when it is connected, then reads until the server closes the stream.
READER = """
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1].replace("/?", "/events?"), timeout=60) as stream:
    print("connected", flush=True)
    while stream.readline():
        pass
"""


def _clocks() -> tuple[float, float]:
    """Wall seconds, and the CPU seconds of this process and of its finished children (``dot``;
    the reader, a stand-in for a browser, is waited for only after the run is timed)."""
    children = os.times()
    return time.perf_counter(), time.process_time() + children.children_user + \
        children.children_system


def _since(started: tuple[float, float]) -> tuple[float, float]:
    now = _clocks()
    return now[0] - started[0], now[1] - started[1]


class _TimedView(nn.LiveView):
    """A LiveView that also times its start and its finish (the one-time costs), wall and CPU."""

    def __init__(self, **kwargs) -> None:
        started = _clocks()
        super().__init__(**kwargs)
        self.one_time = _since(started)

    def finish(self) -> None:
        started = _clocks()
        super().finish()
        wall, cpu = _since(started)
        self.one_time = (self.one_time[0] + wall, self.one_time[1] + cpu)


def run_once(problem: dict, live: bool) -> tuple[tuple[float, float], float | None,
                                                 tuple[float, float]]:
    """Wall and CPU seconds of one fit, the view's own estimate of its share of the time, and
    the wall and CPU seconds of its one-time costs (starting the server; at the end, the last
    graph drawing)."""
    ag.manual_seed(0)
    model = problem["model"]()
    optimizer = nn.optim.SGD(model.parameters(), lr=problem["lr"])
    view = _TimedView(quiet=True) if live else False
    reader = None
    if view:
        reader = subprocess.Popen([sys.executable, "-c", READER, view.url],
                                  stdout=subprocess.PIPE, text=True)
        reader.stdout.readline()  # training starts once the tab is open
    started = _clocks()
    nn.fit(model, problem["loss"], optimizer, problem["data"], epochs=problem["epochs"],
           batch_size=problem["batch_size"], progress=False, seed=0, live=view)
    spent = _since(started)
    if reader is not None:
        reader.wait(10)
    return spent, view.overhead if view else None, view.one_time if view else (0.0, 0.0)


def run_in_a_process(name: str, quick: bool, live: bool) -> tuple:
    """``run_once`` of problem ``name`` in a fresh Python process, as a user's script runs."""
    command = [sys.executable, __file__, "--run", name] + ["--quick"] * quick + ["--live"] * live
    (spent, estimate, fixed) = json.loads(subprocess.run(
        command, check=True, capture_output=True, text=True).stdout)
    return tuple(spent), estimate, tuple(fixed)


def measure(name: str, quick: bool, pairs: int) -> dict:
    """``pairs`` pairs of plain and live runs (in alternating order, each in a process of its
    own); the per-step overheads in wall and CPU time are the medians over the pairs (live
    without its one-time costs, over plain), with the smallest and largest pair's."""
    runs: dict[bool, list] = {False: [], True: []}
    overheads: dict[str, list[float]] = {"wall": [], "cpu": []}
    for pair in range(pairs):
        for watched in (False, True) if pair % 2 == 0 else (True, False):
            runs[watched].append(run_in_a_process(name, quick, watched))
        (plain, _, _), (live, _, fixed) = runs[False][-1], runs[True][-1]
        for clock, index in (("wall", 0), ("cpu", 1)):
            overheads[clock].append((live[index] - fixed[index]) / plain[index] - 1)
    median = statistics.median
    return {"plain_s": median(spent[0] for spent, _, _ in runs[False]),
            "live_s": median(spent[0] for spent, _, _ in runs[True]),
            "one_time_s": median(fixed[0] for _, _, fixed in runs[True]),
            "view_estimate": median(estimate for _, estimate, _ in runs[True]),
            **{f"{clock}_overhead": median(values) for clock, values in overheads.items()},
            **{f"{clock}_range": [min(values), max(values)] for clock, values in overheads.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs")
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--run", metavar="MODEL", help=argparse.SUPPRESS)  # one run, as JSON
    parser.add_argument("--live", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_once(problems(args.quick)[args.run], args.live)))
        return
    results = {}
    print("| model | fit s | fit(live=True) s | one-time s | per-step overhead, wall [range] | "
          "per-step overhead, CPU [range] | view's estimate | bound |\n"
          "|---|---|---|---|---|---|---|---|")
    for name in problems(args.quick):
        r = results[name] = measure(name, args.quick, args.pairs)
        wall, cpu = (f"{r[f'{c}_overhead']:+.1%} [{r[f'{c}_range'][0]:+.1%}, "
                     f"{r[f'{c}_range'][1]:+.1%}]" for c in ("wall", "cpu"))
        print(f"| {name} | {r['plain_s']:.3f} | {r['live_s']:.3f} | {r['one_time_s']:.3f} | "
              f"{wall} | {cpu} | {r['view_estimate']:.1%} | {BOUND:.0%} |", flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
