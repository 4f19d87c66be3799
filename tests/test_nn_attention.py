"""scaled_dot_product_attention, MultiheadAttention and TransformerEncoderLayer against
PyTorch's documented algorithms, written here step by step in NumPy, and PyTorch's parameter
names and shapes (written out as PyTorch lists them)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from nn_registry import call_with_parameters
from op_registry import GRADCHECK_TOLERANCE

import autograd_lite as ag
import nn
import nn.functional as F

# --- NumPy references ---------------------------------------------------------------------------


def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def np_sdpa(q, k, v, allowed=None, additive=None, scale=None):
    """PyTorch's reference: softmax(q k^T * scale + bias) v, bias -inf where not allowed."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    if additive is not None:
        scores = scores + additive
    return np_softmax(scores) @ v


def np_mha(module, query, key, value, blocked=None, additive=None, kpm_blocked=None):
    """PyTorch's F.multi_head_attention_forward for time-major (L, N, E) inputs.

    ``blocked`` (L, S) or (N * H, L, S) and ``kpm_blocked`` (N, S) are True where masked;
    ``additive`` (L, S) is added. Returns the output (L, N, E) and per-head weights
    (N, H, L, S)."""
    E, H = module.embed_dim, module.num_heads
    hd = E // H
    W = module.in_proj_weight.data
    b = module.in_proj_bias.data
    q = query @ W[:E].T + b[:E]
    k = key @ W[E:2 * E].T + b[E:2 * E]
    v = value @ W[2 * E:].T + b[2 * E:]
    L, N, _ = q.shape
    S = k.shape[0]
    # (L, N, E) -> (N * H, L, hd), PyTorch's view and transpose
    q, k, v = (x.reshape(x.shape[0], N * H, hd).transpose(1, 0, 2) for x in (q, k, v))
    scores = (q / math.sqrt(hd)) @ k.transpose(0, 2, 1)  # (N * H, L, S)
    bias = np.zeros((N * H, L, S))
    if blocked is not None:
        bias = bias + np.where(blocked, -np.inf, 0.0)
    if additive is not None:
        bias = bias + additive
    if kpm_blocked is not None:
        bias = bias + np.repeat(np.where(kpm_blocked, -np.inf, 0.0)[:, None, :], H,
                                axis=0).reshape(N * H, 1, S)
    weights = np_softmax(scores + bias)
    out = (weights @ v).transpose(1, 0, 2).reshape(L * N, E)
    out = out @ module.out_proj.weight.data.T + module.out_proj.bias.data
    return out.reshape(L, N, E), weights.reshape(N, H, L, S)


def np_layer_norm(x, norm):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-5) * norm.weight.data + norm.bias.data


def np_encoder_layer(layer, x, activation):
    def sa(y):
        return np_mha(layer.self_attn, y, y, y)[0]

    def ff(y):
        hidden = activation(y @ layer.linear1.weight.data.T + layer.linear1.bias.data)
        return hidden @ layer.linear2.weight.data.T + layer.linear2.bias.data

    if layer.norm_first:
        x = x + sa(np_layer_norm(x, layer.norm1))
        return x + ff(np_layer_norm(x, layer.norm2))
    x = np_layer_norm(x + sa(x), layer.norm1)
    return np_layer_norm(x + ff(x), layer.norm2)


def float64(module):
    """The module in float64 with every parameter drawn from a seeded N(0, 0.5)."""
    module.to(np.float64)
    rng = np.random.default_rng(11)
    for p in module.parameters():
        p.data[...] = rng.normal(0, 0.5, p.shape)
    return module


def assert_close(actual, expected, tol=1e-12):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=tol, atol=tol)


@pytest.fixture
def qkv():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 6, 5)),
            rng.normal(size=(2, 3, 6, 7)))


# --- scaled_dot_product_attention -------------------------------------------------------------


