"""Elementwise ops: values, hand-computed gradients, kink conventions, dtypes, mixed operands."""

import numpy as np
import pytest

import autograd_lite as ag

X = np.array([-1.5, -0.3, 0.4, 2.0])
POSITIVE = np.array([0.2, 0.5, 1.0, 3.0])


def gradient(fn, *arrays):
    """Gradients of sum(fn(*tensors)) with respect to every input, as float64 arrays."""
    tensors = [ag.tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    return [g.numpy() for g in ag.grad(fn(*tensors).sum(), tensors)]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# op, input, expected value, expected derivative (both written from the textbook formulas)
UNARY_CASES = {
    "neg": (ag.neg, X, -X, -np.ones_like(X)),
    "exp": (ag.exp, X, np.exp(X), np.exp(X)),
    "log": (ag.log, POSITIVE, np.log(POSITIVE), 1 / POSITIVE),
    "log1p": (ag.log1p, POSITIVE, np.log(1 + POSITIVE), 1 / (1 + POSITIVE)),
    "sqrt": (ag.sqrt, POSITIVE, POSITIVE ** 0.5, 0.5 / POSITIVE ** 0.5),
    "square": (ag.square, X, X * X, 2 * X),
    "abs": (ag.abs, X, np.abs(X), np.sign(X)),
    "sin": (ag.sin, X, np.sin(X), np.cos(X)),
    "cos": (ag.cos, X, np.cos(X), -np.sin(X)),
    "tanh": (ag.tanh, X, np.tanh(X), 1 - np.tanh(X) ** 2),
    "sigmoid": (ag.sigmoid, X, sigmoid(X), sigmoid(X) * (1 - sigmoid(X))),
    "relu": (ag.relu, X, np.where(X > 0, X, 0), (X > 0).astype(float)),
    "leaky_relu": (lambda x: ag.leaky_relu(x, 0.1), X, np.where(X > 0, X, 0.1 * X),
                   np.where(X > 0, 1.0, 0.1)),
    "softplus": (ag.softplus, X, np.log(1 + np.exp(X)), sigmoid(X)),
    "pow_scalar_exponent": (lambda x: x ** 3, X, X ** 3, 3 * X ** 2),
    "pow_scalar_base": (lambda x: 2.0 ** x, X, 2.0 ** X, 2.0 ** X * np.log(2.0)),
    "clip_inside": (lambda x: ag.clip(x, -1.0, 1.0), X, np.clip(X, -1, 1),
                    ((X >= -1) & (X <= 1)).astype(float)),
    "astype_float32": (lambda x: ag.astype(x, "float32"), X, X.astype(np.float32),
                       np.ones_like(X)),
}


@pytest.mark.parametrize("case", UNARY_CASES.values(), ids=UNARY_CASES.keys())
def test_unary_op_value_and_gradient(case):
    fn, x, expected_value, expected_gradient = case
    value = fn(ag.tensor(x, dtype="float64")).numpy()
    np.testing.assert_allclose(value, expected_value, rtol=1e-6)
    (grad,) = gradient(fn, x)
    np.testing.assert_allclose(grad, expected_gradient, rtol=1e-12, atol=1e-12)


A = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
B = np.array([2.0, 0.5, -3.0])  # broadcasts against A's rows

BINARY_CASES = {
    "add": (ag.add, np.ones_like(A), np.ones_like(A)),
    "sub": (ag.sub, np.ones_like(A), -np.ones_like(A)),
    "mul": (ag.mul, np.broadcast_to(B, A.shape), A),
    "div": (ag.div, 1 / np.broadcast_to(B, A.shape), -A / B ** 2),
    "maximum": (ag.maximum, (A > B).astype(float), (B > A).astype(float)),
    "minimum": (ag.minimum, (A < B).astype(float), (B < A).astype(float)),
}


@pytest.mark.parametrize("case", BINARY_CASES.values(), ids=BINARY_CASES.keys())
def test_binary_op_gradients_are_reduced_to_each_input_shape(case):
    fn, grad_a_full, grad_b_full = case
    grad_a, grad_b = gradient(fn, A, B)
    assert grad_a.shape == A.shape and grad_b.shape == B.shape
    np.testing.assert_allclose(grad_a, grad_a_full, rtol=1e-12)
    np.testing.assert_allclose(grad_b, np.sum(grad_b_full, axis=0), rtol=1e-12)


def test_pow_of_two_tensors_differentiates_base_and_exponent():
    base, exponent = POSITIVE, np.array([2.0, -1.0, 0.5, 3.0])
    grad_base, grad_exponent = gradient(ag.pow, base, exponent)
    np.testing.assert_allclose(grad_base, exponent * base ** (exponent - 1), rtol=1e-12)
    np.testing.assert_allclose(grad_exponent, base ** exponent * np.log(base), rtol=1e-12)


def test_pow_exponent_gradient_is_zero_at_a_zero_base():
    (grad_exponent,) = gradient(lambda y: ag.pow(0.0, y), np.array([1.0, 2.5]))
    np.testing.assert_array_equal(grad_exponent, [0.0, 0.0])


def test_where_routes_the_gradient_by_the_condition():
    condition = ag.tensor([True, False, True])
    grad_x, grad_y = gradient(lambda x, y: ag.where(condition, x, y), np.ones(3), np.ones(3))
    np.testing.assert_array_equal(grad_x, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(grad_y, [0.0, 1.0, 0.0])


def test_where_accepts_a_comparison_result_and_broadcasts_scalars():
    x = ag.tensor([-2.0, 3.0], requires_grad=True)
    out = ag.where(x > 0, x, 0.0)
    np.testing.assert_array_equal(out.numpy(), [0.0, 3.0])


def test_sigmoid_and_softplus_are_finite_for_huge_inputs():
    x = ag.tensor([-1000.0, 1000.0], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_array_equal(ag.sigmoid(x).numpy(), [0.0, 1.0])
        np.testing.assert_array_equal(ag.softplus(x).numpy(), [0.0, 1000.0])
        (ag.sigmoid(x) + ag.softplus(x)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


# --- kink conventions, exact -------------------------------------------------------------


def test_relu_gradient_at_zero_is_zero():
    (grad,) = gradient(ag.relu, np.array([-1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(grad, [0.0, 0.0, 1.0])


def test_abs_gradient_at_zero_is_zero():
    (grad,) = gradient(ag.abs, np.array([-2.0, 0.0, 2.0]))
    np.testing.assert_array_equal(grad, [-1.0, 0.0, 1.0])


def test_leaky_relu_gradient_at_zero_is_the_slope():
    (grad,) = gradient(lambda x: ag.leaky_relu(x, 0.2), np.array([-1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(grad, [0.2, 0.2, 1.0])


def test_clip_gives_no_gradient_at_its_bounds_as_pytorch():
    # PyTorch 2.14: clamp(x, -1, 1).sum().backward() at [-2, -1, 0, 1, 2] gives [0, 0, 1, 0, 0].
    (grad,) = gradient(lambda x: ag.clip(x, -1.0, 1.0), np.array([-2.0, -1.0, 0.0, 1.0, 2.0]))
    np.testing.assert_array_equal(grad, [0.0, 0.0, 1.0, 0.0, 0.0])


def test_clip_with_one_bound():
    # PyTorch 2.14: clamp(x, min=0) at [-1, 0, 1] gives [0, 0, 1]; clamp(x, max=0) [1, 0, 0].
    (grad,) = gradient(lambda x: ag.clip(x, min=0.0), np.array([-1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(grad, [0.0, 0.0, 1.0])
    (grad,) = gradient(lambda x: ag.clip(x, max=0.0), np.array([-1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(grad, [1.0, 0.0, 0.0])


@pytest.mark.parametrize("op", [ag.maximum, ag.minimum], ids=["maximum", "minimum"])
def test_maximum_and_minimum_ties_give_half_to_each_input(op):
    grad_x, grad_y = gradient(op, np.array([1.0, 2.0]), np.array([1.0, 5.0]))
    winner = [0.0, 1.0] if op is ag.minimum else [0.0, 0.0]
    np.testing.assert_array_equal(grad_x, [0.5, winner[1]])
    np.testing.assert_array_equal(grad_y, [0.5, 1.0 - winner[1]])


# --- comparisons --------------------------------------------------------------------------


@pytest.mark.parametrize("op, expected", [
    (ag.eq, [False, True, False]), (ag.ne, [True, False, True]), (ag.lt, [True, False, False]),
    (ag.le, [True, True, False]), (ag.gt, [False, False, True]), (ag.ge, [False, True, True]),
])
def test_comparisons_return_bool_tensors_without_a_graph(op, expected):
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    result = op(x, 2.0)
    assert result.dtype == np.bool_
    assert not result.requires_grad and result.is_leaf
    np.testing.assert_array_equal(result.numpy(), expected)


def test_comparison_operators_match_the_functions():
    x = ag.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal((x == 2).numpy(), [False, True, False])
    np.testing.assert_array_equal((x != 2).numpy(), [True, False, True])
    np.testing.assert_array_equal((x < 2).numpy(), [True, False, False])
    np.testing.assert_array_equal((x <= 2).numpy(), [True, True, False])
    np.testing.assert_array_equal((x > 2).numpy(), [False, False, True])
    np.testing.assert_array_equal((x >= 2).numpy(), [False, True, True])


def test_sign_and_isfinite_are_not_differentiable():
    x = ag.tensor([-2.0, 0.0, np.inf], requires_grad=True)
    np.testing.assert_array_equal(ag.sign(x).numpy(), [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(ag.isfinite(x).numpy(), [True, True, False])
    assert not ag.sign(x).requires_grad and not ag.isfinite(x).requires_grad


# --- dtypes -------------------------------------------------------------------------------

FLOAT32_OPS = {name: case[0] for name, case in UNARY_CASES.items()}
FLOAT32_OPS.update({name: (lambda op: lambda x: op(x, x[::-1]))(case[0])
                    for name, case in BINARY_CASES.items()})
FLOAT32_OPS["pow_tensor_tensor"] = lambda x: ag.abs(x) ** x
FLOAT32_OPS["where"] = lambda x: ag.where(x > 0, x, -x)


@pytest.mark.parametrize("fn", FLOAT32_OPS.values(), ids=FLOAT32_OPS.keys())
def test_float32_stays_float32_forward_and_backward(fn):
    x = ag.tensor([0.5, 1.5, 2.0, 3.0], requires_grad=True)
    out = fn(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_float64_constants_do_not_promote_float32_tensors():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    out = x * np.array([0.5, 0.25]) + np.float64(1.0)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


# --- Python scalars and ndarrays on either side -------------------------------------------

OPERATORS = {
    "+": (lambda a, b: a + b, np.add), "-": (lambda a, b: a - b, np.subtract),
    "*": (lambda a, b: a * b, np.multiply), "/": (lambda a, b: a / b, np.divide),
    "**": (lambda a, b: a ** b, np.power),
}


@pytest.mark.parametrize("other", [2.0, 3, np.array([2.0, 0.5]), np.array([2, 3])],
                         ids=["float", "int", "float_array", "int_array"])
@pytest.mark.parametrize("operator", OPERATORS.values(), ids=OPERATORS.keys())
def test_numbers_and_arrays_mix_on_either_side_of_every_binary_operator(operator, other):
    apply, reference = operator
    x_values = np.array([1.5, 2.0], dtype=np.float32)
    for left_is_tensor in (True, False):
        x = ag.tensor(x_values, requires_grad=True)
        result = apply(x, other) if left_is_tensor else apply(other, x)
        expected = (reference(x_values.astype(np.float64), other) if left_is_tensor
                    else reference(other, x_values.astype(np.float64)))
        assert isinstance(result, ag.Tensor)
        assert result.dtype == np.float32
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-6)
        result.sum().backward()
        assert x.grad.shape == (2,) and x.grad.dtype == np.float32


def test_ndarray_on_the_left_gives_a_tensor():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    product = np.array([3.0, 4.0]) * x
    assert isinstance(product, ag.Tensor) and product.op_name == "mul"
    product.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_reverse_subtraction_and_division_gradients():
    x = ag.tensor([2.0, 4.0], requires_grad=True)
    (1 - x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, -1.0])
    x.zero_grad()
    (8 / x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-2.0, -0.5])


def test_unsupported_operand_type_raises_type_error():
    with pytest.raises(TypeError, match=r"mul: unsupported operand of type str"):
        ag.tensor([1.0]) * "a"
    with pytest.raises(TypeError, match=r"add: unsupported operand of dtype <U1"):
        ag.tensor([1.0]) + np.array(["a"])


def test_sigmoid_keeps_relative_precision_for_very_negative_inputs():
    x = ag.tensor([-20.0, -6.0, 30.0])
    expected = 1 / (1 + np.exp(-np.array([-20.0, -6.0, 30.0])))
    np.testing.assert_allclose(ag.sigmoid(x).numpy(), expected, rtol=1e-6)


def test_integer_and_bool_tensors_do_not_widen_float32():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    labels = ag.arange(3)  # int64
    scaled = x * labels + ag.tensor([True, False, True])
    assert scaled.dtype == np.float32
    scaled.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 2.0])
    assert ag.where(labels > 0, x, labels).dtype == np.float32


def test_integer_only_division_gives_the_default_float_dtype():
    assert (ag.arange(3) / 2).dtype == np.float32
    assert ag.arange(4).mean().dtype == np.float32 and ag.arange(4).mean().item() == 1.5
    assert (ag.arange(3) * 2).dtype == np.int64


def test_explicit_float64_is_kept():
    assert ag.astype(ag.arange(3), "float64").dtype == np.float64
    assert (ag.arange(3) * ag.ones(3, dtype="float64")).dtype == np.float64


def test_astype_to_integer_or_bool_stops_the_gradient():
    x = ag.tensor([1.5, 2.7], requires_grad=True)
    for dtype in ("int64", "bool"):
        assert not x.astype(dtype).requires_grad
    (x.astype("int64") * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0])  # d(c * x)/dx = c = floor(x)


def test_binary_functions_take_numbers_and_arrays_on_either_side():
    x = ag.tensor([-1.0, 2.0], requires_grad=True)
    results = [ag.maximum(0.0, x), ag.minimum(x, np.array([1.0, 1.0])), ag.where(x > 0, 0.5, x),
               ag.pow(np.array([2.0, 2.0]), x), ag.sub(3, x), ag.div(x, 2)]
    expected = [[0.0, 2.0], [-1.0, 1.0], [-1.0, 0.5], [0.5, 4.0], [4.0, 1.0], [-0.5, 1.0]]
    for result, values in zip(results, expected):
        assert isinstance(result, ag.Tensor) and result.dtype == np.float32
        np.testing.assert_allclose(result.numpy(), values)
    sum(r.sum() for r in results).backward()
    ln2 = np.log(2.0)
    np.testing.assert_allclose(x.grad.numpy(), [0 + 1 + 1 + 0.5 * ln2 - 1 + 0.5,
                                                1 + 0 + 0 + 4 * ln2 - 1 + 0.5], rtol=1e-6)


def test_reflected_comparisons_with_an_ndarray_on_the_left():
    x = ag.tensor([1.0, 3.0])
    result = np.array([2.0, 2.0]) < x
    assert isinstance(result, ag.Tensor)
    np.testing.assert_array_equal(result.numpy(), [False, True])
