"""Tensor: construction, dtypes, factories, attributes, repr, and every method."""

import numpy as np
import pytest

import autograd_lite as ag

# --- construction and dtypes --------------------------------------------------------------


def test_python_numbers_become_float32():
    assert ag.tensor(3).dtype == np.float32
    assert ag.tensor([[1, 2], [3, 4]]).dtype == np.float32
    assert ag.tensor(2.5).dtype == np.float32


def test_numpy_arrays_keep_their_dtype():
    assert ag.tensor(np.ones(2)).dtype == np.float64
    assert ag.tensor(np.ones(2, np.float32)).dtype == np.float32
    assert ag.tensor(np.array([1, 2])).dtype == np.int64
    assert ag.tensor(np.array([True])).dtype == np.bool_


def test_explicit_dtype_overrides_the_default():
    assert ag.tensor([1, 2], dtype="float64").dtype == np.float64
    assert ag.tensor([1.7, 2.2], dtype="int32").numpy().tolist() == [1, 2]


def test_bool_data_stays_bool():
    mask = ag.tensor([True, False])
    assert mask.dtype == np.bool_


def test_set_default_dtype_changes_what_numbers_become():
    try:
        ag.set_default_dtype("float64")
        assert ag.tensor([1.0]).dtype == np.float64 and ag.zeros(2).dtype == np.float64
        assert ag.get_default_dtype() == np.float64
    finally:
        ag.set_default_dtype("float32")
    assert ag.tensor([1.0]).dtype == np.float32
    with pytest.raises(TypeError, match=r"set_default_dtype: expected a float dtype, got int64"):
        ag.set_default_dtype("int64")


def test_ragged_nested_lists_raise_a_clear_value_error():
    with pytest.raises(ValueError, match=r"tensor: could not make an array.*ragged"):
        ag.tensor([[1, 2], [3]])


def test_non_numeric_data_raises_type_error():
    with pytest.raises(TypeError, match=r"tensor: expected numbers, got data of dtype <U3"):
        ag.tensor(["abc"])


def test_requires_grad_on_integer_data_raises_type_error():
    with pytest.raises(TypeError, match=r"requires_grad: only float tensors can require grad.*"
                                        r"int64"):
        ag.tensor(np.array([1, 2]), requires_grad=True)
    labels = ag.tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match=r"dtype int64"):
        labels.requires_grad = True
    with pytest.raises(TypeError, match=r"dtype bool"):
        ag.tensor([True]).requires_grad_()


def test_requires_grad_cannot_be_turned_off_on_a_non_leaf():
    y = ag.tensor(1.0, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"requires_grad: cannot turn off.*detach"):
        y.requires_grad = False


def test_requires_grad_underscore_sets_and_returns_self():
    x = ag.tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad


# --- factories ----------------------------------------------------------------------------


@pytest.mark.parametrize("factory", [ag.zeros, ag.ones, ag.rand, ag.randn])
def test_shape_factories_accept_sizes_or_a_tuple(factory):
    assert factory(2, 3).shape == (2, 3)
    assert factory((2, 3)).shape == (2, 3)
    assert factory(2, 3).dtype == np.float32
    assert factory(2, dtype="float64").dtype == np.float64
    assert factory(2, requires_grad=True).requires_grad


