"""The sliding-window primitives unfold and fold: values, adjointness, gradients, errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import primitive


def naive_unfold(x, kernel, stride, padding, dilation):
    """Windows (N, C, kh, kw, out_h, out_w) by explicit loops over every output position."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out_h = (padded.shape[2] - dh * (kh - 1) - 1) // sh + 1
    out_w = (padded.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros(x.shape[:2] + (kh, kw, out_h, out_w), dtype=x.dtype)
    for y in range(out_h):
        for x_pos in range(out_w):
            for i in range(kh):
                for j in range(kw):
                    out[:, :, i, j, y, x_pos] = padded[:, :, y * sh + i * dh, x_pos * sw + j * dw]
    return out


def naive_fold(windows, size, stride, padding, dilation):
    """Scatter-add every window element to its source pixel, one element at a time."""
    n, c, kh, kw, out_h, out_w = windows.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    padded = np.zeros((n, c, size[0] + 2 * ph, size[1] + 2 * pw), dtype=windows.dtype)
    for y in range(out_h):
        for x_pos in range(out_w):
            for i in range(kh):
                for j in range(kw):
                    padded[:, :, y * sh + i * dh, x_pos * sw + j * dw] += windows[:, :, i, j, y,
                                                                                  x_pos]
    return padded[:, :, ph:ph + size[0], pw:pw + size[1]]


# Central differences in float64 are accurate to ~1e-9 here: check far tighter than the defaults.
TIGHT = {"atol": 1e-7, "rtol": 1e-6, "max_full_size": 2000}


CASES = [  # kernel, stride, padding, dilation
    ((3, 3), (1, 1), (0, 0), (1, 1)),
    ((3, 3), (1, 1), (1, 1), (1, 1)),
    ((2, 2), (2, 2), (0, 0), (1, 1)),
    ((3, 2), (2, 1), (1, 0), (1, 2)),
    ((2, 3), (3, 2), (2, 1), (2, 1)),
    ((1, 1), (1, 1), (0, 0), (1, 1)),
]


@pytest.mark.parametrize(("kernel", "stride", "padding", "dilation"), CASES)
def test_unfold_matches_naive_loops(kernel, stride, padding, dilation):
    x = np.random.default_rng(0).normal(size=(2, 3, 7, 6))
    windows = ag.unfold(x, kernel, stride, padding, dilation)
    np.testing.assert_array_equal(windows.numpy(),
                                  naive_unfold(x, kernel, stride, padding, dilation))


@pytest.mark.parametrize(("kernel", "stride", "padding", "dilation"), CASES)
def test_fold_matches_naive_scatter(kernel, stride, padding, dilation):
    rng = np.random.default_rng(1)
    shape = naive_unfold(np.zeros((2, 3, 7, 6)), kernel, stride, padding, dilation).shape
    windows = rng.normal(size=shape)
    image = ag.fold(windows, (7, 6), kernel, stride, padding, dilation)
    np.testing.assert_allclose(image.numpy(),
                               naive_fold(windows, (7, 6), stride, padding, dilation), rtol=1e-12)


def test_unfold_accepts_int_parameters_like_pairs():
    x = np.arange(2 * 25, dtype=np.float64).reshape(1, 2, 5, 5)
    np.testing.assert_array_equal(ag.unfold(x, 2, stride=2, padding=1, dilation=1).numpy(),
                                  naive_unfold(x, (2, 2), (2, 2), (1, 1), (1, 1)))


def test_unfold_gives_pytorch_output_size():
    x = ag.zeros((1, 1, 8, 8))
    assert ag.unfold(x, 3, padding=1).shape == (1, 1, 3, 3, 8, 8)
    assert ag.unfold(x, 3, stride=2).shape == (1, 1, 3, 3, 3, 3)
    assert ag.unfold(x, 3, dilation=2).shape == (1, 1, 3, 3, 4, 4)


def test_fold_of_unfold_counts_covering_windows():
    ones = np.ones((1, 1, 4, 4))
    counts = ag.fold(ag.unfold(ones, 3, padding=1), (4, 4), 3, padding=1).numpy()
    expected = np.array([[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]], dtype=float)
    np.testing.assert_array_equal(counts[0, 0], expected)


@st.composite
def window_problems(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    height = draw(st.integers(max(1, spans[0] - 2 * padding[0]), 6))
    width = draw(st.integers(max(1, spans[1] - 2 * padding[1]), 6))
    seed = draw(st.integers(0, 2**16))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 2)), height, width), kernel, stride, \
        padding, dilation, seed


