"""nn.functional breadth (issue 13): convolutions with groups, 'same' padding and transposes,
pooling with ceil_mode, padding modes, resampling, distances, norms, activations, dropout
variants and the margin losses.

Expected values are written out from PyTorch's results for the same inputs, or computed by
independent NumPy loops; every new function gets a float64 gradcheck, and each kink a pinned
gradient. (The modules' formulas and gradients are also checked by tests/nn_registry.py.)
"""

import math

import numpy as np
import pytest
from op_registry import GRADCHECK_TOLERANCE, _conv2d_reference

import autograd_lite as ag
import nn
import nn.functional as F

RNG = np.random.default_rng(13)


def _t(*shape, low=-1.0, high=1.0):
    return ag.tensor(RNG.uniform(low, high, shape), requires_grad=True)


def _grad(f, *arrays):
    tensors = [ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    f(*tensors).sum().backward()
    return [t.grad.numpy() for t in tensors]


# --- convolution -------------------------------------------------------------------------


def test_grouped_conv2d_matches_per_group_loops():
    x, weight, bias = RNG.normal(size=(2, 6, 5, 4)), RNG.normal(size=(4, 3, 3, 2)), np.zeros(4)
    out = F.conv2d(x, weight, groups=2, padding=1, dilation=(1, 2))
    np.testing.assert_allclose(out.numpy(), _conv2d_reference(x, weight, bias, (1, 1), (1, 1),
                                                              (1, 2), 2), rtol=1e-10)


def test_depthwise_conv2d_convolves_each_channel_alone():
    x = RNG.normal(size=(1, 3, 4, 4))
    weight = np.zeros((3, 1, 1, 1))
    weight[:, 0, 0, 0] = [1.0, 2.0, -1.0]
    np.testing.assert_allclose(F.conv2d(x, weight, groups=3).numpy(),
                               x * np.array([1.0, 2.0, -1.0]).reshape(1, 3, 1, 1))


def test_padding_same_with_an_even_kernel_pads_the_bottom_right_as_pytorch():
    # PyTorch: a 2x2 kernel with a 1 at (0, 0) gives the input back; a 4x4 one shifts it by
    # one pixel (total padding 3: 1 before, 2 after).
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    corner = np.zeros((1, 1, 2, 2))
    corner[0, 0, 0, 0] = 1.0
    np.testing.assert_array_equal(F.conv2d(x, corner, padding="same").numpy(), x)
    corner = np.zeros((1, 1, 4, 4))
    corner[0, 0, 0, 0] = 1.0
    shifted = np.zeros((1, 1, 5, 5))
    shifted[0, 0, 1:, 1:] = x[0, 0, :4, :4]
    np.testing.assert_array_equal(F.conv2d(x, corner, padding="same").numpy(), shifted)


def test_padding_valid_is_no_padding():
    x, weight = RNG.normal(size=(1, 2, 5, 5)), RNG.normal(size=(3, 2, 3, 3))
    np.testing.assert_array_equal(F.conv2d(x, weight, padding="valid").numpy(),
                                  F.conv2d(x, weight).numpy())


def test_conv1d_is_conv2d_on_a_unit_height():
    x, weight, bias = RNG.normal(size=(2, 4, 9)), RNG.normal(size=(6, 2, 3)), RNG.normal(size=6)
    out = F.conv1d(x, weight, bias, stride=2, padding=1, dilation=2, groups=2)
    expected = _conv2d_reference(x[:, :, None], weight[:, :, None], bias, (1, 2), (0, 1), (1, 2),
                                 2)[:, :, 0]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)
    assert F.conv1d(x[0], weight, groups=2).shape == (6, 7)  # one (C, L) signal


def test_conv_transpose2d_scatters_each_pixel_over_the_kernel():
    # PyTorch's result: with stride 2 the 2x2 kernel copies tile without overlapping.
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    kernel = np.array([[[[1.0, 10.0], [100.0, 1000.0]]]])
    np.testing.assert_array_equal(F.conv_transpose2d(x, kernel, stride=2).numpy()[0, 0], [
        [1, 10, 2, 20], [100, 1000, 200, 2000], [3, 30, 4, 40], [300, 3000, 400, 4000]])


