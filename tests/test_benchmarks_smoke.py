"""Smoke test of the benchmark suite: on a tiny size, every workload's autograd_lite runner
reaches the same loss as its hand-written NumPy baseline (correctness only, never timing)."""

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.run import format_table, measure  # noqa: E402
from benchmarks.workloads import WORKLOADS, scalar_chain, xor  # noqa: E402


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_autograd_lite_matches_numpy_baseline(name):
    workload = WORKLOADS[name]
    problem = workload.setup("tiny")
    expected = workload.runners["numpy"](problem)
    actual = workload.runners["autograd_lite"](problem)
    assert np.isfinite(expected)
    assert actual == pytest.approx(expected, rel=workload.rtol)


def test_runners_leave_the_problem_unchanged():
    problem = xor.setup("tiny")
    first = xor.run_autograd_lite(problem)
    assert xor.run_numpy(problem) == pytest.approx(first, rel=1e-12)
    assert xor.run_autograd_lite(problem) == first


def test_scalar_chain_gradient_is_the_product_of_the_scales():
    problem = scalar_chain.setup("tiny")
    expected = float(np.float32(scalar_chain.SCALE) ** (problem.length // 2))
    assert scalar_chain.run_autograd_lite(problem) == pytest.approx(expected, rel=1e-5)


def test_measure_reports_medians_and_ratios_to_numpy():
    result = measure(WORKLOADS["xor"], "tiny", repeats=2)
    frameworks = result["frameworks"]
    assert frameworks["numpy"]["ratio_to_numpy"] == 1.0
    for entry in frameworks.values():
        assert len(entry["runs_s"]) == 2
        assert entry["median_s"] == pytest.approx(np.median(entry["runs_s"]))
    table = format_table([result])
    assert table.splitlines()[0].startswith("| workload | NumPy s | autograd_lite s | ratio")
    assert result["description"] in table


def test_measure_rejects_a_runner_with_different_maths():
    workload = WORKLOADS["xor"]
    wrong = replace(workload, runners=dict(workload.runners, autograd_lite=lambda problem: 1.0))
    with pytest.raises(RuntimeError, match="xor: autograd_lite reached loss 1.0 but NumPy"):
        measure(wrong, "tiny", repeats=1)


@pytest.mark.parametrize("name, runner", [(name, runner) for name, workload in WORKLOADS.items()
                                          for runner in ("compiled", "compiled_forward")
                                          if runner in workload.runners])
def test_compiled_runners_match_numpy_baseline(name, runner):
    workload = WORKLOADS[name]
    problem = workload.setup("tiny")
    expected = workload.runners["numpy"](problem)
    assert workload.runners[runner](problem) == pytest.approx(expected, rel=workload.rtol)
