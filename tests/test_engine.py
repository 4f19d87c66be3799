"""The engine: accumulation, higher order, long chains, memory, grad mode, hooks, ag.grad."""

import sys
import threading
import weakref

import numpy as np
import pytest

import autograd_lite as ag

# --- reused nodes and broadcasting --------------------------------------------------------


def test_reused_node_accumulates_gradient():
    x = ag.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -4.0, 6.0])


def test_a_minus_a_has_zero_gradient():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    (a - a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])


def test_x_over_x_has_zero_gradient():
    x = ag.tensor([0.5, 4.0], requires_grad=True)
    (x / x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0], atol=1e-7)


def test_a_plus_a_counts_twice():
    a = ag.tensor(3.0, requires_grad=True)
    (a + a + a).backward()
    assert a.grad.item() == 3.0


def test_shared_weight_in_two_branches_gets_both_contributions():
    w = ag.tensor(2.0, requires_grad=True)
    x = ag.tensor(3.0)
    hidden = w * x  # 6
    (hidden * w + ag.tanh(w)).backward()  # w^2 x + tanh(w) -> 2 w x + 1 - tanh(w)^2
    assert w.grad.item() == pytest.approx(12.0 + 1 - np.tanh(2.0) ** 2, rel=1e-6)


def test_diamond_graph_sums_both_paths():
    x = ag.tensor(2.0, requires_grad=True)
    left, right = x * 3, x ** 2
    (left * right).backward()  # 3 x^3 -> 9 x^2
    assert x.grad.item() == 36.0


@pytest.mark.parametrize("shape_a, shape_b", [
    ((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 1, 3), (2, 1)), ((), (2, 2)), ((1,), (3, 1)),
])
def test_broadcast_gradients_take_each_input_shape(shape_a, shape_b):
    a = ag.ones(shape_a, requires_grad=True)
    b = ag.ones(shape_b, requires_grad=True)
    out = a * b
    out.sum().backward()
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    np.testing.assert_array_equal(a.grad.numpy(), np.full(shape_a, out.size / a.size))
    np.testing.assert_array_equal(b.grad.numpy(), np.full(shape_b, out.size / b.size))


# --- higher order -------------------------------------------------------------------------


def test_first_second_and_third_derivatives_of_x_to_the_fifth():
    x = ag.tensor([1.0, 2.0, -3.0], dtype="float64", requires_grad=True)
    values = x.numpy()
    (first,) = ag.grad((x ** 5).sum(), x, create_graph=True)
    np.testing.assert_allclose(first.numpy(), 5 * values ** 4)
    (second,) = ag.grad(first.sum(), x, create_graph=True)
    np.testing.assert_allclose(second.numpy(), 20 * values ** 3)
    (third,) = ag.grad(second.sum(), x)
    np.testing.assert_allclose(third.numpy(), 60 * values ** 2)


def _hessian_test_function(x):
    """A scalar mixing many primitives, so the Hessian exercises their create_graph rules."""
    matrix = ag.tensor(np.array([[1.0, 0.5, -0.2], [0.3, -1.0, 0.8]]))
    hidden = ag.tanh(matrix @ x) * ag.sigmoid(x[:2]) + ag.softplus(x[1:]) ** 2
    return (ag.logsumexp(hidden) + ag.sin(x).prod() + (x * ag.exp(-x)).max()
            + ag.sqrt(x * x + 1.0).sum() / ag.log1p(x * x).sum())


def test_hessian_vector_product_matches_finite_differences_of_gradients():
    point = np.array([0.3, -0.7, 1.1])
    direction = np.array([0.5, 1.0, -2.0])

    def gradient_at(values):
        x = ag.tensor(values, requires_grad=True)
        (g,) = ag.grad(_hessian_test_function(x), x)
        return g.numpy()

    x = ag.tensor(point, requires_grad=True)
    (g,) = ag.grad(_hessian_test_function(x), x, create_graph=True)
    (hvp,) = ag.grad((g * direction).sum(), x)
    eps = 1e-5
    finite = (gradient_at(point + eps * direction) - gradient_at(point - eps * direction)) / (
        2 * eps)
    np.testing.assert_allclose(hvp.numpy(), finite, rtol=1e-6, atol=1e-8)