@given(window_problems())
def test_fold_is_the_adjoint_of_unfold(problem):
    shape, kernel, stride, padding, dilation, seed = problem
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    windows = ag.unfold(x, kernel, stride, padding, dilation).numpy()
    np.testing.assert_array_equal(windows, naive_unfold(x, kernel, stride, padding, dilation))
    direction = rng.normal(size=windows.shape)
    image = ag.fold(direction, shape[2:], kernel, stride, padding, dilation).numpy()
    np.testing.assert_allclose(np.sum(windows * direction), np.sum(x * image), rtol=1e-10,
                               atol=1e-10)


@pytest.mark.parametrize(("kernel", "stride", "padding", "dilation"), CASES[1:5])
def test_unfold_gradients_of_first_and_second_order_match_finite_differences(
        kernel, stride, padding, dilation):
    x = ag.tensor(np.random.default_rng(2).normal(size=(1, 1, 5, 6)), requires_grad=True)
    assert ag.gradgradcheck(lambda a: ag.unfold(a, kernel, stride, padding, dilation) ** 2, [x],
                            **TIGHT)


@pytest.mark.parametrize(("kernel", "stride", "padding", "dilation"), CASES[1:5])
def test_fold_gradients_of_first_and_second_order_match_finite_differences(
        kernel, stride, padding, dilation):
    shape = naive_unfold(np.zeros((1, 1, 5, 6)), kernel, stride, padding, dilation).shape
    windows = ag.tensor(np.random.default_rng(3).normal(size=shape), requires_grad=True)
    assert ag.gradgradcheck(
        lambda w: ag.fold(w, (5, 6), kernel, stride, padding, dilation) ** 2, [windows], **TIGHT)


def test_pixels_no_window_covers_get_zero_gradient():
    x = ag.ones((1, 1, 5, 5), dtype=np.float64, requires_grad=True)
    ag.unfold(x, 2, stride=2).sum().backward()  # windows cover rows and columns 0..3 only
    expected = np.ones((5, 5))
    expected[4, :] = expected[:, 4] = 0
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)


def test_second_order_through_unfold_gives_hessian_vector_product():
    # y = sum(unfold(x)**3): grad = fold(3 u**2), and the Hessian applied to v is
    # fold(6 u * unfold(v)), with u = unfold(x).
    rng = np.random.default_rng(4)
    params = ((3, 2), (2, 1), (1, 1), (1, 2))
    x_array, v_array = rng.normal(size=(2, 2, 5, 6)), rng.normal(size=(2, 2, 5, 6))
    x = ag.tensor(x_array, requires_grad=True)
    (grad,) = ag.grad((ag.unfold(x, *params) ** 3).sum(), x, create_graph=True)
    assert grad.op_name == "fold"
    (hessian_v,) = ag.grad((grad * v_array).sum(), x)
    u = naive_unfold(x_array, *params)
    stride, padding, dilation = params[1:]
    np.testing.assert_allclose(grad.numpy(), naive_fold(3 * u**2, (5, 6), stride, padding,
                                                        dilation), rtol=1e-12)
    expected = naive_fold(6 * u * naive_unfold(v_array, *params), (5, 6), stride, padding,
                          dilation)
    np.testing.assert_allclose(hessian_v.numpy(), expected, rtol=1e-10)