def test_conv_transpose2d_output_padding_beyond_the_scatter_is_zero():
    # PyTorch allows output_padding < dilation with stride 1; the extra row and column are 0.
    out = F.conv_transpose2d(np.array([[[[1.0, 2.0]]]]), np.array([[[[1.0, 10.0]]]]),
                             output_padding=1, dilation=2)
    np.testing.assert_array_equal(out.numpy()[0, 0], [[1, 2, 10, 20, 0], [0, 0, 0, 0, 0]])


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    # <conv2d(x, w), y> == <x, conv_transpose2d(y, w)> for the same stride, padding, groups.
    x, weight = RNG.normal(size=(2, 4, 7, 6)), RNG.normal(size=(6, 2, 3, 3))
    options = {"stride": 2, "padding": 1, "dilation": (1, 2), "groups": 2}
    forward = F.conv2d(x, weight, **options).numpy()
    y = RNG.normal(size=forward.shape)
    back = F.conv_transpose2d(y, weight, output_padding=(0, 1), **options).numpy()
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(forward * y), np.sum(x * back), rtol=1e-10)


def test_conv_transpose2d_doubles_the_size_with_stride_2_padding_1_output_padding_1():
    layer = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)
    assert layer(ag.randn(1, 3, 5, 4)).shape == (1, 2, 10, 8)


@pytest.mark.parametrize(("f", "shapes"), [
    (lambda x, w: F.conv1d(x, w, padding="same", groups=2), [(1, 4, 5), (2, 2, 2)]),
    (lambda x, w: F.conv2d(x, w, stride=2, padding=1, groups=2), [(1, 4, 4, 4), (2, 2, 2, 2)]),
    (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1, groups=2),
     [(1, 4, 3, 2), (4, 1, 3, 2)]),
], ids=["conv1d", "conv2d groups", "conv_transpose2d"])
def test_convolution_gradients_of_first_and_second_order(f, shapes):
    inputs = [_t(*shape) for shape in shapes]
    assert ag.gradcheck(f, inputs, **GRADCHECK_TOLERANCE)
    assert ag.gradgradcheck(f, inputs, **GRADCHECK_TOLERANCE)


def test_conv_modules_have_pytorchs_state_dict_keys_and_shapes():
    model = nn.Sequential(nn.Conv1d(4, 6, 3, groups=2), nn.Conv2d(6, 8, 3, groups=2),
                          nn.ConvTranspose2d(8, 4, 3, groups=4), nn.GroupNorm(2, 4),
                          nn.InstanceNorm2d(4, affine=True, track_running_stats=True),
                          nn.PReLU(4))
    assert {k: v.shape for k, v in model.state_dict().items()} == {
        "0.weight": (6, 2, 3), "0.bias": (6,), "1.weight": (8, 3, 3, 3), "1.bias": (8,),
        "2.weight": (8, 1, 3, 3), "2.bias": (4,), "3.weight": (4,), "3.bias": (4,),
        "4.weight": (4,), "4.bias": (4,), "4.running_mean": (4,), "4.running_var": (4,),
        "4.num_batches_tracked": (), "5.weight": (4,)}


def test_grouped_and_transposed_init_bounds_use_pytorchs_fan_in():
    ag.manual_seed(0)
    grouped = nn.Conv2d(8, 4, 3, groups=4)  # fan_in = 8/4 * 9 = 18
    transposed = nn.ConvTranspose2d(2, 6, 2, groups=2)  # fan_in = 6/2 * 4 = 12
    for layer, fan_in in ((grouped, 18), (transposed, 12)):
        bound = 1 / math.sqrt(fan_in)
        assert 0.8 * bound < np.abs(layer.weight.data).max() <= bound


