"""Trigonometric and hyperbolic ops at their edges, with the numbers PyTorch gives there.

PyTorch's values were read off torch 2 in float64 (e.g. ``torch.atan2`` at the origin); the
registry checks the ops inside their domains.
"""

import math

import numpy as np
import pytest

import autograd_lite as ag


@pytest.fixture(autouse=True)
def _edges_divide_by_zero_on_purpose():
    with np.errstate(divide="ignore", invalid="ignore"):
        yield


PYTORCH_SPELLINGS = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2",
                     "asinh": "arcsinh", "acosh": "arccosh", "atanh": "arctanh"}


def _leaf(values):
    return ag.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def _gradients(op, *values):
    leaves = [_leaf(v) for v in values]
    return [g.numpy().tolist() for g in ag.grad(op(*leaves).sum(), leaves)]


@pytest.mark.parametrize("alias, name", PYTORCH_SPELLINGS.items())
def test_pytorchs_spelling_is_the_same_function_and_method(alias, name):
    assert getattr(ag, alias) is getattr(ag, name)
    assert getattr(ag.Tensor, alias) is getattr(ag.Tensor, name)
    assert alias in ag.__all__ and name in ag.__all__


def test_tan_and_its_gradient():
    x = _leaf([0.0, math.pi / 4])
    np.testing.assert_allclose(ag.tan(x).numpy(), [0.0, 1.0], rtol=1e-15, atol=0)
    ag.tan(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 2.0], rtol=1e-15)


def test_inverse_functions_at_the_ends_of_their_domains_follow_pytorch():
    # torch.asin at [1, -1, 2]: values [pi/2, -pi/2, nan], gradients [inf, inf, nan]
    x = _leaf([1.0, -1.0, 2.0])
    out = ag.arcsin(x)
    assert out.numpy()[:2].tolist() == [math.pi / 2, -math.pi / 2] and np.isnan(out.numpy()[2])
    out.sum().backward()
    assert x.grad.numpy()[:2].tolist() == [math.inf, math.inf] and np.isnan(x.grad.numpy()[2])
    # torch.acos: gradients -inf at +-1
    assert _gradients(ag.arccos, [1.0, -1.0]) == [[-math.inf, -math.inf]]
    # torch.acosh at [1, 0.5, 2]: values [0, nan, 1.3169578969248166], gradients [inf, nan,
    # 0.5773502691896258]
    x = _leaf([1.0, 0.5, 2.0])
    out = ag.arccosh(x)
    out.sum().backward()
    assert out.numpy()[0] == 0.0 and np.isnan(out.numpy()[1])
    assert out.numpy()[2] == pytest.approx(1.3169578969248166, rel=1e-15)
    assert x.grad.numpy()[0] == math.inf and np.isnan(x.grad.numpy()[1])
    assert x.grad.numpy()[2] == pytest.approx(0.5773502691896258, rel=1e-15)
    # torch.atanh at [1, -1, 2]: values [inf, -inf, nan], gradients [inf, inf, -1/3]
    x = _leaf([1.0, -1.0, 2.0])
    out = ag.arctanh(x)
    out.sum().backward()
    assert out.numpy()[:2].tolist() == [math.inf, -math.inf] and np.isnan(out.numpy()[2])
    assert x.grad.numpy()[:2].tolist() == [math.inf, math.inf]
    assert x.grad.numpy()[2] == pytest.approx(-1 / 3, rel=1e-15)


def test_arctan2_takes_numpys_argument_order_and_has_zero_gradient_at_the_origin():
    # torch.atan2(input=[0, 1, 0, -0], other=[0, 1, -1, -1]): values [0, pi/4, pi, -pi],
    # gradients for input [0, 0.5, -1, -1] and for other [-0, -0.5, -0, 0]
    x1, x2 = _leaf([0.0, 1.0, 0.0, -0.0]), _leaf([0.0, 1.0, -1.0, -1.0])
    out = ag.arctan2(x1, x2)
    assert out.numpy().tolist() == [0.0, math.pi / 4, math.pi, -math.pi]
    out.sum().backward()
    assert x1.grad.numpy().tolist() == [0.0, 0.5, -1.0, -1.0]
    assert x2.grad.numpy().tolist() == [0.0, -0.5, 0.0, 0.0]


def test_hypot_gradient_is_nan_at_the_origin_as_in_pytorch():
    # torch.hypot([0, 3, 0], [0, 4, -2]): gradients [nan, 0.6, 0] and [nan, 0.8, -1]
    x, y = _leaf([0.0, 3.0, 0.0]), _leaf([0.0, 4.0, -2.0])
    out = ag.hypot(x, y)
    assert out.numpy().tolist() == [0.0, 5.0, 2.0]
    out.sum().backward()
    assert np.isnan(x.grad.numpy()[0]) and np.isnan(y.grad.numpy()[0])
    assert x.grad.numpy()[1:].tolist() == [0.6, 0.0] and y.grad.numpy()[1:].tolist() == [0.8, -1.0]


