"""Layers and activations: values against NumPy formulas, gradients by gradcheck, and the
behaviour each layer promises (train/eval, running statistics, init, errors)."""

import math

import numpy as np
import pytest
from nn_registry import ACTIVATION_CASES, LAYER_CASES, check_forward, check_gradients
from op_registry import GRADCHECK_TOLERANCE

import autograd_lite as ag
import nn
import nn.functional as F

CASES = LAYER_CASES + ACTIVATION_CASES


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_forward_matches_numpy_formula(case):
    check_forward(case)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_gradients_match_finite_differences(case):
    check_gradients(case)


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    ag.manual_seed(0)
    layer = nn.Linear(16, 300)
    bound = 1 / math.sqrt(16)
    for param in (layer.weight, layer.bias):
        assert param.dtype == np.float32
        assert np.abs(param.data).max() <= bound
        assert np.abs(param.data).max() > 0.95 * bound  # spread over the whole interval
    assert layer.weight.shape == (300, 16) and layer.bias.shape == (300,)


def test_linear_init_is_reproducible_under_manual_seed():
    ag.manual_seed(3)
    first = nn.Linear(4, 2).weight.data.copy()
    ag.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(4, 2).weight.data, first)


def test_linear_without_input_features_outputs_its_bias():
    layer = nn.Linear(0, 3)
    np.testing.assert_array_equal(layer(ag.zeros(2, 0)).data, np.tile(layer.bias.data, (2, 1)))
    assert np.all(layer.bias.data == 0)  # the bound 1/sqrt(in_features) is 0 for no inputs


def test_linear_keeps_float32():
    layer = nn.Linear(3, 2)
    assert layer(ag.randn(5, 3)).dtype == np.float32


def test_linear_names_both_shapes_when_features_do_not_match():
    with pytest.raises(ValueError, match=r"linear: the input has shape \(5, 4\) but the weight "
                                         r"\(2, 3\) expects 3 features"):
        nn.Linear(3, 2)(ag.randn(5, 4))


def test_dropout_is_identity_in_eval_mode():
    x = ag.randn(10, 10)
    assert nn.Dropout(0.9).eval()(x) is x


def test_dropout_zeroes_about_p_and_scales_the_rest():
    ag.manual_seed(0)
    x = ag.ones(200, 100)
    out = nn.Dropout(0.25)(x).data
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.01


def test_dropout_with_p_one_zeroes_everything_and_p_zero_keeps_everything():
    x = ag.randn(3, 4)
    np.testing.assert_array_equal(nn.Dropout(1.0)(x).data, np.zeros((3, 4)))
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x.data)


def test_dropout_rejects_probability_outside_unit_interval():
    with pytest.raises(ValueError, match=r"Dropout: p must lie in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)


def test_batchnorm_updates_running_statistics_with_momentum_and_unbiased_variance():
    bn = nn.BatchNorm1d(2, momentum=0.1)
    x = np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]], dtype=np.float32)
    bn(ag.tensor(x))
    np.testing.assert_allclose(bn.running_mean.data, 0.9 * 0 + 0.1 * x.mean(0), rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.data, 0.9 * 1 + 0.1 * x.var(0, ddof=1), rtol=1e-6)
    assert int(bn.num_batches_tracked.data) == 1
    assert bn.running_mean.dtype == np.float32


def test_batchnorm_with_momentum_none_keeps_a_cumulative_average():
    bn = nn.BatchNorm1d(1, momentum=None)
    for batch in ([[0.0], [2.0]], [[4.0], [6.0]], [[8.0], [10.0]]):
        bn(ag.tensor(batch))
    np.testing.assert_allclose(bn.running_mean.data, [5.0])


def test_batchnorm_eval_uses_running_statistics_and_does_not_update_them():
    bn = nn.BatchNorm2d(1, affine=False)
    bn.running_mean.data[...] = 2.0
    bn.running_var.data[...] = 4.0
    bn.eval()
    out = bn(ag.full((2, 1, 2, 2), 6.0))
    np.testing.assert_allclose(out.data, np.full((2, 1, 2, 2), 4 / math.sqrt(4 + 1e-5)),
                               rtol=1e-6)
    assert bn.running_mean.data[0] == 2.0 and int(bn.num_batches_tracked.data) == 0


def test_batchnorm_without_running_statistics_uses_the_batch_in_eval_mode():
    bn = nn.BatchNorm1d(2, track_running_stats=False).eval()
    out = bn(ag.tensor([[1.0, 2.0], [3.0, 6.0]]))
    np.testing.assert_allclose(out.data, [[-1, -1], [1, 1]], atol=1e-4)
    assert [name for name, _ in bn.named_buffers()] == []


def test_batchnorm_training_needs_more_than_one_value_per_channel():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        bn(ag.randn(1, 3))
    assert int(bn.num_batches_tracked.data) == 0  # the rejected batch left no trace
    np.testing.assert_array_equal(bn.running_mean.data, np.zeros(3))


def test_batchnorm_names_the_expected_channels():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected an input with 4 dimensions "
                                         r"and 3 channels on axis 1, got shape \(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(ag.randn(2, 4, 5, 5))


def test_layernorm_rejects_a_mismatched_trailing_shape():
    with pytest.raises(ValueError, match=r"layer_norm: the input of shape \(2, 5\) does not end "
                                         r"with the normalized shape \(4,\)"):
        nn.LayerNorm(4)(ag.randn(2, 5))


