"""The registry of benchmark workloads, in the order the suite runs them."""

from . import mlp, modules, moons, op_chain, scalar_chain, xor
from .common import SIZES, Workload

WORKLOADS: dict[str, Workload] = {
    module.WORKLOAD.name: module.WORKLOAD
    for module in (xor, moons, mlp, modules, op_chain, scalar_chain)
}

# --- function transforms and checkpointing (issue 14) ---
from . import deep_mlp, deep_mlp_checkpoint, transforms  # noqa: E402

WORKLOADS.update({w.name: w for w in transforms.WORKLOADS})
WORKLOADS.update({m.WORKLOAD.name: m.WORKLOAD for m in (deep_mlp, deep_mlp_checkpoint)})

__all__ = ["SIZES", "WORKLOADS", "Workload"]