def test_sdpa_is_softmax_of_scaled_scores_times_value(qkv):
    q, k, v = qkv
    out = F.scaled_dot_product_attention(ag.tensor(q), ag.tensor(k), ag.tensor(v))
    assert out.shape == (2, 3, 4, 7)
    assert_close(out.data, np_sdpa(q, k, v))
    assert_close(F.scaled_dot_product_attention(q, k, v, scale=0.3).data,
                 np_sdpa(q, k, v, scale=0.3))


def test_sdpa_causal_mask_is_the_top_left_lower_triangle(qkv):
    q, k, v = qkv  # L = 4 queries, S = 6 keys: query i sees keys 0..i
    allowed = np.arange(6)[None, :] <= np.arange(4)[:, None]
    assert_close(F.scaled_dot_product_attention(q, k, v, is_causal=True).data,
                 np_sdpa(q, k, v, allowed=allowed))


def test_sdpa_bool_mask_is_true_where_attention_is_allowed(qkv):
    q, k, v = qkv
    allowed = np.random.default_rng(1).random((4, 6)) > 0.4
    allowed[:, 0] = True
    assert_close(F.scaled_dot_product_attention(q, k, v, attn_mask=allowed).data,
                 np_sdpa(q, k, v, allowed=allowed))


def test_sdpa_float_mask_is_added_and_stays_differentiable(qkv):
    q, k, v = qkv
    bias = np.random.default_rng(2).normal(size=(3, 4, 6))
    mask = ag.tensor(bias, requires_grad=True)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert_close(out.data, np_sdpa(q, k, v, additive=bias))
    out.sum().backward()
    assert mask.grad is not None and np.abs(mask.grad.data).max() > 0


def test_sdpa_query_with_no_allowed_key_outputs_zeros_without_nan_gradients(qkv):
    q, k, v = qkv
    allowed = np.ones((4, 6), bool)
    allowed[2] = False
    tq = ag.tensor(q, requires_grad=True)
    out = F.scaled_dot_product_attention(tq, k, v, attn_mask=allowed)
    np.testing.assert_array_equal(out.data[:, :, 2], 0.0)
    assert_close(np.delete(out.data, 2, axis=2), np.delete(np_sdpa(q, k, v), 2, axis=2))
    out.sum().backward()
    assert np.isfinite(tq.grad.data).all()
    np.testing.assert_array_equal(tq.grad.data[:, :, 2], 0.0)


def test_sdpa_grouped_query_attention_shares_each_key_head_among_a_group(qkv):
    q6 = np.random.default_rng(3).normal(size=(2, 6, 4, 5))
    _, k, v = qkv
    expected = np_sdpa(q6, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1))
    assert_close(F.scaled_dot_product_attention(q6, k, v, enable_gqa=True).data, expected)


def test_sdpa_dropout_drops_attention_weights(qkv):
    q, k, v = qkv
    ag.manual_seed(0)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.25)
    keep = np.random.default_rng(0).random((2, 3, 4, 6)) >= 0.25
    weights = np_softmax(q @ np.swapaxes(k, -1, -2) / math.sqrt(5)) * keep / 0.75
    assert_close(out.data, weights @ v)


def test_sdpa_gradients_match_finite_differences():
    rng = np.random.default_rng(4)
    tensors = [ag.tensor(rng.normal(size=shape), requires_grad=True)
               for shape in ((2, 3, 4), (2, 5, 4), (2, 5, 3))]
    assert ag.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                        tensors, **GRADCHECK_TOLERANCE)
    assert ag.gradgradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
                            tensors, **GRADCHECK_TOLERANCE)


def test_sdpa_errors_name_the_problem(qkv):
    q, k, v = qkv
    with pytest.raises(ValueError, match="give either attn_mask or is_causal=True, not both"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((4, 6), bool), is_causal=True)
    with pytest.raises(ValueError, match=r"must agree on E and S; got \(2, 3, 4, 5\), "
                                         r"\(2, 3, 6, 5\), \(2, 3, 5, 7\)"):
        F.scaled_dot_product_attention(q, k, v[:, :, :5])
    with pytest.raises(TypeError, match="a mask must be bool or float, got dtype int64"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones((4, 6), np.int64))