def test_second_order_through_fold_records_unfold():
    windows = ag.tensor(np.random.default_rng(5).normal(size=(1, 1, 2, 2, 3, 3)),
                        requires_grad=True)
    (grad,) = ag.grad((ag.fold(windows, (4, 4), 2) ** 2).sum(), windows, create_graph=True)
    assert grad.op_name == "unfold"
    (again,) = ag.grad(grad.sum(), windows)
    # d/dw sum(unfold(2 fold(w))) = unfold(fold(2 * ones)): twice the coverage count.
    counts = ag.fold(np.ones((1, 1, 2, 2, 3, 3)), (4, 4), 2).numpy()
    np.testing.assert_allclose(again.numpy(), naive_unfold(2 * counts, (2, 2), (1, 1), (0, 0),
                                                           (1, 1)))


def test_float32_stays_float32():
    x = ag.randn(2, 3, 6, 6, requires_grad=True)
    windows = ag.unfold(x, 3, padding=1, stride=2)
    assert windows.dtype == np.float32
    assert ag.fold(windows, (6, 6), 3, padding=1, stride=2).dtype == np.float32
    (windows * windows).sum().backward()
    assert x.grad.dtype == np.float32


def test_unfold_and_fold_are_registered_primitives():
    assert "unfold" in primitive.PRIMITIVES and "fold" in primitive.PRIMITIVES
    assert primitive.NUMPY.unfold is primitive.PRIMITIVES["unfold"].forward
    assert {"unfold", "fold"} <= set(ag.PUBLIC_OPS)


def test_unfold_rejects_input_that_is_not_4d():
    with pytest.raises(ValueError, match=r"unfold: expects a 4-D input .* got shape \(3, 8, 8\)"):
        ag.unfold(ag.zeros((3, 8, 8)), 3)


def test_unfold_rejects_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"unfold: kernel \(5, 5\) .* spans 5x5 .* padded input "
                                         r"4x4 \(input shape \(1, 1, 2, 2\), padding \(1, 1\)\)"):
        ag.unfold(ag.zeros((1, 1, 2, 2)), 5, padding=1)


def test_unfold_rejects_dilated_kernel_larger_than_input():
    with pytest.raises(ValueError, match=r"unfold: kernel \(3, 3\) with dilation \(3, 3\) spans "
                                         r"7x7"):
        ag.unfold(ag.zeros((1, 1, 6, 6)), 3, dilation=3)


@pytest.mark.parametrize(("keyword", "value", "message"), [
    ("stride", 0, r"unfold: stride must be positive, got 0"),
    ("stride", (1, -2), r"unfold: stride must be positive, got \(1, -2\)"),
    ("padding", -1, r"unfold: padding must be non-negative, got -1"),
    ("dilation", 0, r"unfold: dilation must be positive, got 0"),
])
def test_unfold_rejects_out_of_range_parameters(keyword, value, message):
    with pytest.raises(ValueError, match=message):
        ag.unfold(ag.zeros((1, 1, 5, 5)), 2, **{keyword: value})


@pytest.mark.parametrize("kernel", [2.0, (2, 2, 2), "3", True])
def test_unfold_rejects_kernel_size_that_is_not_int_or_pair(kernel):
    with pytest.raises(TypeError, match=r"unfold: kernel_size must be an int or a pair of ints"):
        ag.unfold(ag.zeros((1, 1, 5, 5)), kernel)


def test_fold_rejects_windows_that_do_not_match_the_output_size():
    with pytest.raises(ValueError, match=r"fold: windows of shape \(1, 1, 2, 2, 3, 3\) do not "
                                         r"match .* needs windows of shape \(1, 1, 2, 2, 4, 4\)"):
        ag.fold(ag.zeros((1, 1, 2, 2, 3, 3)), (5, 5), 2)


def test_non_numeric_input_errors_name_unfold_and_fold():
    # the one conversion of every op's operands (as_inputs) says what it got and what it takes
    with pytest.raises(TypeError, match=r"^unfold: unsupported operand of type str; expected a "
                                        r"Tensor, a number or a numeric array"):
        ag.unfold("image", 2)
    with pytest.raises(TypeError, match=r"^fold: unsupported operand of type str"):
        ag.fold("windows", (2, 2), 1)


def test_fold_rejects_windows_that_are_not_6d():
    with pytest.raises(ValueError, match=r"fold: expects 6-D windows .* got shape \(1, 4, 9\)"):
        ag.fold(ag.zeros((1, 4, 9)), (4, 4), 2)
