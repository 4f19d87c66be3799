"""ag.linalg, dot, mm/bmm/mv and Tensor.norm: the conventions at the edges (zero vectors, ties,
singular and repeated-eigenvalue matrices), shapes, errors, and closed forms.

The op registry (tests/op_registry.py) checks values against NumPy and first and second
derivatives against finite differences on the smooth part of every domain; these tests pin
what it cannot sample: kinks, ties, singular matrices, and PyTorch's numbers there.
"""

import math
import re

import numpy as np
import pytest

import autograd_lite as ag

L = ag.linalg
RNG = np.random.default_rng(13)


def leaf(values):
    return ag.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def gradient(function, values):
    x = leaf(values)
    function(x).backward()
    return x.grad.numpy()


def spd(n):
    m = 2 * np.eye(n) + RNG.uniform(-1, 1, (n, n)) / n
    return m @ m.T


# --- norms: PyTorch's subgradients -----------------------------------------------------------


@pytest.mark.parametrize("norm", [
    lambda x: L.norm(x), lambda x: L.vector_norm(x), lambda x: L.vector_norm(x, ord=3),
    lambda x: L.vector_norm(x, ord=0.5), lambda x: L.vector_norm(x, ord=1),
    lambda x: L.vector_norm(x, ord=math.inf), lambda x: x.norm(), lambda x: x.norm(p=3),
], ids=["norm", "vector_norm", "ord=3", "ord=0.5", "ord=1", "ord=inf", "Tensor.norm",
        "Tensor.norm(p=3)"])
def test_every_norm_of_the_zero_vector_is_0_with_gradient_0(norm):
    x = leaf([0.0, 0.0, 0.0])
    value = norm(x)
    value.backward()
    assert value.item() == 0.0
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


def test_frobenius_norm_of_the_zero_matrix_has_gradient_0():
    np.testing.assert_array_equal(gradient(lambda x: L.matrix_norm(x), np.zeros((2, 2))),
                                  np.zeros((2, 2)))


def test_zero_entries_get_gradient_0_also_for_p_below_1():
    # PyTorch: vector_norm([0, 1], 0.5).backward() gives [0, 1], and for p < 0 a zero entry
    # makes the norm 0 with gradient 0.
    np.testing.assert_array_equal(gradient(lambda x: L.vector_norm(x, ord=0.5), [0.0, 1.0]),
                                  [0.0, 1.0])
    x = leaf([0.0, 2.0])
    value = L.vector_norm(x, ord=-1)
    value.backward()
    assert value.item() == 0.0
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_one_norm_gradient_is_the_sign_and_0_at_0():
    np.testing.assert_array_equal(gradient(lambda x: L.norm(x, 1), [0.0, 2.0, -3.0]),
                                  [0.0, 1.0, -1.0])


def test_inf_norm_ties_share_the_gradient_evenly():
    # PyTorch: vector_norm([1, -1, 0.5], inf) gives [0.5, -0.5, 0]; -inf ties likewise.
    np.testing.assert_array_equal(gradient(lambda x: L.norm(x, math.inf), [1.0, -1.0, 0.5]),
                                  [0.5, -0.5, 0.0])
    np.testing.assert_array_equal(gradient(lambda x: L.norm(x, -math.inf), [1.0, -1.0, 2.0]),
                                  [0.5, -0.5, 0.0])


def test_matrix_one_and_inf_norm_ties_share_the_gradient_evenly():
    # Column sums of |x| tie at 2 for ord=1; row sums tie at 3 for ord=inf (PyTorch's numbers).
    np.testing.assert_array_equal(gradient(lambda x: L.norm(x, 1), [[1.0, 2.0], [-1.0, 0.0]]),
                                  [[0.5, 0.5], [-0.5, 0.0]])
    np.testing.assert_array_equal(
        gradient(lambda x: L.norm(x, math.inf), [[1.0, 2.0], [-3.0, 0.0]]),
        [[0.5, 0.5], [-0.5, 0.0]])


def test_zero_norm_counts_nonzeros_and_has_no_gradient():
    value = L.vector_norm(leaf([0.0, 2.0, -1.0]), ord=0)
    assert value.item() == 2.0 and not value.requires_grad


def test_spectral_and_nuclear_norm_gradients_are_the_singular_vector_products():
    a = RNG.standard_normal((3, 2))
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(gradient(lambda x: L.norm(x, 2), a), np.outer(u[:, 0], vh[0]),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gradient(lambda x: L.norm(x, "nuc"), a), u @ vh, rtol=1e-10,
                               atol=1e-12)


