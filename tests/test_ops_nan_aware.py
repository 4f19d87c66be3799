"""fmax, fmin and nan_to_num: NumPy's values, PyTorch's gradients at ties and NaN.

PyTorch's numbers were read off torch 2 in float64.
"""

import math

import numpy as np
import pytest

import autograd_lite as ag

NAN = math.nan
X = [1.0, 2.0, NAN, 1.0, NAN]
Y = [1.0, 1.0, 3.0, NAN, NAN]


def _leaf(values, dtype=np.float64):
    return ag.tensor(np.array(values, dtype=dtype), requires_grad=True)


def _assert_equal(got, want):
    np.testing.assert_array_equal(got.numpy(), np.array(want))


@pytest.mark.parametrize("name, values, grad_x, grad_y", [
    # torch.fmax(X, Y): [1, 2, 3, 1, nan]; ties split, NaN gives both inputs the gradient
    ("fmax", [1.0, 2.0, 3.0, 1.0, NAN], [0.5, 1.0, 1.0, 1.0, 1.0], [0.5, 0.0, 1.0, 1.0, 1.0]),
    ("fmin", [1.0, 1.0, 3.0, 1.0, NAN], [0.5, 0.0, 1.0, 1.0, 1.0], [0.5, 1.0, 1.0, 1.0, 1.0]),
])
def test_values_ignore_nan_and_gradients_follow_pytorch(name, values, grad_x, grad_y):
    x, y = _leaf(X), _leaf(Y)
    out = getattr(ag, name)(x, y)
    _assert_equal(out, values)
    out.sum().backward()
    _assert_equal(x.grad, grad_x)
    _assert_equal(y.grad, grad_y)
    _assert_equal(getattr(x, name)(y), values)


def test_fmax_broadcasts_and_takes_numbers():
    out = ag.fmax(ag.tensor([[NAN], [2.0]]), 1.5)
    assert out.shape == (2, 1) and out.numpy().ravel().tolist() == [1.5, 2.0]


def test_nan_to_num_defaults_are_zero_and_the_dtypes_extremes():
    # torch.nan_to_num([nan, inf, -inf, 1.5]) in float64 and float32
    for dtype in (np.float64, np.float32):
        big = np.finfo(dtype).max
        out = ag.nan_to_num(ag.tensor(np.array([NAN, math.inf, -math.inf, 1.5], dtype=dtype)))
        assert out.dtype == dtype and out.numpy().tolist() == [0.0, big, -big, 1.5]


def test_nan_to_num_replacements_and_gradient_as_in_pytorch():
    # torch.nan_to_num(x, nan=1, posinf=2, neginf=-2): [1, 2, -2, 1.5], gradient [0, 0, 0, 1]
    x = _leaf([NAN, math.inf, -math.inf, 1.5])
    out = x.nan_to_num(nan=1.0, posinf=2.0, neginf=-2.0)
    assert out.numpy().tolist() == [1.0, 2.0, -2.0, 1.5]
    out.sum().backward()
    assert x.grad.numpy().tolist() == [0.0, 0.0, 0.0, 1.0]


def test_nan_to_num_through_numpy_keeps_the_graph():
    x = _leaf([NAN, 2.0])
    out = np.nan_to_num(x, nan=-1.0)
    assert out.op_name == "nan_to_num" and out.numpy().tolist() == [-1.0, 2.0]


def test_nan_to_num_refuses_replacements_that_are_not_numbers():
    with pytest.raises(TypeError, match=r"nan_to_num: posinf must be a number or None, got "
                                        r"'big'"):
        ag.nan_to_num(ag.ones(2), posinf="big")
    with pytest.raises(TypeError, match=r"nan_to_num: nan must be a number, got None"):
        ag.nan_to_num(ag.ones(2), nan=None)


def test_numpy_fmax_and_fmin_run_the_ops():
    x = _leaf([1.0])
    assert np.fmax(x, 0.0).op_name == "fmax" and np.fmin(x, 0.0).op_name == "fmin"
