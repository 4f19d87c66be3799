"""Run the benchmark suite: autograd_lite against hand-written NumPy (and PyTorch if installed).

    python benchmarks/run.py                 # full sizes (what `make bench` runs)
    python benchmarks/run.py --quick         # smaller sizes, for a fast look
    python benchmarks/run.py --only xor mlp  # some workloads
    python benchmarks/run.py --profile mlp   # cProfile of autograd_lite on one workload

For each workload the frameworks run interleaved in one process (their order rotating from one
repeat to the next), each from the same seed, and must reach the same loss. The table shows the
median time of each and its ratio to NumPy; the results also go to benchmarks/out/ as JSON.
The scalar chain runs each repeat in a fresh process to measure its peak memory.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: make `benchmarks` and `autograd_lite` importable
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from benchmarks.workloads import WORKLOADS, Workload  # noqa: E402

OUT_DIR = REPO / "benchmarks" / "out"
# ag.compile runners: the whole step compiled, and the forward compiled with eager backward
COMPILED = {"compiled": "compiled step", "compiled_forward": "compiled forward"}


def available_frameworks(workload: Workload) -> list[str]:
    """The workload's frameworks that can run here (torch only when it is importable).

    PyTorch runs twice: with its default thread pool ("torch") and with one thread
    ("torch_1thread"), since two threads on two shared cores make its timings erratic and the
    NumPy baseline and autograd_lite run single-threaded Python.
    """
    names = ["autograd_lite", "numpy"]
    names += [name for name in COMPILED if name in workload.runners]
    if "torch" in workload.runners:
        try:
            import torch  # noqa: F401
        except ImportError:
            pass
        else:
            names += ["torch", "torch_1thread"]
    return names


def _runner(workload: Workload, framework: str) -> Callable[[object], float]:
    """The function that runs ``framework`` on a problem (torch_1thread: torch on one thread)."""
    if framework != "torch_1thread":
        return workload.runners[framework]

    def run_on_one_thread(problem: object) -> float:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return workload.runners["torch"](problem)
        finally:
            torch.set_num_threads(threads)

    return run_on_one_thread


def _run_in_subprocess(workload: Workload, framework: str, size: str) -> dict:
    code = (f"import json, sys; from benchmarks.workloads import {workload.name}; "
            f"print(json.dumps({workload.name}.measure_once(sys.argv[1], sys.argv[2])))")
    completed = subprocess.run([sys.executable, "-c", code, framework, size], cwd=REPO,
                               capture_output=True, text=True, check=True)
    return json.loads(completed.stdout)


def _run_here(workload: Workload, framework: str, problem: object) -> dict:
    run = _runner(workload, framework)
    start = time.perf_counter()
    loss = run(problem)
    return {"seconds": time.perf_counter() - start, "loss": loss}


def measure(workload: Workload, size: str, repeats: int) -> dict:
    """Time every available framework ``repeats`` times, interleaved; return the summary.

    Raises RuntimeError when a framework's loss differs from NumPy's beyond ``workload.rtol``.
    """
    frameworks = available_frameworks(workload)
    problem = None if workload.in_subprocess else workload.setup(size)
    runs: dict[str, list[dict]] = {name: [] for name in frameworks}
    for repeat in range(repeats):
        shift = repeat % len(frameworks)
        for name in frameworks[shift:] + frameworks[:shift]:
            if workload.in_subprocess:
                runs[name].append(_run_in_subprocess(workload, name, size))
            else:
                runs[name].append(_run_here(workload, name, problem))
    reference = runs["numpy"][0]["loss"]
    for name, results in runs.items():
        loss = results[0]["loss"]
        if not np.isclose(loss, reference, rtol=workload.rtol, atol=0):
            raise RuntimeError(f"{workload.name}: {name} reached loss {loss!r} but NumPy "
                               f"{reference!r} (rtol {workload.rtol}); the maths differ")
    summary = {}
    for name, results in runs.items():
        seconds = [r["seconds"] for r in results]
        summary[name] = {"median_s": statistics.median(seconds), "runs_s": seconds,
                         "loss": results[0]["loss"]}
        if "peak_mb" in results[0]:
            summary[name]["peak_mb"] = max(r["peak_mb"] for r in results)
            summary[name]["peaks_mb"] = [r["peak_mb"] for r in results]
    numpy_median = summary["numpy"]["median_s"]
    for entry in summary.values():
        entry["ratio_to_numpy"] = entry["median_s"] / numpy_median
    return {"workload": workload.name, "description": workload.description,
            "target": workload.target, "size": size, "repeats": repeats,
            "frameworks": summary}


def format_table(results: list[dict]) -> str:
    """A Markdown table: median seconds, ratio to NumPy (and peak memory where measured)."""
    has_torch = any("torch" in r["frameworks"] for r in results)
    header = ["workload", "NumPy s", "autograd_lite s", "ratio"]
    if has_torch:
        header += ["PyTorch s", "ratio", "PyTorch 1 thread s", "ratio"]
    compiled = [name for name in COMPILED if any(name in r["frameworks"] for r in results)]
    for name in compiled:
        header += [f"{COMPILED[name]} s", "ratio"]
    header += ["target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for result in results:
        frameworks = result["frameworks"]
        cells = [result["description"], f"{frameworks['numpy']['median_s']:.3f}"]
        for name in (["autograd_lite"] + (["torch", "torch_1thread"] if has_torch else [])
                     + compiled):
            entry = frameworks.get(name)
            if entry is None:
                cells += ["—", "—"]
                continue
            memory = f", {entry['peak_mb']:.0f} MB" if "peak_mb" in entry else ""
            cells += [f"{entry['median_s']:.3f}{memory}", f"{entry['ratio_to_numpy']:.2f}x"]
        cells.append(result["target"])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> dict:
    """What the numbers were measured on."""
    return {"platform": platform.platform(), "processor": platform.processor(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__}


def profile(workload: Workload, size: str, top: int) -> None:
    """Print cProfile's ``top`` functions by own time for the autograd_lite runner."""
    problem = workload.setup(size)
    profiler = cProfile.Profile()
    profiler.runcall(workload.runners["autograd_lite"], problem)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, run the chosen workloads, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--only", nargs="+", choices=list(WORKLOADS), help="workloads to run")
    parser.add_argument("--repeats", type=int, help="runs per framework (default 5, quick 3)")
    parser.add_argument("--profile", choices=list(WORKLOADS),
                        help="profile autograd_lite on one workload instead of timing")
    args = parser.parse_args(argv)
    size = "quick" if args.quick else "full"
    if args.profile:
        profile(WORKLOADS[args.profile], size, top=30)
        return
    repeats = args.repeats or (3 if args.quick else 5)
    results = []
    for name in args.only or list(WORKLOADS):
        print(f"running {name} ({size}, {repeats} repeats)...", file=sys.stderr, flush=True)
        results.append(measure(WORKLOADS[name], size, repeats))
    if size != "full":
        print(f"(sizes: {size}; the descriptions give the full sizes)\n")
    print(format_table(results))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"results-{size}.json"
    path.write_text(json.dumps({"machine": machine(), "results": results}, indent=2) + "\n")
    print(f"\nmachine: {machine()}\nJSON: {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