def test_factory_values():
    np.testing.assert_array_equal(ag.zeros(2).numpy(), [0, 0])
    np.testing.assert_array_equal(ag.ones(2).numpy(), [1, 1])
    np.testing.assert_array_equal(ag.full((2,), 7.0).numpy(), [7, 7])
    assert ag.full(3, 1.0).shape == (3,) and ag.full((2, 2), 1.0).dtype == np.float32
    np.testing.assert_array_equal(ag.eye(2).numpy(), [[1, 0], [0, 1]])
    assert ag.eye(2, 3).shape == (2, 3) and ag.eye(2).dtype == np.float32
    np.testing.assert_allclose(ag.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    assert ag.linspace(0, 1, 5).dtype == np.float32


def test_like_factories_copy_shape_and_dtype():
    base = ag.tensor(np.ones((2, 3), np.float64))
    assert ag.zeros_like(base).shape == (2, 3) and ag.zeros_like(base).dtype == np.float64
    assert ag.ones_like(base, dtype="float32").dtype == np.float32
    np.testing.assert_array_equal(ag.ones_like(np.zeros(2)).numpy(), [1, 1])


def test_arange_keeps_integers_integer_and_floats_float32():
    np.testing.assert_array_equal(ag.arange(4).numpy(), [0, 1, 2, 3])
    assert ag.arange(4).dtype == np.int64
    assert ag.arange(0.0, 1.0, 0.5).dtype == np.float32
    assert ag.arange(1, 7, 2).tolist() == [1, 3, 5]


def test_rand_is_in_the_unit_interval():
    values = ag.rand(1000).numpy()
    assert values.min() >= 0.0 and values.max() < 1.0


def test_manual_seed_makes_random_factories_reproducible():
    ag.manual_seed(123)
    first = (ag.rand(3).numpy(), ag.randn(2, 2).numpy())
    ag.manual_seed(123)
    second = (ag.rand(3).numpy(), ag.randn(2, 2).numpy())
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert ag.manual_seed(5) is ag.default_generator()


def test_bad_factory_sizes_raise():
    with pytest.raises(ValueError, match=r"zeros: sizes must be non-negative"):
        ag.zeros(-1)
    with pytest.raises(TypeError, match=r"ones: sizes must be integers"):
        ag.ones(2.5)


# --- attributes and conversions ----------------------------------------------------------


def test_array_facts():
    x = ag.tensor(np.zeros((2, 3, 4), np.float32), name="activations")
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.size == 24 and x.dtype == np.float32
    assert x.name == "activations" and len(x) == 2
    assert x.T.shape == (4, 3, 2)


def test_numpy_shares_the_array_and_item_returns_a_number():
    x = ag.tensor([[2.5]])
    assert x.numpy() is x.data
    assert x.item() == 2.5 and isinstance(x.item(), float)
    assert float(x) == 2.5 and int(ag.tensor(3.0)) == 3
    assert x.tolist() == [[2.5]]
    assert np.asarray(x).shape == (1, 1)
    with pytest.raises(ValueError, match=r"item: only a tensor with one element.*\(2,\)"):
        ag.tensor([1.0, 2.0]).item()


def test_bool_of_one_element_and_ambiguity_error():
    assert bool(ag.tensor([1.0]) > 0)
    with pytest.raises(ValueError, match=r"truth value of a tensor with shape \(2,\) is ambiguous"):
        bool(ag.tensor([1.0, 2.0]))


def test_iteration_yields_rows_that_stay_in_the_graph():
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert [row.tolist() for row in rows] == [[1.0, 2.0], [3.0, 4.0]]
    (rows[1] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0], [2, 2]])
    with pytest.raises(TypeError, match=r"iteration over a 0-d tensor"):
        iter(ag.tensor(1.0))
    with pytest.raises(TypeError, match=r"len\(\) of a 0-d tensor"):
        len(ag.tensor(1.0))


def test_tensors_hash_by_identity_so_they_can_key_dicts():
    a, b = ag.tensor(1.0), ag.tensor(1.0)
    assert len({a: 1, b: 2}) == 2


# --- repr ---------------------------------------------------------------------------------


def test_repr_of_a_plain_tensor():
    assert repr(ag.tensor([1.0, 2.0])) == "tensor([1., 2.])"


def test_repr_shows_requires_grad_and_op():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], requires_grad=True, op=mul)"


def test_repr_shows_non_default_dtype_and_name():
    assert repr(ag.tensor(np.array([1, 2]))) == "tensor([1, 2], dtype=int64)"
    assert repr(ag.tensor(1.5, name="w")) == "tensor(1.5, name='w')"


