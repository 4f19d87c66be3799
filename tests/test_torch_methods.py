"""PyTorch's Tensor methods and functions, pinned to PyTorch's conventions with exact values."""

import copy

import numpy as np
import pytest

import autograd_lite as ag

# --- array facts --------------------------------------------------------------------------


def test_size_is_numpys_int_and_pytorchs_call():
    x = ag.zeros(2, 3)
    assert x.size == 6 and x.size * 2 == 12 and isinstance(x.size, int)
    assert x.size() == (2, 3)
    assert x.size(1) == 3 and x.size(-1) == 3 and x.size(dim=0) == 2
    assert x.numel() == 6 and x.dim() == 2


def test_size_survives_copying():
    size = copy.deepcopy(ag.zeros(2, 3).size)
    assert size == 6 and size() == (2, 3)


def test_size_of_an_axis_out_of_range_raises_index_error():
    with pytest.raises(IndexError, match=r"^Tensor.size: dim 2 is out of range for a tensor "
                                         r"with 2 dimensions \(shape \(2, 3\)\)"):
        ag.zeros(2, 3).size(2)


def test_view_is_reshape():
    x = ag.arange(6.0)
    assert x.view(2, 3).shape == (2, 3) and x.view(-1, 2).shape == (3, 2)
    assert x.view((3, 2)).tolist() == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    with pytest.raises(ValueError, match=r"^reshape: cannot reshape a tensor of shape \(6,\)"):
        x.view(4, 2)


def test_t_transposes_a_matrix_and_leaves_vectors():
    x = ag.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.t().tolist() == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    assert ag.ones(3).t().shape == (3,) and ag.tensor(2.0).t().shape == ()
    with pytest.raises(ValueError, match=r"^Tensor.t: expects a tensor with at most 2 "
                                         r"dimensions, got shape \(2, 3, 4\)"):
        ag.zeros(2, 3, 4).t()


# --- copies and dtypes ----------------------------------------------------------------------