def test_conv_module_reprs_read_like_pytorch():
    assert repr(nn.Conv2d(4, 6, 3, padding="same", groups=2, padding_mode="reflect")) == (
        "Conv2d(4, 6, kernel_size=(3, 3), stride=(1, 1), padding=same, groups=2, "
        "padding_mode=reflect)")
    assert repr(nn.Conv1d(4, 6, 3, groups=2)) == (
        "Conv1d(4, 6, kernel_size=(3,), stride=(1,), groups=2)")
    assert repr(nn.ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1, dilation=2,
                                   bias=False)) == (
        "ConvTranspose2d(2, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
        "dilation=(2, 2), output_padding=(1, 1), bias=False)")


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda: F.conv2d(ag.zeros((1, 4, 5, 5)), ag.zeros((3, 2, 3, 3)), groups=2), ValueError,
     r"conv2d: groups=2 must divide the 3 output channels of the weight \(3, 2, 3, 3\)"),
    (lambda: F.conv2d(ag.zeros((1, 4, 5, 5)), ag.zeros((4, 3, 3, 3)), groups=2), ValueError,
     r"conv2d: the input has 4 channels \(shape \(1, 4, 5, 5\)\) but the weight "
     r"\(4, 3, 3, 3\) with groups=2 expects 6"),
    (lambda: F.conv2d(ag.zeros((1, 1, 5, 5)), ag.zeros((1, 1, 3, 3)), stride=2,
                      padding="same"), ValueError,
     r"conv2d: padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(ag.zeros((1, 1, 5, 5)), ag.zeros((1, 1, 3, 3)), padding="full"),
     ValueError, r"conv2d: padding must be an int, a pair of ints, 'valid' or 'same'"),
    (lambda: F.conv_transpose2d(ag.zeros((1, 2, 3, 3)), ag.zeros((2, 1, 3, 3)), stride=2,
                                output_padding=2), ValueError,
     r"conv_transpose2d: output_padding \(2, 2\) must be smaller than either stride"),
    (lambda: F.conv_transpose2d(ag.zeros((1, 3, 3, 3)), ag.zeros((2, 1, 3, 3))), ValueError,
     r"conv_transpose2d: the input has 3 channels .* but the weight \(2, 1, 3, 3\) expects 2"),
    (lambda: F.conv1d(ag.zeros((1, 2, 2)), ag.zeros((1, 2, 3))), ValueError,
     r"conv1d \(as conv2d on a height-1 image of shape \(1, 2, 1, 2\)\): conv2d: kernel"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError,
     r"Conv2d: in_channels=3 must be divisible by groups=2"),
    (lambda: nn.Conv2d(2, 2, 3, stride=2, padding="same"), ValueError,
     r"Conv2d: padding='same' is not supported for strided convolutions"),
    (lambda: nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"), ValueError,
     r"ConvTranspose2d: padding_mode must be 'zeros', got 'reflect'"),
])
def test_convolution_errors_name_the_function_and_the_fix(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- pooling -----------------------------------------------------------------------------


def test_pools_with_ceil_mode_keep_the_last_partial_window():
    x = np.arange(25.0).reshape(1, 1, 5, 5)  # PyTorch's results for kernel 2, ceil_mode=True
    np.testing.assert_array_equal(F.max_pool2d(x, 2, ceil_mode=True).numpy()[0, 0],
                                  [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    np.testing.assert_array_equal(F.avg_pool2d(x, 2, ceil_mode=True).numpy()[0, 0],
                                  [[3, 5, 6.5], [13, 15, 16.5], [20.5, 22.5, 24]])


def test_ceil_mode_drops_a_window_that_would_start_in_the_right_padding():
    # PyTorch: 5x5, kernel 3, stride 2, padding 1 gives 3x3 with or without ceil_mode; 6x6
    # gives 4x4 with it.
    assert F.max_pool2d(ag.ones((1, 1, 5, 5)), 3, 2, 1, ceil_mode=True).shape == (1, 1, 3, 3)
    assert F.max_pool2d(ag.ones((1, 1, 6, 6)), 3, 2, 1, ceil_mode=True).shape == (1, 1, 4, 4)


def test_avg_pool2d_divisor_counts_padding_but_not_the_ceil_overhang():
    x = np.arange(36.0).reshape(1, 1, 6, 6)
    out = F.avg_pool2d(x, 3, 2, 1, ceil_mode=True).numpy()[0, 0]
    # PyTorch: the last window covers row/column 5, one of padding and one beyond the padding
    # per axis, so it divides by 2*2, not 3*3.
    assert out[-1, -1] == pytest.approx(35 / 4)
    assert out[0, 0] == pytest.approx((0 + 1 + 6 + 7) / 9)  # padding counts


def test_avg_pool2d_divisor_override_and_pytorch_argument_order():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(F.avg_pool2d(x, 2, None, 0, False, True, 1).numpy(),
                                  F.avg_pool2d(x, 2).numpy() * 4)


@pytest.mark.parametrize("pool", [
    lambda a: F.max_pool2d(a, 2, ceil_mode=True),
    lambda a: F.avg_pool2d(a, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda a: F.adaptive_avg_pool2d(a, (2, 3)),
], ids=["max ceil", "avg ceil", "adaptive"])
def test_pool_gradients_match_finite_differences(pool):
    x = ag.tensor(RNG.permutation(50).reshape(1, 2, 5, 5) / 10.0, requires_grad=True)
    assert ag.gradcheck(pool, [x], **GRADCHECK_TOLERANCE)


def test_adaptive_avg_pool2d_bins_as_pytorch():
    x = np.arange(12.0).reshape(1, 1, 3, 4)  # PyTorch's result for output (2, 3)
    np.testing.assert_array_equal(F.adaptive_avg_pool2d(x, (2, 3)).numpy()[0, 0],
                                  [[2.5, 3.5, 4.5], [6.5, 7.5, 8.5]])
    np.testing.assert_array_equal(F.adaptive_avg_pool2d(x[0], 1).numpy(), [[[5.5]]])
    assert F.adaptive_avg_pool2d(x, (None, 2)).shape == (1, 1, 3, 2)


# --- padding and resampling --------------------------------------------------------------

IMAGE = np.arange(12.0).reshape(1, 1, 3, 4)


@pytest.mark.parametrize(("widths", "mode", "expected"), [
    ((2, 1, 1, 0), "reflect", [[6, 5, 4, 5, 6, 7, 6], [2, 1, 0, 1, 2, 3, 2],
                               [6, 5, 4, 5, 6, 7, 6], [10, 9, 8, 9, 10, 11, 10]]),
    ((1, 2, 0, 1), "replicate", [[0, 0, 1, 2, 3, 3, 3], [4, 4, 5, 6, 7, 7, 7],
                                 [8, 8, 9, 10, 11, 11, 11], [8, 8, 9, 10, 11, 11, 11]]),
    ((1, 1, 1, 0), "circular", [[11, 8, 9, 10, 11, 8], [3, 0, 1, 2, 3, 0],
                                [7, 4, 5, 6, 7, 4], [11, 8, 9, 10, 11, 8]]),
])
def test_pad_modes_give_pytorchs_borders(widths, mode, expected):
    np.testing.assert_array_equal(F.pad(IMAGE, widths, mode=mode).numpy()[0, 0], expected)


def test_constant_pad_with_negative_widths_crops_as_pytorch():
    np.testing.assert_array_equal(F.pad(IMAGE, (1, -1, -1, 0), value=9.0).numpy()[0, 0],
                                  [[9, 4, 5, 6], [9, 8, 9, 10]])


def test_replicate_pad_gradient_adds_the_copies_back_to_the_edge():
    (grad,) = _grad(lambda x: F.pad(x, (2, 0), mode="replicate"), [[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(grad, [[3.0, 1.0, 1.0]])


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradients_match_finite_differences(mode):
    assert ag.gradcheck(lambda x: F.pad(x, (2, 1, 1, 2), mode=mode), [_t(1, 2, 3, 4)],
                        **GRADCHECK_TOLERANCE)


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"size": (2, 3), "mode": "bilinear"}, [[7 / 6, 2.5, 23 / 6], [43 / 6, 8.5, 59 / 6]]),
    ({"scale_factor": 1.5}, [[0, 0, 1, 2, 2, 3], [0, 0, 1, 2, 2, 3], [4, 4, 5, 6, 6, 7],
                             [8, 8, 9, 10, 10, 11]]),
    ({"size": (2, 5)}, [[0, 0, 1, 2, 3], [4, 4, 5, 6, 7]]),
    ({"size": (2, 3), "mode": "area"}, [[2.5, 3.5, 4.5], [6.5, 7.5, 8.5]]),
    ({"scale_factor": 1.5, "mode": "bilinear", "align_corners": True},
     [[0, 0.6, 1.2, 1.8, 2.4, 3], [8 / 3, 3.2666666667, 3.8666666667, 4.4666666667,
                                   5.0666666667, 5.6666666667],
      [16 / 3, 5.9333333333, 6.5333333333, 7.1333333333, 7.7333333333, 8.3333333333],
      [8, 8.6, 9.2, 9.8, 10.4, 11]]),
])
def test_interpolate_gives_pytorchs_numbers(kwargs, expected):
    np.testing.assert_allclose(F.interpolate(IMAGE, **kwargs).numpy()[0, 0], expected,
                               rtol=1e-9, atol=1e-9)


def test_linear_interpolation_of_a_signal():
    out = F.interpolate(np.array([[[1.0, 2.0, 4.0]]]), size=5, mode="linear")
    np.testing.assert_allclose(out.numpy()[0, 0], [1.0, 1.4, 2.0, 3.2, 4.0])


@pytest.mark.parametrize("kwargs", [
    {"scale_factor": 2}, {"size": (5, 3), "mode": "bilinear"},
    {"scale_factor": 1.7, "mode": "bilinear", "align_corners": True}, {"size": 2, "mode": "area"},
    {"size": (4, 5), "mode": "nearest-exact"},
])
def test_interpolate_gradients_match_finite_differences(kwargs):
    assert ag.gradcheck(lambda x: F.interpolate(x, **kwargs), [_t(1, 2, 3, 4)],
                        **GRADCHECK_TOLERANCE)


def test_interpolate_keeps_float32():
    assert F.interpolate(ag.randn(1, 1, 3, 3), scale_factor=2, mode="bilinear").dtype == (
        np.float32)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: F.pad(IMAGE, (4, 0), mode="reflect"),
     r"pad: mode='reflect' needs widths smaller than the axis size; got \(4, 0\)"),
    (lambda: F.pad(IMAGE, (1, 0, 1), mode="constant"), r"pad: pad \(1, 0, 1\) must have an even"),
    (lambda: F.pad(IMAGE, (1, 1), mode="wrap"), r"pad: mode must be one of"),
    (lambda: F.pad(IMAGE, (-3, -2)), r"pad: widths \(-3, -2\) crop more than the 4 entries"),
    (lambda: F.pad(IMAGE, (1, 1), mode="reflect", value=2.0),
     r"pad: value=2.0 applies only to mode='constant'"),
    (lambda: F.interpolate(IMAGE, mode="linear", size=3),
     r"interpolate: mode='linear' expects a \(N, C, L\) input, got shape \(1, 1, 3, 4\)"),
    (lambda: F.interpolate(IMAGE, size=3, scale_factor=2),
     r"interpolate: give exactly one of size and scale_factor"),
    (lambda: F.interpolate(IMAGE, size=3, align_corners=True),
     r"interpolate: align_corners applies only to the interpolating modes"),
    (lambda: F.interpolate(IMAGE, size=2, antialias=True),
     r"interpolate: antialias=True is not supported"),
])
def test_padding_and_resampling_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_nearest_copies_integer_images_and_averaging_modes_refuse_them():
    image = np.arange(4).reshape(1, 1, 2, 2)
    np.testing.assert_array_equal(F.interpolate(image, scale_factor=2).numpy()[0, 0, 0],
                                  [0, 0, 1, 1])
    with pytest.raises(TypeError, match=r"interpolate: averaging and interpolating need a "
                                        r"float input, got dtype int64"):
        F.interpolate(image, scale_factor=2, mode="bilinear")
    with pytest.raises(TypeError, match=r"adaptive_avg_pool2d: averaging and interpolating "):
        F.adaptive_avg_pool2d(image, 1)


