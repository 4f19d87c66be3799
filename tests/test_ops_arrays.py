"""The array ops' conventions, pinned by exact values: einsum's subscripts and gradients, the
gradients of sort, topk and cummax on ties (they go to the index returned, as PyTorch's), of
cumprod with zeros, of take and gather with repeated indices, scatter with duplicates, the
diagonal/triangle/roll/rot90/meshgrid arguments, and nonzero. The numbers marked "PyTorch"
are what PyTorch 2 gives for the same call."""

import numpy as np
import pytest

import autograd_lite as ag


def _leaf(values, dtype=np.float64):
    return ag.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def _grad(output, x, cotangent=None):
    """d(sum(output * cotangent))/dx as an array (cotangent 1 by default)."""
    if cotangent is None:
        cotangent = np.ones(output.shape)
    (g,) = ag.grad([output], [x], grad_outputs=[np.asarray(cotangent, dtype=x.dtype)],
                   retain_graph=True)
    return g.numpy()


# --- einsum --------------------------------------------------------------------------------


def test_einsum_trace_gradient_is_the_identity():
    x = _leaf(np.arange(9.0).reshape(3, 3))
    trace = ag.einsum("ii", x)
    assert trace.item() == 12.0
    np.testing.assert_array_equal(_grad(trace, x), np.eye(3))


def test_einsum_diagonal_gradient_puts_the_cotangent_on_the_diagonal():
    x = _leaf(np.arange(9.0).reshape(3, 3))
    diagonal = ag.einsum("ii->i", x)
    np.testing.assert_array_equal(diagonal.numpy(), [0.0, 4.0, 8.0])
    np.testing.assert_array_equal(_grad(diagonal, x, [1.0, 2.0, 3.0]), np.diag([1.0, 2.0, 3.0]))


def test_einsum_letter_summed_in_one_operand_only_broadcasts_its_gradient():
    a, b = _leaf(np.ones((2, 3))), _leaf([1.0, 2.0])
    out = ag.einsum("ij,k->k", a, b)  # sum(a) * b
    np.testing.assert_array_equal(_grad(out, a, [1.0, 10.0]), np.full((2, 3), 21.0))
    np.testing.assert_array_equal(_grad(out, b), [6.0, 6.0])


def test_einsum_size_one_letter_broadcasts_and_its_gradient_fits_each_operand():
    a, b = _leaf([[1.0], [2.0]]), _leaf([1.0, 10.0, 100.0])
    out = ag.einsum("ij,j->i", a, b)  # j has size 1 in a: a[i, 0] * sum(b)
    np.testing.assert_array_equal(out.numpy(), [111.0, 222.0])
    np.testing.assert_array_equal(_grad(out, a), [[111.0], [111.0]])
    np.testing.assert_array_equal(_grad(out, b), [3.0, 3.0, 3.0])
    assert ag.gradgradcheck(lambda s, t: ag.einsum("ij,j->i", s, t), [a, b])


def test_einsum_implicit_output_orders_letters_as_numpy_upper_case_first():
    x = ag.tensor(np.arange(6.0).reshape(2, 3))
    assert ag.einsum("bA", x).shape == (3, 2)
    np.testing.assert_array_equal(ag.einsum("ij,jk", x, x.T).numpy(), x.numpy() @ x.numpy().T)


def test_einsum_sublist_form_matches_the_string_form():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(
        ag.einsum(ag.tensor(a), [0, 1], ag.tensor(b), [1, 2], [0, 2]).numpy(), a @ b)
    np.testing.assert_array_equal(ag.einsum(ag.tensor(a), [Ellipsis, 1]).numpy(),
                                  np.einsum(a, [Ellipsis, 1]))


def test_einsum_ellipsis_broadcasts_batches_and_sums_their_gradients():
    a, b = _leaf(np.ones((1, 2, 3))), _leaf(np.ones((4, 3, 2)))
    out = ag.einsum("...ij,...jk->...ik", a, b)
    assert out.shape == (4, 2, 2)
    np.testing.assert_array_equal(_grad(out, a), np.full((1, 2, 3), 8.0))