def test_hypot_does_not_overflow():
    assert ag.hypot(ag.tensor(np.array([3e200])), 4e200).item() == pytest.approx(5e200, rel=1e-15)


def test_sinc_is_normalised_with_value_1_and_gradient_0_at_zero():
    # torch.sinc([0, 0.5, 1, -2]): [1, 2/pi, 3.9e-17, -3.9e-17], gradients [0, -4/pi, -1, -0.5]
    x = _leaf([0.0, 0.5, 1.0, -2.0])
    out = ag.sinc(x)
    np.testing.assert_allclose(out.numpy(), [1.0, 2 / math.pi, 3.8981718325193755e-17,
                                             -3.8981718325193755e-17], rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, -4 / math.pi, -1.0, -0.5], rtol=1e-14)
    assert x.grad.numpy()[0] == 0.0


def test_sinc_second_derivative_near_and_at_zero_is_its_taylor_value():
    # sinc''(x) = -pi**2/3 + pi**4 x**2 / 10 - ... (PyTorch gives NaN at 0 itself)
    x = _leaf([0.0, 1e-8, 1e-4, -2e-3])
    (first,) = ag.grad(ag.sinc(x).sum(), [x], create_graph=True)
    (second,) = ag.grad(first.sum(), [x])
    z = np.pi * x.numpy()
    expected = -np.pi**2 / 3 * (1 - 3 * z**2 / 10 + z**4 / 56)
    np.testing.assert_allclose(second.numpy(), expected, rtol=1e-9)


def test_sinc_matches_numpy_to_2_ulp_across_the_taylor_radius():
    x = np.concatenate([np.linspace(-2e-3, 2e-3, 4001), np.linspace(-5, 5, 1001)])
    np.testing.assert_allclose(ag.sinc(ag.tensor(x)).numpy(), np.sinc(x), rtol=4.5e-16, atol=0)


def test_sinc_float32_gradient_is_accurate_across_its_taylor_radius():
    # The quotient rule cancels in float32 near 0: at 1e-3 it loses 5 % of the derivative.
    x32 = np.concatenate([np.linspace(-0.6, 0.6, 4001), [1e-3, -1e-3, 0.25, 0.2500001]])
    x32 = x32.astype(np.float32)
    x = ag.tensor(x32, requires_grad=True)
    ag.sinc(x).sum().backward()
    z = np.pi * x32.astype(np.float64)
    exact = np.where(z == 0, 0.0, (z * np.cos(z) - np.sin(z)) / (z * x32.astype(np.float64)
                                                                 + (z == 0)))
    near = np.abs(z) < 1e-2  # there the closed form cancels in float64 too: its series
    exact[near] = (-np.pi * z * (1 / 3 - z**2 / 30 + z**4 / 840))[near]
    np.testing.assert_allclose(x.grad.numpy(), exact, rtol=2e-6, atol=1e-9)


def test_hyperbolic_functions_and_their_gradients():
    x = _leaf([0.0, 1.0])
    np.testing.assert_allclose(ag.sinh(x).numpy(), [0.0, math.sinh(1.0)], rtol=1e-15)
    np.testing.assert_allclose(ag.cosh(x).numpy(), [1.0, math.cosh(1.0)], rtol=1e-15)
    assert _gradients(ag.sinh, [0.0, 1.0]) == [[1.0, math.cosh(1.0)]]
    assert _gradients(ag.cosh, [0.0, 1.0]) == [[0.0, math.sinh(1.0)]]
    assert _gradients(ag.arcsinh, [0.0, 1.0])[0] == pytest.approx([1.0, 1 / math.sqrt(2)],
                                                                   rel=1e-15)
    assert ag.sinh(ag.tensor(np.array([1e-20]))).numpy().tolist() == [1e-20]  # no cancellation


def test_degrees_and_radians():
    assert ag.deg2rad(ag.tensor(np.array([180.0]))).numpy().tolist() == [math.pi]
    assert ag.rad2deg(ag.tensor(np.array([math.pi]))).numpy().tolist() == [180.0]
    # PyTorch: gradients pi/180 = 0.017453292519943295 and 180/pi = 57.29577951308232
    assert _gradients(ag.deg2rad, [180.0]) == [[0.017453292519943295]]
    assert _gradients(ag.rad2deg, [1.0]) == [[57.29577951308232]]
    assert ag.deg2rad(ag.arange(3)).dtype == np.float32  # an integer tensor gives floats


def test_numpy_ufuncs_run_the_ops_and_keep_the_graph():
    x = _leaf([0.5])
    for ufunc, op_name in [(np.tan, "tan"), (np.arcsin, "arcsin"), (np.arctan2, "arctan2"),
                           (np.hypot, "hypot"), (np.cosh, "cosh"), (np.radians, "mul")]:
        out = ufunc(x, x) if ufunc.nin == 2 else ufunc(x)
        assert out.op_name == op_name
    assert np.sinc(x).requires_grad
