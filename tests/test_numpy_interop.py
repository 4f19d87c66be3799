"""NumPy on tensors: np.exp(t), np.sum(t), np.concatenate([t, t]) run the ops and keep the graph.

Expected values are NumPy's own results on the plain arrays and closed-form gradients.
"""

import numpy as np
import pytest

import autograd_lite as ag
from autograd_lite.numpy_dispatch import FUNCTIONS, UFUNCS


def _leaf(values, dtype=np.float64):
    return ag.tensor(np.array(values, dtype=dtype), requires_grad=True)


# --- ufuncs ----------------------------------------------------------------------------------

POSITIVE = np.array([[0.5, 1.0], [2.0, 3.0]])
OTHER = np.array([[1.5, 0.25], [2.0, 0.5]])


@pytest.mark.parametrize("ufunc", list(UFUNCS), ids=lambda u: u.__name__)
def test_every_mapped_ufunc_gives_numpys_value_as_a_tensor(ufunc):
    inputs = (POSITIVE, OTHER)[:ufunc.nin]
    # Some inputs lie outside a ufunc's domain (arcsin(2), arccosh(0.5)): both sides give the
    # same NaN or inf, which is what this checks; NumPy's warning about it is noise here.
    with np.errstate(invalid="ignore", divide="ignore"):
        result = ufunc(*[ag.tensor(a) for a in inputs])
        expected = ufunc(*inputs)
    assert isinstance(result, ag.Tensor)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-12)


def test_np_exp_keeps_the_graph_and_differentiates_like_exp():
    x = _leaf([0.0, 1.0, -2.0])
    y = np.exp(x)
    assert y.op_name == "exp"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.0, 1.0, -2.0]), rtol=1e-12)


def test_ndarray_times_tensor_is_a_tensor_with_the_gradient_of_the_array():
    x = _leaf([1.0, 2.0])
    y = np.array([3.0, -4.0]) * x
    assert isinstance(y, ag.Tensor) and y.op_name == "mul"
    y.sum().backward()
    assert x.grad.numpy().tolist() == [3.0, -4.0]


def test_numpy_scalar_operators_with_tensors_give_tensors():
    x = ag.tensor([1.0, 2.0])
    for result in (np.float64(2.0) * x, np.float32(2.0) + x, np.array(8.0) / x,
                   np.ones((2, 2)) @ x):
        assert isinstance(result, ag.Tensor)
    assert (np.float64(2.0) * x).numpy().tolist() == [2.0, 4.0]
    assert (np.float64(2.0) * x).dtype == np.float32  # the tensor's dtype wins, as for 2.0 * x


def test_ufunc_dtype_converts_the_inputs_differentiably():
    x = _leaf([1.0, 2.0], np.float32)
    y = np.multiply(x, 3.0, dtype=np.float64)
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.numpy().tolist() == [3.0, 3.0]


def test_a_ufunc_without_an_op_on_a_tensor_that_requires_grad_names_the_way_out():
    with pytest.raises(TypeError, match=r"np.cbrt: autograd_lite has no op for it.*use "
                                        r"ag.sign\(t\) \* ag.abs\(t\) \*\* \(1 / 3\).*"
                                        r"t.detach\(\).numpy\(\)"):
        np.cbrt(_leaf([1.0]))
    with pytest.raises(TypeError, match=r"np.spacing: .* compute it with autograd_lite ops"):
        np.spacing(_leaf([1.5]))


def test_a_ufunc_without_an_op_on_plain_tensors_gives_numpys_array():
    x = ag.tensor([1.5, np.nan])
    assert np.isnan(x).tolist() == [False, True]
    assert isinstance(np.spacing(x), np.ndarray)


def test_ufunc_reduce_on_a_tensor_that_requires_grad_points_to_the_reduction():
    with pytest.raises(TypeError, match=r"np.add.reduce: .*use ag.sum\(t, axis\)"):
        np.add.reduce(_leaf([1.0, 2.0]))


def test_ufunc_where_on_a_tensor_that_requires_grad_is_refused():
    with pytest.raises(TypeError, match=r"np.exp: where=.* would drop the gradient .*ag.exp "
                                        r"has no such option"):
        np.exp(_leaf([1.0, 2.0]), where=np.array([True, False]))


# --- out= ------------------------------------------------------------------------------------