def test_backward_with_create_graph_gives_differentiable_grad():
    x = ag.tensor(3.0, dtype="float64", requires_grad=True)
    (x ** 3).backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.item() == 27.0
    (second,) = ag.grad(x.grad, x)
    assert second.item() == 18.0


def test_first_order_backward_runs_on_raw_arrays():
    created = []
    original = ag.Tensor._from_op

    def counting(*args, **kwargs):
        made = original(*args, **kwargs)
        created.append(made._op)
        return made

    x = ag.tensor(np.ones(3), requires_grad=True)
    loss = (ag.tanh(x) * x).sum()
    ag.Tensor._from_op = staticmethod(counting)
    try:
        loss.backward()
    finally:
        ag.Tensor._from_op = staticmethod(original)
    assert created == [None]  # only the leaf's .grad, no tensor inside the walk


# --- long chains and memory ---------------------------------------------------------------


def test_long_chain_backward_has_no_recursion_error():
    # Ten times Python's default recursion limit proves the walk is iterative; the
    # 1,000,000-op chain (time and memory) is measured in benchmarks/workloads/scalar_chain.py.
    assert sys.getrecursionlimit() < 10_000
    x = ag.tensor(1.0, dtype="float64", requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.5
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-9)


def test_intermediate_is_freed_after_backward_without_gc():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    hidden = ag.exp(x)
    hidden_ref = weakref.ref(hidden)
    loss = (hidden * 2).sum()
    del hidden
    loss.backward()
    assert hidden_ref() is None  # backward dropped the saved inputs
    assert x.grad is not None


def test_intermediate_dies_with_its_output_when_no_backward_runs():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    hidden = ag.sin(x)
    hidden_ref = weakref.ref(hidden)
    loss = (hidden * hidden).sum()
    del hidden
    assert hidden_ref() is not None  # the graph keeps it for backward
    del loss
    assert hidden_ref() is None


def test_retain_graph_keeps_intermediates_until_the_output_goes():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    hidden = ag.exp(x)
    hidden_ref = weakref.ref(hidden)
    loss = hidden.sum()
    del hidden
    loss.backward(retain_graph=True)
    assert hidden_ref() is not None
    del loss
    assert hidden_ref() is None


# --- backward twice -----------------------------------------------------------------------


def test_second_backward_through_freed_graph_raises_clear_error():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"backward through the graph a second time.*"
                                           r"retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward_that_accumulates():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


# --- .grad, zero_grad, retain_grad, detach -------------------------------------------------


def test_grad_accumulates_across_backward_calls_until_zero_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (3 * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_leaf_grad_does_not_alias_the_seed_or_other_leaves():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([1.0, 2.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.numpy()[0] = 100.0
    assert b.grad.numpy()[0] == 1.0


def test_non_leaf_grad_is_kept_only_with_retain_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 3
    kept = (x * 2).retain_grad()
    (hidden * kept).sum().backward()
    assert hidden.grad is None
    np.testing.assert_array_equal(kept.grad.numpy(), [3.0, 6.0])
    assert not hidden.is_leaf and x.is_leaf


def test_detach_shares_data_but_leaves_the_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    frozen = y.detach()
    assert not frozen.requires_grad and frozen.is_leaf
    assert np.shares_memory(frozen.numpy(), y.numpy())
    (frozen * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])  # no gradient through frozen


def test_leaf_output_backward_sets_its_own_grad():
    x = ag.tensor(5.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_backward_with_explicit_gradient_for_non_scalar():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 40.0])


# --- hooks --------------------------------------------------------------------------------


def test_hook_can_inspect_a_gradient():
    seen = []
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 3
    hidden.register_hook(lambda g: seen.append(g.numpy().copy()))
    hidden.sum().backward()
    np.testing.assert_array_equal(seen[0], [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_hook_can_replace_a_gradient_and_be_removed():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 10)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 40.0])
    handle.remove()
    x.zero_grad()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_hook_on_intermediate_changes_what_flows_upstream():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 3
    hidden.register_hook(lambda g: ag.zeros_like(g))
    (hidden * hidden).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_hook_returning_a_wrong_shape_is_rejected():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: ag.ones(3))
    with pytest.raises(ValueError, match=r"register_hook: a hook returned a gradient of shape "
                                         r"\(3,\) for a tensor of shape \(2,\)"):
        (x * x).sum().backward()


