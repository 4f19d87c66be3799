"""Shape and indexing ops: values, gradients (incl. repeated indices and masks), dtypes."""

import numpy as np
import pytest

import autograd_lite as ag

CUBE = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
WEIGHTS = np.arange(1.0, 25.0).reshape(2, 3, 4)  # distinct per element, to track where it goes


def weighted_gradient(fn, array=CUBE):
    """Run fn, then return (output, d sum(w * fn(x)) / dx) with distinct weights w per output."""
    x = ag.tensor(array, requires_grad=True)
    out = fn(x)
    weights = np.arange(1.0, out.size + 1).reshape(out.shape)
    (grad,) = ag.grad((out * weights).sum(), x)
    return out.numpy(), weights, grad.numpy()


# Each case: op on a tensor, the same op in NumPy. The gradient of sum(w * op(x)) must be
# the NumPy "transpose" of op applied to w, computed here by pulling w back through op's
# index map: op applied to the indices of x tells where each output element came from.
CASES = {
    "reshape": (lambda x: x.reshape(4, 6), lambda a: a.reshape(4, 6)),
    "reshape_minus_one": (lambda x: ag.reshape(x, (-1, 2)), lambda a: a.reshape(-1, 2)),
    "transpose_default": (lambda x: x.T, lambda a: a.T),
    "transpose_axes": (lambda x: x.transpose(1, 2, 0), lambda a: a.transpose(1, 2, 0)),
    "permute": (lambda x: ag.permute(x, 2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    "swapaxes": (lambda x: x.swapaxes(0, -1), lambda a: a.swapaxes(0, -1)),
    "unsqueeze": (lambda x: x.unsqueeze(1), lambda a: a[:, None]),
    "expand_dims_tuple": (lambda x: ag.expand_dims(x, (0, -1)), lambda a: a[None, ..., None]),
    "squeeze": (lambda x: x[:, :1].squeeze(1), lambda a: a[:, 0]),
    "squeeze_all": (lambda x: x[:1, :1].squeeze(), lambda a: a[0, 0]),
    "flatten": (lambda x: x.flatten(), lambda a: a.reshape(-1)),
    "flatten_middle": (lambda x: x.flatten(1, 2), lambda a: a.reshape(2, 12)),
    "flip": (lambda x: x.flip(1), lambda a: a[:, ::-1]),
    "flip_all": (lambda x: ag.flip(x), lambda a: a[::-1, ::-1, ::-1]),
    "int": (lambda x: x[1], lambda a: a[1]),
    "negative_int": (lambda x: x[-1, -2], lambda a: a[-1, -2]),
    "slices": (lambda x: x[:, 1:, ::2], lambda a: a[:, 1:, ::2]),
    "none_and_ellipsis": (lambda x: x[None, ..., 1], lambda a: a[None, ..., 1]),
    "int_array": (lambda x: x[:, [2, 0]], lambda a: a[:, [2, 0]]),
    "int_tensor": (lambda x: x[ag.tensor(np.array([1, 0]))], lambda a: a[np.array([1, 0])]),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_shape_op_value_and_gradient_follow_the_elements(case):
    op, numpy_op = case
    out, weights, grad = weighted_gradient(op)
    np.testing.assert_array_equal(out, numpy_op(CUBE))
    expected = np.zeros_like(CUBE)
    source = numpy_op(np.arange(CUBE.size).reshape(CUBE.shape))  # where each output came from
    np.add.at(expected.reshape(-1), np.ravel(source), np.ravel(weights))
    np.testing.assert_array_equal(grad, expected)


def test_repeated_integer_indices_accumulate_their_gradients():
    x = ag.tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[np.array([0, 2, 0, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_repeated_rows_of_a_matrix_accumulate():
    x = ag.tensor(np.ones((3, 2)), requires_grad=True)
    rows = x[[1, 1, 2]]
    (rows * np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [4, 6], [5, 6]])


def test_boolean_mask_selects_and_routes_the_gradient():
    x = ag.tensor([[1.0, -2.0], [-3.0, 4.0]], requires_grad=True)
    positive = x[x > 0]
    np.testing.assert_array_equal(positive.numpy(), [1.0, 4.0])
    (positive * np.array([5.0, 7.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[5.0, 0.0], [0.0, 7.0]])


def test_boolean_tensor_mask_on_rows():
    x = ag.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    mask = ag.tensor([True, False, True])
    x[mask].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 1], [0, 0], [1, 1]])


def test_broadcast_to_and_sum_to_are_adjoint():
    out, _, grad = weighted_gradient(lambda x: ag.broadcast_to(x, (2, 3)),
                                     np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, [[1, 2, 3], [1, 2, 3]])
    np.testing.assert_array_equal(grad, [1 + 4, 2 + 5, 3 + 6])
    out, _, grad = weighted_gradient(lambda x: ag.sum_to(x, (1, 3)), np.ones((2, 3)))
    np.testing.assert_array_equal(out, [[2, 2, 2]])
    np.testing.assert_array_equal(grad, [[1, 2, 3], [1, 2, 3]])


def test_concatenate_splits_the_gradient_back():
    a = ag.tensor(np.ones((2, 1)), requires_grad=True)
    b = ag.tensor(np.ones((2, 2)), requires_grad=True)
    joined = ag.concatenate([a, b], axis=1)
    assert joined.shape == (2, 3)
    (joined * np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1], [4]])
    np.testing.assert_array_equal(b.grad.numpy(), [[2, 3], [5, 6]])


def test_stack_adds_an_axis_and_routes_gradients():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([3.0, 4.0], requires_grad=True)
    stacked = ag.stack([a, b], axis=1)
    np.testing.assert_array_equal(stacked.numpy(), [[1, 3], [2, 4]])
    (stacked * np.array([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 3])
    np.testing.assert_array_equal(b.grad.numpy(), [2, 4])


def test_split_into_sections_and_at_indices():
    x = ag.tensor(np.arange(6.0), requires_grad=True)
    first, second, third = ag.split(x, 3)
    np.testing.assert_array_equal(second.numpy(), [2, 3])
    (first.sum() + 3 * third.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 0, 0, 3, 3])
    pieces = ag.split(ag.tensor(np.arange(6.0)), [1, 4])
    assert [p.shape for p in pieces] == [(1,), (3,), (2,)]


def test_split_at_negative_indices_counts_from_the_end_like_numpy():
    pieces = ag.split(ag.tensor(np.arange(5.0)), [1, -2])
    assert [p.numpy().tolist() for p in pieces] == [[0.0], [1.0, 2.0], [3.0, 4.0]]


def test_pad_value_and_gradient():
    out, _, grad = weighted_gradient(lambda x: ag.pad(x, ((1, 0), (0, 2)), value=-1.0),
                                     np.ones((2, 2)))
    np.testing.assert_array_equal(out, [[-1, -1, -1, -1], [1, 1, -1, -1], [1, 1, -1, -1]])
    np.testing.assert_array_equal(grad, [[5, 6], [9, 10]])


def test_index_add_to_is_the_adjoint_of_getitem():
    values = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = ag.index_add_to(values, np.array([0, 0, 2]), (4,))
    np.testing.assert_array_equal(out.numpy(), [3.0, 0.0, 3.0, 0.0])
    (out * np.array([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    np.testing.assert_array_equal(values.grad.numpy(), [1.0, 1.0, 100.0])


SHAPE_OPS = {name: case[0] for name, case in CASES.items()}
SHAPE_OPS.update({
    "broadcast_to": lambda x: ag.broadcast_to(x, (5, 2, 3, 4)),
    "concatenate": lambda x: ag.concatenate([x, x], axis=2),
    "stack": lambda x: ag.stack([x, x]),
    "pad": lambda x: ag.pad(x, 1),
    "split": lambda x: ag.split(x, 2, axis=2)[1],
    "mask": lambda x: x[x > 3],
})


@pytest.mark.parametrize("op", SHAPE_OPS.values(), ids=SHAPE_OPS.keys())
def test_float32_stays_float32_through_shape_ops(op):
    x = ag.tensor(CUBE.astype(np.float32), requires_grad=True)
    out = op(x)
    assert out.dtype == np.float32
    (out * out).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == x.shape


def test_integer_and_bool_tensors_work_as_data():
    labels = ag.tensor(np.array([2, 0, 1]))
    logits = ag.tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    picked = logits[ag.arange(3), labels]
    np.testing.assert_array_equal(picked.numpy(), [2.0, 3.0, 7.0])
    picked.sum().backward()
    np.testing.assert_array_equal(logits.grad.numpy(), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    mask = ag.tensor([True, False, True])
    assert mask.dtype == np.bool_ and labels[mask].tolist() == [2, 1]
    assert labels.reshape(3, 1).shape == (3, 1)


def test_pad_of_a_zero_dimensional_tensor_is_the_tensor():
    x = ag.tensor(2.0, requires_grad=True)
    padded = ag.pad(x, ())
    assert padded.shape == () and padded.item() == 2.0
    padded.backward()
    assert x.grad.item() == 1.0
