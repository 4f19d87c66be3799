"""Reductions and softmax: values, hand-computed gradients, axis handling, ties, dtypes."""

import numpy as np
import pytest

import autograd_lite as ag

M = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])


def gradient(fn, array, weights=None):
    """Gradient of sum(weights * fn(x)) with respect to x, as a float64 array."""
    x = ag.tensor(array, dtype="float64", requires_grad=True)
    out = fn(x)
    weighted = out if weights is None else out * weights
    (grad,) = ag.grad(weighted.sum(), x)
    return out.numpy(), grad.numpy()


@pytest.mark.parametrize("axis, keepdims, shape", [
    (None, False, ()), (0, False, (3,)), (1, True, (2, 1)), (-1, False, (2,)),
    ((0, 1), True, (1, 1)), ((-2,), False, (3,)),
])
def test_sum_value_shape_and_gradient(axis, keepdims, shape):
    value, grad = gradient(lambda x: ag.sum(x, axis=axis, keepdims=keepdims), M)
    assert value.shape == shape
    np.testing.assert_allclose(value, np.sum(M, axis=axis, keepdims=keepdims))
    np.testing.assert_array_equal(grad, np.ones_like(M))


def test_sum_gradient_spreads_the_upstream_gradient_over_the_reduced_axis():
    weights = np.array([10.0, 20.0])
    _, grad = gradient(lambda x: x.sum(axis=1), M, weights)
    np.testing.assert_array_equal(grad, [[10.0] * 3, [20.0] * 3])


def test_mean_gradient_is_one_over_count():
    value, grad = gradient(lambda x: x.mean(axis=0), M)
    np.testing.assert_allclose(value, M.mean(axis=0))
    np.testing.assert_allclose(grad, np.full_like(M, 0.5))
    _, grad = gradient(lambda x: x.mean(), M)
    np.testing.assert_allclose(grad, np.full_like(M, 1 / 6))


def test_mean_of_no_elements_is_nan_like_numpy():
    with pytest.warns(RuntimeWarning):
        empty_mean = ag.mean(ag.zeros(0, 3), axis=0)
    assert empty_mean.shape == (3,) and np.isnan(empty_mean.numpy()).all()


def test_max_and_min_gradient_goes_to_the_extreme_element():
    _, grad = gradient(lambda x: x.max(axis=1), M)
    np.testing.assert_array_equal(grad, [[0, 0, 1], [0, 1, 0]])
    _, grad = gradient(lambda x: x.min(axis=0), M)
    np.testing.assert_array_equal(grad, [[0, 1, 0], [1, 0, 1]])


def test_max_ties_split_the_gradient_evenly():
    tied = np.array([[3.0, 1.0, 3.0, 3.0], [2.0, 2.0, 0.0, 1.0]])
    value, grad = gradient(lambda x: x.max(axis=1), tied, np.array([1.0, 6.0]))
    np.testing.assert_array_equal(value, [3.0, 2.0])
    np.testing.assert_allclose(grad, [[1 / 3, 0, 1 / 3, 1 / 3], [3.0, 3.0, 0, 0]])


def test_min_ties_split_the_gradient_evenly_over_all_axes():
    _, grad = gradient(lambda x: x.min(), np.array([[1.0, 5.0], [1.0, 1.0]]))
    np.testing.assert_allclose(grad, [[1 / 3, 0.0], [1 / 3, 1 / 3]])


def test_logsumexp_value_is_stable_and_gradient_is_softmax():
    big = np.array([[1000.0, 1000.0, 999.0], [-1000.0, 0.0, 1.0]])
    value, grad = gradient(lambda x: ag.logsumexp(x, axis=1), big)
    shifted = big - big.max(axis=1, keepdims=True)
    expected = big.max(axis=1) + np.log(np.exp(shifted).sum(axis=1))
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    softmax = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(grad, softmax, rtol=1e-12)


def test_logsumexp_of_a_scalar_is_the_scalar():
    value, grad = gradient(ag.logsumexp, np.array(2.5))
    assert value == 2.5 and grad == 1.0