def test_norm_over_a_pair_of_axes_keeps_them_with_keepdims():
    x = RNG.standard_normal((2, 3, 4))
    out = L.norm(ag.tensor(x), axis=(2, 0), keepdims=True)
    assert out.shape == (1, 3, 1)
    np.testing.assert_allclose(out.numpy(), np.linalg.norm(x, axis=(2, 0), keepdims=True),
                               rtol=1e-12)


def test_norm_errors_name_the_order_and_the_fix():
    with pytest.raises(ValueError, match=r"linalg.norm: ord=2 with axis=None needs a 1-D or 2-D "
                                         r"tensor, got shape \(2, 3, 4\); pass axis="):
        L.norm(ag.ones(2, 3, 4), 2)
    with pytest.raises(ValueError, match="linalg.norm: invalid norm order 'fro' for vectors"):
        L.norm(ag.ones(2, 3), "fro", axis=1)
    with pytest.raises(ValueError, match="linalg.norm: invalid norm order 3 for matrices"):
        L.norm(ag.ones(2, 3), 3, axis=(0, 1))
    with pytest.raises(ValueError, match=r"linalg.norm: axis must be None, an int or two ints"):
        L.norm(ag.ones(2, 3, 4), axis=(0, 1, 2))


# --- Tensor.norm: torch.Tensor.norm's meaning ----------------------------------------------------

M = [[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]]


def test_tensor_norm_defaults_to_the_frobenius_norm_of_all_elements():
    assert ag.tensor(M).norm().item() == pytest.approx(math.sqrt(91))  # torch: 9.5394
    assert ag.ones(2, 3, 4).norm().item() == pytest.approx(math.sqrt(24))  # any rank


def test_tensor_norm_with_a_number_p_is_a_vector_norm_over_dim():
    x = ag.tensor(M)
    np.testing.assert_allclose(x.norm(p="fro", dim=1).numpy(), [math.sqrt(14), math.sqrt(77)],
                               rtol=1e-6)
    assert x.norm(p=1, dim=(0, 1)).item() == 21.0  # every element, not the matrix 1-norm
    assert x.norm(p=2).item() == pytest.approx(math.sqrt(91))  # flattened, not the spectral norm
    np.testing.assert_array_equal(x.norm(p=math.inf, dim=0, keepdim=True).numpy(),
                                  [[4.0, 5.0, 6.0]])


def test_tensor_norm_nuc_is_the_sum_of_singular_values():
    expected = np.linalg.svd(np.array(M), compute_uv=False).sum()  # torch: 11.6538
    assert ag.tensor(M, dtype=np.float64).norm(p="nuc").item() == pytest.approx(expected)
    with pytest.raises(ValueError, match=r"Tensor.norm: p='nuc' needs two dims, got tensor of "
                                         r"shape \(2, 3, 4\) and dim=None"):
        ag.ones(2, 3, 4).norm("nuc")


# --- det and slogdet ---------------------------------------------------------------------------


def test_det_of_a_2x2_matrix_and_its_gradient_by_hand():
    a = leaf([[2.0, 1.0], [5.0, 3.0]])
    value = L.det(a)
    value.backward()
    assert value.item() == pytest.approx(1.0)
    np.testing.assert_allclose(a.grad.numpy(), [[3.0, -5.0], [-1.0, 2.0]])  # [[d, -c], [-b, a]]


@pytest.mark.parametrize("matrix, cofactors", [
    ([[1.0, 2.0], [2.0, 4.0]], [[4.0, -2.0], [-2.0, 1.0]]),
    ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],
     [[-3.0, 6.0, -3.0], [6.0, -12.0, 6.0], [-3.0, 6.0, -3.0]]),
    ([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]],
     [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
    (np.zeros((2, 2)), np.zeros((2, 2))),
])
def test_det_gradient_of_a_singular_matrix_is_its_cofactor_matrix(matrix, cofactors):
    # PyTorch gives these with create_graph=True (and zeros in a plain backward).
    np.testing.assert_allclose(gradient(L.det, matrix), cofactors, atol=1e-12)


def test_det_of_a_stack_is_one_per_matrix():
    stack = RNG.standard_normal((4, 3, 3))
    a = leaf(stack)
    L.det(a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.linalg.det(stack)[:, None, None]
                               * np.linalg.inv(stack).transpose(0, 2, 1), rtol=1e-10)