def test_einsum_gradient_is_an_einsum_so_it_differentiates_again():
    a = np.array([[1.0, 2.0], [3.0, 5.0]])
    x = _leaf([1.0, -1.0])
    quadratic = ag.einsum("i,ij,j->", x, ag.tensor(a), x)
    (g,) = ag.grad([quadratic], [x], create_graph=True)
    np.testing.assert_allclose(g.numpy(), (a + a.T) @ [1.0, -1.0])
    assert g.op_name in ("einsum", "add")
    hessian = np.stack([_grad(g[i], x) for i in range(2)])
    np.testing.assert_allclose(hessian, a + a.T)


def test_einsum_size_mismatch_names_the_letter_and_shapes():
    with pytest.raises(ValueError, match=r"^einsum: .*letter 'j' has sizes 3 and 4"):
        ag.einsum("ij,jk->ik", ag.ones(2, 3), ag.ones(4, 2))


def test_einsum_rejects_a_wrong_operand_count_and_repeated_output_letters():
    with pytest.raises(ValueError, match=r"^einsum: .* name 2 operands but 1 were given"):
        ag.einsum("ij,jk", ag.ones(2, 2))
    with pytest.raises(ValueError, match=r"^einsum: .*each output letter must appear once"):
        ag.einsum("ij->ii", ag.ones(2, 2))


# --- the other contractions ------------------------------------------------------------------


def test_cross_of_basis_vectors_and_its_gradient():
    a, b = _leaf([1.0, 0.0, 0.0]), _leaf([0.0, 1.0, 0.0])
    out = ag.cross(a, b)
    np.testing.assert_array_equal(out.numpy(), [0.0, 0.0, 1.0])
    # d/da (a x b) . g = b x g
    np.testing.assert_array_equal(_grad(out, a, [1.0, 2.0, 3.0]), np.cross([0, 1, 0], [1, 2, 3]))


def test_trace_with_offset_sums_that_diagonal():
    x = _leaf(np.arange(12.0).reshape(3, 4))
    out = ag.trace(x, offset=1)
    assert out.item() == 1.0 + 6.0 + 11.0
    np.testing.assert_array_equal(_grad(out, x), np.eye(3, 4, k=1))


def test_kron_gives_blocks():
    np.testing.assert_array_equal(ag.kron(ag.tensor([[1.0, 2.0]]), ag.tensor([[1.0], [10.0]])
                                          ).numpy(), [[1.0, 2.0], [10.0, 20.0]])


# --- diagonals, triangles, roll, rot90, meshgrid ------------------------------------------------


@pytest.mark.parametrize("offset, expected", [(0, [0.0, 5.0, 10.0]), (1, [1.0, 6.0, 11.0]),
                                              (-1, [4.0, 9.0]), (4, [])])
def test_diagonal_offset(offset, expected):
    x = _leaf(np.arange(12.0).reshape(3, 4))
    out = ag.diagonal(x, offset)
    np.testing.assert_array_equal(out.numpy(), expected)
    np.testing.assert_array_equal(_grad(out, x), np.eye(3, 4, k=offset))


def test_diagonal_of_a_batch_puts_the_diagonal_last_as_numpy():
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(ag.diagonal(ag.tensor(x), 0, 1, 2).numpy(),
                                  np.diagonal(x, 0, 1, 2))
    assert ag.tensor(x).diagonal(dim1=1, dim2=2).shape == (2, 3)


def test_diag_builds_a_matrix_from_a_vector_off_the_main_diagonal():
    v = _leaf([1.0, 2.0])
    out = ag.diag(v, k=-1)
    np.testing.assert_array_equal(out.numpy(), [[0, 0, 0], [1, 0, 0], [0, 2, 0]])
    np.testing.assert_array_equal(_grad(out, v, np.arange(9.0).reshape(3, 3)), [3.0, 7.0])


@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tril_and_triu_keep_their_triangle_and_its_gradient(k):
    x = _leaf(np.ones((3, 4)))
    lower, upper = np.tril(np.ones((3, 4)), k), np.triu(np.ones((3, 4)), k)
    np.testing.assert_array_equal(ag.tril(x, k).numpy(), lower)
    np.testing.assert_array_equal(_grad(ag.tril(x, k), x), lower)
    np.testing.assert_array_equal(_grad(x.triu(k), x), upper)


