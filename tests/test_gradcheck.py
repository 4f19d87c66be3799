"""gradcheck and gradgradcheck: they pass right gradients and catch wrong ones (the checker of
the checker), and their reports name what is wrong."""

import numpy as np
import pytest
from op_registry import GRADCHECK_TOLERANCE

import autograd_lite as ag
from autograd_lite import primitive
from autograd_lite.gradcheck import GradcheckError


@pytest.fixture
def temporary_primitive():
    """Register throwaway primitives under unique names; remove them from the registry after."""
    names = []

    def register(name, forward, *vjps):
        name = f"test_gradcheck_{name}"
        names.append(name)
        return primitive.primitive(name, *vjps)(forward)

    yield register
    for name in names:
        del primitive.PRIMITIVES[name]  # NUMPY and TENSORS are views of it


def _leaf(values):
    return ag.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


X = [[0.3, -1.2, 0.8], [1.5, -0.4, 2.0]]


@pytest.fixture
def sin_off_by_a_tenth_of_a_percent(temporary_primitive):
    return temporary_primitive("sin_off", np.sin,
                               lambda F, g, ans, x: F.mul(F.mul(g, F.cos(x)), 1.001))


@pytest.fixture
def bias_add_without_sum(temporary_primitive):
    """x (2, 3) + b (3,) whose VJP for b takes the first row of g instead of summing the rows."""
    return temporary_primitive("bias_add", np.add,
                               lambda F, g, ans, x, b: g,
                               lambda F, g, ans, x, b: F.getitem(g, index=(0,)))


def test_gradcheck_passes_tuple_outputs_constants_and_unused_inputs():
    x, y, unused = _leaf(X), _leaf([0.5, -1.0, 2.0]), _leaf([1.0])
    frozen = ag.tensor(np.ones((2, 3)))

    def fn(x, y, unused, frozen, scale):
        return (x * y).sin() * scale + frozen, (x @ y.reshape(3, 1)).exp(), x.argmax()

    assert ag.gradcheck(fn, [x, y, unused, frozen, 2.0], **GRADCHECK_TOLERANCE)
    assert ag.gradgradcheck(fn, [x, y, unused, frozen, 2.0], **GRADCHECK_TOLERANCE)


def test_gradcheck_catches_a_vjp_off_by_a_tenth_of_a_percent(sin_off_by_a_tenth_of_a_percent):
    with pytest.raises(GradcheckError, match="gradcheck: the gradient of output 0"):
        ag.gradcheck(sin_off_by_a_tenth_of_a_percent, [_leaf(X)], **GRADCHECK_TOLERANCE)


def test_random_direction_check_catches_a_vjp_off_by_a_tenth_of_a_percent(
        sin_off_by_a_tenth_of_a_percent):
    x = _leaf(np.linspace(-2, 2, 300))
    with pytest.raises(GradcheckError, match="random direction 0"):
        ag.gradcheck(sin_off_by_a_tenth_of_a_percent, [x], **GRADCHECK_TOLERANCE)


def test_random_direction_check_passes_a_right_gradient():
    x = _leaf(np.linspace(-2, 2, 300))
    assert ag.gradcheck(lambda x: x.sin() * x, [x], max_full_size=10, **GRADCHECK_TOLERANCE)


def test_gradgradcheck_catches_a_vjp_off_by_a_tenth_of_a_percent(
        sin_off_by_a_tenth_of_a_percent):
    with pytest.raises(GradcheckError, match="first derivatives"):
        ag.gradgradcheck(sin_off_by_a_tenth_of_a_percent, [_leaf(X)], **GRADCHECK_TOLERANCE)


def test_only_gradgradcheck_catches_a_wrong_second_derivative(temporary_primitive):
    cos_off = temporary_primitive("cos_off", np.cos, lambda F, g, ans, x: F.mul(
        F.neg(F.mul(g, F.sin(x))), 1.001))
    sin_with_wrong_second_derivative = temporary_primitive(
        "sin_bad_second", np.sin,
        lambda F, g, ans, x: F.mul(g, getattr(F, cos_off.name)(x)))
    x = _leaf(X)
    assert ag.gradcheck(sin_with_wrong_second_derivative, [x], **GRADCHECK_TOLERANCE)
    with pytest.raises(GradcheckError, match=r"second derivatives.*gradient for input 0"):
        ag.gradgradcheck(sin_with_wrong_second_derivative, [x], **GRADCHECK_TOLERANCE)


