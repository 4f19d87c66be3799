"""exp2, expm1, log2, log10, logaddexp(2), reciprocal and rsqrt at their edges.

PyTorch's numbers were read off torch 2 in float64; the registry checks the ops inside their
domains.
"""

import math

import numpy as np
import pytest

import autograd_lite as ag

INF = math.inf


@pytest.fixture(autouse=True)
def _edges_divide_by_zero_on_purpose():
    with np.errstate(divide="ignore", invalid="ignore"):
        yield


def _leaf(values):
    return ag.tensor(np.array(values, dtype=np.float64), requires_grad=True)


def _value_and_gradients(op, *values):
    leaves = [_leaf(v) for v in values]
    out = op(*leaves)
    out.sum().backward()
    return out.numpy().tolist(), [x.grad.numpy().tolist() for x in leaves]


def _same(got, want):
    """Equal (nested) lists of floats, NaN equal to NaN."""
    if isinstance(want, tuple):
        for g, w in zip(got, want, strict=True):
            _same(g, w)
    else:
        np.testing.assert_array_equal(np.array(got), np.array(want))


def test_logs_and_powers_of_two_and_ten_are_exact():
    assert ag.log10(ag.tensor(np.array([1000.0, 1e-5]))).numpy().tolist() == [3.0, -5.0]
    assert ag.log2(ag.tensor(np.array([8.0, 0.25]))).numpy().tolist() == [3.0, -2.0]
    assert ag.exp2(ag.tensor(np.array([3.0, -1.0]))).numpy().tolist() == [8.0, 0.5]


def test_gradients_of_exp2_log2_log10_as_in_pytorch():
    # torch.exp2([3, -1]).grad = [5.545177444479562, 0.34657359027997264]
    _same(_value_and_gradients(ag.exp2, [3.0, -1.0])[1],
          [[5.545177444479562, 0.34657359027997264]])
    # torch.log2([0, 8]): [-inf, 3], gradients [inf, 0.18033688011112042]
    _same(_value_and_gradients(ag.log2, [0.0, 8.0]), ([-INF, 3.0], [[INF, 0.18033688011112042]]))
    _same(_value_and_gradients(ag.log10, [0.0, 1000.0]),
          ([-INF, 3.0], [[INF, 0.00043429448190325184]]))


def test_expm1_keeps_the_digits_of_tiny_inputs():
    # torch.expm1([1e-10, 1]) = [1.00000000005e-10, 1.7182818284590453], gradients e**x
    values, (grad,) = _value_and_gradients(ag.expm1, [1e-10, 1.0])
    assert values == [1.00000000005e-10, 1.7182818284590453]
    assert grad == [1.0000000001, 2.7182818284590455]


def test_logaddexp_with_infinite_inputs_follows_pytorch():
    # torch.logaddexp: values [-inf, 0, 0, inf, inf, 1 + log 2]; gradients
    # [nan, 0, 1, nan, 1, 0.5] and [nan, 1, 0, nan, 0, 0.5]
    x = [-INF, -INF, 0.0, INF, INF, 1.0]
    y = [-INF, 0.0, -INF, INF, 1.0, 1.0]
    values, (gx, gy) = _value_and_gradients(ag.logaddexp, x, y)
    _same(values, [-INF, 0.0, 0.0, INF, INF, 1.6931471805599454])
    _same(gx, [np.nan, 0.0, 1.0, np.nan, 1.0, 0.5])
    _same(gy, [np.nan, 1.0, 0.0, np.nan, 0.0, 0.5])


def test_logaddexp2_with_infinite_inputs_follows_pytorch():
    x = [-INF, -INF, 0.0, INF, 1.0]
    y = [-INF, 0.0, -INF, INF, 1.0]
    values, (gx, gy) = _value_and_gradients(ag.logaddexp2, x, y)
    _same(values, [-INF, 0.0, 0.0, INF, 2.0])
    _same(gx, [np.nan, 0.0, 1.0, np.nan, 0.5])
    _same(gy, [np.nan, 1.0, 0.0, np.nan, 0.5])


def test_logaddexp_does_not_overflow():
    assert ag.logaddexp(ag.tensor(np.array([1000.0])), 1000.0).item() == 1000.0 + math.log(2)
    assert ag.logaddexp2(ag.tensor(np.array([-2000.0])), -2000.0).item() == -1999.0


def test_reciprocal_and_rsqrt_at_zero_follow_pytorch():
    # torch.reciprocal([0, 4, -0]): [inf, 0.25, -inf], gradients [-inf, -0.0625, -inf]
    _same(_value_and_gradients(ag.reciprocal, [0.0, 4.0, -0.0]),
          ([INF, 0.25, -INF], [[-INF, -0.0625, -INF]]))
    # torch.rsqrt([0, 4, -1]): [inf, 0.5, nan], gradients [-inf, -0.0625, nan]
    _same(_value_and_gradients(ag.rsqrt, [0.0, 4.0, -1.0]),
          ([INF, 0.5, np.nan], [[-INF, -0.0625, np.nan]]))


def test_reciprocal_of_an_integer_tensor_is_float():
    assert ag.reciprocal(ag.tensor(np.array([2, 4]))).numpy().tolist() == [0.5, 0.25]


def test_methods_and_numpy_ufuncs():
    x = _leaf([0.5, 2.0])
    assert x.rsqrt().numpy().tolist() == ag.rsqrt(x).numpy().tolist()
    assert x.logaddexp2(x).numpy().tolist() == ag.logaddexp2(x, x).numpy().tolist()
    for ufunc, op_name in [(np.exp2, "exp2"), (np.expm1, "expm1"), (np.log2, "log2"),
                           (np.log10, "log10"), (np.logaddexp, "logaddexp"),
                           (np.logaddexp2, "logaddexp2"), (np.reciprocal, "div")]:
        out = ufunc(x, x) if ufunc.nin == 2 else ufunc(x)
        assert out.op_name == op_name
