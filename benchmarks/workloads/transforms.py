"""ag.func: one VJP against one JVP, and jacrev against jacfwd on a wide and a tall Jacobian.

The function is a tanh MLP ``R^n -> R^m`` in float64, ``f(x) = tanh(W3 tanh(W2 tanh(W1 x)))``
with 64 hidden units. The NumPy baseline writes the products and the Jacobian by hand
(``J = D3 W3 D2 W2 D1 W1`` with ``D = diag(1 - tanh^2)``). Every runner returns the weighted
sum of what it computed with fixed random weights, so the runners check each other.

Forward mode transposes the VJP rules (``autograd_lite.func``): one JVP records a backward pass
and walks it, so it costs a few VJPs; ``jacfwd`` records once and walks once per input, so it
wins when inputs are few (tall), ``jacrev`` walks once per output and wins when outputs are few
(wide).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

import autograd_lite as ag
from autograd_lite import func

from .common import Workload

HIDDEN = 64
# (inputs, outputs) of the wide and the tall function, and how many products the vjp/jvp rows do
SHAPES = {"full": (256, 8), "quick": (128, 8), "tiny": (12, 3)}
PRODUCTS = {"full": 200, "quick": 50, "tiny": 3}
JACOBIANS = {"full": 20, "quick": 5, "tiny": 1}  # how many times the Jacobian rows compute it


def _problem(size: str, tall: bool) -> SimpleNamespace:
    many, few = SHAPES[size]
    n_in, n_out = (few, many) if tall else (many, few)
    random = np.random.default_rng(0)
    widths = (n_in, HIDDEN, HIDDEN, n_out)
    weights = [random.standard_normal((b, a)) / np.sqrt(a) for a, b in zip(widths, widths[1:])]
    return SimpleNamespace(weights=weights, x=random.standard_normal(n_in),
                           probe=random.standard_normal((n_out, n_in)),
                           u=random.standard_normal(n_out), v=random.standard_normal(n_in),
                           products=PRODUCTS[size], jacobians=JACOBIANS[size])


def _f(weights):
    def f(x):
        for w in weights:
            x = ag.tanh(ag.matmul(w, x))
        return x

    return f


def _numpy_jacobian(problem: SimpleNamespace) -> np.ndarray:
    """``J = D3 W3 D2 W2 D1 W1``, multiplied from the narrow end (as reverse or forward mode)."""
    x, factors = problem.x, []
    for w in problem.weights:
        x = np.tanh(w @ x)
        factors.append((1 - x ** 2)[:, None] * w)
    if len(problem.x) > len(x):  # wide: from the output
        jacobian = factors[-1]
        for factor in reversed(factors[:-1]):
            jacobian = jacobian @ factor
        return jacobian
    jacobian = factors[0]
    for factor in factors[1:]:
        jacobian = factor @ jacobian
    return jacobian


def _numpy_products(problem: SimpleNamespace, forward: bool) -> float:
    total = 0.0
    for _ in range(problem.products):
        x, derivatives = problem.x, []
        for w in problem.weights:
            x = np.tanh(w @ x)
            derivatives.append(1 - x ** 2)
        if forward:  # J v, layer by layer from the input
            t = problem.v
            for w, d in zip(problem.weights, derivatives):
                t = d * (w @ t)
        else:  # u J, layer by layer from the output
            t = problem.u
            for w, d in zip(reversed(problem.weights), reversed(derivatives)):
                t = (t * d) @ w
        total += float(t.sum())
    return total


def _vjps(problem: SimpleNamespace) -> float:
    f, total = _f(problem.weights), 0.0
    for _ in range(problem.products):
        _, vjp_fn = func.vjp(f, ag.tensor(problem.x))
        total += float(vjp_fn(problem.u)[0].numpy().sum())
    return total


def _jvps(problem: SimpleNamespace) -> float:
    f, total = _f(problem.weights), 0.0
    for _ in range(problem.products):
        _, jv = func.jvp(f, (ag.tensor(problem.x),), (ag.tensor(problem.v),))
        total += float(jv.numpy().sum())
    return total


def _jacobian_runner(transform):
    def run(problem: SimpleNamespace) -> float:
        jacobian_of = transform(_f(problem.weights))
        for _ in range(problem.jacobians):
            jacobian = jacobian_of(ag.tensor(problem.x))
        return float(np.sum(jacobian.numpy() * problem.probe))

    return run


def _numpy_jacobian_runner(problem: SimpleNamespace) -> float:
    for _ in range(problem.jacobians):
        jacobian = _numpy_jacobian(problem)
    return float(np.sum(jacobian * problem.probe))


def _workload(name: str, description: str, tall: bool, runner, numpy_runner, target: str
              ) -> Workload:
    return Workload(name=name, description=description, setup=lambda size: _problem(size, tall),
                    runners={"autograd_lite": runner, "numpy": numpy_runner}, rtol=1e-9,
                    target=target)


WORKLOADS = [
    _workload("vjp", "func.vjp of a tanh MLP 256-64-64-8, 200 products (float64)", False, _vjps,
              lambda p: _numpy_products(p, forward=False), "(compare with jvp)"),
    _workload("jvp", "func.jvp of the same MLP, 200 products (transposed VJPs)", False, _jvps,
              lambda p: _numpy_products(p, forward=True), "a few vjp"),
    _workload("jacrev_wide", "jacrev, wide Jacobian 8x256, 20 times (8 reverse walks)", False,
              _jacobian_runner(func.jacrev), _numpy_jacobian_runner, "< jacfwd_wide"),
    _workload("jacfwd_wide", "jacfwd, wide Jacobian 8x256, 20 times (256 forward walks)", False,
              _jacobian_runner(func.jacfwd), _numpy_jacobian_runner, "> jacrev_wide"),
    _workload("jacrev_tall", "jacrev, tall Jacobian 256x8, 20 times (256 reverse walks)", True,
              _jacobian_runner(func.jacrev), _numpy_jacobian_runner, "> jacfwd_tall"),
    _workload("jacfwd_tall", "jacfwd, tall Jacobian 256x8, 20 times (8 forward walks)", True,
              _jacobian_runner(func.jacfwd), _numpy_jacobian_runner, "< jacrev_tall"),
]
