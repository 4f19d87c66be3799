"""Rounding, floor division and remainders: NumPy's values and signs, PyTorch's gradients.

PyTorch's numbers were read off torch 2 in float64; the registry checks the ops away from
their jumps.
"""

import numpy as np
import pytest

import autograd_lite as ag

HALVES = [0.5, 1.5, 2.5, -0.5, -1.5, 1.2]


def _leaf(values):
    return ag.tensor(np.array(values, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("name, expected", [
    ("floor", [0.0, 1.0, 2.0, -1.0, -2.0, 1.0]),
    ("ceil", [1.0, 2.0, 3.0, -0.0, -1.0, 2.0]),
    ("round", [0.0, 2.0, 2.0, -0.0, -2.0, 1.0]),  # halves to even, as NumPy and PyTorch
    ("trunc", [0.0, 1.0, 2.0, -0.0, -1.0, 1.0]),
])
def test_rounding_values_and_zero_gradient_as_in_pytorch(name, expected):
    x = _leaf(HALVES)
    out = getattr(ag, name)(x)
    assert out.numpy().tolist() == expected
    assert np.signbit(out.numpy()).tolist() == np.signbit(expected).tolist()
    assert out.requires_grad  # as in PyTorch: the result is differentiable, with gradient 0
    out.backward(np.array([1.0, -2.0, np.inf, np.nan, 3.0, 1.0]))
    assert x.grad.numpy().tolist() == [0.0] * 6  # also for infinite or NaN cotangents
    assert getattr(x, name)().numpy().tolist() == expected


def test_round_to_decimals_like_numpy_and_pytorch():
    # torch.round([0.25, 0.35, 1.15], decimals=1) == [0.2, 0.4, 1.2]
    x = _leaf([0.25, 0.35, 1.15])
    assert ag.round(x, 1).numpy().tolist() == [0.2, 0.4, 1.2]
    assert x.round(decimals=1).numpy().tolist() == [0.2, 0.4, 1.2]
    assert ag.round(ag.tensor(np.array([1234.5, -1250.0])), -2).numpy().tolist() == [1200.0,
                                                                                     -1200.0]
    assert np.round(x, 1).op_name == "round" and np.around(x).op_name == "round"


def test_round_refuses_a_non_integer_decimals():
    with pytest.raises(TypeError, match=r"round: decimals must be an integer, got 1.5"):
        ag.round(ag.ones(2), 1.5)


DIVIDENDS = [7.0, -7.0, 7.0, -7.0, 5.5]
DIVISORS = [2.0, 2.0, -2.0, -2.0, 1.5]


def test_floor_division_rounds_towards_minus_infinity_with_zero_gradient():
    x, y = _leaf(DIVIDENDS), _leaf(DIVISORS)
    out = x // y
    assert out.numpy().tolist() == [3.0, -4.0, -4.0, 3.0, 3.0]
    assert out.op_name == "floor_divide" and out.requires_grad
    out.sum().backward()  # PyTorch raises here ("not implemented"); 0 is floor(x / y)'s gradient
    assert x.grad.numpy().tolist() == [0.0] * 5 and y.grad.numpy().tolist() == [0.0] * 5
    assert ag.floor_divide(x, y).numpy().tolist() == x.floor_divide(y).numpy().tolist()


def test_reflected_floor_division_and_remainder():
    x = _leaf([3.0, -3.0, 0.5])
    assert (2 // x).numpy().tolist() == [0.0, -1.0, 4.0]  # torch: 2 // t
    assert (2 % x).numpy().tolist() == [2.0, -1.0, 0.0]
    (2 % x).sum().backward()  # -floor(2 / x), like tensor % tensor (PyTorch has no gradient)
    assert x.grad.numpy().tolist() == [0.0, 1.0, -4.0]


def test_remainder_takes_the_sign_of_the_divisor_with_pytorchs_gradients():
    # torch.remainder: values [1, 1, -1, -1, 1], gradients [1]*5 and -floor(x / y)
    x, y = _leaf(DIVIDENDS), _leaf(DIVISORS)
    out = x % y
    assert out.numpy().tolist() == [1.0, 1.0, -1.0, -1.0, 1.0]
    assert out.op_name == "remainder"
    out.sum().backward()
    assert x.grad.numpy().tolist() == [1.0] * 5
    assert y.grad.numpy().tolist() == [-3.0, 4.0, 4.0, -3.0, -3.0]


def test_fmod_takes_the_sign_of_the_dividend_with_pytorchs_gradients():
    # torch.fmod: values [1, -1, 1, -1, 1], gradients [1]*5 and -trunc(x / y)
    x, y = _leaf(DIVIDENDS), _leaf(DIVISORS)
    out = x.fmod(y)
    assert out.numpy().tolist() == [1.0, -1.0, 1.0, -1.0, 1.0]
    out.sum().backward()
    assert x.grad.numpy().tolist() == [1.0] * 5
    assert y.grad.numpy().tolist() == [-3.0, 3.0, 3.0, -3.0, -3.0]


def test_division_by_zero_gives_numpys_and_pytorchs_floats():
    x = ag.tensor([7.0, -7.0, 0.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        assert (x // 0.0).numpy()[:2].tolist() == [np.inf, -np.inf]
        assert np.isnan((x // 0.0).numpy()[2])
        assert np.isnan((x % 0.0).numpy()).all() and np.isnan(ag.fmod(x, 0.0).numpy()).all()


def test_integer_tensors_keep_integer_floor_division_and_remainder():
    x = ag.tensor(np.array([7, -7]))
    assert (x // 2).dtype == np.int64 and (x // 2).numpy().tolist() == [3, -4]
    assert (x % 3).numpy().tolist() == [1, 2]


def test_second_derivative_of_remainder_through_create_graph():
    x, y = _leaf([5.5]), _leaf([1.5])
    (_, gy) = ag.grad((x % y).sum(), [x, y], create_graph=True)
    assert gy.numpy().tolist() == [-3.0]
    assert gy.requires_grad  # -g * floor(x / y) records a graph, whose own gradient is 0
    assert [g.numpy().tolist() for g in ag.grad(gy.sum(), [x, y])] == [[0.0], [0.0]]


def test_in_place_floor_division_and_remainder_change_the_tensor_itself():
    x = ag.tensor([7.0, -7.0])
    alias = x
    x //= 2
    assert alias is x and alias.numpy().tolist() == [3.0, -4.0]
    x %= 3
    assert alias.numpy().tolist() == [0.0, 2.0]


def test_in_place_remainder_on_a_computed_tensor_records_the_op():
    w = _leaf([5.5, -1.0])
    y = w * 2  # [11, -2]
    y %= 3
    assert y.op_name == "remainder" and y.numpy().tolist() == [2.0, 1.0]
    y.sum().backward()
    assert w.grad.numpy().tolist() == [2.0, 2.0]  # d(2w % 3)/dw = 2


def test_in_place_floor_division_of_a_leaf_that_requires_grad_is_refused():
    w = _leaf([1.0])
    with pytest.raises(RuntimeError, match=r"^//=: cannot change a leaf tensor that requires"):
        w //= 2


def test_backward_names_in_place_floor_division_that_changed_a_saved_value():
    x = ag.tensor([1.0, 2.0])
    w = _leaf([3.0, 4.0])
    y = (w * x).sum()
    x //= 2
    with pytest.raises(RuntimeError, match=r"changed in place by //= \(in place\)"):
        y.backward()


def test_numpy_ufuncs_run_the_ops():
    x = _leaf([7.5])
    for ufunc, op_name in [(np.floor, "floor"), (np.ceil, "ceil"), (np.trunc, "trunc"),
                           (np.rint, "round"), (np.floor_divide, "floor_divide"),
                           (np.mod, "remainder"), (np.fmod, "fmod")]:
        out = ufunc(x, 2.0) if ufunc.nin == 2 else ufunc(x)
        assert out.op_name == op_name
    assert (np.array([2.0]) % x).op_name == "remainder"