def test_ndarray_minus_equals_tensor_updates_the_array_in_place():
    array = np.array([1.0, 2.0])
    original = array
    array -= ag.tensor([0.5, 0.5], dtype=np.float64)
    assert array is original and type(array) is np.ndarray
    assert array.tolist() == [0.5, 1.5]


def test_micrograd_update_of_data_with_a_tensor_gradient_works():
    p = ag.tensor([1.0, -2.0], requires_grad=True)
    (p * p).sum().backward()  # grad = 2p = [2, -4]
    p.data -= 0.1 * p.grad
    assert type(p.data) is np.ndarray
    np.testing.assert_allclose(p.numpy(), [0.8, -1.6], rtol=1e-6)


def test_out_an_ndarray_computes_on_the_arrays():
    out = np.zeros(2)
    result = np.add(_leaf([1.0, 2.0]), 1.0, out=out)
    assert result is out and out.tolist() == [2.0, 3.0]
    total = np.zeros(())
    np.sum(_leaf([1.0, 2.0]), out=total)
    assert total == 3.0


def test_out_a_tensor_writes_through_the_in_place_rules():
    t = ag.tensor([1.0, 4.0])
    assert np.sqrt(t, out=t) is t
    assert t.numpy().tolist() == [1.0, 2.0]
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot change a leaf tensor that requires grad"):
        np.multiply(w, 2.0, out=w)
    with ag.no_grad():
        np.multiply(w, 2.0, out=w)
    assert w.numpy().tolist() == [2.0, 4.0] and w.grad is None


# --- functions -------------------------------------------------------------------------------

MATRIX = np.array([[1.0, -2.0, 3.0], [4.0, 0.5, -6.0]])
# One call per NumPy function in the table: (call on a tensor or arrays, same call on arrays).
CALLS = {
    np.sum: lambda m: np.sum(m, axis=1, keepdims=True),
    np.mean: lambda m: np.mean(m, axis=0),
    np.max: lambda m: np.max(m, axis=(0, 1)),
    np.min: lambda m: np.min(m, 1),
    np.prod: lambda m: np.prod(m),
    np.var: lambda m: np.var(m, axis=1, ddof=1),
    np.std: lambda m: np.std(m, correction=1),
    np.argmax: lambda m: np.argmax(m, axis=1),
    np.argmin: lambda m: np.argmin(m),
    np.clip: lambda m: np.clip(m, -1.0, 2.0),
    np.where: lambda m: np.where(np.asarray(m) > 0, m, 0.0),
    np.dot: lambda m: np.dot(m, np.ones(3)),
    np.outer: lambda m: np.outer(m[0], m[1]),
    np.reshape: lambda m: np.reshape(m, (3, 2)),
    np.transpose: lambda m: np.transpose(m),
    np.swapaxes: lambda m: np.swapaxes(m, 0, 1),
    np.squeeze: lambda m: np.squeeze(m[None]),
    np.expand_dims: lambda m: np.expand_dims(m, axis=0),
    np.broadcast_to: lambda m: np.broadcast_to(m, (4, 2, 3)),
    np.flip: lambda m: np.flip(m, axis=1),
    np.concatenate: lambda m: np.concatenate([m, m], axis=1),
    np.stack: lambda m: np.stack([m, m]),
    np.split: lambda m: np.split(m, 3, axis=1)[1],
    np.pad: lambda m: np.pad(m, 1, constant_values=7.0),
    # elementwise maths (issue 13)
    np.round: lambda m: np.round(m * 1.37, 1),
    np.around: lambda m: np.around(m * 1.37, decimals=1),
    np.sinc: lambda m: np.sinc(m / 3),
    np.nan_to_num: lambda m: np.nan_to_num(m * np.array([np.inf, np.nan, 1.0]), nan=-1.0,
                                           neginf=-9.0),
    # --- linear algebra (issue 13): m[:, :2] is invertible, its Gram matrix positive definite
    np.linalg.inv: lambda m: np.linalg.inv(m[:, :2]),
    np.linalg.det: lambda m: np.linalg.det(m[:, :2]),
    np.linalg.slogdet: lambda m: np.linalg.slogdet(m[:, :2])[1],
    np.linalg.pinv: lambda m: np.linalg.pinv(m),
    np.linalg.svdvals: lambda m: np.linalg.svdvals(m),
    np.linalg.solve: lambda m: np.linalg.solve(m[:, :2], m[:, 2]),
    np.linalg.cholesky: lambda m: np.linalg.cholesky(m @ m.T, upper=True),
    np.linalg.eigh: lambda m: np.linalg.eigh(m @ m.T, UPLO="U")[0],
    np.linalg.eigvalsh: lambda m: np.linalg.eigvalsh(m @ m.T),
    np.linalg.qr: lambda m: np.linalg.qr(m)[1],
    np.linalg.matrix_power: lambda m: np.linalg.matrix_power(m[:, :2], 3),
    np.linalg.norm: lambda m: np.linalg.norm(m, 1, axis=(1, 0), keepdims=True),
    np.linalg.vector_norm: lambda m: np.linalg.vector_norm(m, ord=3, axis=1),
    np.linalg.matrix_norm: lambda m: np.linalg.matrix_norm(m, ord="nuc"),
    # arrays
    np.inner: lambda m: np.inner(m, m),
    np.kron: lambda m: np.kron(m, m[:1]),
    np.tensordot: lambda m: np.tensordot(m, m, axes=([0], [0])),
    np.cross: lambda m: np.cross(m, m[::-1], axis=1),
    np.trace: lambda m: np.trace(m, offset=1),
    np.diagonal: lambda m: np.diagonal(m, -1),
    np.diag: lambda m: np.diag(m[0], k=1),
    np.tril: lambda m: np.tril(m, k=1),
    np.triu: lambda m: np.triu(m),
    np.roll: lambda m: np.roll(m, (1, 2), axis=(0, 1)),
    np.tile: lambda m: np.tile(m, (2, 1)),
    np.repeat: lambda m: np.repeat(m, [1, 0, 2], axis=1),
    np.rot90: lambda m: np.rot90(m, k=3),
    np.hstack: lambda m: np.hstack([m, m]),
    np.vstack: lambda m: np.vstack([m, m[0]]),
    np.dstack: lambda m: np.dstack([m, m]),
    np.column_stack: lambda m: np.column_stack([m, m[:, 0]]),
    np.append: lambda m: np.append(m, m, axis=0),
    np.cumsum: lambda m: np.cumsum(m, axis=1),
    np.cumprod: lambda m: np.cumprod(m),
    np.diff: lambda m: np.diff(m, n=2, prepend=0.0),
    np.take: lambda m: np.take(m, [0, 0, -1], axis=1),
    np.take_along_axis: lambda m: np.take_along_axis(m, np.argsort(np.asarray(m)), axis=1),
    np.sort: lambda m: np.sort(m, axis=0, kind="stable"),
    np.argsort: lambda m: np.argsort(m, stable=True),
    np.nonzero: lambda m: np.nonzero(m)[1],
    np.argwhere: lambda m: np.argwhere(m),
}


