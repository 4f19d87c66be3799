"""ag.func: each transform against closed forms, float64 finite differences and identities."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_registry import REGISTRY

import autograd_lite as ag
import nn
from autograd_lite import func

RNG = np.random.default_rng(0)


def f64(values, requires_grad=False):
    return ag.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def numeric_jacobian(fn, x, eps=1e-6):
    """Central differences of fn (arrays -> array) at x: shape fn(x).shape + x.shape."""
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for index in range(x.size):
        step = np.zeros(x.size)
        step[index] = eps
        step = step.reshape(x.shape)
        columns.append((np.asarray(fn(x + step)) - np.asarray(fn(x - step))) / (2 * eps))
    out_shape = np.shape(fn(x))
    return np.stack(columns, axis=-1).reshape(out_shape + x.shape)


def mlp(x):
    """A small non-linear map R^3 -> R^2 with fixed weights (float64)."""
    w1 = np.array([[0.5, -1.0, 0.3], [0.2, 0.4, -0.7], [1.1, 0.0, 0.6], [-0.3, 0.8, 0.1]])
    w2 = np.array([[0.7, -0.2, 0.5, 1.0], [-0.4, 0.9, 0.3, -0.6]])
    return ag.tanh(ag.tanh(x @ w1.T) @ w2.T) * x.sum()


def mlp_numpy(x):
    w1 = np.array([[0.5, -1.0, 0.3], [0.2, 0.4, -0.7], [1.1, 0.0, 0.6], [-0.3, 0.8, 0.1]])
    w2 = np.array([[0.7, -0.2, 0.5, 1.0], [-0.4, 0.9, 0.3, -0.6]])
    return np.tanh(np.tanh(x @ w1.T) @ w2.T) * x.sum()


X3 = np.array([0.3, -0.8, 1.2])


# --- grad and value_and_grad -------------------------------------------------------------------


def test_grad_matches_the_closed_form():
    x = np.array([0.5, -1.5, 2.0])
    g = func.grad(lambda t: (ag.sin(t) * t ** 2).sum())(f64(x))
    np.testing.assert_allclose(g.numpy(), np.cos(x) * x ** 2 + 2 * x * np.sin(x), rtol=1e-12)
    assert g.shape == (3,) and not g.requires_grad


def test_value_and_grad_returns_the_value_and_has_aux_returns_aux():
    value, g = func.value_and_grad(lambda t: (t ** 3).sum())(f64([1.0, 2.0]))
    assert value.item() == 9.0 and g.numpy().tolist() == [3.0, 12.0]
    (value, aux), g = func.value_and_grad(lambda t: ((t ** 2).sum(), "aux"), has_aux=True)(
        f64([3.0]).reshape(()))
    assert (value.item(), aux, g.item()) == (9.0, "aux", 6.0)
    g, aux = func.grad(lambda t: (t * 2, t.numpy() + 1), has_aux=True)(f64(1.5))
    assert g.item() == 2.0 and aux == 2.5


def test_grad_with_argnums_tuple_gives_one_gradient_per_argument():
    gx, gy = func.grad(lambda x, y: (x * y ** 2).sum(), argnums=(0, 1))(f64([2.0]), f64([3.0]))
    assert gx.numpy().tolist() == [9.0] and gy.numpy().tolist() == [12.0]
    assert func.grad(lambda x, y: (x * y).sum(), argnums=-1)(f64([2.0]), f64([5.0])).item() == 2.0


def test_grad_of_grad_is_the_second_derivative():
    d2 = func.grad(func.grad(lambda x: x ** 3 + ag.sin(x)))(f64(0.7))
    assert d2.item() == pytest.approx(6 * 0.7 - np.sin(0.7), rel=1e-12)
    d3 = func.grad(func.grad(func.grad(lambda x: x ** 4)))(f64(2.0))
    assert d3.item() == pytest.approx(24 * 2.0)


def test_grad_takes_numbers_arrays_and_trees():
    assert func.grad(lambda x: x * x)(3.0).item() == 6.0
    g = func.grad(lambda x: (x * x).sum())(np.array([1, 2]))  # ints become float32
    assert g.dtype == np.float32 and g.numpy().tolist() == [2.0, 4.0]
    params = {"w": f64([1.0, 2.0]), "b": [f64(3.0)]}
    grads = func.grad(lambda p: (p["w"] ** 2).sum() * p["b"][0])(params)
    assert set(grads) == {"w", "b"} and isinstance(grads["b"], list)
    assert grads["w"].numpy().tolist() == [6.0, 12.0] and grads["b"][0].item() == 5.0


def test_grad_has_no_perturbation_confusion():
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1, and d/dz [d/dw (z w) at w = z] = 1
    assert func.grad(lambda x: x * func.grad(lambda y: x + y)(f64(1.0)))(f64(2.0)).item() == 1.0
    assert func.grad(lambda z: func.grad(lambda w: z * w)(z))(f64(2.0)).item() == 1.0


def test_grad_of_an_unused_argument_is_zero():
    gx, gy = func.grad(lambda x, y: x * 2, argnums=(0, 1))(f64(1.0), f64([1.0, 2.0]))
    assert gx.item() == 2.0 and gy.numpy().tolist() == [0.0, 0.0]


def test_grad_requires_a_scalar_output_and_names_f():
    def loss(x):
        return x * 2

    with pytest.raises(ValueError, match=r"func.grad: loss must return a 0-d tensor \(a "
                                         r"scalar\), got \(2,\); reduce it"):
        func.grad(loss)(f64([1.0, 2.0]))


def test_grad_rejects_bad_argnums():
    with pytest.raises(ValueError, match="func.grad: argnums 2 is out of range for a call "
                                         "with 1 positional arguments"):
        func.grad(lambda x: x, argnums=2)(f64(1.0))
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints, got a list"):
        func.grad(lambda x: x, argnums=[0])(f64(1.0))


def test_gradient_penalty_flows_to_the_parameters_a_function_closes_over():
    w = f64([0.5, -1.0], requires_grad=True)
    x = f64([1.0, 2.0])

    def critic(x):
        return (ag.tanh(x * w)).sum()

    g = func.grad(critic)(x)  # g_i = w_i (1 - tanh(x_i w_i)^2)
    assert g.requires_grad
    penalty = ((g * g).sum() - 1.0) ** 2
    (dw,) = ag.grad(penalty, w)

    def penalty_numpy(wv):
        gv = wv * (1 - np.tanh(x.numpy() * wv) ** 2)
        return (np.sum(gv ** 2) - 1.0) ** 2

    np.testing.assert_allclose(dw.numpy(), numeric_jacobian(penalty_numpy, w.numpy()),
                               rtol=1e-7, atol=1e-9)
    assert w.grad is None


def test_grad_neither_walks_nor_frees_the_callers_graph():
    w = f64([1.0, 2.0], requires_grad=True)
    h = w * 3.0  # recorded before the transform
    g = func.grad(lambda x: (x * h).sum())(f64([1.0, 1.0]))
    assert g.numpy().tolist() == [3.0, 6.0]
    h.sum().backward()  # the graph of h is intact
    assert w.grad.numpy().tolist() == [3.0, 3.0]


def test_grad_under_no_grad_still_differentiates_but_records_nothing():
    w = f64(2.0, requires_grad=True)
    with ag.no_grad():
        g = func.grad(lambda x: x * x * w)(f64(3.0))
    assert g.item() == 12.0 and not g.requires_grad


# --- vjp ---------------------------------------------------------------------------------------


def test_vjp_is_the_transposed_jacobian_times_the_cotangent():
    out, vjp_fn = func.vjp(mlp, f64(X3))
    np.testing.assert_allclose(out.numpy(), mlp_numpy(X3), rtol=1e-12)
    jacobian = numeric_jacobian(mlp_numpy, X3)
    for u in ([1.0, 0.0], [0.3, -2.0]):  # vjp_fn can be called again
        (g,) = vjp_fn(np.array(u))
        np.testing.assert_allclose(g.numpy(), np.array(u) @ jacobian, rtol=1e-7, atol=1e-9)


def test_vjp_with_several_primals_and_outputs():
    out, vjp_fn = func.vjp(lambda x, y: (x * y, x + y), f64([1.0, 2.0]), f64([3.0, 4.0]))
    gx, gy = vjp_fn((f64([1.0, 1.0]), f64([10.0, 0.0])))
    assert gx.numpy().tolist() == [13.0, 4.0] and gy.numpy().tolist() == [11.0, 2.0]
    assert isinstance(out, tuple) and out[0].numpy().tolist() == [3.0, 8.0]


def test_vjp_names_the_function_and_shapes_of_a_wrong_cotangent():
    _, vjp_fn = func.vjp(mlp, f64(X3))
    with pytest.raises(ValueError, match=r"vjp_fn of func.vjp\(mlp\): cotangent 0 has shape "
                                         r"\(3,\) but output 0 has shape \(2,\)"):
        vjp_fn(np.ones(3))


# --- forward mode ---------------------------------------------------------------------------------


def test_jvp_is_the_jacobian_times_the_tangent():
    v = np.array([0.5, -1.0, 2.0])
    out, jv = func.jvp(mlp, (f64(X3),), (f64(v),))
    np.testing.assert_allclose(out.numpy(), mlp_numpy(X3), rtol=1e-12)
    np.testing.assert_allclose(jv.numpy(), numeric_jacobian(mlp_numpy, X3) @ v, rtol=1e-7,
                               atol=1e-9)


def test_jvp_with_several_primals_sums_the_directional_derivatives():
    x, y = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    vx, vy = np.array([1.0, 0.0]), np.array([0.0, 3.0])
    _, jv = func.jvp(lambda a, b: ag.exp(a) * b, (f64(x), f64(y)), (f64(vx), f64(vy)))
    np.testing.assert_allclose(jv.numpy(), np.exp(x) * vx * y + np.exp(x) * vy, rtol=1e-12)


def test_jvp_names_the_function_and_shapes_of_a_wrong_tangent():
    with pytest.raises(ValueError, match=r"func.jvp\(mlp\): tangent 0 has shape \(2,\) but "
                                         r"primal 0 has shape \(3,\)"):
        func.jvp(mlp, (f64(X3),), (f64([1.0, 2.0]),))
    with pytest.raises(TypeError, match=r"func.jvp\(mlp\): primals must be a tuple"):
        func.jvp(mlp, f64(X3), (f64(X3),))


def test_linearize_gives_the_same_products_as_jvp():
    out, jvp_fn = func.linearize(mlp, f64(X3))
    for v in (np.array([1.0, 0.0, 0.0]), np.array([0.2, 0.3, -0.1])):
        _, expected = func.jvp(mlp, (f64(X3),), (f64(v),))
        np.testing.assert_allclose(jvp_fn(f64(v)).numpy(), expected.numpy(), rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), mlp_numpy(X3))


DIFFERENTIABLE = sorted(name for name in REGISTRY if REGISTRY[name].differentiable)


# Ten draws per op (about 200 ops, ~6 s in all): each draw already checks a whole Jacobian-vector
# product; the VJP rules it is built from get the registry's full runs in test_op_registry.py.
@pytest.mark.parametrize("name", DIFFERENTIABLE)
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_jvp_of_every_registered_op_matches_finite_differences(name, data):
    """Forward mode transposes the VJP rules: checked on every op like the VJPs themselves."""
    entry = REGISTRY[name]
    sample = data.draw(entry.samples)
    floats = [i for i, a in enumerate(sample.arrays) if a.dtype.kind == "f"]

    def first_output(*float_arrays):
        arrays = list(sample.arrays)
        for i, a in zip(floats, float_arrays):
            arrays[i] = a
        tensors = [a if isinstance(a, ag.Tensor) else ag.tensor(a) for a in arrays]
        out = entry.op(*tensors, **sample.kwargs)
        return out[0] if isinstance(out, tuple) else out

    primals = tuple(ag.tensor(sample.arrays[i]) for i in floats)
    tangents = tuple(ag.tensor(RNG.standard_normal(p.shape)) for p in primals)
    _, jv = func.jvp(first_output, primals, tangents)
    eps = 1e-6
    plus = first_output(*(p.numpy() + eps * t.numpy() for p, t in zip(primals, tangents)))
    minus = first_output(*(p.numpy() - eps * t.numpy() for p, t in zip(primals, tangents)))
    np.testing.assert_allclose(jv.numpy(), (plus.numpy() - minus.numpy()) / (2 * eps),
                               rtol=1e-5, atol=1e-6)


# --- Jacobians and Hessians -----------------------------------------------------------------------


def test_jacrev_and_jacfwd_match_finite_differences():
    expected = numeric_jacobian(mlp_numpy, X3)
    for transform in (func.jacrev, func.jacfwd):
        jacobian = transform(mlp)(f64(X3))
        assert jacobian.shape == (2, 3)
        np.testing.assert_allclose(jacobian.numpy(), expected, rtol=1e-7, atol=1e-9)


def test_jacobians_of_matrix_inputs_and_outputs_have_shape_out_plus_in():
    x = RNG.standard_normal((2, 3))

    def fn(t):
        return ag.sin(t.T) * 2.0

    expected = numeric_jacobian(lambda a: np.sin(a.T) * 2.0, x)
    for transform in (func.jacrev, func.jacfwd):
        jacobian = transform(fn)(f64(x))
        assert jacobian.shape == (3, 2, 2, 3)
        np.testing.assert_allclose(jacobian.numpy(), expected, rtol=1e-7, atol=1e-9)


def test_jacobians_with_argnums_tuple_and_the_jvp_identity():
    x, y = f64([1.0, 2.0]), f64([3.0])
    for transform in (func.jacrev, func.jacfwd):
        jx, jy = transform(lambda a, b: a * b ** 2, argnums=(0, 1))(x, y)
        assert jx.numpy().tolist() == [[9.0, 0.0], [0.0, 9.0]]
        assert jy.numpy().tolist() == [[6.0], [12.0]]  # 2 a b
    v = np.array([0.3, -0.7, 0.1])
    _, jv = func.jvp(mlp, (f64(X3),), (f64(v),))
    np.testing.assert_allclose(jv.numpy(), func.jacfwd(mlp)(f64(X3)).numpy() @ v, rtol=1e-12)


def rosenbrock(x):
    return ((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2).sum()


def rosenbrock_hessian(x):
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 2 - 400 * (x[i + 1] - x[i] ** 2) + 800 * x[i] ** 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
    return h


def test_hessian_matches_the_closed_form_and_hvp_is_hessian_times_v():
    x = np.array([0.5, -1.2, 0.8, 2.0])
    hessian = func.hessian(rosenbrock)(f64(x))
    np.testing.assert_allclose(hessian.numpy(), rosenbrock_hessian(x), rtol=1e-12, atol=1e-12)
    v = np.array([1.0, -2.0, 0.5, 0.25])
    value, (hv,) = func.hvp(rosenbrock, (f64(x),), (f64(v),))
    assert value.item() == pytest.approx(rosenbrock(f64(x)).item())
    np.testing.assert_allclose(hv.numpy(), rosenbrock_hessian(x) @ v, rtol=1e-12)


def test_hvp_names_the_function_and_shapes_of_a_wrong_tangent():
    with pytest.raises(ValueError, match=r"func.hvp\(rosenbrock\): tangent 0 has shape \(3,\) "
                                         r"but primal 0 has shape \(4,\)"):
        func.hvp(rosenbrock, (f64(np.ones(4)),), (f64(np.ones(3)),))


# --- functional_call ------------------------------------------------------------------------------


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
        self.register_buffer("scale", ag.tensor(2.0))

    def forward(self, x):
        return self.layers(x) * self.scale


def test_functional_call_uses_the_given_tensors_and_restores_the_module():
    ag.manual_seed(0)
    net = Net()
    x = ag.randn(4, 2)
    weight = net.layers[0].weight
    new = {name: ag.zeros(p.shape) for name, p in net.named_parameters()}
    new["layers.2.bias"] = ag.tensor([1.5])
    out = func.functional_call(net, new, (x,))
    assert out.numpy().tolist() == [[3.0]] * 4  # zero weights: bias 1.5 times the buffer 2
    assert net.layers[0].weight is weight
    doubled = func.functional_call(net, {"scale": ag.tensor(4.0)}, x)
    np.testing.assert_allclose(doubled.numpy(), 2 * net(x).numpy(), rtol=1e-6)


def test_functional_call_restores_the_parameters_when_the_call_raises():
    net = Net()
    original = dict(net.named_parameters())
    with pytest.raises(ValueError):
        func.functional_call(net, {"layers.0.weight": ag.zeros((3, 2))}, (ag.zeros((4, 5)),))
    assert all(p is original[name] for name, p in net.named_parameters())


def test_functional_call_names_unknown_keys_and_wrong_shapes():
    net = Net()
    with pytest.raises(ValueError, match="func.functional_call: Net has no parameter or buffer "
                                       "'layer.0.weight'"):
        func.functional_call(net, {"layer.0.weight": ag.zeros((3, 2))}, (ag.zeros((1, 2)),))
    with pytest.raises(ValueError, match=r"the tensor for 'layers.0.weight' has shape \(2, 3\) "
                                         r"but the module's has shape \(3, 2\)"):
        func.functional_call(net, {"layers.0.weight": ag.zeros((2, 3))}, (ag.zeros((1, 2)),))


def test_functional_call_replaces_tied_weights_under_every_name():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2, bias=False)
            self.b = nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    model = Tied()
    out = func.functional_call(model, {"a.weight": 2 * ag.eye(2)}, (ag.tensor([[1.0, 3.0]]),))
    assert out.numpy().tolist() == [[4.0, 12.0]]


def test_maml_meta_gradient_through_functional_call_matches_finite_differences():
    ag.manual_seed(1)
    model = nn.Linear(3, 1)
    model.weight.data = model.weight.data.astype(np.float64)
    model.bias.data = model.bias.data.astype(np.float64)
    x_train, y_train = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 1))
    x_test, y_test = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 1))
    lr = 0.1

    def loss(params, x, y):
        return ((func.functional_call(model, params, (f64(x),)) - f64(y)) ** 2).mean()

    def meta_loss(params):
        grads = func.grad(loss)(params, x_train, y_train)
        adapted = {k: params[k] - lr * grads[k] for k in params}
        return loss(adapted, x_test, y_test)

    params = {k: f64(v.numpy()) for k, v in model.named_parameters()}
    meta_grads = func.grad(meta_loss)(params)

    def meta_loss_numpy(w):
        def grad_and_loss(w, x, y):
            residual = x @ w[:3] + w[3] - y[:, 0]
            return np.append(2 * x.T @ residual, 2 * residual.sum()) / len(x), np.mean(
                residual ** 2)
        g, _ = grad_and_loss(w, x_train, y_train)
        return grad_and_loss(w - lr * g, x_test, y_test)[1]

    w0 = np.append(params["weight"].numpy()[0], params["bias"].numpy())
    expected = numeric_jacobian(meta_loss_numpy, w0)
    got = np.append(meta_grads["weight"].numpy()[0], meta_grads["bias"].numpy())
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)
    assert model.weight.grad is None


# --- composition and structure ---------------------------------------------------------------


def test_forward_over_reverse_gives_the_same_hessian_as_reverse_over_reverse():
    x = np.array([0.5, -1.2, 0.8])
    np.testing.assert_allclose(func.jacfwd(func.jacrev(rosenbrock))(f64(x)).numpy(),
                               rosenbrock_hessian(x), rtol=1e-12, atol=1e-12)


def test_jvp_inside_grad_is_differentiable():
    # d/dx of sum(J v) for f = sin: J v = cos(x) v, so the gradient is -sin(x) v
    x, v = np.array([0.3, 1.4]), np.array([2.0, -1.0])
    g = func.grad(lambda t: func.jvp(ag.sin, (t,), (f64(v),))[1].sum())(f64(x))
    np.testing.assert_allclose(g.numpy(), -np.sin(x) * v, rtol=1e-12)


def test_jacobians_of_several_outputs_with_aux():
    for transform in (func.jacrev, func.jacfwd):
        (ja, jb), aux = transform(lambda t: ((t * 2, (t ** 2).sum()), "aux"), has_aux=True)(
            f64([1.0, 3.0]))
        assert aux == "aux" and ja.numpy().tolist() == [[2.0, 0.0], [0.0, 2.0]]
        assert jb.shape == (2,) and jb.numpy().tolist() == [2.0, 6.0]


def test_linearize_names_the_function_and_shapes_of_a_wrong_tangent():
    _, jvp_fn = func.linearize(mlp, f64(X3))
    with pytest.raises(ValueError, match=r"jvp_fn of func.linearize\(mlp\): tangent 0 has shape "
                                         r"\(1,\) but primal 0 has shape \(3,\)"):
        jvp_fn(f64([1.0]))


def test_transforms_leave_the_grad_of_their_arguments_alone():
    x = f64([1.0, 2.0], requires_grad=True)
    g = func.grad(lambda t: (t ** 2).sum())(x)
    assert g.numpy().tolist() == [2.0, 4.0] and g.requires_grad and x.grad is None
    (second,) = ag.grad(g.sum(), x)  # differentiable with respect to x: d/dx sum(2x) = 2
    assert second.numpy().tolist() == [2.0, 2.0]


def test_functional_call_strict_kwargs_and_tied_conflicts():
    net = Net()
    with pytest.raises(ValueError, match=r"strict=True but no tensor is given for "
                                         r"\['layers.0.bias'"):
        func.functional_call(net, {"scale": ag.tensor(1.0)}, (ag.zeros((1, 2)),), strict=True)

    class WithKeyword(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(1, 1)

        def forward(self, x, shift=0.0):
            return self.linear(x) + shift

    model = WithKeyword()
    out = func.functional_call(model, ({"linear.weight": ag.ones((1, 1))},
                                       {"linear.bias": ag.zeros(1)}), (ag.tensor([[2.0]]),),
                               {"shift": 10.0})
    assert out.item() == 12.0
    with pytest.raises(ValueError, match="'linear.weight' appears in more than one dict"):
        func.functional_call(model, ({"linear.weight": ag.ones((1, 1))},
                                     {"linear.weight": ag.ones((1, 1))}), (ag.ones((1, 1)),))