def test_repr_of_a_matrix_aligns_rows_and_summarises_big_tensors():
    assert repr(ag.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    assert "..." in repr(ag.zeros(1000))


# --- every method delegates to the op of the same meaning --------------------------------

MATRIX = np.array([[1.0, -2.0, 3.0], [4.0, 0.5, -6.0]], dtype=np.float32)
POSITIVE = np.abs(MATRIX) + 0.5

METHODS = {
    "exp": (lambda t: t.exp(), np.exp, MATRIX),
    "log": (lambda t: t.log(), np.log, POSITIVE),
    "log1p": (lambda t: t.log1p(), np.log1p, POSITIVE),
    "sqrt": (lambda t: t.sqrt(), np.sqrt, POSITIVE),
    "abs": (lambda t: t.abs(), np.abs, MATRIX),
    "abs_builtin": (abs, np.abs, MATRIX),
    "neg": (lambda t: -t, np.negative, MATRIX),
    "pos": (lambda t: +t, lambda a: a, MATRIX),
    "sin": (lambda t: t.sin(), np.sin, MATRIX),
    "cos": (lambda t: t.cos(), np.cos, MATRIX),
    "tanh": (lambda t: t.tanh(), np.tanh, MATRIX),
    "sigmoid": (lambda t: t.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), MATRIX),
    "relu": (lambda t: t.relu(), lambda a: np.maximum(a, 0), MATRIX),
    "clip": (lambda t: t.clip(-1, 2), lambda a: np.clip(a, -1, 2), MATRIX),
    "sum": (lambda t: t.sum(axis=1), lambda a: a.sum(axis=1), MATRIX),
    "mean": (lambda t: t.mean(keepdims=True), lambda a: a.mean(keepdims=True), MATRIX),
    "max": (lambda t: t.max(axis=0), lambda a: a.max(axis=0), MATRIX),
    "min": (lambda t: t.min(), lambda a: a.min(), MATRIX),
    "var": (lambda t: t.var(axis=1, ddof=1), lambda a: a.var(axis=1, ddof=1), MATRIX),
    "std": (lambda t: t.std(), lambda a: a.std(), MATRIX),
    "prod": (lambda t: t.prod(axis=1), lambda a: a.prod(axis=1), MATRIX),
    "logsumexp": (lambda t: t.logsumexp(axis=1),
                  lambda a: np.log(np.exp(a).sum(axis=1)), MATRIX),
    "argmax": (lambda t: t.argmax(axis=1), lambda a: a.argmax(axis=1), MATRIX),
    "argmin": (lambda t: t.argmin(), lambda a: a.argmin(), MATRIX),
    "reshape_args": (lambda t: t.reshape(3, 2), lambda a: a.reshape(3, 2), MATRIX),
    "reshape_tuple": (lambda t: t.reshape((6,)), lambda a: a.reshape(6), MATRIX),
    "transpose": (lambda t: t.transpose(), lambda a: a.T, MATRIX),
    "transpose_axes": (lambda t: t.transpose(1, 0), lambda a: a.T, MATRIX),
    "permute": (lambda t: t.permute(1, 0), lambda a: a.T, MATRIX),
    "swapaxes": (lambda t: t.swapaxes(0, 1), lambda a: a.T, MATRIX),
    "squeeze": (lambda t: t[:1].squeeze(0), lambda a: a[0], MATRIX),
    "unsqueeze": (lambda t: t.unsqueeze(0), lambda a: a[None], MATRIX),
    "expand_dims": (lambda t: t.expand_dims(-1), lambda a: a[..., None], MATRIX),
    "flatten": (lambda t: t.flatten(), lambda a: a.ravel(), MATRIX),
    "broadcast_to": (lambda t: t.broadcast_to((4, 2, 3)),
                     lambda a: np.broadcast_to(a, (4, 2, 3)), MATRIX),
    "flip": (lambda t: t.flip(0), lambda a: a[::-1], MATRIX),
    "matmul": (lambda t: t.matmul(t.T), lambda a: a @ a.T, MATRIX),
    "dot": (lambda t: t[0].dot(t[1]), lambda a: a[0] @ a[1], MATRIX),
    "astype": (lambda t: t.astype("float64"), lambda a: a.astype(np.float64), MATRIX),
    "getitem": (lambda t: t[1, ::-1], lambda a: a[1, ::-1], MATRIX),
    "pow": (lambda t: t ** 2, lambda a: a ** 2, MATRIX),
    "rpow": (lambda t: 2 ** t, lambda a: 2 ** a, MATRIX),
}


@pytest.mark.parametrize("case", METHODS.values(), ids=METHODS.keys())
def test_every_method_matches_numpy(case):
    method, reference, values = case
    result = method(ag.tensor(values))
    expected = reference(values)
    assert isinstance(result, ag.Tensor)
    assert result.shape == np.shape(expected)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-6)


def test_tensor_copies_its_data_so_in_place_updates_leave_the_source_alone():
    source = np.array([1.0, 2.0])
    weights = ag.tensor(source, requires_grad=True)
    weights.data -= 1.0
    np.testing.assert_array_equal(source, [1.0, 2.0])
    copy = ag.tensor(weights)
    copy.data += 5.0
    np.testing.assert_array_equal(weights.numpy(), [0.0, 1.0])
    assert not copy.requires_grad and copy.is_leaf


def test_transpose_with_two_axes_swaps_them_as_pytorch_does():
    x = ag.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.transpose(0, 1).numpy(), x.numpy().T)
    y = ag.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert y.transpose(0, 2).shape == (4, 3, 2)
    assert y.transpose(2, 0, 1).shape == (4, 2, 3)  # three or more axes: a NumPy permutation
    assert y.transpose((2, 0, 1)).shape == (4, 2, 3)
