"""Gradients at the edges of pow, std and var, as PyTorch and HIPS autograd give them.

Exact values: d(x**0)/dx = 0 also at x = 0; d(0**y)/dy = -inf for y < 0 and 0 for y >= 0;
the gradient of std and var is 0 where the result is 0 (one element, a constant input).
The generic finite-difference checks of pow, std and var stay in the op registry.
"""

import math
import warnings

import numpy as np
import pytest

import autograd_lite as ag

DTYPES = pytest.mark.parametrize("dtype", ["float32", "float64"])


def _grads(function, *values, dtype="float64"):
    inputs = [ag.tensor(v, dtype=dtype, requires_grad=True) for v in values]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 0 ** -1 = inf warns in NumPy; the values are the point
        function(*inputs).sum().backward()
    return [x.grad.numpy() for x in inputs]


@DTYPES
@pytest.mark.parametrize("zero", [0, 0.0], ids=["int", "float"])
def test_x_to_the_number_zero_has_gradient_zero_even_at_zero(dtype, zero):
    (gx,) = _grads(lambda x: x ** zero, [0.0, 2.0, -1.5], dtype=dtype)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0])
    assert gx.dtype == dtype


@DTYPES
def test_x_to_a_zero_tensor_exponent_has_gradient_zero_even_at_zero(dtype):
    gx, gy = _grads(lambda x, y: x ** y, [0.0, 2.0], [0.0, 0.0], dtype=dtype)
    np.testing.assert_array_equal(gx, [0.0, 0.0])
    np.testing.assert_allclose(gy, [0.0, math.log(2.0)], rtol=1e-6)  # 0 at x = 0, else log x


@DTYPES
def test_zero_to_a_negative_power_has_exponent_gradient_minus_inf(dtype):
    (gy,) = _grads(lambda y: 0.0 ** y, [-1.0, -2.5], dtype=dtype)
    np.testing.assert_array_equal(gy, [-np.inf, -np.inf])


@DTYPES
def test_zero_to_a_non_negative_power_has_exponent_gradient_zero(dtype):
    (gy,) = _grads(lambda y: 0.0 ** y, [0.0, 0.5, 3.0], dtype=dtype)
    np.testing.assert_array_equal(gy, [0.0, 0.0, 0.0])


def test_zero_base_tensor_gradients_at_negative_zero_and_positive_exponents():
    gx, gy = _grads(lambda x, y: x ** y, [0.0, 0.0, 0.0, 0.0], [-1.0, 0.0, 1.0, 2.0])
    # d/dx = y 0**(y-1): -1 * inf, 0 (the rule), 1 * 0**0 = 1, 2 * 0 = 0
    np.testing.assert_array_equal(gx, [-np.inf, 0.0, 1.0, 0.0])
    np.testing.assert_array_equal(gy, [-np.inf, 0.0, 0.0, 0.0])


def test_pow_gradients_away_from_the_edges_are_unchanged():
    gx, gy = _grads(lambda x, y: x ** y, [2.0, 0.5], [3.0, -1.0])
    np.testing.assert_allclose(gx, [3.0 * 2.0 ** 2, -1.0 * 0.5 ** -2], rtol=1e-12)
    np.testing.assert_allclose(gy, [8.0 * math.log(2.0), 2.0 * math.log(0.5)], rtol=1e-12)


def test_second_derivatives_of_pow_at_a_zero_exponent():
    x = ag.tensor([2.0, 0.0], dtype="float64", requires_grad=True)
    y = ag.tensor([0.0, 0.0], dtype="float64", requires_grad=True)
    gx, gy = ag.grad((x ** y).sum(), [x, y], create_graph=True)
    dgx_dx, dgx_dy = ag.grad(gx.sum(), [x, y])
    # gx = y x**(y-1): d/dx = y (y-1) x**(y-2) = 0; d/dy = x**(y-1) (1 + y log x) = 1/x at x = 2
    np.testing.assert_array_equal(dgx_dx.numpy(), [0.0, 0.0])
    assert dgx_dy.numpy()[0] == pytest.approx(0.5, rel=1e-12)
    # gy = x**y log x: d/dy = x**y log(x)**2 at x = 2; 0 where x = 0 (the flat rule)
    (dgy_dy,) = ag.grad(gy.sum(), y)
    np.testing.assert_allclose(dgy_dy.numpy(), [math.log(2.0) ** 2, 0.0], rtol=1e-12)


@DTYPES
@pytest.mark.parametrize("op", [ag.std, ag.var], ids=["std", "var"])
@pytest.mark.parametrize("data", [[3.0], [2.0, 2.0, 2.0], [0.1, 0.1, 0.1]],
                         ids=["one element", "constant", "constant 0.1"])
def test_std_and_var_of_a_constant_have_gradient_zero(dtype, op, data):
    (gx,) = _grads(op, data, dtype=dtype)
    np.testing.assert_array_equal(gx, np.zeros(len(data)))


def test_std_with_ddof_one_of_a_constant_pair_has_gradient_zero():
    (gx,) = _grads(lambda x: ag.std(x, ddof=1), [5.0, 5.0])
    np.testing.assert_array_equal(gx, [0.0, 0.0])


def test_std_along_an_axis_is_zero_only_in_the_constant_row():
    (gx,) = _grads(lambda x: ag.std(x, axis=1), [[1.0, 1.0], [1.0, 3.0]])
    # row 2: std 1, d std / dx = (x - mean) / (n std) = [-1, 1] / 2
    np.testing.assert_array_equal(gx, [[0.0, 0.0], [-0.5, 0.5]])


def test_std_gradient_away_from_zero_is_unchanged():
    (gx,) = _grads(ag.std, [1.0, 2.0, 3.0])
    std = math.sqrt(2.0 / 3.0)
    np.testing.assert_allclose(gx, np.array([-1.0, 0.0, 1.0]) / (3 * std), rtol=1e-12)


def test_std_of_a_constant_has_zero_second_derivatives():
    x = ag.tensor([2.0, 2.0], dtype="float64", requires_grad=True)
    (gx,) = ag.grad(ag.std(x), x, create_graph=True)
    (ggx,) = ag.grad(gx.sum(), x)
    np.testing.assert_array_equal(gx.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(ggx.numpy(), [0.0, 0.0])


def test_std_value_at_zero_is_exactly_zero():
    assert ag.std(ag.tensor([4.0, 4.0])).item() == 0.0
    assert ag.std(ag.tensor([1.0, 3.0])).item() == 1.0
