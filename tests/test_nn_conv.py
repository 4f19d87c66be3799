"""Convolution and pooling: values against naive NumPy loops, gradients, conventions, errors."""

import re
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as ag
from nn.conv import AvgPool2d, Conv2d, MaxPool2d, avg_pool2d, conv2d, max_pool2d


def patches(x, kernel, stride, padding, dilation, fill=0.0):
    """Yield (y, x, patch (N, C, kh, kw)) for every output position, by slicing a padded copy."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    out_h = (padded.shape[2] - dh * (kh - 1) - 1) // sh + 1
    out_w = (padded.shape[3] - dw * (kw - 1) - 1) // sw + 1
    for y in range(out_h):
        for x_pos in range(out_w):
            rows = slice(y * sh, y * sh + dh * (kh - 1) + 1, dh)
            columns = slice(x_pos * sw, x_pos * sw + dw * (kw - 1) + 1, dw)
            yield y, x_pos, padded[:, :, rows, columns]


def apply_per_window(x, kernel, stride, padding, dilation, reduce, fill=0.0):
    """Apply ``reduce`` (patch (N, C, kh, kw) -> (N, K)) at every output position: (N, K, h, w)."""
    results = {(y, x_pos): reduce(patch)
               for y, x_pos, patch in patches(x, kernel, stride, padding, dilation, fill)}
    out_h, out_w = (max(k) + 1 for k in zip(*results, strict=True))
    first = next(iter(results.values()))
    out = np.zeros(first.shape + (out_h, out_w), dtype=first.dtype)
    for (y, x_pos), value in results.items():
        out[:, :, y, x_pos] = value
    return out


def naive_conv2d(x, weight, bias, stride, padding, dilation):
    out = apply_per_window(x, weight.shape[2:], stride, padding, dilation,
                           lambda patch: np.einsum("nchw,ochw->no", patch, weight))
    return out if bias is None else out + bias[:, None, None]


CONV_CASES = [  # stride, padding, dilation
    ((1, 1), (0, 0), (1, 1)),
    ((1, 1), (1, 1), (1, 1)),
    ((2, 2), (1, 1), (1, 1)),
    ((2, 1), (0, 2), (2, 1)),
]


@pytest.mark.parametrize(("stride", "padding", "dilation"), CONV_CASES)
def test_conv2d_matches_naive_loops(stride, padding, dilation):
    rng = np.random.default_rng(0)
    x, weight, bias = (rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2)),
                       rng.normal(size=4))
    out = conv2d(x, weight, bias, stride, padding, dilation)
    np.testing.assert_allclose(out.numpy(), naive_conv2d(x, weight, bias, stride, padding,
                                                         dilation), rtol=1e-10)


def test_conv2d_without_bias_and_with_int_parameters():
    rng = np.random.default_rng(1)
    x, weight = rng.normal(size=(1, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
    np.testing.assert_allclose(conv2d(x, weight, stride=2, padding=1).numpy(),
                               naive_conv2d(x, weight, None, (2, 2), (1, 1), (1, 1)), rtol=1e-10)


def test_conv2d_of_single_image_drops_the_batch_axis():
    rng = np.random.default_rng(2)
    image, weight = rng.normal(size=(2, 5, 5)), rng.normal(size=(3, 2, 3, 3))
    out = conv2d(image, weight, padding=1)
    assert out.shape == (3, 5, 5)
    np.testing.assert_allclose(out.numpy(), conv2d(image[None], weight, padding=1).numpy()[0])


def test_conv2d_with_identity_kernel_copies_the_input():
    x = np.arange(18, dtype=np.float64).reshape(1, 2, 3, 3)
    identity = np.zeros((2, 2, 3, 3))
    identity[0, 0, 1, 1] = identity[1, 1, 1, 1] = 1.0
    np.testing.assert_array_equal(conv2d(x, identity, padding=1).numpy(), x)


# Central differences in float64 are accurate to ~1e-9 here: check far tighter than the defaults.
TIGHT = {"atol": 1e-7, "rtol": 1e-6, "max_full_size": 2000}


@pytest.mark.parametrize(("stride", "padding", "dilation"), CONV_CASES[1:])
def test_conv2d_gradients_match_finite_differences(stride, padding, dilation):
    rng = np.random.default_rng(3)
    x, weight, bias = (ag.tensor(rng.normal(size=shape), requires_grad=True)
                       for shape in [(2, 2, 5, 5), (3, 2, 2, 3), (3,)])
    assert ag.gradcheck(lambda *args: conv2d(*args, stride, padding, dilation),
                        [x, weight, bias], **TIGHT)


def test_conv2d_second_derivatives_match_finite_differences():
    rng = np.random.default_rng(4)
    x, weight, bias = (ag.tensor(rng.normal(size=shape), requires_grad=True)
                       for shape in [(1, 2, 4, 4), (2, 2, 3, 3), (2,)])
    assert ag.gradgradcheck(lambda *args: conv2d(*args, stride=2, padding=1),
                            [x, weight, bias], **TIGHT)


def test_conv2d_gradient_penalty_can_be_differentiated():
    # The weight gradient of |d/dx sum(conv(x, w)**2)|**2, recorded with create_graph.
    x_array = np.random.default_rng(5).normal(size=(1, 2, 4, 4))

    def penalty(w):
        x = ag.tensor(x_array, requires_grad=True)
        (grad_x,) = ag.grad((conv2d(x, w, padding=1, stride=2) ** 2).sum(), x, create_graph=True)
        return (grad_x ** 2).sum()

    weight = ag.tensor(np.random.default_rng(6).normal(size=(2, 2, 3, 3)), requires_grad=True)
    assert ag.gradcheck(penalty, [weight], **TIGHT)


POOL_CASES = [  # kernel, stride, padding
    ((2, 2), None, (0, 0)),
    ((3, 3), (1, 1), (1, 1)),
    ((3, 2), (2, 1), (1, 0)),
]


def _pair_stride(kernel, stride):
    return kernel if stride is None else stride


@pytest.mark.parametrize(("kernel", "stride", "padding"), POOL_CASES)
def test_max_pool2d_matches_naive_loops(kernel, stride, padding):
    x = np.random.default_rng(5).normal(size=(2, 3, 7, 6))
    expected = apply_per_window(x, kernel, _pair_stride(kernel, stride), padding, (1, 1),
                                lambda patch: patch.max(axis=(2, 3)), -np.inf)
    np.testing.assert_array_equal(max_pool2d(x, kernel, stride, padding).numpy(), expected)


def test_max_pool2d_with_dilation_matches_naive_loops():
    x = np.random.default_rng(6).normal(size=(1, 2, 7, 7))
    expected = apply_per_window(x, (2, 2), (1, 1), (0, 0), (2, 3),
                                lambda patch: patch.max(axis=(2, 3)), -np.inf)
    np.testing.assert_array_equal(max_pool2d(x, 2, stride=1, dilation=(2, 3)).numpy(), expected)


@pytest.mark.parametrize(("kernel", "stride", "padding"), POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_naive_loops(kernel, stride, padding, count_include_pad):
    x = np.random.default_rng(7).normal(size=(2, 3, 7, 6))
    stride_pair = _pair_stride(kernel, stride)

    def window_sums(image):
        return apply_per_window(image, kernel, stride_pair, padding, (1, 1),
                                lambda patch: patch.sum(axis=(2, 3)))

    divisor = kernel[0] * kernel[1] if count_include_pad else window_sums(np.ones((1, 1, 7, 6)))
    out = avg_pool2d(x, kernel, stride, padding, count_include_pad=count_include_pad)
    np.testing.assert_allclose(out.numpy(), window_sums(x) / divisor, rtol=1e-12)


def test_max_pool2d_splits_tied_maxima_evenly():
    x = ag.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((1, 1, 2, 2), 0.25))


def test_max_pool2d_overlapping_windows_accumulate_on_a_shared_maximum():
    x = ag.tensor(np.array([[[[1.0, 3.0, 2.0]]]]), requires_grad=True)
    max_pool2d(x, (1, 2), stride=1).sum().backward()  # both windows pick the 3
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0.0, 2.0, 0.0]]]])


def test_max_pool2d_padding_is_never_the_maximum():
    x = ag.tensor(np.full((1, 1, 2, 2), -5.0), requires_grad=True)
    out = max_pool2d(x, 2, stride=1, padding=1)
    np.testing.assert_array_equal(out.numpy(), np.full((1, 1, 3, 3), -5.0))
    out.sum().backward()
    # Each pixel is alone in a corner window, shares two edge windows and the centre one.
    np.testing.assert_array_equal(x.grad.numpy(), np.full((1, 1, 2, 2), 1 + 0.5 + 0.5 + 0.25))


def test_max_pool2d_pads_integer_images_with_their_lowest_value():
    x = np.array([[[[-7, 2], [3, -9]]]], dtype=np.int64)
    out = max_pool2d(x, 2, stride=1, padding=1)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), [[[[-7, 2, 2], [3, 3, 2], [3, 3, -9]]]])


@pytest.mark.parametrize("pool", [
    lambda a: max_pool2d(a, 3, stride=2, padding=1),
    lambda a: max_pool2d(a, 2, stride=1, dilation=2),
    lambda a: avg_pool2d(a, 3, stride=2, padding=1),
    lambda a: avg_pool2d(a, 3, stride=2, padding=1, count_include_pad=False),
], ids=["max", "max_dilated", "avg_include_pad", "avg_exclude_pad"])
def test_pool_gradients_of_first_and_second_order_match_finite_differences(pool):
    values = np.random.default_rng(8).permutation(2 * 2 * 5 * 5).reshape(2, 2, 5, 5) / 7.0
    x = ag.tensor(values, requires_grad=True)  # distinct values: no ties, no kinks within eps
    assert ag.gradgradcheck(lambda a: pool(a) ** 2, [x], **TIGHT)


def test_float32_stays_float32_through_conv_and_pools():
    x = ag.randn(2, 3, 8, 8, requires_grad=True)
    weight = ag.randn(4, 3, 3, 3, requires_grad=True)
    bias = ag.zeros(4, requires_grad=True)
    hidden = conv2d(x, weight, bias, padding=1)
    out = avg_pool2d(max_pool2d(hidden, 2, padding=1), 2, padding=1, count_include_pad=False)
    assert hidden.dtype == out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == weight.grad.dtype == bias.grad.dtype == np.float32


def test_conv2d_rejects_mismatched_channels():
    with pytest.raises(ValueError, match=r"conv2d: the input has 3 channels \(shape "
                                         r"\(2, 3, 8, 8\)\) but the weight \(4, 1, 3, 3\) "
                                         r"expects 1"):
        conv2d(ag.zeros((2, 3, 8, 8)), ag.zeros((4, 1, 3, 3)))


def test_conv2d_rejects_bias_of_wrong_shape():
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(4,\) .* got \(3,\)"):
        conv2d(ag.zeros((2, 1, 8, 8)), ag.zeros((4, 1, 3, 3)), ag.zeros(3))


def test_conv2d_rejects_weight_that_is_not_4d():
    with pytest.raises(ValueError, match=r"conv2d: weight must be 4-D .* got shape \(4, 9\)"):
        conv2d(ag.zeros((2, 1, 8, 8)), ag.zeros((4, 9)))


def test_conv2d_rejects_input_that_is_not_an_image_batch():
    with pytest.raises(ValueError, match=r"conv2d: expects a 4-D input .* got shape \(8, 8\)"):
        conv2d(ag.zeros((8, 8)), ag.zeros((4, 1, 3, 3)))


def test_conv2d_names_itself_when_the_kernel_does_not_fit():
    with pytest.raises(ValueError, match=r"conv2d: kernel \(5, 5\) .* larger than the "
                                         r"padded input 4x4"):
        conv2d(ag.zeros((1, 1, 4, 4)), ag.zeros((2, 1, 5, 5)))


def test_conv2d_names_itself_for_a_bad_stride():
    with pytest.raises(ValueError, match=r"conv2d: stride must be positive, got 0"):
        conv2d(ag.zeros((1, 1, 4, 4)), ag.zeros((2, 1, 3, 3)), stride=0)


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
def test_pools_reject_padding_over_half_the_kernel(pool):
    name = pool.__name__
    with pytest.raises(ValueError, match=rf"{name}: padding \(2, 2\) must be at most half the "
                                         rf"kernel \(3, 3\)"):
        pool(ag.zeros((1, 1, 6, 6)), 3, padding=2)


def test_cnn_step_learns_to_tell_horizontal_from_vertical_bars():
    # A few SGD steps of conv -> relu -> max pool -> linear must separate the two classes.
    rng = np.random.default_rng(9)
    images = np.zeros((32, 1, 6, 6), dtype=np.float32)
    labels = np.arange(32) % 2
    for index, (label, position) in enumerate(zip(labels, rng.integers(0, 6, 32), strict=True)):
        if label:
            images[index, 0, :, position] = 1.0
        else:
            images[index, 0, position, :] = 1.0
    images += rng.normal(scale=0.1, size=images.shape).astype(np.float32)
    weight = ag.tensor(rng.normal(scale=0.5, size=(4, 1, 3, 3)).astype(np.float32),
                       requires_grad=True)
    readout = ag.tensor(rng.normal(scale=0.1, size=(4 * 9, 2)).astype(np.float32),
                        requires_grad=True)
    targets = np.eye(2, dtype=np.float32)[labels]

    def loss():
        hidden = max_pool2d(ag.relu(conv2d(images, weight, padding=1)), 2)
        logits = ag.reshape(hidden, (32, -1)) @ readout
        return -(ag.log_softmax(logits, axis=1) * targets).sum() / 32

    first = loss().item()
    for _ in range(60):
        value = loss()
        weight.grad = readout.grad = None
        value.backward()
        for parameter in (weight, readout):
            parameter.data -= 0.5 * parameter.grad.data
    assert loss().item() < 0.2 * first


# --- modules ---------------------------------------------------------------------------------


def test_conv2d_module_draws_pytorch_default_init_from_the_default_generator():
    ag.manual_seed(3)
    layer = Conv2d(2, 5, (3, 2))
    bound = 1 / np.sqrt(2 * 3 * 2)
    rng = np.random.default_rng(3)  # what ag.manual_seed(3) installs, drawn in the same order
    np.testing.assert_array_equal(layer.weight.numpy(),
                                  rng.uniform(-bound, bound, (5, 2, 3, 2)).astype(np.float32))
    np.testing.assert_array_equal(layer.bias.numpy(),
                                  rng.uniform(-bound, bound, 5).astype(np.float32))
    assert layer.weight.dtype == layer.bias.dtype == np.float32
    assert layer.weight.requires_grad and layer.bias.requires_grad


def test_conv2d_module_is_reproducible_under_manual_seed():
    ag.manual_seed(0)
    first = Conv2d(1, 4, 3).weight.numpy()
    ag.manual_seed(0)
    np.testing.assert_array_equal(Conv2d(1, 4, 3).weight.numpy(), first)


def test_conv2d_module_computes_the_functional_conv():
    layer = Conv2d(3, 4, 3, stride=2, padding=1, dilation=(1, 2))
    x = ag.randn(2, 3, 9, 9)
    expected = conv2d(x, layer.weight, layer.bias, stride=2, padding=1, dilation=(1, 2))
    np.testing.assert_array_equal(layer(x).numpy(), expected.numpy())
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


def test_conv2d_module_without_bias_has_only_a_weight():
    layer = Conv2d(1, 2, 2, bias=False)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert list(layer.state_dict()) == ["weight"]
    x = ag.randn(1, 1, 3, 3)
    np.testing.assert_array_equal(layer(x).numpy(), conv2d(x, layer.weight).numpy())


def test_conv2d_module_gradients_reach_its_parameters():
    layer = Conv2d(1, 3, 3, padding=1)
    (layer(ag.randn(2, 1, 5, 5)) ** 2).sum().backward()
    assert layer.weight.grad.shape == (3, 1, 3, 3) and layer.bias.grad.shape == (3,)
    assert np.all(layer.bias.grad.numpy() != 0)


def test_pool_modules_compute_the_functional_pools():
    x = ag.randn(2, 3, 7, 7)
    np.testing.assert_array_equal(MaxPool2d(3, 2, 1, dilation=1)(x).numpy(),
                                  max_pool2d(x, 3, 2, 1).numpy())
    np.testing.assert_array_equal(AvgPool2d(3, 2, 1, count_include_pad=False)(x).numpy(),
                                  avg_pool2d(x, 3, 2, 1, count_include_pad=False).numpy())
    assert list(MaxPool2d(2).parameters()) == list(AvgPool2d(2).parameters()) == []


def test_module_reprs_read_like_pytorch():
    assert repr(Conv2d(1, 8, 3, padding=1)) == (
        "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))")
    assert repr(Conv2d(2, 4, (3, 1), dilation=2, bias=False)) == (
        "Conv2d(2, 4, kernel_size=(3, 1), stride=(1, 1), dilation=(2, 2), bias=False)")
    assert repr(MaxPool2d(2)) == (
        "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1))")
    assert repr(AvgPool2d(3, 1, 1, count_include_pad=False)) == (
        "AvgPool2d(kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), count_include_pad=False)")


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Conv2d(0, 4, 3), r"Conv2d: in_channels must be a positive int, got 0"),
    (lambda: Conv2d(1, 2.5, 3), r"Conv2d: out_channels must be a positive int, got 2.5"),
    (lambda: Conv2d(1, 4, 0), r"Conv2d: kernel_size must be positive, got 0"),
    (lambda: MaxPool2d(2, padding=2), r"MaxPool2d: padding \(2, 2\) must be at most half"),
    (lambda: AvgPool2d(3, stride=0), r"AvgPool2d: stride must be positive, got 0"),
])
def test_modules_reject_bad_settings_when_constructed(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_conv_file_writes_no_derivative():
    source = (Path(__file__).parents[1] / "nn" / "conv.py").read_text()
    assert not re.search(r"def backward|def vjp|\.vjp\(|engine", source)


def test_nn_and_nn_functional_export_the_conv_api():
    import nn

    assert (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d) == (Conv2d, MaxPool2d, AvgPool2d)
    assert (nn.functional.conv2d, nn.functional.max_pool2d, nn.functional.avg_pool2d) == (
        conv2d, max_pool2d, avg_pool2d)
