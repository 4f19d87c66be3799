"""The registry of benchmark workloads, in the order the suite runs them."""

from . import mlp, modules, moons, op_chain, scalar_chain, xor
from .common import SIZES, Workload

WORKLOADS: dict[str, Workload] = {
    module.WORKLOAD.name: module.WORKLOAD
    for module in (xor, moons, mlp, modules, op_chain, scalar_chain)
}

__all__ = ["SIZES", "WORKLOADS", "Workload"]