def test_roll_shifts_several_axes_at_once():
    x = _leaf(np.arange(6.0).reshape(2, 3))
    out = ag.roll(x, (1, 1), (0, 1))
    np.testing.assert_array_equal(out.numpy(), [[5.0, 3.0, 4.0], [2.0, 0.0, 1.0]])
    np.testing.assert_array_equal(_grad(out, x, np.arange(6.0).reshape(2, 3)),
                                  [[4.0, 5.0, 3.0], [1.0, 2.0, 0.0]])
    np.testing.assert_array_equal(ag.roll(x, 1).numpy(), [[5.0, 0.0, 1.0], [2.0, 3.0, 4.0]])
    np.testing.assert_array_equal(x.roll(-1, 1).numpy(), [[1.0, 2.0, 0.0], [4.0, 5.0, 3.0]])


@pytest.mark.parametrize("k, axes, expected", [
    (1, (0, 1), [[2, 5], [1, 4], [0, 3]]),
    (-1, (0, 1), [[3, 0], [4, 1], [5, 2]]),
    (1, (1, 0), [[3, 0], [4, 1], [5, 2]]),
    (2, (0, 1), [[5, 4, 3], [2, 1, 0]]),
    (4, (0, 1), [[0, 1, 2], [3, 4, 5]]),
])
def test_rot90_with_k_and_axes(k, axes, expected):
    x = _leaf(np.arange(6.0).reshape(2, 3))
    out = ag.rot90(x, k, axes)
    np.testing.assert_array_equal(out.numpy(), expected)
    # The gradient rotates back: each input element receives the cotangent at its new place.
    cotangent = np.arange(out.size, dtype=float).reshape(out.shape)
    np.testing.assert_array_equal(_grad(out, x, cotangent), np.rot90(cotangent, -k, axes))


def test_meshgrid_xy_and_ij_shapes_values_and_gradients():
    x, y = _leaf([1.0, 2.0, 3.0]), _leaf([10.0, 20.0])
    gx, gy = ag.meshgrid(x, y, indexing="xy")
    assert gx.shape == gy.shape == (2, 3)
    np.testing.assert_array_equal(gx.numpy(), [[1, 2, 3], [1, 2, 3]])
    np.testing.assert_array_equal(gy.numpy(), [[10, 10, 10], [20, 20, 20]])
    np.testing.assert_array_equal(_grad(gx, x), [2.0, 2.0, 2.0])
    ix, iy = ag.meshgrid(x, y, indexing="ij")
    assert ix.shape == iy.shape == (3, 2)
    np.testing.assert_array_equal(iy.numpy(), [[10, 20], [10, 20], [10, 20]])
    np.testing.assert_array_equal(_grad(iy, y), [3.0, 3.0])


def test_meshgrid_without_indexing_raises_instead_of_picking_a_library():
    with pytest.raises(TypeError, match=r"^meshgrid: pass indexing='xy' \(NumPy's default"):
        ag.meshgrid(ag.ones(2), ag.ones(3))


# --- nonzero and where(condition) --------------------------------------------------------------


def test_nonzero_and_one_argument_where_give_numpys_tuple_without_gradient():
    x = _leaf([[0.0, 1.5], [2.0, 0.0]])
    rows, cols = ag.nonzero(x)
    np.testing.assert_array_equal(rows.numpy(), [0, 1])
    np.testing.assert_array_equal(cols.numpy(), [1, 0])
    assert rows.dtype == np.int64 and not rows.requires_grad
    (where_rows, where_cols) = ag.where(x > 0)
    np.testing.assert_array_equal(where_cols.numpy(), [1, 0])
    np.testing.assert_array_equal(x[ag.nonzero(x)].numpy(), [1.5, 2.0])
    np.testing.assert_array_equal(x.nonzero().numpy(), [[0, 1], [1, 0]])  # PyTorch's form
    assert len(x.nonzero(as_tuple=True)) == 2