def test_gradcheck_catches_a_vjp_that_forgets_to_sum_over_a_broadcast_axis(
        bias_add_without_sum):
    x, b = _leaf(X), _leaf([0.1, 0.2, 0.3])
    with pytest.raises(GradcheckError, match=r"with respect to input 1 \(shape \(3,\)\)"):
        ag.gradcheck(bias_add_without_sum, [x, b], **GRADCHECK_TOLERANCE)


def test_gradgradcheck_catches_a_vjp_that_forgets_to_sum_over_a_broadcast_axis(
        bias_add_without_sum):
    x, b = _leaf(X), _leaf([0.1, 0.2, 0.3])
    with pytest.raises(GradcheckError, match="input 1"):
        ag.gradgradcheck(lambda x, b: bias_add_without_sum(x, b) ** 2, [x, b],
                         **GRADCHECK_TOLERANCE)


def test_report_names_input_output_worst_index_values_and_relative_error(temporary_primitive):
    factors = np.ones((2, 3))
    factors[1, 2] = 1.5
    one_wrong_entry = temporary_primitive("one_wrong", lambda x: np.multiply(x, 1.0),
                                          lambda F, g, ans, x: F.mul(g, factors))
    a, x = _leaf(X), _leaf(X)
    with pytest.raises(GradcheckError) as failure:
        ag.gradcheck(lambda a, x: (a + one_wrong_entry(x), a), [a, x])
    message = str(failure.value)
    assert "gradient of output 0 (shape (2, 3)) with respect to input 1 (shape (2, 3))" in message
    assert "Worst element: d output 0[1, 2] / d input 1[1, 2]: analytic 1.5, numeric " in message
    assert "relative error 0.333" in message
    assert "1 of 36 compared values are out of tolerance" in message


def test_gradgradcheck_report_names_the_cotangent(temporary_primitive):
    identity_off = temporary_primitive("identity_off", lambda g: np.multiply(g, 1.0),
                                       lambda F, g, ans, x: F.mul(g, 1.001))
    # First order is right (the identity's forward); the VJP's derivative in v is 0.1 % off.
    sin_wrong_in_v = temporary_primitive(
        "sin_wrong_in_v", np.sin,
        lambda F, g, ans, x: F.mul(getattr(F, identity_off.name)(g), F.cos(x)))
    with pytest.raises(GradcheckError, match=r"with respect to cotangent v of output 0"):
        ag.gradgradcheck(sin_wrong_in_v, [_leaf(X)], **GRADCHECK_TOLERANCE)


def test_raise_exception_false_returns_false(sin_off_by_a_tenth_of_a_percent):
    assert not ag.gradcheck(sin_off_by_a_tenth_of_a_percent, [_leaf(X)], raise_exception=False,
                            **GRADCHECK_TOLERANCE)
    assert not ag.gradgradcheck(sin_off_by_a_tenth_of_a_percent, [_leaf(X)],
                                raise_exception=False, **GRADCHECK_TOLERANCE)


def test_float32_inputs_are_checked_in_float64_with_a_warning():
    x = ag.tensor([0.5, 1.5, 2.5], requires_grad=True)
    seen = []
    with pytest.warns(UserWarning, match="input 0 is float32; the check runs in float64"):
        assert ag.gradcheck(lambda x: seen.append(x.dtype) or x.exp() * x, [x],
                            **GRADCHECK_TOLERANCE)
    assert set(seen) == {np.dtype(np.float64)}
    assert x.dtype == np.float32  # the caller's tensor is untouched


def test_gradcheck_rejects_inputs_that_do_not_require_grad():
    with pytest.raises(ValueError, match="gradcheck: no input requires grad"):
        ag.gradcheck(lambda x: x * 2, [ag.tensor(np.ones(2))])


def test_gradcheck_rejects_functions_that_return_non_tensors():
    with pytest.raises(TypeError, match="it returned a ndarray"):
        ag.gradcheck(lambda x: x.data * 2, [_leaf([1.0])])
    with pytest.raises(TypeError, match="output 1 is a float"):
        ag.gradcheck(lambda x: (x, 2.0), [_leaf([1.0])])