@pytest.mark.parametrize("ddof", [0, 1])
def test_var_and_std_match_numpy_and_their_gradients(ddof):
    n = M.shape[1]
    value, grad = gradient(lambda x: x.var(axis=1, ddof=ddof), M)
    np.testing.assert_allclose(value, M.var(axis=1, ddof=ddof), rtol=1e-12)
    centered = M - M.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(grad, 2 * centered / (n - ddof), rtol=1e-12)
    value, grad = gradient(lambda x: x.std(axis=1, ddof=ddof), M)
    std = M.std(axis=1, ddof=ddof, keepdims=True)
    np.testing.assert_allclose(value, std[:, 0], rtol=1e-12)
    np.testing.assert_allclose(grad, centered / ((n - ddof) * std), rtol=1e-12)


@pytest.mark.parametrize("values, expected_grad", [
    ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
    ([2.0, 0.0, 4.0], [0.0, 8.0, 0.0]),
    ([0.0, 3.0, 0.0], [0.0, 0.0, 0.0]),
])
def test_prod_gradient_is_the_product_of_the_others_even_with_zeros(values, expected_grad):
    value, grad = gradient(ag.prod, np.array(values))
    assert value == np.prod(values)
    np.testing.assert_array_equal(grad, expected_grad)


def test_prod_along_an_axis():
    value, grad = gradient(lambda x: x.prod(axis=0, keepdims=True), M)
    np.testing.assert_allclose(value, M.prod(axis=0, keepdims=True))
    np.testing.assert_allclose(grad, M[::-1])


def test_argmax_and_argmin_return_int64_indices_without_a_graph():
    x = ag.tensor(M, requires_grad=True)
    assert ag.argmax(x).item() == 4 and ag.argmin(x).item() == 1
    np.testing.assert_array_equal(x.argmax(axis=1).numpy(), [2, 1])
    np.testing.assert_array_equal(x.argmin(axis=-1, keepdims=True).numpy(), [[1], [2]])
    assert x.argmax().dtype == np.int64 and not x.argmax().requires_grad


REDUCTIONS = {
    "sum": ag.sum, "mean": ag.mean, "max": ag.max, "min": ag.min, "logsumexp": ag.logsumexp,
    "var": ag.var, "std": ag.std, "prod": ag.prod,
    "softmax": ag.softmax, "log_softmax": ag.log_softmax,
}


@pytest.mark.parametrize("reduce", REDUCTIONS.values(), ids=REDUCTIONS.keys())
def test_float32_stays_float32_through_reductions(reduce):
    x = ag.tensor(M.astype(np.float32), requires_grad=True)
    out = reduce(x, axis=1)
    assert out.dtype == np.float32
    (out * out).sum().backward()
    assert x.grad.dtype == np.float32


def test_integer_tensors_can_be_summed():
    labels = ag.tensor(np.array([1, 2, 3]))
    assert labels.sum().item() == 6 and labels.sum().dtype == np.int64


# --- softmax and log_softmax -----------------------------------------------------------------


def test_softmax_values_sum_to_one_and_survive_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    probabilities = ag.softmax(ag.tensor(logits, dtype="float64"), axis=1).numpy()
    np.testing.assert_allclose(probabilities[0], [1.0, 0.0, 0.0])
    expected = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    np.testing.assert_allclose(probabilities[1], expected, rtol=1e-12)


def test_softmax_gradient_is_the_jacobian_product():
    logits = np.array([0.5, -1.0, 2.0])
    weights = np.array([1.0, 2.0, -3.0])
    probabilities, grad = gradient(ag.softmax, logits, weights)
    jacobian = np.diag(probabilities) - np.outer(probabilities, probabilities)
    np.testing.assert_allclose(grad, jacobian.T @ weights, rtol=1e-12)


def test_log_softmax_gradient_is_weights_minus_softmax_times_their_sum():
    logits = np.array([[0.5, -1.0, 2.0], [3.0, 3.0, 3.0]])
    weights = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 1.0]])
    value, grad = gradient(lambda x: ag.log_softmax(x, axis=-1), logits, weights)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(value, np.log(probabilities), rtol=1e-12)
    expected = weights - probabilities * weights.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-15)


def test_softmax_along_axis_zero():
    logits = np.array([[0.0, 1.0], [0.0, 3.0]])
    probabilities = ag.softmax(ag.tensor(logits, dtype="float64"), axis=0).numpy()
    np.testing.assert_allclose(probabilities.sum(axis=0), [1.0, 1.0])
    np.testing.assert_allclose(probabilities[:, 0], [0.5, 0.5])