def test_upsample_and_adaptive_pool_reprs_read_like_pytorch():
    assert repr(nn.Upsample(scale_factor=2, mode="bilinear")) == (
        "Upsample(scale_factor=2.0, mode='bilinear')")
    assert repr(nn.Upsample(size=(3, 4))) == "Upsample(size=(3, 4), mode='nearest')"
    assert repr(nn.AdaptiveAvgPool2d((2, None))) == "AdaptiveAvgPool2d(output_size=(2, None))"


# --- distances ---------------------------------------------------------------------------


def test_normalize_gives_unit_rows_and_leaves_the_zero_vector_zero():
    out = F.normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out.numpy(), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(F.normalize(np.array([[3.0, -1.0]]), p=1).numpy(),
                               [[0.75, -0.25]])


def test_normalize_gradient_at_the_zero_vector_is_one_over_eps():
    # PyTorch: the clamped norm passes no gradient, so d(x / eps)/dx = 1/eps, never NaN.
    (grad,) = _grad(F.normalize, [[0.0, 0.0]])
    np.testing.assert_array_equal(grad, [[1e12, 1e12]])


def test_cosine_similarity_counts_short_vectors_as_length_eps():
    # PyTorch's values: a zero vector gives 0; two vectors shorter than eps give x.y / eps**2.
    x = np.array([[0.0, 0.0], [1e-9, 2e-9], [3.0, 4.0]])
    y = np.array([[1.0, 2.0], [2e-9, 1e-9], [1.0, 0.0]])
    np.testing.assert_allclose(F.cosine_similarity(x, y).numpy(), [0.0, 0.04, 0.6], rtol=1e-9)
    grad_x, _ = _grad(F.cosine_similarity, x, y)
    np.testing.assert_allclose(grad_x[0], np.array([1.0, 2.0]) / math.sqrt(5) / 1e-8)