def test_every_function_in_the_table_has_a_call_here():
    assert set(CALLS) == set(FUNCTIONS)


@pytest.mark.parametrize("func", list(CALLS), ids=lambda f: f.__name__)
def test_every_mapped_function_gives_numpys_value_as_a_tensor(func):
    result = CALLS[func](ag.tensor(MATRIX))
    assert isinstance(result, ag.Tensor)
    np.testing.assert_allclose(result.numpy(), CALLS[func](MATRIX), rtol=1e-12)


def test_np_sum_takes_axis_keepdims_and_dtype_and_keeps_the_graph():
    x = _leaf([[1.0, 2.0], [3.0, 4.0]], np.float32)
    total = np.sum(x, axis=1, keepdims=True, dtype=np.float64)
    assert total.shape == (2, 1) and total.dtype == np.float64
    assert total.numpy().ravel().tolist() == [3.0, 7.0]
    total.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_np_concatenate_of_tensors_keeps_the_graph():
    a, b = _leaf([1.0, 2.0]), _leaf([3.0])
    joined = np.concatenate([a, b])
    assert joined.op_name == "concatenate"
    (joined * np.array([10.0, 20.0, 30.0])).sum().backward()
    assert a.grad.numpy().tolist() == [10.0, 20.0] and b.grad.numpy().tolist() == [30.0]


def test_np_max_of_a_tensor_splits_ties_like_ag_max():
    x = _leaf([1.0, 3.0, 3.0])
    np.max(x).backward()
    assert x.grad.numpy().tolist() == [0.0, 0.5, 0.5]