# --- MultiheadAttention ------------------------------------------------------------------------


def test_mha_state_dict_keys_and_shapes_equal_pytorchs():
    def keys(module):
        return [(k, v.shape) for k, v in module.state_dict().items()]
    assert keys(nn.MultiheadAttention(6, 2)) == [
        ("in_proj_weight", (18, 6)), ("in_proj_bias", (18,)), ("out_proj.weight", (6, 6)),
        ("out_proj.bias", (6,))]
    assert keys(nn.MultiheadAttention(6, 2, kdim=3, vdim=5)) == [
        ("q_proj_weight", (6, 6)), ("k_proj_weight", (6, 3)), ("v_proj_weight", (6, 5)),
        ("in_proj_bias", (18,)), ("out_proj.weight", (6, 6)), ("out_proj.bias", (6,))]
    assert keys(nn.MultiheadAttention(6, 2, bias=False)) == [
        ("in_proj_weight", (18, 6)), ("out_proj.weight", (6, 6))]


def test_mha_init_is_xavier_uniform_with_zero_biases():
    ag.manual_seed(0)
    module = nn.MultiheadAttention(64, 4)
    bound = math.sqrt(6 / (64 + 3 * 64))
    weights = module.in_proj_weight.data
    assert np.abs(weights).max() <= bound and np.abs(weights).max() > 0.99 * bound
    np.testing.assert_array_equal(module.in_proj_bias.data, 0.0)
    np.testing.assert_array_equal(module.out_proj.bias.data, 0.0)


@pytest.fixture
def sequences():
    rng = np.random.default_rng(5)
    return rng.normal(size=(4, 3, 6)), rng.normal(size=(5, 3, 6)), rng.normal(size=(5, 3, 6))


def test_mha_follows_pytorchs_algorithm_time_major(sequences):
    module = float64(nn.MultiheadAttention(6, 2))
    query, key, value = sequences
    out, weights = module(query, key, value)
    expected_out, expected_weights = np_mha(module, query, key, value)
    assert out.shape == (4, 3, 6) and weights.shape == (3, 4, 5)
    assert_close(out.data, expected_out)
    assert_close(weights.data, expected_weights.mean(axis=1))


def test_mha_batch_first_per_head_weights_and_no_weights(sequences):
    module = float64(nn.MultiheadAttention(6, 3, batch_first=True))
    query, key, value = (x.swapaxes(0, 1) for x in sequences)
    out, weights = module(query, key, value, average_attn_weights=False)
    expected_out, expected_weights = np_mha(module, *sequences)
    assert_close(out.data, expected_out.swapaxes(0, 1))
    assert weights.shape == (3, 3, 4, 5)
    assert_close(weights.data, expected_weights)
    out, none = module(query, key, value, need_weights=False)
    assert none is None
    assert_close(out.data, expected_out.swapaxes(0, 1))


def test_mha_bool_masks_block_where_true_and_float_masks_add(sequences):
    module = float64(nn.MultiheadAttention(6, 2))
    rng = np.random.default_rng(6)
    blocked = rng.random((4, 5)) > 0.7
    blocked[:, 0] = False
    padding = np.zeros((3, 5), bool)
    padding[1, 3:] = True
    additive = rng.normal(size=(6, 4, 5))  # (N * H, L, S)
    out, weights = module(*sequences, attn_mask=blocked, key_padding_mask=padding)
    expected_out, expected_weights = np_mha(module, *sequences, blocked=blocked,
                                            kpm_blocked=padding)
    assert_close(out.data, expected_out)
    assert_close(weights.data, expected_weights.mean(axis=1))
    np.testing.assert_array_equal(weights.data[1, :, 3:], 0.0)
    out, _ = module(*sequences, attn_mask=additive)
    assert_close(out.data, np_mha(module, *sequences, additive=additive)[0])