def test_embedding_gradient_scatter_adds_repeated_indices():
    emb = nn.Embedding(4, 2)
    emb(np.array([1, 3, 1, 1])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data, [[0, 0], [3, 3], [0, 0], [1, 1]])


def test_embedding_padding_row_starts_at_zero_and_gets_no_gradient():
    emb = nn.Embedding(4, 2, padding_idx=0)
    np.testing.assert_array_equal(emb.weight.data[0], [0, 0])
    out = emb(ag.tensor(np.array([[0, 2], [0, 0]])))
    assert out.shape == (2, 2, 2)
    out.sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data, [[0, 0], [0, 0], [1, 1], [0, 0]])


def test_embedding_function_counts_a_negative_padding_idx_from_the_end():
    weight = ag.tensor(np.ones((4, 2)), requires_grad=True)
    F.embedding(np.array([3, 1, 3]), weight, padding_idx=-1).sum().backward()
    np.testing.assert_array_equal(weight.grad.data, [[0, 0], [1, 1], [0, 0], [0, 0]])
    with pytest.raises(ValueError, match="embedding: padding_idx -5 is out of range for 4"):
        F.embedding(np.array([0]), weight, padding_idx=-5)
    with pytest.raises(ValueError, match="Embedding: padding_idx 4 is out of range for 4"):
        nn.Embedding(4, 2, padding_idx=4)


def test_embedding_rejects_out_of_range_and_float_indices():
    emb = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match=r"embedding: index 4 is out of range for 4 embeddings"):
        emb(np.array([0, 4]))
    with pytest.raises(TypeError, match="embedding: expected integer indices, got dtype float"):
        emb(ag.tensor([0.0, 1.0]))


def test_elu_gradient_at_zero_is_alpha_and_relu_gradient_at_zero_is_zero():
    x = ag.tensor([0.0], requires_grad=True)
    F.elu(x, alpha=0.5).sum().backward()
    assert x.grad.data[0] == 0.5
    x.grad = None
    F.relu(x).sum().backward()
    assert x.grad.data[0] == 0.0


def test_elu_and_softplus_are_finite_for_huge_inputs():
    x = ag.tensor([-1000.0, 1000.0], requires_grad=True)
    (F.elu(x) + F.softplus(x)).sum().backward()
    np.testing.assert_allclose(x.grad.data, [1 - 1 + 0, 1 + 1])  # elu' = 0 + softplus' = 0
    assert np.isfinite(x.grad.data).all()


def test_softplus_is_linear_above_the_threshold():
    # A low threshold, so that softplus and the identity differ visibly on each side of it.
    x = ag.tensor(np.array([0.5, 1.5]), requires_grad=True)
    out = F.softplus(x, beta=2.0, threshold=2.0)
    np.testing.assert_allclose(out.data, [np.log1p(np.exp(1.0)) / 2.0, 1.5], rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1 / (1 + np.exp(-1.0)), 1.0], rtol=1e-12)


def test_gelu_is_exact_by_default_with_pytorchs_values():
    # torch.nn.functional.gelu(torch.tensor([-1.0, 0.5, 2.0], dtype=torch.float64))
    x = ag.tensor(np.array([-1.0, 0.5, 2.0]), requires_grad=True)
    out = nn.GELU()(x)
    np.testing.assert_allclose(out.data, [-0.15865525393145702, 0.34573123063700656,
                                          1.9544997361036416], rtol=1e-15)
    out.sum().backward()
    # d/dx x Phi(x) = Phi(x) + x phi(x)
    phi = np.exp(-x.data**2 / 2) / np.sqrt(2 * np.pi)
    Phi = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x.data])
    np.testing.assert_allclose(x.grad.data, Phi + x.data * phi, rtol=1e-14)
    assert repr(nn.GELU()) == "GELU(approximate='none')"


def test_gelu_tanh_approximation_on_request_has_pytorchs_values():
    # torch.nn.functional.gelu(..., approximate='tanh') on the same float64 inputs
    out = F.gelu(ag.tensor(np.array([-1.0, 0.5, 2.0])), approximate="tanh")
    np.testing.assert_allclose(out.data, [-0.15880800939172324, 0.34571400982514394,
                                          1.954597694087775], rtol=1e-15)


def test_exact_gelu_keeps_its_precision_for_large_negative_inputs():
    # x Phi(x) at -10 is -7.6e-23; 0.5 x (1 + erf(x / sqrt 2)) would cancel to 0
    out = F.gelu(ag.tensor(np.array([-10.0])))
    np.testing.assert_allclose(out.data, [-10 * 0.5 * math.erfc(10 * math.sqrt(0.5))],
                               rtol=1e-14)


def test_gelu_rejects_an_unknown_approximation_naming_both_forms():
    for make in (lambda: nn.GELU(approximate="exact"),
                 lambda: F.gelu(ag.ones(2), approximate="exact")):
        with pytest.raises(ValueError, match="approximate='none' .*or approximate='tanh'"):
            make()


def test_softmax_accepts_pytorch_dim_keyword():
    x = ag.randn(2, 3)
    np.testing.assert_allclose(nn.Softmax(dim=0)(x).data.sum(axis=0), np.ones(3), rtol=1e-6)


def test_flatten_turns_images_into_rows():
    assert nn.Flatten()(ag.zeros(2, 3, 4, 5)).shape == (2, 60)


def test_second_order_gradient_flows_through_layers():
    layer = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).to(np.float64)
    x = ag.tensor(np.array([[0.3, -0.7]]), requires_grad=True)
    assert ag.gradgradcheck(lambda x: layer(x), [x], **GRADCHECK_TOLERANCE)
