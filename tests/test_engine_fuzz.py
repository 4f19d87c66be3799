"""Engine fuzz test: random small programs built from registry ops, checked end to end.

Hypothesis writes a straight-line program over three inputs (shapes (2, 3), (2, 3) and (3,),
so binary ops broadcast). Each step applies a registry op to earlier nodes, chosen freely, so
nodes are reused by several later nodes and an op may get the same node on both sides
(``x * x``). The gradients of the whole program, first and second order, must match finite
differences.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from op_registry import GRADCHECK_TOLERANCE, REGISTRY

import autograd_lite as ag

# Ops defined and smooth on all reals, so any composition stays in their domain.
UNARY = ("sin", "cos", "tanh", "sigmoid", "softplus", "neg", "square")
BINARY = ("add", "sub", "mul")
# Reductions keep the reduced axis, so their result broadcasts back against the others.
REDUCTIONS = ("sum", "mean", "logsumexp")

unary_step = st.tuples(st.just("unary"), st.sampled_from(UNARY), st.integers(0, 1000))
binary_step = st.tuples(st.just("binary"), st.sampled_from(BINARY), st.integers(0, 1000),
                        st.one_of(st.just("same"), st.integers(0, 1000)))
reduction_step = st.tuples(st.just("reduction"), st.sampled_from(REDUCTIONS),
                           st.integers(0, 1000))
programs = st.lists(st.one_of(unary_step, binary_step, reduction_step), min_size=1, max_size=8)


def run_program(program, inputs):
    """Apply each step to earlier nodes (indices taken modulo the node count)."""
    nodes = list(inputs)
    for kind, name, first, *rest in program:
        op = REGISTRY[name].op
        x = nodes[first % len(nodes)]
        if kind == "unary":
            nodes.append(op(x))
        elif kind == "binary":
            other = rest[0]
            nodes.append(op(x, x if other == "same" else nodes[other % len(nodes)]))
        else:
            nodes.append(op(x, axis=-1, keepdims=True))
    return nodes


def program_outputs(program):
    """The last node and the sum of all nodes, so every intermediate result is used."""
    def outputs(*inputs):
        nodes = run_program(program, inputs)
        total = nodes[0]
        for node in nodes[1:]:
            total = total + node
        return nodes[-1], total

    return outputs


inputs = st.tuples(*(st.lists(st.floats(-1.5, 1.5), min_size=size, max_size=size)
                     for size in (6, 6, 3)))


def _leaves(values):
    shapes = [(2, 3), (2, 3), (3,)]
    return [ag.tensor(np.reshape(np.asarray(v, dtype=np.float64), shape), requires_grad=True)
            for v, shape in zip(values, shapes)]


@settings(max_examples=30)
@given(program=programs, values=inputs)
def test_random_programs_have_finite_difference_gradients(program, values):
    assert ag.gradcheck(program_outputs(program), _leaves(values), **GRADCHECK_TOLERANCE)


@settings(max_examples=10)
@given(program=programs, values=inputs)
def test_random_programs_have_finite_difference_second_derivatives(program, values):
    assert ag.gradgradcheck(program_outputs(program), _leaves(values), **GRADCHECK_TOLERANCE)


def test_shared_node_used_on_both_sides_and_downstream_accumulates():
    x = ag.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    program = [("unary", "sin", 0), ("binary", "mul", 1, "same"), ("binary", "add", 2, 1)]
    last = run_program(program, [x])[-1]  # sin(x)**2 + sin(x)
    last.sum().backward()
    expected = 2 * np.sin(x.data) * np.cos(x.data) + np.cos(x.data)
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12)