def test_mha_unbatched_self_attention(sequences):
    module = float64(nn.MultiheadAttention(6, 2))
    x = sequences[0][:, 0]  # (L, E)
    out, weights = module(x, x, x, key_padding_mask=np.array([False, False, True, False]))
    expected_out, expected_weights = np_mha(module, x[:, None], x[:, None], x[:, None],
                                            kpm_blocked=np.array([[False, False, True, False]]))
    assert out.shape == (4, 6) and weights.shape == (4, 4)
    assert_close(out.data, expected_out[:, 0])
    assert_close(weights.data, expected_weights[0].mean(axis=0))


def test_mha_causal_hint_uses_the_given_mask(sequences):
    module = float64(nn.MultiheadAttention(6, 2))
    x = sequences[0]
    causal = np.triu(np.ones((4, 4), bool), k=1)
    out, _ = module(x, x, x, attn_mask=causal, is_causal=True)
    assert_close(out.data, np_mha(module, x, x, x, blocked=causal)[0])
    with pytest.raises(ValueError, match="is_causal=True is a hint that attn_mask is causal"):
        module(x, x, x, is_causal=True)


def test_mha_query_with_every_key_masked_outputs_the_projection_bias(sequences):
    module = float64(nn.MultiheadAttention(6, 2))
    blocked = np.zeros((4, 5), bool)
    blocked[1] = True
    out, weights = module(*sequences, attn_mask=blocked)
    assert_close(out.data[1], np.broadcast_to(module.out_proj.bias.data, (3, 6)))
    np.testing.assert_array_equal(weights.data[:, 1], 0.0)


def test_mha_dropout_acts_on_the_weights_in_training_only(sequences):
    module = float64(nn.MultiheadAttention(6, 2, dropout=0.3))
    ag.manual_seed(0)
    _, weights = module(*sequences, average_attn_weights=False)
    keep = np.random.default_rng(0).random((3, 2, 4, 5)) >= 0.3
    assert_close(weights.data, np_mha(module, *sequences)[1] * keep / 0.7)
    module.eval()
    assert_close(module(*sequences)[0].data, np_mha(module, *sequences)[0])


def test_mha_gradients_match_finite_differences():
    module = float64(nn.MultiheadAttention(4, 2))
    x = ag.tensor(np.random.default_rng(7).normal(size=(3, 2, 4)), requires_grad=True)
    parameters = [ag.tensor(p.data, requires_grad=True) for p in module.parameters()]
    blocked = np.triu(np.ones((3, 3), bool), k=1)

    def run(x, *ps):
        # positionally: key_padding_mask=None, need_weights=True, attn_mask=blocked
        out, weights = call_with_parameters(module, list(ps), x, x, x, None, True, blocked)
        return (out * out).sum() + (weights * weights).sum()
    assert ag.gradcheck(run, [x, *parameters], **GRADCHECK_TOLERANCE)


def test_mha_errors_name_shapes_and_fixes(sequences):
    with pytest.raises(ValueError, match=r"embed_dim \(6\) must be divisible by num_heads \(4\)"):
        nn.MultiheadAttention(6, 4)
    with pytest.raises(ValueError, match="add_bias_kv and add_zero_attn are not supported"):
        nn.MultiheadAttention(6, 2, add_bias_kv=True)
    module = nn.MultiheadAttention(6, 2).to(np.float64)
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(4, 5\) \(L, S\) or "
                                         r"\(6, 4, 5\) \(N \* num_heads, L, S\), got \(5, 4\)"):
        module(*sequences, attn_mask=np.zeros((5, 4), bool))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(3, 5\)"):
        module(*sequences, key_padding_mask=np.zeros((5, 3), bool))
    with pytest.raises(ValueError, match=r"expected query, key and value of shapes \(L, N, 6\), "
                                         r"\(L, N, 6\), \(L, N, 6\)"):
        module(sequences[0][..., :4], *sequences[1:])


# --- TransformerEncoderLayer --------------------------------------------------------------------


