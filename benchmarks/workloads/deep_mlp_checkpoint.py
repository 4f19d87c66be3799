"""The deep MLP of ``deep_mlp`` through ``nn.utils.checkpoint_sequential`` (6 segments)."""

from __future__ import annotations

from . import deep_mlp
from .common import Workload

WORKLOAD = Workload(
    name="deep_mlp_checkpoint",
    description="the same through nn.utils.checkpoint_sequential, 6 segments",
    setup=deep_mlp.setup,
    runners={"autograd_lite": deep_mlp.runner(True), "numpy": deep_mlp.run_numpy}, rtol=1e-4,
    target="memory ~ sqrt(n) of plain", in_subprocess=True)


def measure_once(framework: str, size: str) -> dict:
    """One run of ``framework`` in this (fresh) process."""
    return deep_mlp.measure(WORKLOAD, framework, size)