# --- ag.grad -------------------------------------------------------------------------------


def test_grad_returns_gradients_without_touching_dot_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.tensor(3.0, requires_grad=True)
    gx, gy = ag.grad((x * y).sum(), [x, y])
    np.testing.assert_array_equal(gx.numpy(), [3.0, 3.0])
    assert gy.item() == 3.0
    assert x.grad is None and y.grad is None
    assert not gx.requires_grad


def test_grad_with_grad_outputs_and_several_outputs():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (g,) = ag.grad([x * 2, x * x], x, grad_outputs=[np.array([1.0, 0.0]), np.array([1.0, 1.0])])
    np.testing.assert_array_equal(g.numpy(), [2.0 + 2.0, 0.0 + 4.0])


def test_grad_with_respect_to_an_intermediate():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 3
    (g,) = ag.grad((hidden * hidden).sum(), hidden)
    np.testing.assert_array_equal(g.numpy(), [6.0, 12.0])


def test_grad_of_unused_input_raises_unless_allowed():
    x = ag.tensor(1.0, requires_grad=True)
    unused = ag.tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad: input 1 .* was not used.*allow_unused=True"):
        ag.grad(x * 2, [x, unused], retain_graph=True)
    gx, gu = ag.grad(x * 2, [x, unused], allow_unused=True)
    assert gx.item() == 2.0 and gu is None


def test_grad_of_input_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match=r"grad: input 0 does not require grad"):
        ag.grad(ag.tensor(1.0, requires_grad=True) * 2, ag.tensor(1.0))


# --- grad mode ----------------------------------------------------------------------------


def test_no_graph_is_recorded_under_no_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.no_grad():
        y = x * 2
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y.op_name is None
    with pytest.raises(RuntimeError, match=r"backward: the tensor does not require grad"):
        y.sum().backward()


def test_no_grad_as_decorator_and_enable_grad_inside():
    x = ag.tensor(2.0, requires_grad=True)

    @ag.no_grad()
    def step():
        frozen = x * 2
        with ag.enable_grad():
            tracked = x * 2
        return frozen, tracked

    frozen, tracked = step()
    assert not frozen.requires_grad and tracked.requires_grad
    assert ag.is_grad_enabled()


def test_set_grad_enabled_false():
    x = ag.tensor(2.0, requires_grad=True)
    with ag.set_grad_enabled(False):
        assert not (x * x).requires_grad
    assert (x * x).requires_grad


def test_no_graph_when_no_input_requires_grad():
    y = ag.tensor([1.0, 2.0]) * 3
    assert not y.requires_grad and y.is_leaf


def test_no_grad_in_one_thread_does_not_affect_another():
    inside = threading.Event()
    release = threading.Event()
    results = {}

    def worker_without_grad():
        with ag.no_grad():
            inside.set()
            release.wait(5)
            results["worker"] = ag.is_grad_enabled()

    worker = threading.Thread(target=worker_without_grad)
    worker.start()
    assert inside.wait(5)
    x = ag.tensor(1.0, requires_grad=True)
    results["main"] = (x * 2).requires_grad
    release.set()
    worker.join()
    assert results == {"main": True, "worker": False}


def test_name_scope_is_recorded_on_outputs_and_nests():
    x = ag.tensor(1.0, requires_grad=True)
    with ag.name_scope("encoder", "Sequential"):
        with ag.name_scope("encoder.0", "Linear"):
            inner = x * 2
        outer = inner + 1
    after = outer * 3
    assert inner._scope == (("encoder", "Sequential"), ("encoder.0", "Linear"))
    assert outer._scope == (("encoder", "Sequential"),)
    assert after._scope is None


def test_retained_gradients_can_be_used_as_new_leaves():
    first = ag.tensor([1.0, 2.0], requires_grad=True) * 3
    second = ag.tensor([1.0, 2.0], requires_grad=True) * 4
    for hidden in (first, second):
        hidden.retain_grad()
        (hidden * hidden).sum().backward()
    a, b = first.grad.requires_grad_(), second.grad.requires_grad_()
    (a * b + b * a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), 2 * b.numpy())
    np.testing.assert_array_equal(b.grad.numpy(), 2 * a.numpy())