def test_pairwise_distance_adds_eps_to_the_difference():
    out = F.pairwise_distance(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([[3.0, 4.0],
                                                                           [1.0, 1.0]]))
    np.testing.assert_allclose(out.numpy(), [math.hypot(-3 + 1e-6, -4 + 1e-6),
                                             math.sqrt(2) * 1e-6])
    assert F.pairwise_distance(np.ones((3, 2)), np.zeros(2), keepdims=True).shape == (3, 1)


@pytest.mark.parametrize("f", [
    lambda a, b: F.normalize(a, p=3.0, axis=0), lambda a, b: F.normalize(a, p=math.inf),
    lambda a, b: F.cosine_similarity(a, b, axis=-1),
    lambda a, b: F.pairwise_distance(a, b, p=1.5),
], ids=["normalize p=3", "normalize p=inf", "cosine_similarity", "pairwise_distance"])
def test_distance_gradients_match_finite_differences(f):
    a = ag.tensor(RNG.permutation(12).reshape(3, 4) / 4.0 - 1.4, requires_grad=True)
    assert ag.gradcheck(f, [a, _t(3, 4)], **GRADCHECK_TOLERANCE)


# --- norms -------------------------------------------------------------------------------


def test_group_norm_normalises_each_group_of_channels():
    out = F.group_norm(np.array([[[1.0], [2.0], [3.0], [5.0]]]), 2).numpy()[0, :, 0]
    np.testing.assert_allclose(out, [-0.99997997, 0.99997997, -0.99999499, 0.99999499],
                               rtol=1e-7)  # PyTorch's values