def test_where_with_only_x_raises():
    with pytest.raises(TypeError, match=r"^where: give both x and y, or neither"):
        ag.where(ag.tensor([True]), ag.ones(1))


# --- cumulative ops ---------------------------------------------------------------------------


def test_cumsum_gradient_is_a_reverse_cumsum():
    x = _leaf([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(_grad(ag.cumsum(x), x, [1.0, 2.0, 3.0]), [6.0, 5.0, 3.0])
    np.testing.assert_array_equal(x.cumsum(0).numpy(), [1.0, 3.0, 6.0])


@pytest.mark.parametrize("values, expected", [  # PyTorch, cotangent 1, 2, 3, ...
    ([2.0, 3.0, 4.0], [1 + 2 * 3 + 3 * 12, 2 * 2 + 3 * 8, 3 * 6]),
    ([2.0, 0.0, 3.0, 4.0], [1.0, 118.0, 0.0, 0.0]),
    ([2.0, 0.0, 3.0, 0.0, 5.0], [1.0, 22.0, 0.0, 0.0, 0.0]),
    ([0.0, 0.0, 2.0], [1.0, 0.0, 0.0]),
    ([2.0, 3.0, 0.0], [7.0, 4.0, 18.0]),
])
def test_cumprod_gradient_is_right_with_zeros(values, expected):
    x = _leaf(values)
    grad = _grad(ag.cumprod(x), x, np.arange(1.0, len(values) + 1))
    np.testing.assert_allclose(grad, expected)


def test_cumprod_with_zeros_passes_gradcheck_and_gradgradcheck_along_an_axis():
    x = _leaf([[2.0, 0.0, 3.0, 0.0], [0.5, 1.5, 0.0, 2.0], [1.0, 2.0, 3.0, 4.0]])
    assert ag.gradcheck(lambda t: ag.cumprod(t, axis=1), [x])
    assert ag.gradgradcheck(lambda t: ag.cumprod(t, axis=1), [x])


def test_cummax_ties_go_to_the_latest_index_and_route_the_gradient_there():
    x = _leaf([1.0, 3.0, 2.0, 3.0, 3.0, 0.0, 4.0])
    values, indices = ag.cummax(x, 0)
    np.testing.assert_array_equal(values.numpy(), [1, 3, 3, 3, 3, 3, 4])
    np.testing.assert_array_equal(indices.numpy(), [0, 1, 1, 3, 4, 4, 6])  # PyTorch
    np.testing.assert_array_equal(_grad(values, x, np.arange(7.0)),
                                  [0.0, 3.0, 0.0, 3.0, 9.0, 0.0, 6.0])  # PyTorch
    np.testing.assert_array_equal(x.cummin(0).indices.numpy(), [0, 0, 0, 0, 0, 5, 5])


def test_cummin_ties_go_to_the_latest_index():
    result = ag.cummin(ag.tensor([3.0, 1.0, 2.0, 1.0, 1.0]), 0)
    np.testing.assert_array_equal(result.indices.numpy(), [0, 1, 1, 3, 4])  # PyTorch


def test_diff_with_prepend_and_its_gradient():
    x = _leaf([1.0, 4.0, 9.0])
    out = ag.diff(x, prepend=0.0)
    np.testing.assert_array_equal(out.numpy(), [1.0, 3.0, 5.0])
    np.testing.assert_array_equal(_grad(ag.diff(x), x), [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(ag.diff(x, n=2).numpy(), [2.0])


# --- sorting -----------------------------------------------------------------------------------


def test_sort_is_stable_on_ties_as_pytorch():
    x = _leaf([2.0, 1.0, 2.0, 1.0, 2.0, 0.0])
    np.testing.assert_array_equal(ag.sort(x).numpy(), [0, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(x.sort().indices.numpy(), [5, 1, 3, 0, 2, 4])  # PyTorch
    values, indices = x.sort(descending=True)
    np.testing.assert_array_equal(indices.numpy(), [0, 2, 4, 1, 3, 5])  # PyTorch
    np.testing.assert_array_equal(_grad(values, x, np.arange(6.0)),
                                  [0.0, 3.0, 1.0, 4.0, 2.0, 5.0])  # PyTorch


def test_sort_puts_nan_last_ascending_and_first_descending_as_pytorch():
    x = ag.tensor([np.nan, 1.0, 3.0, np.nan, 2.0])
    np.testing.assert_array_equal(x.sort().indices.numpy(), [1, 4, 2, 0, 3])
    np.testing.assert_array_equal(x.argsort(descending=True).numpy(), [0, 3, 2, 4, 1])


def test_ag_sort_follows_numpy_and_tensor_sort_follows_pytorch():
    x = ag.tensor([[3.0, 1.0], [0.0, 2.0]])
    assert isinstance(ag.sort(x), ag.Tensor)
    np.testing.assert_array_equal(ag.sort(x, axis=None).numpy(), [0.0, 1.0, 2.0, 3.0])
    values, indices = x.sort(dim=0)
    np.testing.assert_array_equal(values.numpy(), [[0.0, 1.0], [3.0, 2.0]])
    np.testing.assert_array_equal(indices.numpy(), [[1, 0], [0, 1]])


def test_topk_returns_values_and_indices_and_routes_the_gradient_to_the_indices():
    x = _leaf([1.0, 3.0, 3.0, 2.0, 3.0])
    result = x.topk(2)
    values, indices = result
    np.testing.assert_array_equal(result.values.numpy(), [3.0, 3.0])
    # Of tied elements the lower indices come first (PyTorch's own choice here is [2, 4]).
    np.testing.assert_array_equal(result.indices.numpy(), [1, 2])
    np.testing.assert_array_equal(_grad(values, x, [1.0, 10.0]), [0.0, 1.0, 10.0, 0.0, 0.0])
    smallest = ag.topk(x, 2, largest=False)
    np.testing.assert_array_equal(smallest.indices.numpy(), [0, 3])  # PyTorch


def test_topk_rejects_k_larger_than_the_axis():
    with pytest.raises(ValueError, match=r"^topk: k=4 is out of range for axis 0 of size 3"):
        ag.topk(ag.ones(3), 4)


# --- take, gather, scatter --------------------------------------------------------------------


def test_take_with_repeated_indices_accumulates_the_gradient():
    x = _leaf([[1.0, 2.0], [3.0, 4.0]])
    out = ag.take(x, [0, 0, 3, -1])
    np.testing.assert_array_equal(out.numpy(), [1.0, 1.0, 4.0, 4.0])
    np.testing.assert_array_equal(_grad(out, x), [[2.0, 0.0], [0.0, 2.0]])


def test_take_along_axis_with_argsort_sorts():
    x = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    order = ag.argsort(ag.tensor(x), axis=1)
    np.testing.assert_array_equal(ag.take_along_axis(ag.tensor(x), order, axis=1).numpy(),
                                  np.sort(x, axis=1))


def test_gather_with_repeated_indices_accumulates_the_gradient():
    x = _leaf([[1.0, 2.0], [3.0, 4.0]])
    out = x.gather(1, ag.tensor(np.array([[0, 0], [1, 0]])))
    np.testing.assert_array_equal(out.numpy(), [[1.0, 1.0], [4.0, 3.0]])
    np.testing.assert_array_equal(_grad(out, x), [[2.0, 0.0], [1.0, 1.0]])


def test_gather_rejects_negative_indices_as_pytorch():
    with pytest.raises(IndexError, match=r"^gather: index -1 is out of range for axis 0"):
        ag.gather(ag.ones(3), 0, np.array([-1]))


def test_scatter_with_duplicate_indices_follows_pytorch():
    x = _leaf(np.arange(5.0))
    src = _leaf([1.0, 2.0, 3.0, 4.0])
    index = np.array([1, 1, 3, 1])
    out = ag.scatter(x, 0, index, src)
    np.testing.assert_array_equal(out.numpy(), [0.0, 4.0, 2.0, 3.0, 4.0])  # the last write wins
    cotangent = [10.0, 20.0, 30.0, 40.0, 50.0]
    np.testing.assert_array_equal(_grad(out, src, cotangent), [20.0, 20.0, 40.0, 20.0])
    np.testing.assert_array_equal(_grad(out, x, cotangent), [10.0, 0.0, 30.0, 0.0, 50.0])


def test_scatter_with_a_value_and_as_a_method():
    x = ag.zeros(2, 3)
    index = np.array([[0, 2]])
    np.testing.assert_array_equal(ag.scatter(x, 1, index, value=7.0).numpy(),
                                  [[7.0, 0.0, 7.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(x.scatter(1, index, 7.0).numpy(),
                                  [[7.0, 0.0, 7.0], [0.0, 0.0, 0.0]])


def test_scatter_add_accumulates_duplicates():
    x = ag.zeros(5, dtype=np.float64)
    src = _leaf([1.0, 2.0, 3.0, 4.0])
    out = x.scatter_add(0, np.array([1, 1, 3, 1]), src)
    np.testing.assert_array_equal(out.numpy(), [0.0, 7.0, 0.0, 3.0, 0.0])
    np.testing.assert_array_equal(_grad(out, src, [10.0, 20.0, 30.0, 40.0, 50.0]),
                                  [20.0, 20.0, 40.0, 20.0])


def test_index_select_and_masked_select():
    x = ag.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.index_select(1, [2, 0, 2]).numpy(),
                                  [[2.0, 0.0, 2.0], [5.0, 3.0, 5.0]])
    np.testing.assert_array_equal(ag.masked_select(x, np.array([True, False, True])).numpy(),
                                  [0.0, 2.0, 3.0, 5.0])


# --- tile and repeat ---------------------------------------------------------------------------


def test_tensor_repeat_is_numpys_tile_and_repeat_interleave_is_numpys_repeat():
    x = _leaf([1.0, 2.0])
    np.testing.assert_array_equal(x.repeat(2, 2).numpy(), [[1, 2, 1, 2], [1, 2, 1, 2]])
    np.testing.assert_array_equal(x.repeat_interleave(2).numpy(), [1, 1, 2, 2])
    np.testing.assert_array_equal(ag.repeat(x, [0, 3]).numpy(), [2, 2, 2])
    np.testing.assert_array_equal(_grad(ag.tile(x, 3), x), [3.0, 3.0])
    np.testing.assert_array_equal(_grad(ag.repeat(x, [1, 3]), x), [1.0, 3.0])


def test_tensor_repeat_needs_a_size_per_dimension_as_pytorch():
    with pytest.raises(ValueError, match=r"^repeat: 1 sizes \(2,\) for a tensor of shape "):
        ag.ones(2, 3).repeat(2)


# --- NumPy's stacking ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack"])
@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_stacking_matches_numpy(name, shape):
    a, b = np.arange(6.0)[:np.prod(shape)].reshape(shape), np.ones(shape)
    np.testing.assert_array_equal(getattr(ag, name)([ag.tensor(a), ag.tensor(b)]).numpy(),
                                  getattr(np, name)([a, b]))


def test_stacking_errors_name_the_function():
    with pytest.raises(ValueError, match=r"^vstack: shapes"):
        ag.vstack([ag.ones(2), ag.ones(3)])


def test_append_flattens_without_an_axis():
    out = ag.append(ag.ones(2, 2), [5.0])
    np.testing.assert_array_equal(out.numpy(), [1.0, 1.0, 1.0, 1.0, 5.0])


def test_sort_with_pytorchs_dim_is_torch_sort_and_with_axis_numpys():
    x = ag.tensor([[3.0, 1.0, 2.0]])
    values, indices = ag.sort(x, dim=1, descending=True)
    assert values.tolist() == [[3.0, 2.0, 1.0]] and indices.tolist() == [[0, 2, 1]]
    assert ag.sort(x, axis=1).tolist() == [[1.0, 2.0, 3.0]]
    assert ag.cumsum(x, dim=1).tolist() == [[3.0, 4.0, 6.0]]
    with pytest.raises(TypeError, match="sort: kind='stable' is NumPy's argument"):
        ag.sort(x, dim=1, kind="stable")