def test_a_keyword_the_op_cannot_honour_is_refused_on_tensors_that_require_grad():
    x = _leaf([1.0, 2.0])
    with pytest.raises(TypeError, match=r"np.sum: where=array\(\[ True, False\]\) would drop "
                                        r"the gradient .*ag.sum has no such option"):
        np.sum(x, where=np.array([True, False]))
    with pytest.raises(TypeError, match=r"np.pad: mode='reflect' would drop the gradient"):
        np.pad(x, 1, mode="reflect")
    with pytest.raises(TypeError, match=r"np.max: initial=5.0 would drop the gradient"):
        np.max(x, initial=5.0)


def test_a_keyword_the_op_cannot_honour_gives_numpys_array_on_plain_tensors():
    result = np.sum(ag.tensor([1.0, 2.0]), where=np.array([True, False]))
    assert type(result) is not ag.Tensor and result == 1.0


def test_neutral_keywords_are_accepted():
    x = _leaf([[1.0, 2.0]])
    assert np.sum(x, out=None, where=True).item() == 3.0
    assert np.reshape(x, (2, 1), order="C").shape == (2, 1)


def test_np_where_with_only_a_condition_gives_the_indices_without_gradient():
    (indices,) = np.where(_leaf([1.0, 0.0, -1.0]))
    assert isinstance(indices, ag.Tensor) and not indices.requires_grad
    assert indices.tolist() == [0, 2]
    assert np.where(ag.tensor([0.0, 2.0]))[0].tolist() == [1]


def test_a_function_without_an_op_on_a_tensor_that_requires_grad_names_the_way_out():
    with pytest.raises(TypeError, match=r"np.nancumsum: autograd_lite has no op for it, so it "
                                        r"would drop the gradient.*t.detach\(\).numpy\(\)"):
        np.nancumsum(_leaf([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"np.linalg.svd: .*use ag.linalg.svd\(t, "
                                        r"full_matrices=False\)"):
        np.linalg.svd(_leaf([[3.0, 4.0]]))
    with pytest.raises(TypeError, match=r"np.block: autograd_lite has no op for it"):
        np.block([ag.tensor([1.0]), _leaf([2.0])])  # a tensor inside a list counts too


def test_a_function_without_an_op_on_plain_tensors_gives_numpys_result():
    assert np.nancumsum(ag.tensor([1.0, 2.0, 3.0])).tolist() == [1.0, 3.0, 6.0]
    assert np.count_nonzero(ag.tensor([0.0, 2.0, 3.0])) == 2


# --- conversion and inspection ----------------------------------------------------------------


def test_np_asarray_shares_the_data_and_np_array_copies_it():
    t = ag.tensor([1.0, 2.0])
    assert np.asarray(t) is t.data
    copied = np.array(t)
    copied[0] = 99.0
    assert t.numpy().tolist() == [1.0, 2.0]
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="needs a copy, but copy=False was given"):
        np.array(t, dtype=np.float64, copy=False)


def test_inspecting_functions_work_on_tensors_that_require_grad():
    x = _leaf([1.0, 2.0])
    assert np.allclose(x, [1.0, 2.0 + 1e-12]) and not np.allclose(x, [1.0, 2.1])
    assert np.isclose(x, [1.0, 0.0]).tolist() == [True, False]
    assert np.shape(x) == (2,) and np.ndim(x) == 1 and np.size(x) == 2
    assert np.array_equal(x, ag.tensor([1.0, 2.0]))


def test_np_testing_assert_allclose_accepts_tensors():
    np.testing.assert_allclose(_leaf([1.0, 2.0]), [1.0, 2.0])
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(ag.tensor([1.0, 2.0]), [1.0, 2.5])


def test_matplotlib_plots_tensors(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    x = ag.linspace(0.0, 1.0, 5)
    y = (x * 2).sigmoid()
    w = ag.tensor(np.full(5, 3.0), requires_grad=True)
    figure = Figure()
    ax = figure.subplots()
    (line,) = ax.plot(x, w)
    ax.scatter(x, y, c=y)
    ax.bar(x, y)
    ax.imshow(ag.ones(3, 3))
    figure.savefig(tmp_path / "plot.png")
    np.testing.assert_allclose(line.get_xydata(), np.stack([x.numpy(), np.full(5, 3.0)], 1))
    assert (tmp_path / "plot.png").stat().st_size > 0