def test_instance_norm_running_statistics_follow_pytorch():
    layer = nn.InstanceNorm2d(2, momentum=0.3, track_running_stats=True).to(np.float64)
    x = RNG.normal(size=(3, 2, 4, 5))
    layer(x)
    np.testing.assert_allclose(layer.running_mean.numpy(), 0.3 * x.mean(axis=(2, 3)).mean(0))
    np.testing.assert_allclose(layer.running_var.numpy(),
                               0.7 + 0.3 * x.var(axis=(2, 3), ddof=1).mean(0))
    layer.eval()
    expected = (x - layer.running_mean.numpy().reshape(1, 2, 1, 1)) / np.sqrt(
        layer.running_var.numpy().reshape(1, 2, 1, 1) + 1e-5)
    np.testing.assert_allclose(layer(x).numpy(), expected)


@pytest.mark.parametrize("f", [
    lambda x, w, b: F.group_norm(x, 2, w, b), lambda x, w, b: F.instance_norm(x, weight=w,
                                                                              bias=b),
], ids=["group_norm", "instance_norm"])
def test_norm_gradients_match_finite_differences(f):
    assert ag.gradcheck(f, [_t(2, 4, 2, 3), _t(4), _t(4)], **GRADCHECK_TOLERANCE)


def test_norm_modules_reject_bad_settings():
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(4\) must be divisible by "
                                         r"num_groups \(3\)"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match=r"InstanceNorm2d: expected 3 channels on axis 1, got "
                                         r"input shape \(2, 2, 3, 3\)"):
        nn.InstanceNorm2d(3, affine=True)(ag.zeros((2, 2, 3, 3)))


def test_norm_reprs_read_like_pytorch():
    assert repr(nn.GroupNorm(2, 4)) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert repr(nn.InstanceNorm2d(2)) == ("InstanceNorm2d(2, eps=1e-05, momentum=0.1, "
                                          "affine=False, bias=False, track_running_stats=False)")


# --- activations -------------------------------------------------------------------------


def test_hardtanh_passes_no_gradient_at_its_ends_as_pytorch():
    (grad,) = _grad(F.hardtanh, [-1.0, 1.0, 0.5, -2.0])
    np.testing.assert_array_equal(grad, [0.0, 0.0, 1.0, 0.0])


def test_prelu_gradient_at_zero_is_the_slope_as_pytorch():
    grad_x, grad_w = _grad(F.prelu, [-1.0, 0.0, 0.5], [0.25])
    np.testing.assert_array_equal(grad_x, [0.25, 0.25, 1.0])
    np.testing.assert_array_equal(grad_w, [-1.0])


def test_mish_is_finite_for_extreme_inputs():
    np.testing.assert_allclose(F.mish(np.array([-1000.0, 0.0, 1.0, 1000.0])).numpy(),
                               [0.0, 0.0, math.tanh(math.log1p(math.e)), 1000.0])


@pytest.mark.parametrize("f", [
    lambda x, w: F.hardtanh(x, -0.5, 0.5), lambda x, w: F.mish(x * 4),
    lambda x, w: F.prelu(x, w),
], ids=["hardtanh", "mish", "prelu"])
def test_activation_gradients_match_finite_differences(f):
    x = ag.tensor(RNG.choice([-1, 1], (2, 3, 2)) * RNG.uniform(0.1, 0.4, (2, 3, 2)) * 1.0,
                  requires_grad=True)
    assert ag.gradcheck(f, [x, _t(3, low=0.1, high=0.5)], **GRADCHECK_TOLERANCE)


def test_prelu_names_both_shapes_when_the_slopes_match_no_channel_axis():
    with pytest.raises(ValueError, match=r"prelu: 3 slopes need an input with 3 channels on "
                                         r"axis 1, got shape \(2, 4\)"):
        nn.PReLU(3)(ag.zeros((2, 4)))


def test_unflatten_undoes_flatten():
    x = ag.randn(2, 3, 4, 5)
    assert nn.Unflatten(1, (3, 4, 5))(nn.Flatten()(x)).shape == (2, 3, 4, 5)
    with pytest.raises(ValueError, match=r"Unflatten: cannot split axis 1 of shape \(2, 60\) "
                                         r"into \(7, -1\)"):
        nn.Unflatten(1, (7, -1))(ag.zeros((2, 60)))


# --- dropout variants --------------------------------------------------------------------