def test_slogdet_returns_sign_and_logabsdet_with_the_inverse_transpose_as_gradient():
    a = leaf([[2.0, 1.0], [5.0, 1.0]])  # det = -3
    sign, logabsdet = L.slogdet(a)
    assert sign.item() == -1.0 and not sign.requires_grad
    assert logabsdet.item() == pytest.approx(math.log(3.0))
    logabsdet.backward()
    np.testing.assert_allclose(a.grad.numpy(), np.linalg.inv(a.numpy()).T)
    assert L.slogdet(a).logabsdet is not None  # a named tuple, as NumPy's


def test_slogdet_of_a_singular_matrix_is_sign_0_and_minus_inf_with_infinite_gradient():
    a = leaf([[1.0, 2.0], [2.0, 4.0]])
    sign, logabsdet = L.slogdet(a)
    assert sign.item() == 0.0 and logabsdet.item() == -math.inf
    with np.errstate(divide="ignore"):
        logabsdet.backward()
    assert np.all(np.isinf(a.grad.numpy()))


# --- inv, solve, pinv, matrix_power ---------------------------------------------------------


def test_inv_gradient_is_minus_inverse_transpose_products():
    a_values = spd(3) + RNG.standard_normal((3, 3)) * 0.1
    a = leaf(a_values)
    weights = RNG.standard_normal((3, 3))
    (L.inv(a) * weights).sum().backward()
    inv_t = np.linalg.inv(a_values).T
    np.testing.assert_allclose(a.grad.numpy(), -inv_t @ weights @ inv_t, rtol=1e-10)