def test_integer_results_never_record_a_graph():
    x = ag.tensor([1.5, 2.5], requires_grad=True)
    for result in (x.astype("int64"), x > 1, x.argmax(), ag.sign(x)):
        assert not result.requires_grad and result.is_leaf


def test_two_leaves_fed_by_one_add_never_share_their_gradient_memory():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0], requires_grad=True)
    for _ in range(3):
        (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.data += 100  # changing one gradient must leave the other alone
    np.testing.assert_array_equal(b.grad.numpy(), [3.0, 3.0])


def test_grad_accepts_a_number_as_the_output_gradient():
    x = ag.tensor(3.0, requires_grad=True)
    (g,) = ag.grad(x * x, x, grad_outputs=2.0)
    assert g.item() == 12.0


def test_default_generator_is_seeded_so_scripts_repeat():
    import subprocess
    import sys

    code = "import autograd_lite as ag; print(ag.randn(3).tolist())"
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)}
    assert len(runs) == 1


# --- backward state is per call -----------------------------------------------------------


def _graph_with_a_shared_intermediate():
    """x, w, and two losses through one intermediate ``shared = x * w``.

    ``outer`` = sum(2 shared) + sum(3 shared) (d/dx = 5 w, d/dw = 5 sum(x)); ``inner`` =
    sum(shared^2) (d/dx = 2 x w^2, d/dw = 2 w sum(x^2)). The outer walk reaches ``shared``
    from ``late`` first and then runs the hooks of ``early`` while ``shared``'s gradient is
    half gathered.
    """
    x = ag.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    w = ag.tensor(3.0, dtype="float64", requires_grad=True)
    shared = x * w
    inner = (shared * shared).sum()
    early, late = shared * 2.0, shared * 3.0
    return x, w, early, early.sum() + late.sum(), inner


def test_grad_inside_a_hook_of_another_backward_sees_only_its_own_walk():
    x, w, early, outer, inner = _graph_with_a_shared_intermediate()
    seen = {}

    def hook(grad):
        seen["x"], seen["w"] = ag.grad(inner, [x, w], retain_graph=True)

    early.register_hook(hook)
    outer.backward()
    np.testing.assert_array_equal(seen["x"].numpy(), [18.0, 36.0])  # 2 x w^2
    assert seen["w"].item() == 30.0  # 2 w (1 + 4)
    np.testing.assert_array_equal(x.grad.numpy(), [15.0, 15.0])  # 5 w
    assert w.grad.item() == 15.0  # 5 (1 + 2)


def test_backward_inside_a_hook_of_grad_writes_only_its_own_contribution():
    x, w, early, outer, inner = _graph_with_a_shared_intermediate()
    early.register_hook(lambda grad: inner.backward(retain_graph=True))
    gx, gw = ag.grad(outer, [x, w])
    np.testing.assert_array_equal(gx.numpy(), [15.0, 15.0])  # 5 w: nothing of inner's
    assert gw.item() == 15.0
    np.testing.assert_array_equal(x.grad.numpy(), [18.0, 36.0])  # inner's alone
    assert w.grad.item() == 30.0


# --- a backward that raises writes no .grad -----------------------------------------------


def _small_mlp():
    """A 3-4-3-1 tanh network: its six parameters, loss, first hidden layer and input data.

    Each layer's parameters are created just before the layer runs (as lazily built layers
    are), so the walk reaches the later layers' parameters before the first layer. Also
    returns the loss's gradients computed by hand with NumPy (independent of the engine): one
    per parameter, then that of the first hidden layer.
    """
    rng = np.random.default_rng(7)
    data = rng.normal(size=(5, 3))
    values = [rng.normal(size=shape) for shape in [(3, 4), (4,), (4, 3), (3,), (3, 1), (1,)]]
    params = []

    def layer(inputs, index):
        weight, bias = (ag.tensor(values[i], requires_grad=True) for i in (index, index + 1))
        params.extend([weight, bias])
        return inputs @ weight + bias

    inputs = ag.tensor(data)
    first = ag.tanh(layer(inputs, 0))
    second = ag.tanh(layer(first, 2))
    loss = (layer(second, 4) ** 2).sum()

    v1, c1, v2, c2, v3, c3 = values
    h1 = np.tanh(data @ v1 + c1)
    h2 = np.tanh(h1 @ v2 + c2)
    g_out = 2 * (h2 @ v3 + c3)
    g_h2 = g_out @ v3.T * (1 - h2 ** 2)
    g_first = g_h2 @ v2.T
    g_h1 = g_first * (1 - h1 ** 2)
    expected = [data.T @ g_h1, g_h1.sum(0), h1.T @ g_h2, g_h2.sum(0), h2.T @ g_out, g_out.sum(0)]
    return params, loss, first, inputs, expected + [g_first]