def test_encoder_layer_state_dict_keys_and_shapes_equal_pytorchs():
    assert [(k, v.shape) for k, v in nn.TransformerEncoderLayer(8, 2, 16).state_dict().items()] == [
        ("self_attn.in_proj_weight", (24, 8)), ("self_attn.in_proj_bias", (24,)),
        ("self_attn.out_proj.weight", (8, 8)), ("self_attn.out_proj.bias", (8,)),
        ("linear1.weight", (16, 8)), ("linear1.bias", (16,)), ("linear2.weight", (8, 16)),
        ("linear2.bias", (8,)), ("norm1.weight", (8,)), ("norm1.bias", (8,)),
        ("norm2.weight", (8,)), ("norm2.bias", (8,))]
    assert [name for name, _ in nn.TransformerEncoderLayer(8, 2, 16).named_children()] == [
        "self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2"]


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_follows_pytorchs_post_and_pre_norm_equations(norm_first):
    layer = float64(nn.TransformerEncoderLayer(6, 2, 10, norm_first=norm_first)).eval()
    x = np.random.default_rng(8).normal(size=(4, 3, 6))
    assert_close(layer(x).data, np_encoder_layer(layer, x, lambda y: np.maximum(y, 0)))


def test_encoder_layer_batch_first_with_a_callable_activation():
    layer = float64(nn.TransformerEncoderLayer(6, 3, 8, dropout=0.0, batch_first=True,
                                               activation=nn.GELU(approximate="tanh")))
    x = np.random.default_rng(9).normal(size=(4, 3, 6))  # (L, N, E)

    def gelu_tanh(y):
        return 0.5 * y * (1 + np.tanh(math.sqrt(2 / math.pi) * (y + 0.044715 * y**3)))
    out = layer(x.swapaxes(0, 1))
    assert_close(out.data, np_encoder_layer(layer, x, gelu_tanh).swapaxes(0, 1))


def test_encoder_layer_passes_its_masks_to_self_attention():
    layer = float64(nn.TransformerEncoderLayer(6, 2, 8, norm_first=True)).eval()
    x = np.random.default_rng(10).normal(size=(4, 2, 6))
    causal = np.triu(np.ones((4, 4), bool), k=1)
    padding = np.array([[False] * 4, [False, False, False, True]])
    out = layer(x, src_mask=causal, src_key_padding_mask=padding, is_causal=True)
    norm1 = np_layer_norm(x, layer.norm1)
    h = x + np_mha(layer.self_attn, norm1, norm1, norm1, blocked=causal, kpm_blocked=padding)[0]
    hidden = np.maximum(np_layer_norm(h, layer.norm2) @ layer.linear1.weight.data.T
                        + layer.linear1.bias.data, 0)
    assert_close(out.data, h + hidden @ layer.linear2.weight.data.T + layer.linear2.bias.data)


def test_encoder_layer_rejects_an_unknown_activation():
    with pytest.raises(ValueError, match="activation must be 'relu', 'gelu' or a callable, got "
                                         "'swish'"):
        nn.TransformerEncoderLayer(6, 2, activation="swish")


def test_encoder_layer_gelu_is_pytorchs_exact_form(monkeypatch):
    """activation='gelu' asks nn.functional.gelu for the exact (erf) form, PyTorch's."""
    calls = []

    def recording_gelu(x, approximate="none"):
        calls.append(approximate)
        return x * 2.0
    monkeypatch.setattr(F, "gelu", recording_gelu)
    layer = float64(nn.TransformerEncoderLayer(6, 2, 8, activation="gelu")).eval()
    x = np.random.default_rng(12).normal(size=(3, 2, 6))
    assert_close(layer(x).data, np_encoder_layer(layer, x, lambda y: y * 2.0))
    assert calls == ["none"]


def test_encoder_layer_gelu_matches_the_erf_formula():
    layer = float64(nn.TransformerEncoderLayer(6, 2, 8, activation="gelu")).eval()
    x = np.random.default_rng(13).normal(size=(3, 2, 6))
    erf = np.vectorize(math.erf)
    assert_close(layer(x).data,
                 np_encoder_layer(layer, x, lambda y: 0.5 * y * (1 + erf(y / math.sqrt(2)))))