def test_singular_matrices_raise_linalg_error_naming_the_function():
    with pytest.raises(np.linalg.LinAlgError, match=r"linalg.inv: Singular matrix \(shape "
                                                    r"\(2, 2\)\); the matrix is not invertible"):
        L.inv(ag.tensor([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(np.linalg.LinAlgError, match=r"linalg.solve: Singular matrix"):
        L.solve(ag.tensor([[1.0, 2.0], [2.0, 4.0]]), ag.ones(2))


def test_solve_with_a_vector_right_hand_side_broadcasts_over_the_batch():
    a_values = np.stack([spd(3), spd(3)])
    b_values = RNG.standard_normal(3)
    a, b = leaf(a_values), leaf(b_values)
    x = L.solve(a, b)
    assert x.shape == (2, 3)
    np.testing.assert_allclose(x.numpy(), np.linalg.solve(a_values, b_values), rtol=1e-12)
    x.sum().backward()
    # d/db sum(a^-1 b) = sum over the batch of a^-T 1.
    expected = sum(np.linalg.inv(m).T @ np.ones(3) for m in a_values)
    np.testing.assert_allclose(b.grad.numpy(), expected, rtol=1e-10)


def test_solve_shape_errors_say_what_b_must_be():
    with pytest.raises(ValueError, match=r"linalg.solve: b of shape \(3,\) does not fit a of "
                                         r"shape \(2, 2\); b must be \(2,\) or \(\.\.\., 2, k\)"):
        L.solve(ag.ones(2, 2), ag.ones(3))
    with pytest.raises(ValueError, match=r"linalg.inv: expects a square matrix or a stack of "
                                         r"them \(\.\.\., n, n\), got shape \(2, 3\)"):
        L.inv(ag.ones(2, 3))


def test_pinv_gradient_of_a_tall_matrix_matches_the_normal_equations():
    a_values = RNG.standard_normal((4, 2))
    weights = RNG.standard_normal((2, 4))
    via_pinv = gradient(lambda a: (L.pinv(a) * weights).sum(), a_values)
    via_solve = gradient(lambda a: (L.solve(a.T @ a, a.T) * weights).sum(), a_values)
    np.testing.assert_allclose(via_pinv, via_solve, rtol=1e-9)


def test_pinv_of_a_rank_deficient_matrix_is_numpys():
    a = np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(L.pinv(ag.tensor(a)).numpy(), np.linalg.pinv(a), rtol=1e-6)


def test_matrix_power_zero_is_the_identity_without_gradient_and_negative_uses_inv():
    a = leaf([[2.0, 1.0], [0.0, 1.0]])
    identity = L.matrix_power(a, 0)
    np.testing.assert_array_equal(identity.numpy(), np.eye(2))
    assert not identity.requires_grad
    np.testing.assert_allclose(L.matrix_power(a, -2).numpy(),
                               np.linalg.inv(a.numpy()) @ np.linalg.inv(a.numpy()))
    assert L.matrix_power(a, 1) is not a
    with pytest.raises(TypeError, match=r"linalg.matrix_power: n must be an integer, got 1.5"):
        L.matrix_power(a, 1.5)


# --- cholesky, eigh, svd, qr -------------------------------------------------------------------


def test_cholesky_factor_and_upper_and_symmetric_gradient():
    a_values = spd(3)
    low = L.cholesky(ag.tensor(a_values)).numpy()
    np.testing.assert_allclose(low @ low.T, a_values, rtol=1e-12)
    assert np.all(np.triu(low, 1) == 0)
    np.testing.assert_array_equal(L.cholesky(ag.tensor(a_values), upper=True).numpy(), low.T)
    grad = gradient(lambda a: (L.cholesky(a) * RNG.standard_normal((3, 3))).sum(), a_values)
    np.testing.assert_allclose(grad, grad.T, rtol=1e-12)


def test_cholesky_of_an_indefinite_matrix_says_what_it_needs():
    with pytest.raises(np.linalg.LinAlgError, match=r"linalg.cholesky: Matrix is not positive "
                                                    r"definite \(shape \(2, 2\)\); the matrix "
                                                    r"must be symmetric positive definite"):
        L.cholesky(ag.tensor([[1.0, 2.0], [2.0, 1.0]]))


def test_eigenvalue_gradients_are_the_outer_products_of_eigenvectors():
    a_values = spd(3)
    w, v = np.linalg.eigh(a_values)
    weights = np.array([1.0, -2.0, 0.5])
    grad = gradient(lambda a: (L.eigh(a).eigenvalues * weights).sum(), a_values)
    np.testing.assert_allclose(grad, v @ np.diag(weights) @ v.T, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gradient(lambda a: (L.eigvalsh(a) * weights).sum(), a_values),
                               v @ np.diag(weights) @ v.T, rtol=1e-9, atol=1e-12)


def test_eigh_reads_one_triangle_and_its_gradient_is_symmetric():
    a_values = spd(3)
    lower_only = np.tril(a_values) + np.triu(np.full((3, 3), 99.0), 1)
    w = L.eigh(ag.tensor(lower_only)).eigenvalues.numpy()
    np.testing.assert_allclose(w, np.linalg.eigvalsh(a_values), rtol=1e-12)
    grad = gradient(lambda a: (L.eigh(a, UPLO="U").eigenvectors ** 2 * np.arange(9.0).reshape(
        3, 3)).sum(), a_values)
    np.testing.assert_allclose(grad, grad.T, rtol=1e-10, atol=1e-12)


def test_eigvalsh_gradient_of_the_trace_exists_at_repeated_eigenvalues():
    np.testing.assert_allclose(gradient(lambda a: L.eigvalsh(a).sum(), np.eye(3)), np.eye(3),
                               atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)])
def test_svd_is_reduced_and_reconstructs(shape):
    a = RNG.standard_normal(shape)
    u, s, vh = L.svd(ag.tensor(a))
    k = min(shape[-2:])
    assert u.shape == shape[:-2] + (shape[-2], k) and s.shape == shape[:-2] + (k,)
    assert vh.shape == shape[:-2] + (k, shape[-1])
    np.testing.assert_allclose((u.numpy() * s.numpy()[..., None, :]) @ vh.numpy(), a,
                               atol=1e-12)
    np.testing.assert_allclose(L.svd(ag.tensor(a), compute_uv=False).numpy(), s.numpy(),
                               rtol=1e-12)


def test_svd_refuses_full_matrices_naming_the_fix():
    with pytest.raises(ValueError, match=r"linalg.svd: only full_matrices=False is supported.*"
                                         r"pass full_matrices=False"):
        L.svd(ag.ones(2, 3), full_matrices=True)


def test_svd_gradient_of_a_sign_invariant_function_is_that_of_the_matrix():
    # U diag(S) Vh is a itself, whatever signs LAPACK picks: its gradient is the cotangent.
    a = RNG.standard_normal((3, 2))
    weights = RNG.standard_normal((3, 2))

    def rebuilt(x):
        u, s, vh = L.svd(x)
        return ((u * s[None, :]) @ vh * weights).sum()

    np.testing.assert_allclose(gradient(rebuilt, a), weights, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_qr_reconstructs_square_tall_and_wide_matrices(shape):
    a = RNG.standard_normal(shape)
    q, r = L.qr(ag.tensor(a))
    k = min(shape)
    assert q.shape == (shape[0], k) and r.shape == (k, shape[1])
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a, atol=1e-12)
    np.testing.assert_allclose(q.numpy().T @ q.numpy(), np.eye(k), atol=1e-12)
    # The product Q R is a itself: its gradient is the cotangent.
    weights = RNG.standard_normal(shape)
    np.testing.assert_allclose(gradient(lambda x: (ag.matmul(*L.qr(x)) * weights).sum(), a),
                               weights, rtol=1e-9, atol=1e-12)


def test_qr_mode_r_is_r_alone_and_other_modes_are_refused():
    a = RNG.standard_normal((3, 2))
    np.testing.assert_array_equal(L.qr(ag.tensor(a), mode="r").numpy(),
                                  L.qr(ag.tensor(a)).R.numpy())
    with pytest.raises(ValueError, match=r"linalg.qr: only mode='reduced' and mode='r' are "
                                         r"supported, got mode='complete'"):
        L.qr(ag.ones(2, 2), mode="complete")


# --- dot, mm, bmm, mv ------------------------------------------------------------------------


def test_dot_with_a_0d_operand_multiplies():
    x = leaf([1.0, 2.0])
    out = ag.dot(ag.tensor(3.0, dtype=np.float64), x)
    np.testing.assert_array_equal(out.numpy(), [3.0, 6.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_dot_of_nd_operands_sums_the_last_axis_of_a_with_the_second_to_last_of_b():
    a_values, b_values = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((5, 4, 2))
    a, b = leaf(a_values), leaf(b_values)
    out = ag.dot(a, b)
    assert out.shape == (2, 3, 5, 2)
    np.testing.assert_allclose(out.numpy(), np.einsum("ijk,lkm->ijlm", a_values, b_values),
                               rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.broadcast_to(b_values.sum(axis=(0, 2)),
                                                               (2, 3, 4)), rtol=1e-12)


def test_dot_error_names_both_shapes_and_axes():
    with pytest.raises(ValueError, match=r"dot: shapes \(2, 3, 4\) and \(2, 5, 6\) are not "
                                         r"aligned: the last axis of a \(4\) must equal axis 1 "
                                         r"of b \(5\)"):
        ag.dot(ag.ones(2, 3, 4), ag.ones(2, 5, 6))


def test_mm_bmm_mv_compute_matmul_for_their_ranks_only():
    a, b = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((2, 4, 5))
    np.testing.assert_allclose(ag.bmm(a, b).numpy(), a @ b, rtol=1e-12)
    np.testing.assert_allclose(ag.tensor(a[0]).mm(b[0]).numpy(), a[0] @ b[0], rtol=1e-12)
    np.testing.assert_allclose(ag.mv(a[0], b[0, :, 0]).numpy(), a[0] @ b[0, :, 0], rtol=1e-12)
    with pytest.raises(ValueError, match=r"mm: expects 2-D and 2-D operands, got shapes \(3,\) "
                                         r"and \(3, 4\); use matmul"):
        ag.mm(ag.ones(3), ag.ones(3, 4))
    with pytest.raises(ValueError, match=r"mv: shapes \(2, 3\) and \(4,\) are not aligned"):
        ag.mv(ag.ones(2, 3), ag.ones(4))
    with pytest.raises(ValueError, match=r"bmm: batch sizes differ: shapes \(2, 3, 4\) and "
                                         r"\(1, 4, 6\) \(2 != 1\); use matmul"):
        ag.bmm(ag.ones(2, 3, 4), ag.ones(1, 4, 6))


def test_tensor_methods_inverse_det_matrix_power():
    a_values = spd(2)
    a = ag.tensor(a_values)
    np.testing.assert_allclose(a.inverse().numpy(), np.linalg.inv(a_values), rtol=1e-6)
    assert a.det().item() == pytest.approx(np.linalg.det(a_values), rel=1e-6)
    np.testing.assert_allclose(a.matrix_power(3).numpy(), a_values @ a_values @ a_values,
                               rtol=1e-5)


def test_numpy_linalg_functions_on_tensors_keep_the_graph():
    x = leaf([3.0, 4.0])
    value = np.linalg.norm(x)
    assert isinstance(value, ag.Tensor) and value.item() == 5.0
    value.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.6, 0.8])


# --- PyTorch's numbers (torch 2.x, float64) on fixed matrices ----------------------------------

TALL = np.array([[2.0, 0.3, -0.1], [0.4, 1.5, 0.2], [0.1, -0.3, 1.0], [0.5, 0.2, 0.3]])
WIDE = np.array([[2.0, 0.3, -0.1, 0.5], [0.4, 1.5, 0.2, 0.2]])


def _weights(shape):
    return np.cos(np.arange(math.prod(shape))).reshape(shape)


def _qr_loss(a):
    q, r = L.qr(a)
    return (q * _weights(q.shape)).sum() + (r * _weights(r.shape)).sum()


def _svd_loss(a):
    u, s, vh = L.svd(a)  # squares of U and Vh: invariant to the singular vectors' signs
    return (u * u * _weights(u.shape)).sum() + 0.3 * s.sum() + (vh * vh * _weights(vh.shape)).sum()


def _eigh_loss(a):
    w, v = L.eigh(a)
    return (v * v * _weights(v.shape)).sum() + w[0]


GRAM = TALL[:3] @ TALL[:3].T


@pytest.mark.parametrize("loss, matrix, torch_gradient", [
    (_qr_loss, TALL, [[-1.049363, -0.749012, 0.442781], [-0.049419, 0.399809, -0.154273],
                      [-0.261474, -0.488532, 0.241239], [0.084522, 0.502065, 0.053843]]),
    (_qr_loss, WIDE, [[-0.902008, -0.585441, 0.219761, 0.822915],
                      [-0.588978, 0.172192, 1.023138, 0.933415]]),
    (_svd_loss, TALL, [[0.851528, -0.16606, 0.339935], [-0.232953, -0.60158, -1.100224],
                       [0.455844, -1.369893, 0.650048], [-0.136186, -0.354758, 0.100088]]),
    (_svd_loss, WIDE, [[0.735273, -0.424459, -0.194403, -0.138888],
                       [-0.042338, -0.110485, 0.185273, -0.358682]]),
    (lambda a: (L.pinv(a) * _weights((3, 4))).sum(), TALL,
     [[-0.122468, -0.250127, 0.287453], [0.245163, -0.048377, -0.744449],
      [0.060088, 0.300013, 0.867291], [-0.367096, 0.456801, 0.597015]]),
    (lambda a: (L.cholesky(a) * _weights((3, 3))).sum(), GRAM,
     [[0.302015, -0.184918, 0.161028], [-0.184918, -0.200544, 0.254135],
      [0.161028, 0.254135, -0.070063]]),
    (_eigh_loss, GRAM, [[-0.206095, 0.106579, -0.131696], [0.106579, 0.325343, 0.312243],
                        [-0.131696, 0.312243, 0.880752]]),
], ids=["qr-tall", "qr-wide", "svd-tall", "svd-wide", "pinv", "cholesky", "eigh"])
def test_decomposition_gradients_are_pytorchs(loss, matrix, torch_gradient):
    np.testing.assert_allclose(gradient(loss, matrix), torch_gradient, atol=1e-6)


# --- odd input ---------------------------------------------------------------------------------

ODD_VALUES = ["abc", None, {}, object(), [[1, 2], [3]], (0, 1), [], float("nan"), -5, True,
              np.zeros(()), np.zeros((0, 3)), np.zeros((2, 0, 0)), np.array(["a"]),
              np.array([1, 2], dtype=object), np.full((2, 2), np.nan), np.full((2, 2), np.inf),
              np.eye(2, dtype=int), np.ones((2, 2)), ag.ones(2, 3)]
LINALG_FUNCTIONS = [name for name in L.__all__ if name[0].islower()]


@pytest.mark.parametrize("name", LINALG_FUNCTIONS)
def test_odd_input_gives_a_result_or_an_error_naming_the_function(name):
    function = getattr(L, name)
    for value in ODD_VALUES:
        args = {"solve": (value, value), "matmul": (value, value), "outer": (value, value),
                "matrix_power": (value, 2)}.get(name, (value,))
        with np.errstate(all="ignore"):
            try:
                function(*args)
            except (ValueError, TypeError) as error:  # LinAlgError is a ValueError
                assert re.match(rf"(linalg\.)?{name}: ", str(error)), (name, value, error)
