"""matmul (1-D, 2-D, batched, broadcast), dot and outer: values and gradients."""

import numpy as np
import pytest

import autograd_lite as ag

RNG = np.random.default_rng(0)


def basis_gradient(product, a, b, weights, wrt_first):
    """d sum(weights * product(a, b)) / d(a or b), one basis direction at a time.

    The product is bilinear, so each entry is exactly the weighted sum of the product with a
    one-hot operand: an independent check that only uses NumPy's forward.
    """
    target = a if wrt_first else b
    grad = np.zeros_like(target)
    for index in np.ndindex(target.shape):
        one_hot = np.zeros_like(target)
        one_hot[index] = 1.0
        out = product(one_hot, b) if wrt_first else product(a, one_hot)
        grad[index] = np.sum(weights * out)
    return grad


@pytest.mark.parametrize("shape_a, shape_b", [
    ((2, 3), (3, 4)),  # matrices
    ((3,), (3, 4)),  # vector @ matrix
    ((2, 3), (3,)),  # matrix @ vector
    ((3,), (3,)),  # inner product
    ((5, 2, 3), (5, 3, 4)),  # batched
    ((5, 2, 3), (3, 4)),  # batch broadcast against a matrix
    ((2, 1, 2, 3), (4, 3, 2)),  # batch axes broadcast on both sides
    ((3,), (5, 3, 4)),  # vector @ batch
    ((5, 2, 3), (3,)),  # batch @ vector
])
def test_matmul_value_and_gradients(shape_a, shape_b):
    a_values, b_values = RNG.standard_normal(shape_a), RNG.standard_normal(shape_b)
    a = ag.tensor(a_values, requires_grad=True)
    b = ag.tensor(b_values, requires_grad=True)
    out = a @ b
    expected = np.matmul(a_values, b_values)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    weights = RNG.standard_normal(expected.shape)
    (out * weights).sum().backward()
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    np.testing.assert_allclose(
        a.grad.numpy(), basis_gradient(np.matmul, a_values, b_values, weights, True), rtol=1e-10)
    np.testing.assert_allclose(
        b.grad.numpy(), basis_gradient(np.matmul, a_values, b_values, weights, False), rtol=1e-10)


def test_matmul_of_2x2_matrices_by_hand():
    a = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = ag.tensor([[5.0, 6.0], [7.0, 8.0]], requires_grad=True)
    out = ag.matmul(a, b)
    np.testing.assert_array_equal(out.numpy(), [[19, 22], [43, 50]])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[11, 15], [11, 15]])  # row sums of b
    np.testing.assert_array_equal(b.grad.numpy(), [[4, 4], [6, 6]])  # column sums of a


def test_rmatmul_with_an_ndarray_on_the_left():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    out = np.array([[1.0, 0.0], [1.0, 1.0]]) @ x
    assert isinstance(out, ag.Tensor)
    np.testing.assert_array_equal(out.numpy(), [1.0, 3.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 1.0])


def test_dot_of_vectors_and_of_matrices():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    product = ag.dot(x, np.array([4.0, 5.0, 6.0]))
    assert product.shape == () and product.item() == 32.0
    product.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 5.0, 6.0])
    matrix_product = ag.tensor(np.eye(2)).dot(np.ones((2, 2)))
    np.testing.assert_array_equal(matrix_product.numpy(), np.ones((2, 2)))


def test_outer_value_and_gradients():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0, 5.0], requires_grad=True)
    out = ag.outer(a, b)
    np.testing.assert_array_equal(out.numpy(), np.outer([1, 2], [3, 4, 5]))
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [12.0, 12.0])
    np.testing.assert_array_equal(b.grad.numpy(), [3.0, 3.0, 3.0])


@pytest.mark.parametrize("shape_a, shape_b", [((2, 3), (3, 4)), ((3,), (3,)), ((4, 2, 3), (3,))])
def test_float32_stays_float32_through_matmul(shape_a, shape_b):
    a = ag.ones(shape_a, requires_grad=True)
    b = ag.ones(shape_b, requires_grad=True)
    out = a @ b
    assert out.dtype == np.float32
    (out * out).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32


def test_shared_weight_gets_the_sum_of_both_uses():
    w = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = ag.tensor([1.0, 1.0])
    (w @ (w @ x)).sum().backward()
    # d/dW of 1^T W W x = 1 (W x)^T + (W^T 1) x^T
    w_values, ones = w.numpy(), np.ones(2)
    expected = np.outer(ones, w_values @ ones) + np.outer(w_values.T @ ones, ones)
    np.testing.assert_allclose(w.grad.numpy(), expected)