@pytest.mark.parametrize(("f", "shape"), [(F.dropout1d, (30, 40, 6)),
                                          (F.dropout2d, (30, 40, 2, 3))])
def test_channel_dropout_drops_whole_channels(f, shape):
    ag.manual_seed(0)
    out = f(np.ones(shape), 0.25).numpy().reshape(30, 40, -1)
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    assert np.all(out.min(axis=2) == out.max(axis=2))  # a channel is kept or dropped whole
    assert abs((out[:, :, 0] == 0).mean() - 0.25) < 0.03


def test_dropout2d_of_a_3d_input_warns_and_drops_rows_as_pytorch():
    with pytest.warns(UserWarning, match="dropout2d: a 3-D input is taken as"):
        out = F.dropout2d(np.ones((20, 30, 4)), 0.5).numpy()
    assert np.all(out.min(axis=2) == out.max(axis=2))


def test_alpha_dropout_keeps_zero_mean_and_unit_variance():
    ag.manual_seed(0)
    out = F.alpha_dropout(np.random.default_rng(0).normal(size=200_000), 0.3, True).numpy()
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1.0) < 0.01
    # Dropped units all take a * -1.7581 + b = -1.05954816, PyTorch's value for p=0.3.
    assert abs(np.isclose(out, -1.05954816, rtol=1e-8).mean() - 0.3) < 0.01
    assert F.alpha_dropout(np.ones(3), 0.3).numpy().tolist() == [1.0, 1.0, 1.0]  # eval default


@pytest.mark.parametrize(("f", "shape"), [
    (F.dropout1d, (2, 3, 4)), (F.dropout2d, (2, 3, 2, 2)), (F.alpha_dropout, (3, 4)),
    (F.feature_alpha_dropout, (2, 3, 2)),
], ids=["dropout1d", "dropout2d", "alpha_dropout", "feature_alpha_dropout"])
def test_dropout_variant_gradients_are_the_mask(f, shape):
    def with_one_mask(x):
        ag.manual_seed(1)  # every evaluation draws the same mask
        return f(x, 0.4, True)

    assert ag.gradcheck(with_one_mask, [_t(*shape)], **GRADCHECK_TOLERANCE)


def test_dropout_variants_reject_bad_input():
    with pytest.raises(ValueError, match=r"dropout1d: expects a \(N, C, L\) or \(C, L\) input"):
        F.dropout1d(np.ones((2, 3, 4, 5)))
    with pytest.raises(ValueError, match=r"Dropout2d: p must lie in \[0, 1\], got 1.5"):
        nn.Dropout2d(1.5)


# --- one_hot -------------------------------------------------------------------------------


def test_one_hot_returns_int64_of_any_shape_as_pytorch():
    out = F.one_hot(np.array([[2, 0], [1, 1]]))
    assert out.dtype == np.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy(), [[[0, 0, 1], [1, 0, 0]], [[0, 1, 0], [0, 1, 0]]])
    assert F.one_hot(np.array([1]), 4).numpy().tolist() == [[0, 1, 0, 0]]
    assert F.one_hot(np.zeros(0, np.int64), 3).shape == (0, 3)


def test_one_hot_errors():
    with pytest.raises(TypeError, match=r"one_hot: expected integer indices, got dtype float64"):
        F.one_hot(np.array([0.5]))
    with pytest.raises(ValueError, match=r"one_hot: labels must lie in \[0, 3\), got values "
                                         r"from 3 to 3"):
        F.one_hot(np.array([3]), 3)
    with pytest.raises(ValueError, match=r"one_hot: cannot infer the number of classes"):
        F.one_hot(np.zeros(0, np.int64))


# --- losses --------------------------------------------------------------------------------

LOG_PROBS = np.log(np.array([[0.3, 0.7], [0.5, 0.5]]))
TARGET_PROBS = np.array([[0.2, 0.8], [0.0, 1.0]])


@pytest.mark.parametrize(("reduction", "expected"), [
    ("mean", 0.17971981825948266), ("batchmean", 0.3594396365189653),
    ("sum", 0.7188792730379306)])
def test_kl_div_reductions_give_pytorchs_numbers(reduction, expected):
    assert F.kl_div(LOG_PROBS, TARGET_PROBS, reduction).item() == pytest.approx(expected,
                                                                              rel=1e-12)


def test_kl_div_is_zero_where_the_target_is_zero():
    out = F.kl_div(LOG_PROBS, TARGET_PROBS, "none").numpy()
    np.testing.assert_allclose(out, [[0.2 * math.log(0.2 / 0.3), 0.8 * math.log(0.8 / 0.7)],
                                     [0.0, math.log(2.0)]])