def test_clone_is_a_copy_in_the_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert not np.shares_memory(y.data, x.data) and y.op_name == "astype"
    (y * ag.tensor([3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]
    with ag.no_grad():
        y += 1
    assert x.tolist() == [1.0, 2.0]


def test_dtype_methods_convert_as_pytorch():
    x = ag.tensor([1.7, -1.7, 0.0])
    assert x.long().tolist() == [1, -1, 0] and x.long().dtype == np.int64  # towards zero
    assert x.int().dtype == np.int32 and x.int().tolist() == [1, -1, 0]
    assert x.bool().tolist() == [True, True, False]
    assert x.double().dtype == np.float64
    assert x.float() is x  # already float32: self, as PyTorch
    assert ag.tensor(np.array([1, 2])).float().dtype == np.float32


def test_float_of_a_float64_tensor_converts_the_gradient_back():
    x = ag.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32 and y.tolist() == [1.0, 2.0]
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [2.0, 4.0]


# --- clamp ----------------------------------------------------------------------------------


def test_clamp_with_min_above_max_gives_max_and_no_gradient():
    x = ag.tensor([-1.0, 0.5, 1.0, 2.0, 3.0], requires_grad=True)
    y = ag.clamp(x, min=2, max=1)
    assert y.tolist() == [1.0] * 5
    y.sum().backward()
    assert x.grad.tolist() == [0.0] * 5


def test_clamp_takes_either_bound_and_passes_the_gradient_strictly_inside():
    x = ag.tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    assert x.clamp(min=0.5).tolist() == [0.5, 0.5, 0.5, 1.0, 2.0]
    assert x.clamp(max=0.5).tolist() == [-1.0, 0.0, 0.5, 0.5, 0.5]
    x.clamp(0.0, 1.0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 0.0, 0.0]  # PyTorch 2.14: 0 at x == min, max
    with pytest.raises(ValueError, match=r"^clip: give at least one of min and max"):
        ag.clamp(x)


def test_clamp_with_min_above_max_has_zero_second_derivative():
    x = ag.tensor([0.0, 1.0, 2.0], dtype="float64", requires_grad=True)
    (g,) = ag.grad(ag.clamp(x, 2.0, 1.0).sum(), [x], create_graph=True)
    assert g.tolist() == [0.0, 0.0, 0.0]


# --- masked_fill and where ------------------------------------------------------------------


def test_masked_fill_broadcasts_the_mask_over_rows():
    x = ag.zeros(2, 3)
    y = x.masked_fill(ag.tensor(np.array([True, False, True])), 5.0)
    assert y.tolist() == [[5.0, 0.0, 5.0], [5.0, 0.0, 5.0]]


def test_masked_fill_with_a_larger_mask_gives_the_broadcast_shape():
    assert ag.zeros(2, 3).masked_fill(np.ones((2, 2, 3), dtype=bool), 1.0).shape == (2, 2, 3)


def test_masked_fill_gradients_go_to_the_kept_places_and_to_a_0d_value():
    x = ag.ones(2, 3, requires_grad=True)
    value = ag.tensor(2.0, requires_grad=True)
    ag.masked_fill(x, np.array([True, False, True]), value).sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    assert value.grad.item() == 4.0


def test_masked_fill_of_an_integer_tensor_keeps_its_dtype():
    y = ag.tensor(np.array([1, 2, 3])).masked_fill(np.array([True, False, False]), 7.9)
    assert y.dtype == np.int64 and y.tolist() == [7, 2, 3]


@pytest.mark.parametrize("mask, value, error, message", [
    (np.array([1, 0, 1]), 1.0, TypeError, r"masked_fill: the mask must be boolean, got dtype "
                                          r"int64"),
    (np.array([True, False, True]), ag.ones(3), TypeError,
     r"masked_fill: value must be a number or a 0-d tensor, got shape \(3,\)"),
    (np.array([True, False]), 1.0, ValueError,
     r"masked_fill: the mask of shape \(2,\) does not broadcast with the tensor of shape "
     r"\(2, 3\)"),
])
def test_masked_fill_errors(mask, value, error, message):
    with pytest.raises(error, match=rf"^{message}"):
        ag.zeros(2, 3).masked_fill(mask, value)


def test_tensor_where_keeps_self_where_the_condition_holds():
    x = ag.tensor([1.0, -2.0, 3.0])
    assert x.where(x > 0, 0.0).tolist() == [1.0, 0.0, 3.0]


# --- any, all, ~ ----------------------------------------------------------------------------


def test_any_and_all():
    mask = ag.tensor(np.array([[True, False], [False, False]]))
    assert mask.any().item() is True and mask.all().item() is False
    assert mask.any(dim=1).tolist() == [True, False]
    assert ag.all(ag.tensor([[1.0, 2.0], [0.0, 3.0]]), axis=0, keepdims=True).tolist() == [
        [False, True]]
    assert ag.any(ag.zeros(0)).item() is False and ag.all(ag.zeros(0)).item() is True


def test_invert_is_logical_not_of_bools_and_bitwise_not_of_ints():
    assert (~ag.tensor(np.array([True, False]))).tolist() == [False, True]
    assert (~ag.tensor(np.array([1, 2]))).tolist() == [-2, -3]
    x = ag.tensor([1.0, -1.0])
    assert (~(x > 0)).tolist() == [False, True]
    with pytest.raises(TypeError, match=r"^bitwise_not: ~ needs a bool or integer tensor, got "
                                        r"dtype float32; for a mask compare first"):
        _ = ~x


# --- expand -----------------------------------------------------------------------------------


def test_expand_keeps_sizes_of_minus_one_and_adds_leading_axes():
    x = ag.tensor([[1.0], [2.0], [3.0]])
    assert x.expand(-1, 4).shape == (3, 4) and x.expand((2, 3, 4)).shape == (2, 3, 4)
    assert x.expand(2, -1, 2).tolist()[1] == [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]
    assert x.expand_as(ag.zeros(5, 3, 2)).shape == (5, 3, 2)


@pytest.mark.parametrize("sizes, message", [
    ((-1, 3, 1), r"Tensor.expand: -1 is not allowed for the new leading axes in \(-1, 3, 1\)"),
    ((4,), r"Tensor.expand: 1 sizes \(4,\) for a tensor with 2 dimensions"),
    ((2, 4, 4), r"broadcast_to: cannot broadcast shape \(3, 1\) to \(2, 4, 4\)"),
])
def test_expand_errors(sizes, message):
    with pytest.raises(ValueError, match=rf"^{message}"):
        ag.zeros(3, 1).expand(*sizes)


# --- chunk, split, unbind, ravel, cat ----------------------------------------------------------


@pytest.mark.parametrize("length, chunks, sizes", [
    (6, 4, [2, 2, 2]), (5, 4, [2, 2, 1]), (10, 4, [3, 3, 3, 1]), (3, 5, [1, 1, 1]),
    (6, 1, [6]),
])
def test_chunk_sizes_follow_pytorch(length, chunks, sizes):
    pieces = ag.arange(length).chunk(chunks)
    assert isinstance(pieces, tuple) and [p.shape[0] for p in pieces] == sizes
    assert np.concatenate([p.numpy() for p in pieces]).tolist() == list(range(length))


def test_chunk_along_a_dim_and_its_gradient():
    x = ag.ones(2, 5, requires_grad=True)
    first, second = ag.chunk(x, 2, dim=1)
    assert first.shape == (2, 3) and second.shape == (2, 2)
    (first.sum() * 2 + second.sum() * 3).backward()
    assert x.grad.tolist() == [[2.0, 2.0, 2.0, 3.0, 3.0]] * 2


def test_chunk_rejects_non_positive_chunks():
    with pytest.raises(ValueError, match=r"^chunk: chunks must be a positive int, got 0"):
        ag.arange(6).chunk(0)


def test_tensor_split_takes_pytorchs_piece_size_or_sizes():
    x = ag.arange(7)
    assert [p.tolist() for p in x.split(3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [p.tolist() for p in x.split([3, 4])] == [[0, 1, 2], [3, 4, 5, 6]]
    assert [p.shape for p in ag.zeros(2, 5).split([1, 4], dim=1)] == [(2, 1), (2, 4)]
    assert [p.shape for p in ag.zeros(0).split(2)] == [(0,)]
    assert [p.shape for p in ag.split(ag.zeros(6), 3)] == [(2,), (2,), (2,)]  # NumPy's, kept


def test_tensor_split_errors():
    with pytest.raises(ValueError, match=r"^Tensor.split: the sizes \[3, 3\] add up to 6, but "
                                         r"axis 0 of shape \(7,\) has 7 elements"):
        ag.arange(7).split([3, 3])
    with pytest.raises(ValueError, match=r"^Tensor.split: split_size must be positive"):
        ag.arange(7).split(0)
    with pytest.raises(TypeError, match=r"^Tensor.split: expected a piece size .* use "
                                        r"ag.split"):
        ag.arange(7).split(2.5)


def test_unbind_removes_the_axis_and_routes_gradients():
    x = ag.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    columns = x.unbind(dim=1)
    assert isinstance(columns, tuple) and [c.tolist() for c in columns] == [
        [1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    (columns[0].sum() + 10 * columns[2].sum()).backward()
    assert x.grad.tolist() == [[1.0, 0.0, 10.0], [1.0, 0.0, 10.0]]
    with pytest.raises(ValueError, match=r"^unbind: cannot unbind a zero-dimensional tensor"):
        ag.tensor(1.0).unbind()


def test_ravel_and_cat():
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.ravel().tolist() == [1.0, 2.0, 3.0, 4.0] and ag.ravel(ag.tensor(5.0)).shape == (1,)
    assert ag.cat([x, x], dim=1).tolist() == [[1.0, 2.0, 1.0, 2.0], [3.0, 4.0, 3.0, 4.0]]
    assert ag.cat([x, x]).shape == (4, 2)


# --- factories ----------------------------------------------------------------------------------


def test_from_numpy_shares_memory_and_dtype():
    array = np.zeros(3, dtype=np.float64)
    t = ag.from_numpy(array)
    assert t.dtype == np.float64 and np.shares_memory(t.data, array)
    t += 1
    t[0] = 5
    assert array.tolist() == [5.0, 1.0, 1.0]
    array[1] = 7
    assert t.tolist() == [5.0, 7.0, 1.0]
    assert ag.from_numpy(np.arange(3)).dtype == np.int64


def test_a_write_through_from_numpy_is_an_in_place_change():
    t = ag.from_numpy(np.ones(2))
    w = ag.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    loss = (w * t).sum()
    t += 1
    with pytest.raises(RuntimeError, match=r"changed in place by \+= \(in place\)"):
        loss.backward()


def test_from_numpy_wants_an_array():
    with pytest.raises(TypeError, match=r"^from_numpy: expected a NumPy array, got list; use "
                                        r"ag.tensor"):
        ag.from_numpy([1.0, 2.0])


def test_python_ints_stay_float32_and_numpy_ints_keep_their_dtype():
    assert ag.tensor([1, 2]).dtype == np.float32  # PyTorch: int64 (documented difference)
    assert ag.tensor(np.array([1, 2])).dtype == np.int64
    assert ag.tensor(np.array([1, 2], dtype=np.int32)).dtype == np.int32
    assert ag.tensor([1, 2], dtype="int64").dtype == np.int64


def test_integer_tensors_index_and_serve_as_targets():
    x = ag.tensor(np.arange(12.0).reshape(3, 4))
    assert x[ag.tensor([2, 0]).long()].tolist() == [[8.0, 9.0, 10.0, 11.0],
                                                    [0.0, 1.0, 2.0, 3.0]]
    with pytest.raises(IndexError, match=r"^getitem: arrays used as indices must be integer or "
                                         r"boolean, got dtype float32; Python ints become "
                                         r"float32 here"):
        x[ag.tensor([2, 0])]


def test_empty_and_full_like():
    assert ag.empty(2, 3).shape == (2, 3) and ag.empty((2, 3)).dtype == np.float32
    assert ag.full_like(ag.zeros(2), 3).tolist() == [3.0, 3.0]
    integers = ag.full_like(ag.tensor(np.array([1, 2])), 3.7)
    assert integers.dtype == np.int64 and integers.tolist() == [3, 3]
    assert ag.full_like(ag.zeros(2), 1.5, dtype="float64").dtype == np.float64