def _assert_grads(params, expected):
    for param, want in zip(params, expected):
        if want is None:
            assert param.grad is None
        else:
            np.testing.assert_allclose(param.grad.numpy(), want, rtol=1e-12, atol=1e-12)


def test_a_hook_that_raises_halfway_changes_no_grad_and_a_retry_counts_once():
    params, loss, first, _, expected = _small_mlp()
    previous = np.full((3, 1), 0.5)
    params[4].grad = ag.tensor(previous.copy())  # the last weight already holds a gradient
    first.retain_grad()

    def failing_hook(grad):
        raise ArithmeticError("boom")

    handle = first.register_hook(failing_hook)  # runs after the last two layers are done
    with pytest.raises(ArithmeticError, match="boom"):
        loss.backward(retain_graph=True)
    _assert_grads(params, [None, None, None, None, previous, None])
    assert first.grad is None
    handle.remove()
    loss.backward()
    expected[4] = expected[4] + previous
    _assert_grads(params, expected[:6])
    np.testing.assert_allclose(first.grad.numpy(), expected[6], rtol=1e-12, atol=1e-12)


def test_an_error_in_a_vjp_halfway_changes_no_grad():
    params, loss, _, inputs, _ = _small_mlp()
    inputs.add_(1.0)  # the first matmul saved the old data
    with pytest.raises(RuntimeError, match=r"backward: input 0 of 'matmul' .* was changed in "
                                           r"place"):
        loss.backward()
    _assert_grads(params, [None] * 6)


# --- accumulation of differentiable gradients; ag.grad through a requested tensor ----------


def test_second_create_graph_backward_accumulates_and_stays_differentiable():
    x = ag.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    (x ** 2).sum().backward(create_graph=True)
    (x ** 3).sum().backward(create_graph=True)
    values = x.numpy()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * values + 3 * values ** 2)
    assert x.grad.requires_grad
    (second,) = ag.grad(x.grad.sum(), x)
    np.testing.assert_array_equal(second.numpy(), 2 + 6 * values)


def test_plain_backward_after_a_create_graph_one_accumulates_and_keeps_the_graph():
    x = ag.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    (x ** 2).sum().backward(create_graph=True)
    (x ** 3).sum().backward()
    values = x.numpy()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * values + 3 * values ** 2)
    assert x.grad.requires_grad
    (second,) = ag.grad(x.grad.sum(), x)  # the plain backward's 3 x^2 is a constant
    np.testing.assert_array_equal(second.numpy(), [2.0, 2.0])


def test_grad_of_a_tensor_and_its_ancestor_propagates_through_the_tensor():
    x = ag.tensor([1.0, -2.0], dtype="float64", requires_grad=True)
    h = 3 * x
    gx, gh = ag.grad((h * h).sum() + x.sum(), [x, h])
    np.testing.assert_array_equal(gx.numpy(), 18 * x.numpy() + 1)
    np.testing.assert_array_equal(gh.numpy(), 6 * x.numpy())


def test_a_scalar_leaf_used_twice_gets_a_gradient_array_that_zero_grad_can_clear():
    # Two 0-d contributions add up to a NumPy scalar; .grad must still hold an array, or
    # zero_grad(set_to_none=False) (p.grad.zero_()) silently changed nothing.
    x = ag.tensor(2.0, requires_grad=True)
    (x * x + x).backward()
    assert type(x.grad.data) is np.ndarray and x.grad.item() == 5.0
    with ag.no_grad():
        x.grad.zero_()
    assert x.grad.item() == 0.0
    (x * x + x).backward()
    assert x.grad.item() == 5.0