def test_multi_margin_loss_gives_pytorchs_numbers_with_weights():
    scores = np.array([[0.3, 1.0, 0.7], [0.1, 0.2, 0.9]])
    weight = np.array([0.5, 2.0, 3.0])
    for p, expected in ((1, [0.4, 0.1]), (2, [0.17333333, 0.01])):
        out = F.multi_margin_loss(scores, np.array([1, 2]), p, 0.8, weight, "none")
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize(("f", "arrays"), [
    # Each input puts one hinge exactly at 0: PyTorch's gradient there is 0.
    (lambda x: F.multi_margin_loss(x, np.array([1])), [[[0.5, 1.5, 0.2]]]),
    (lambda a, b: F.margin_ranking_loss(a, b, np.array([1.0]), margin=0.0), [[1.0], [1.0]]),
    (lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=1.0, eps=0.0),
     [[[0.0, 0.0]], [[1.0, 0.0]], [[2.0, 0.0]]]),
])
def test_hinge_losses_pass_no_gradient_at_the_margin(f, arrays):
    for grad in _grad(f, *arrays):
        np.testing.assert_array_equal(grad, np.zeros_like(grad))


def test_multi_margin_loss_is_micrograds_svm_loss():
    # micrograd's demo: sum over classes i != y of relu(1 + s_i - s_y), here divided by C.
    scores = RNG.normal(size=(6, 4))
    labels = np.array([0, 3, 1, 2, 2, 0])
    by_hand = [sum(max(0.0, 1 + s[i] - s[y]) for i in range(4) if i != y) / 4
               for s, y in zip(scores, labels)]
    np.testing.assert_allclose(F.multi_margin_loss(scores, labels, reduction="none").numpy(),
                               by_hand)


@pytest.mark.parametrize("f", [
    lambda x, y, z: F.kl_div(x, ag.softmax(y, axis=1), "batchmean"),
    lambda x, y, z: F.kl_div(x, y, "sum", log_target=True),
    lambda x, y, z: F.margin_ranking_loss(x, y, np.sign(z.numpy()), margin=0.1),
    lambda x, y, z: F.triplet_margin_loss(x, y, z, margin=2.0, swap=True),
    lambda x, y, z: F.multi_margin_loss(x * 3, np.array([0, 2, 1]), p=2, margin=0.5),
], ids=["kl_div", "kl_div log_target", "margin_ranking", "triplet", "multi_margin"])
def test_loss_gradients_match_finite_differences(f):
    assert ag.gradcheck(f, [_t(3, 3), _t(3, 3), _t(3, 3)], **GRADCHECK_TOLERANCE)


def test_loss_errors():
    with pytest.raises(ValueError, match=r"kl_div: reduction must be one of \('mean', "
                                         r"'batchmean', 'sum', 'none'\), got 'avg'"):
        F.kl_div(LOG_PROBS, TARGET_PROBS, "avg")
    with pytest.raises(ValueError, match=r"MultiMarginLoss: p must be 1 or 2, got 3"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(IndexError, match=r"multi_margin_loss: target class 3 is out of range "
                                         r"for 3 classes"):
        F.multi_margin_loss(np.zeros((1, 3)), np.array([3]))
    with pytest.raises(ValueError, match=r"triplet_margin_loss: anchor \(2, 3\), positive "
                                         r"\(2, 3\) and negative \(2, 2\) must have the same"):
        F.triplet_margin_loss(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 2)))


def test_kldivloss_module_accepts_batchmean():
    assert nn.KLDivLoss(reduction="batchmean")(LOG_PROBS, TARGET_PROBS).item() == (
        pytest.approx(0.3594396365189653, rel=1e-12))
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of"):
        nn.MSELoss(reduction="batchmean")


def test_nn_and_nn_functional_export_the_new_api():
    for name in ("conv1d", "conv_transpose2d", "pad", "interpolate", "adaptive_avg_pool2d",
                 "one_hot", "normalize", "cosine_similarity", "pairwise_distance", "group_norm",
                 "instance_norm", "dropout1d", "dropout2d", "alpha_dropout",
                 "feature_alpha_dropout", "hardtanh", "mish", "prelu", "kl_div",
                 "margin_ranking_loss", "triplet_margin_loss", "multi_margin_loss"):
        assert callable(getattr(F, name)), name
    for name in ("Conv1d", "ConvTranspose2d", "GroupNorm", "InstanceNorm2d",
                 "AdaptiveAvgPool2d", "Upsample", "Unflatten", "PReLU", "Mish", "Hardtanh",
                 "Dropout1d", "Dropout2d", "AlphaDropout", "KLDivLoss", "MarginRankingLoss",
                 "TripletMarginLoss", "MultiMarginLoss", "CosineSimilarity", "PairwiseDistance"):
        assert issubclass(getattr(nn, name), nn.Module) and name in nn.__all__, name
